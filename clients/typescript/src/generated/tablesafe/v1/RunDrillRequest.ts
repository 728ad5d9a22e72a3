// Original file: proto/tablesafe/v1/storage_admin.proto


export interface RunDrillRequest {
  /**
   * Tables to drill; empty for every table the catalog backs up.
   */
  'tables'?: (string)[];
}

export interface RunDrillRequest__Output {
  /**
   * Tables to drill; empty for every table the catalog backs up.
   */
  'tables': (string)[];
}
