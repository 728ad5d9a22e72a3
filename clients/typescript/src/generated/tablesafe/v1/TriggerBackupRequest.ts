// Original file: proto/tablesafe/v1/storage_admin.proto


export interface TriggerBackupRequest {
  /**
   * Table names to back up; empty means every table the catalog backs up.
   */
  'tables'?: (string)[];
  /**
   * Free text recorded with the run.
   */
  'reason'?: (string);
}

export interface TriggerBackupRequest__Output {
  /**
   * Table names to back up; empty means every table the catalog backs up.
   */
  'tables': (string)[];
  /**
   * Free text recorded with the run.
   */
  'reason': (string);
}
