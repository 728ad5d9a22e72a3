// Original file: proto/tablesafe/v1/storage_admin.proto

import type { BackupRun as _tablesafe_v1_BackupRun, BackupRun__Output as _tablesafe_v1_BackupRun__Output } from '../../tablesafe/v1/BackupRun.js';

export interface ListRunsResponse {
  'runs'?: (_tablesafe_v1_BackupRun)[];
}

export interface ListRunsResponse__Output {
  'runs': (_tablesafe_v1_BackupRun__Output)[];
}
