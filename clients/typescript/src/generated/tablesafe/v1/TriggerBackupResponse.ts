// Original file: proto/tablesafe/v1/storage_admin.proto

import type { BackupRun as _tablesafe_v1_BackupRun, BackupRun__Output as _tablesafe_v1_BackupRun__Output } from '../../tablesafe/v1/BackupRun.js';

export interface TriggerBackupResponse {
  'run'?: (_tablesafe_v1_BackupRun | null);
  /**
   * True when this trigger joined a run another caller started: the run in
   * progress (it covered every table asked for) or a follow-up run that an
   * earlier trigger was already waiting for.
   */
  'joinedExistingRun'?: (boolean);
}

export interface TriggerBackupResponse__Output {
  'run': (_tablesafe_v1_BackupRun__Output | null);
  /**
   * True when this trigger joined a run another caller started: the run in
   * progress (it covered every table asked for) or a follow-up run that an
   * earlier trigger was already waiting for.
   */
  'joinedExistingRun': (boolean);
}
