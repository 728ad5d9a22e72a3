// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Consistency as _tablesafe_v1_Consistency, Consistency__Output as _tablesafe_v1_Consistency__Output } from '../../tablesafe/v1/Consistency.js';
import type { ContentDigest as _tablesafe_v1_ContentDigest, ContentDigest__Output as _tablesafe_v1_ContentDigest__Output } from '../../tablesafe/v1/ContentDigest.js';
import type { Long } from '@grpc/proto-loader';

export interface BackupFile {
  'fileName'?: (string);
  'table'?: (string);
  'capturedAt'?: (_google_protobuf_Timestamp | null);
  'bytes'?: (number | string | Long);
  'records'?: (number | string | Long);
  'consistency'?: (_tablesafe_v1_Consistency);
  /**
   * The copy was parsed and checked when it was made.
   */
  'verified'?: (boolean);
  'sha256'?: (string);
  'keys'?: (number | string | Long);
  /**
   * The content digest recorded when the copy was made.
   */
  'digest'?: (_tablesafe_v1_ContentDigest | null);
  /**
   * Set when a scrub found the copy no longer matching its manifest; such a
   * copy is not verified and no longer counts as a backup.
   */
  'corruptReason'?: (string);
  /**
   * Empty for a copy in the backup directory; else the offsite destination
   * that holds it (`restore --from-offsite --destination` restores it).
   */
  'destination'?: (string);
  /**
   * A remote copy: its object's key in the bucket, and when it was stored.
   */
  'object'?: (string);
  'uploadedAt'?: (_google_protobuf_Timestamp | null);
}

export interface BackupFile__Output {
  'fileName': (string);
  'table': (string);
  'capturedAt': (_google_protobuf_Timestamp__Output | null);
  'bytes': (string);
  'records': (string);
  'consistency': (_tablesafe_v1_Consistency__Output);
  /**
   * The copy was parsed and checked when it was made.
   */
  'verified': (boolean);
  'sha256': (string);
  'keys': (string);
  /**
   * The content digest recorded when the copy was made.
   */
  'digest': (_tablesafe_v1_ContentDigest__Output | null);
  /**
   * Set when a scrub found the copy no longer matching its manifest; such a
   * copy is not verified and no longer counts as a backup.
   */
  'corruptReason': (string);
  /**
   * Empty for a copy in the backup directory; else the offsite destination
   * that holds it (`restore --from-offsite --destination` restores it).
   */
  'destination': (string);
  /**
   * A remote copy: its object's key in the bucket, and when it was stored.
   */
  'object': (string);
  'uploadedAt': (_google_protobuf_Timestamp__Output | null);
}
