// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';
import type { Consistency as _tablesafe_v1_Consistency, Consistency__Output as _tablesafe_v1_Consistency__Output } from '../../tablesafe/v1/Consistency.js';
import type { ContentDigest as _tablesafe_v1_ContentDigest, ContentDigest__Output as _tablesafe_v1_ContentDigest__Output } from '../../tablesafe/v1/ContentDigest.js';
import type { Long } from '@grpc/proto-loader';

export interface RestorePlan {
  'table'?: (string);
  'backup'?: (string);
  'capturedAt'?: (_google_protobuf_Timestamp | null);
  /**
   * How old the copy is now.
   */
  'age'?: (_google_protobuf_Duration | null);
  'consistency'?: (_tablesafe_v1_Consistency);
  'records'?: (number | string | Long);
  'digest'?: (_tablesafe_v1_ContentDigest | null);
  'sha256'?: (string);
  'bytes'?: (number | string | Long);
  /**
   * The file written.
   */
  'target'?: (string);
  /**
   * A file is there now and would be replaced (its size).
   */
  'overwrites'?: (boolean);
  'overwrittenBytes'?: (number | string | Long);
  /**
   * In place: where the file as it is now is kept (a dry run's is the name
   * it would get).
   */
  'safetyCopy'?: (string);
  'warnings'?: (string)[];
}

export interface RestorePlan__Output {
  'table': (string);
  'backup': (string);
  'capturedAt': (_google_protobuf_Timestamp__Output | null);
  /**
   * How old the copy is now.
   */
  'age': (_google_protobuf_Duration__Output | null);
  'consistency': (_tablesafe_v1_Consistency__Output);
  'records': (string);
  'digest': (_tablesafe_v1_ContentDigest__Output | null);
  'sha256': (string);
  'bytes': (string);
  /**
   * The file written.
   */
  'target': (string);
  /**
   * A file is there now and would be replaced (its size).
   */
  'overwrites': (boolean);
  'overwrittenBytes': (string);
  /**
   * In place: where the file as it is now is kept (a dry run's is the name
   * it would get).
   */
  'safetyCopy': (string);
  'warnings': (string)[];
}
