// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A compaction ended: the file was replaced by a compact one, or (error set)
 * it was left as it was.
 */
export interface TableCompacted {
  'runId'?: (string);
  'table'?: (string);
  'bytesBefore'?: (number | string | Long);
  /**
   * The new size; equal to bytes_before when it failed.
   */
  'bytesAfter'?: (number | string | Long);
  'errorCode'?: (string);
  'errorMessage'?: (string);
  'safetyCopy'?: (string);
}

/**
 * A compaction ended: the file was replaced by a compact one, or (error set)
 * it was left as it was.
 */
export interface TableCompacted__Output {
  'runId': (string);
  'table': (string);
  'bytesBefore': (string);
  /**
   * The new size; equal to bytes_before when it failed.
   */
  'bytesAfter': (string);
  'errorCode': (string);
  'errorMessage': (string);
  'safetyCopy': (string);
}
