// Original file: proto/tablesafe/v1/storage_admin.proto

import type { HealthStatus as _tablesafe_v1_HealthStatus, HealthStatus__Output as _tablesafe_v1_HealthStatus__Output } from '../../tablesafe/v1/HealthStatus.js';

export interface HealthChanged {
  /**
   * Empty for the overall system status.
   */
  'table'?: (string);
  'oldStatus'?: (_tablesafe_v1_HealthStatus);
  'newStatus'?: (_tablesafe_v1_HealthStatus);
}

export interface HealthChanged__Output {
  /**
   * Empty for the overall system status.
   */
  'table': (string);
  'oldStatus': (_tablesafe_v1_HealthStatus__Output);
  'newStatus': (_tablesafe_v1_HealthStatus__Output);
}
