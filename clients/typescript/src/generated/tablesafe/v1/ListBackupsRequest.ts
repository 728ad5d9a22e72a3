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
  /**
   * Also list this host's copies at every offsite destination (one request
   * to the store per copy, for its manifest). A destination that cannot be
   * read fails the call with UNAVAILABLE, naming it.
   */
  'offsite'?: (boolean);
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
  /**
   * Also list this host's copies at every offsite destination (one request
   * to the store per copy, for its manifest). A destination that cannot be
   * read fails the call with UNAVAILABLE, naming it.
   */
  'offsite': (boolean);
}
