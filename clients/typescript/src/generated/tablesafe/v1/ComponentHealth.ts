// Original file: proto/tablesafe/v1/storage_admin.proto

import type { HealthStatus as _tablesafe_v1_HealthStatus, HealthStatus__Output as _tablesafe_v1_HealthStatus__Output } from '../../tablesafe/v1/HealthStatus.js';
import type { HealthIssue as _tablesafe_v1_HealthIssue, HealthIssue__Output as _tablesafe_v1_HealthIssue__Output } from '../../tablesafe/v1/HealthIssue.js';

export interface ComponentHealth {
  /**
   * storage, scheduler, backup_volume, erlang_node
   */
  'name'?: (string);
  'status'?: (_tablesafe_v1_HealthStatus);
  'issues'?: (_tablesafe_v1_HealthIssue)[];
  /**
   * Short human summary, e.g. "next run 2026-11-30T03:00:00Z".
   */
  'detail'?: (string);
}

export interface ComponentHealth__Output {
  /**
   * storage, scheduler, backup_volume, erlang_node
   */
  'name': (string);
  'status': (_tablesafe_v1_HealthStatus__Output);
  'issues': (_tablesafe_v1_HealthIssue__Output)[];
  /**
   * Short human summary, e.g. "next run 2026-11-30T03:00:00Z".
   */
  'detail': (string);
}
