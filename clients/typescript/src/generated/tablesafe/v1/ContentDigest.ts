// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A table's content identity, whatever the file's layout: the number of
 * objects and the sum (mod 2^64) of erlang:phash2(Object, 4294967296) over
 * them. Erlang computes the same with dets:foldl.
 */
export interface ContentDigest {
  'objects'?: (number | string | Long);
  'phash2Sum'?: (number | string | Long);
}

/**
 * A table's content identity, whatever the file's layout: the number of
 * objects and the sum (mod 2^64) of erlang:phash2(Object, 4294967296) over
 * them. Erlang computes the same with dets:foldl.
 */
export interface ContentDigest__Output {
  'objects': (string);
  'phash2Sum': (string);
}
