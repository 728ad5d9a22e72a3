// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Long } from '@grpc/proto-loader';

export interface CompactionPlan {
  'table'?: (string);
  'path'?: (string);
  'fileSize'?: (number | string | Long);
  'freeBytes'?: (number | string | Long);
  'fragmentationRatio'?: (number | string);
  'threshold'?: (number | string);
  /**
   * Compacted below the threshold because force was set.
   */
  'forced'?: (boolean);
  /**
   * The most the new file can take (every collection in its own block).
   */
  'expectedSize'?: (number | string | Long);
  'objects'?: (number | string | Long);
  /**
   * The verified backup that holds exactly what the file holds.
   */
  'backup'?: (string);
}

export interface CompactionPlan__Output {
  'table': (string);
  'path': (string);
  'fileSize': (string);
  'freeBytes': (string);
  'fragmentationRatio': (number);
  'threshold': (number);
  /**
   * Compacted below the threshold because force was set.
   */
  'forced': (boolean);
  /**
   * The most the new file can take (every collection in its own block).
   */
  'expectedSize': (string);
  'objects': (string);
  /**
   * The verified backup that holds exactly what the file holds.
   */
  'backup': (string);
}
