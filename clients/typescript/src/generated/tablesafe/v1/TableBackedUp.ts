// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Consistency as _tablesafe_v1_Consistency, Consistency__Output as _tablesafe_v1_Consistency__Output } from '../../tablesafe/v1/Consistency.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

export interface TableBackedUp {
  'runId'?: (string);
  'table'?: (string);
  'fileName'?: (string);
  'bytes'?: (number | string | Long);
  'records'?: (number | string | Long);
  'consistency'?: (_tablesafe_v1_Consistency);
  'duration'?: (_google_protobuf_Duration | null);
  'capturedAt'?: (_google_protobuf_Timestamp | null);
}

export interface TableBackedUp__Output {
  'runId': (string);
  'table': (string);
  'fileName': (string);
  'bytes': (string);
  'records': (string);
  'consistency': (_tablesafe_v1_Consistency__Output);
  'duration': (_google_protobuf_Duration__Output | null);
  'capturedAt': (_google_protobuf_Timestamp__Output | null);
}
