// Original file: proto/tablesafe/v1/storage_admin.proto


export interface TableBackupFailed {
  'runId'?: (string);
  'table'?: (string);
  'code'?: (string);
  'message'?: (string);
}

export interface TableBackupFailed__Output {
  'runId': (string);
  'table': (string);
  'code': (string);
  'message': (string);
}
