// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  /**
   * The newest sequence published so far.
   */
  'latestSequence'?: (number | string | Long);
}

export interface Heartbeat__Output {
  /**
   * The newest sequence published so far.
   */
  'latestSequence': (string);
}
