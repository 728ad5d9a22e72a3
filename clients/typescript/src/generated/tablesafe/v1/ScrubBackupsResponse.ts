// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { ScrubbedBackup as _tablesafe_v1_ScrubbedBackup, ScrubbedBackup__Output as _tablesafe_v1_ScrubbedBackup__Output } from '../../tablesafe/v1/ScrubbedBackup.js';

export interface ScrubBackupsResponse {
  'startedAt'?: (_google_protobuf_Timestamp | null);
  'finishedAt'?: (_google_protobuf_Timestamp | null);
  'backups'?: (_tablesafe_v1_ScrubbedBackup)[];
}

export interface ScrubBackupsResponse__Output {
  'startedAt': (_google_protobuf_Timestamp__Output | null);
  'finishedAt': (_google_protobuf_Timestamp__Output | null);
  'backups': (_tablesafe_v1_ScrubbedBackup__Output)[];
}
