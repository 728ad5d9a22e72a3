// Original file: proto/tablesafe/v1/storage_admin.proto

import type { BackupFile as _tablesafe_v1_BackupFile, BackupFile__Output as _tablesafe_v1_BackupFile__Output } from '../../tablesafe/v1/BackupFile.js';

export interface ListBackupsResponse {
  'backups'?: (_tablesafe_v1_BackupFile)[];
}

export interface ListBackupsResponse__Output {
  'backups': (_tablesafe_v1_BackupFile__Output)[];
}
