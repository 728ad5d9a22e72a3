// Original file: proto/tablesafe/v1/storage_admin.proto


export interface RemoveSafetyCopyRequest {
  /**
   * `safety/<name>` as ListBackups lists it.
   */
  'file'?: (string);
}

export interface RemoveSafetyCopyRequest__Output {
  /**
   * `safety/<name>` as ListBackups lists it.
   */
  'file': (string);
}
