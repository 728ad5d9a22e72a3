// Original file: proto/tablesafe/v1/storage_admin.proto

import type { CompactionPlan as _tablesafe_v1_CompactionPlan, CompactionPlan__Output as _tablesafe_v1_CompactionPlan__Output } from '../../tablesafe/v1/CompactionPlan.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';
import type { Long } from '@grpc/proto-loader';

export interface CompactTableResponse {
  'plan'?: (_tablesafe_v1_CompactionPlan | null);
  /**
   * False for a dry run.
   */
  'compacted'?: (boolean);
  'runId'?: (string);
  /**
   * The new file's size and the bytes reclaimed (when compacted).
   */
  'fileSize'?: (number | string | Long);
  'reclaimedBytes'?: (number | string | Long);
  /**
   * Where the file as it was is kept, in the backup directory.
   */
  'safetyCopy'?: (string);
  'duration'?: (_google_protobuf_Duration | null);
}

export interface CompactTableResponse__Output {
  'plan': (_tablesafe_v1_CompactionPlan__Output | null);
  /**
   * False for a dry run.
   */
  'compacted': (boolean);
  'runId': (string);
  /**
   * The new file's size and the bytes reclaimed (when compacted).
   */
  'fileSize': (string);
  'reclaimedBytes': (string);
  /**
   * Where the file as it was is kept, in the backup directory.
   */
  'safetyCopy': (string);
  'duration': (_google_protobuf_Duration__Output | null);
}
