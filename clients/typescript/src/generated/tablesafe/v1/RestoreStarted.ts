// Original file: proto/tablesafe/v1/storage_admin.proto


export interface RestoreStarted {
  'runId'?: (string);
  'table'?: (string);
  'backup'?: (string);
  'target'?: (string);
}

export interface RestoreStarted__Output {
  'runId': (string);
  'table': (string);
  'backup': (string);
  'target': (string);
}
