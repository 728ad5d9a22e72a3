// Original file: proto/tablesafe/v1/storage_admin.proto

import type { TableRole as _tablesafe_v1_TableRole, TableRole__Output as _tablesafe_v1_TableRole__Output } from '../../tablesafe/v1/TableRole.js';
import type { HealthStatus as _tablesafe_v1_HealthStatus, HealthStatus__Output as _tablesafe_v1_HealthStatus__Output } from '../../tablesafe/v1/HealthStatus.js';
import type { HealthIssue as _tablesafe_v1_HealthIssue, HealthIssue__Output as _tablesafe_v1_HealthIssue__Output } from '../../tablesafe/v1/HealthIssue.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';
import type { Consistency as _tablesafe_v1_Consistency, Consistency__Output as _tablesafe_v1_Consistency__Output } from '../../tablesafe/v1/Consistency.js';
import type { TableOutcome as _tablesafe_v1_TableOutcome, TableOutcome__Output as _tablesafe_v1_TableOutcome__Output } from '../../tablesafe/v1/TableOutcome.js';
import type { DrillLevel as _tablesafe_v1_DrillLevel, DrillLevel__Output as _tablesafe_v1_DrillLevel__Output } from '../../tablesafe/v1/DrillLevel.js';
import type { OffsiteStatus as _tablesafe_v1_OffsiteStatus, OffsiteStatus__Output as _tablesafe_v1_OffsiteStatus__Output } from '../../tablesafe/v1/OffsiteStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface TableHealth {
  'name'?: (string);
  /**
   * The table's file; empty when it is `<data_dir>/<name>.dets`, `data_dir`
   * being the answer's (so that a thousand tables do not each carry the same
   * directory).
   */
  'path'?: (string);
  'role'?: (_tablesafe_v1_TableRole);
  'status'?: (_tablesafe_v1_HealthStatus);
  'issues'?: (_tablesafe_v1_HealthIssue)[];
  /**
   * set, bag or duplicate_bag
   */
  'type'?: (string);
  'records'?: (number | string | Long);
  'keys'?: (number | string | Long);
  'fileSizeBytes'?: (number | string | Long);
  'freeBytes'?: (number | string | Long);
  'fragmentationRatio'?: (number | string);
  'closedProperly'?: (boolean);
  'lastBackupAt'?: (_google_protobuf_Timestamp | null);
  /**
   * Its age at `computed_at`, in whole seconds; unset when there is none or
   * the copy claims a time well after `computed_at` (CLOCK_SKEW).
   */
  'sinceLastBackup'?: (_google_protobuf_Duration | null);
  'lastBackupConsistency'?: (_tablesafe_v1_Consistency);
  'lastAttemptOutcome'?: (_tablesafe_v1_TableOutcome);
  'backupsRetained'?: (number);
  /**
   * The latest restore drill ("last proven restore").
   */
  'lastDrillAt'?: (_google_protobuf_Timestamp | null);
  'lastDrillPassed'?: (boolean);
  'lastDrillLevel'?: (_tablesafe_v1_DrillLevel);
  /**
   * Each offsite destination's copies of the table.
   */
  'offsite'?: (_tablesafe_v1_OffsiteStatus)[];
}

export interface TableHealth__Output {
  'name': (string);
  /**
   * The table's file; empty when it is `<data_dir>/<name>.dets`, `data_dir`
   * being the answer's (so that a thousand tables do not each carry the same
   * directory).
   */
  'path': (string);
  'role': (_tablesafe_v1_TableRole__Output);
  'status': (_tablesafe_v1_HealthStatus__Output);
  'issues': (_tablesafe_v1_HealthIssue__Output)[];
  /**
   * set, bag or duplicate_bag
   */
  'type': (string);
  'records': (string);
  'keys': (string);
  'fileSizeBytes': (string);
  'freeBytes': (string);
  'fragmentationRatio': (number);
  'closedProperly': (boolean);
  'lastBackupAt': (_google_protobuf_Timestamp__Output | null);
  /**
   * Its age at `computed_at`, in whole seconds; unset when there is none or
   * the copy claims a time well after `computed_at` (CLOCK_SKEW).
   */
  'sinceLastBackup': (_google_protobuf_Duration__Output | null);
  'lastBackupConsistency': (_tablesafe_v1_Consistency__Output);
  'lastAttemptOutcome': (_tablesafe_v1_TableOutcome__Output);
  'backupsRetained': (number);
  /**
   * The latest restore drill ("last proven restore").
   */
  'lastDrillAt': (_google_protobuf_Timestamp__Output | null);
  'lastDrillPassed': (boolean);
  'lastDrillLevel': (_tablesafe_v1_DrillLevel__Output);
  /**
   * Each offsite destination's copies of the table.
   */
  'offsite': (_tablesafe_v1_OffsiteStatus__Output)[];
}
