// Original file: proto/tablesafe/v1/storage_admin.proto


export interface GetHealthRequest {
  /**
   * Recompute from disk before answering instead of using the last snapshot.
   */
  'refresh'?: (boolean);
}

export interface GetHealthRequest__Output {
  /**
   * Recompute from disk before answering instead of using the last snapshot.
   */
  'refresh': (boolean);
}
