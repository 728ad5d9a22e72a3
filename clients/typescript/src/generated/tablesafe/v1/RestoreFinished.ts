// Original file: proto/tablesafe/v1/storage_admin.proto


export interface RestoreFinished {
  'runId'?: (string);
  'table'?: (string);
  'backup'?: (string);
  'target'?: (string);
  /**
   * Empty when restored; else why not (the target is as it was).
   */
  'errorCode'?: (string);
  'errorMessage'?: (string);
  'safetyCopy'?: (string);
}

export interface RestoreFinished__Output {
  'runId': (string);
  'table': (string);
  'backup': (string);
  'target': (string);
  /**
   * Empty when restored; else why not (the target is as it was).
   */
  'errorCode': (string);
  'errorMessage': (string);
  'safetyCopy': (string);
}
