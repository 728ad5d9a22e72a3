// Original file: proto/tablesafe/v1/storage_admin.proto


export interface ListBackupsRequest {
  /**
   * Only this table's backups; empty for all.
   */
  'table'?: (string);
}

export interface ListBackupsRequest__Output {
  /**
   * Only this table's backups; empty for all.
   */
  'table': (string);
}
