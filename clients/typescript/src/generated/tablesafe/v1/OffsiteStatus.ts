// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';

/**
 * A table at one offsite destination.
 */
export interface OffsiteStatus {
  'destination'?: (string);
  /**
   * The newest remote copy's capture time (unset: none there).
   */
  'lastCopyAt'?: (_google_protobuf_Timestamp | null);
  /**
   * Its age at `computed_at`, in whole seconds.
   */
  'sinceLastCopy'?: (_google_protobuf_Duration | null);
  'copies'?: (number);
  /**
   * Verified local backups not yet stored there.
   */
  'pending'?: (number);
  /**
   * Why the latest upload failed (empty: it did not).
   */
  'lastError'?: (string);
}

/**
 * A table at one offsite destination.
 */
export interface OffsiteStatus__Output {
  'destination': (string);
  /**
   * The newest remote copy's capture time (unset: none there).
   */
  'lastCopyAt': (_google_protobuf_Timestamp__Output | null);
  /**
   * Its age at `computed_at`, in whole seconds.
   */
  'sinceLastCopy': (_google_protobuf_Duration__Output | null);
  'copies': (number);
  /**
   * Verified local backups not yet stored there.
   */
  'pending': (number);
  /**
   * Why the latest upload failed (empty: it did not).
   */
  'lastError': (string);
}
