// Original file: proto/tablesafe/v1/storage_admin.proto

import type { TableOutcome as _tablesafe_v1_TableOutcome, TableOutcome__Output as _tablesafe_v1_TableOutcome__Output } from '../../tablesafe/v1/TableOutcome.js';
import type { Consistency as _tablesafe_v1_Consistency, Consistency__Output as _tablesafe_v1_Consistency__Output } from '../../tablesafe/v1/Consistency.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';
import type { ContentDigest as _tablesafe_v1_ContentDigest, ContentDigest__Output as _tablesafe_v1_ContentDigest__Output } from '../../tablesafe/v1/ContentDigest.js';
import type { Long } from '@grpc/proto-loader';

export interface TableBackupResult {
  'table'?: (string);
  'outcome'?: (_tablesafe_v1_TableOutcome);
  /**
   * The backup's file name in the backup directory.
   */
  'fileName'?: (string);
  'bytes'?: (number | string | Long);
  'records'?: (number | string | Long);
  'keys'?: (number | string | Long);
  'consistency'?: (_tablesafe_v1_Consistency);
  /**
   * Hex SHA-256 of the backup file.
   */
  'sha256'?: (string);
  'duration'?: (_google_protobuf_Duration | null);
  /**
   * Why the table failed, e.g. TABLE_MISSING, BACKUP_DISK_FULL, TABLE_CORRUPT.
   */
  'errorCode'?: (string);
  'errorMessage'?: (string);
  /**
   * Older backups of this table that retention deleted.
   */
  'pruned'?: (string)[];
  /**
   * Copies taken before this one was accepted (settle retries).
   */
  'attempts'?: (number);
  /**
   * The committed copy's content digest.
   */
  'digest'?: (_tablesafe_v1_ContentDigest | null);
}

export interface TableBackupResult__Output {
  'table': (string);
  'outcome': (_tablesafe_v1_TableOutcome__Output);
  /**
   * The backup's file name in the backup directory.
   */
  'fileName': (string);
  'bytes': (string);
  'records': (string);
  'keys': (string);
  'consistency': (_tablesafe_v1_Consistency__Output);
  /**
   * Hex SHA-256 of the backup file.
   */
  'sha256': (string);
  'duration': (_google_protobuf_Duration__Output | null);
  /**
   * Why the table failed, e.g. TABLE_MISSING, BACKUP_DISK_FULL, TABLE_CORRUPT.
   */
  'errorCode': (string);
  'errorMessage': (string);
  /**
   * Older backups of this table that retention deleted.
   */
  'pruned': (string)[];
  /**
   * Copies taken before this one was accepted (settle retries).
   */
  'attempts': (number);
  /**
   * The committed copy's content digest.
   */
  'digest': (_tablesafe_v1_ContentDigest__Output | null);
}
