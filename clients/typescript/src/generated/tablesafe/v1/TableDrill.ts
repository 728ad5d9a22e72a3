// Original file: proto/tablesafe/v1/storage_admin.proto

import type { DrillLevel as _tablesafe_v1_DrillLevel, DrillLevel__Output as _tablesafe_v1_DrillLevel__Output } from '../../tablesafe/v1/DrillLevel.js';
import type { ContentDigest as _tablesafe_v1_ContentDigest, ContentDigest__Output as _tablesafe_v1_ContentDigest__Output } from '../../tablesafe/v1/ContentDigest.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

export interface TableDrill {
  'table'?: (string);
  'passed'?: (boolean);
  /**
   * The level proved (or tried, when it failed).
   */
  'level'?: (_tablesafe_v1_DrillLevel);
  /**
   * The copy restored.
   */
  'backup'?: (string);
  'records'?: (number | string | Long);
  'digest'?: (_tablesafe_v1_ContentDigest | null);
  'at'?: (_google_protobuf_Timestamp | null);
  /**
   * Why it failed.
   */
  'errorCode'?: (string);
  'errorMessage'?: (string);
}

export interface TableDrill__Output {
  'table': (string);
  'passed': (boolean);
  /**
   * The level proved (or tried, when it failed).
   */
  'level': (_tablesafe_v1_DrillLevel__Output);
  /**
   * The copy restored.
   */
  'backup': (string);
  'records': (string);
  'digest': (_tablesafe_v1_ContentDigest__Output | null);
  'at': (_google_protobuf_Timestamp__Output | null);
  /**
   * Why it failed.
   */
  'errorCode': (string);
  'errorMessage': (string);
}
