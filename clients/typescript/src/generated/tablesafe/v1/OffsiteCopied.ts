// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A backup was stored at an offsite destination, and what the store kept was
 * checked against what was sent (size, ETag of every part and of the object).
 */
export interface OffsiteCopied {
  'destination'?: (string);
  'table'?: (string);
  /**
   * The local backup's file name.
   */
  'fileName'?: (string);
  /**
   * Bytes stored (the artifact: header and payload).
   */
  'bytes'?: (number | string | Long);
  'duration'?: (_google_protobuf_Duration | null);
  'capturedAt'?: (_google_protobuf_Timestamp | null);
}

/**
 * A backup was stored at an offsite destination, and what the store kept was
 * checked against what was sent (size, ETag of every part and of the object).
 */
export interface OffsiteCopied__Output {
  'destination': (string);
  'table': (string);
  /**
   * The local backup's file name.
   */
  'fileName': (string);
  /**
   * Bytes stored (the artifact: header and payload).
   */
  'bytes': (string);
  'duration': (_google_protobuf_Duration__Output | null);
  'capturedAt': (_google_protobuf_Timestamp__Output | null);
}
