// Original file: proto/tablesafe/v1/storage_admin.proto


export interface CompactTableRequest {
  'table'?: (string);
  /**
   * Compact even when the free space is not above the threshold.
   */
  'force'?: (boolean);
  /**
   * Say what would be done, and do nothing.
   */
  'dryRun'?: (boolean);
}

export interface CompactTableRequest__Output {
  'table': (string);
  /**
   * Compact even when the free space is not above the threshold.
   */
  'force': (boolean);
  /**
   * Say what would be done, and do nothing.
   */
  'dryRun': (boolean);
}
