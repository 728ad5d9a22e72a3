// Original file: proto/tablesafe/v1/storage_admin.proto


export interface ListRunsRequest {
  /**
   * At most this many runs; 0 means 20.
   */
  'limit'?: (number);
}

export interface ListRunsRequest__Output {
  /**
   * At most this many runs; 0 means 20.
   */
  'limit': (number);
}
