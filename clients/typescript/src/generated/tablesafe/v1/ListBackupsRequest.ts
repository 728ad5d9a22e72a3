// Original file: proto/tablesafe/v1/storage_admin.proto


export interface ListBackupsRequest {
  /**
   * Only this table's backups; empty for all.
   */
  'table'?: (string);
  /**
   * List the safety copies restores kept (`safety/<name>`) instead.
   */
  'safetyCopies'?: (boolean);
}

export interface ListBackupsRequest__Output {
  /**
   * Only this table's backups; empty for all.
   */
  'table': (string);
  /**
   * List the safety copies restores kept (`safety/<name>`) instead.
   */
  'safetyCopies': (boolean);
}
