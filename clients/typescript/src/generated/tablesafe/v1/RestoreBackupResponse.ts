// Original file: proto/tablesafe/v1/storage_admin.proto

import type { RestorePlan as _tablesafe_v1_RestorePlan, RestorePlan__Output as _tablesafe_v1_RestorePlan__Output } from '../../tablesafe/v1/RestorePlan.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';

export interface RestoreBackupResponse {
  'plan'?: (_tablesafe_v1_RestorePlan | null);
  /**
   * False for a dry run.
   */
  'restored'?: (boolean);
  /**
   * The restore's id in the ledger.
   */
  'runId'?: (string);
  'duration'?: (_google_protobuf_Duration | null);
}

export interface RestoreBackupResponse__Output {
  'plan': (_tablesafe_v1_RestorePlan__Output | null);
  /**
   * False for a dry run.
   */
  'restored': (boolean);
  /**
   * The restore's id in the ledger.
   */
  'runId': (string);
  'duration': (_google_protobuf_Duration__Output | null);
}
