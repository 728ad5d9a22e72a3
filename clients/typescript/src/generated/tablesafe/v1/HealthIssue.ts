// Original file: proto/tablesafe/v1/storage_admin.proto

import type { IssueCode as _tablesafe_v1_IssueCode, IssueCode__Output as _tablesafe_v1_IssueCode__Output } from '../../tablesafe/v1/IssueCode.js';
import type { HealthStatus as _tablesafe_v1_HealthStatus, HealthStatus__Output as _tablesafe_v1_HealthStatus__Output } from '../../tablesafe/v1/HealthStatus.js';

export interface HealthIssue {
  'code'?: (_tablesafe_v1_IssueCode);
  /**
   * The table concerned, empty for component issues.
   */
  'table'?: (string);
  'message'?: (string);
  'severity'?: (_tablesafe_v1_HealthStatus);
}

export interface HealthIssue__Output {
  'code': (_tablesafe_v1_IssueCode__Output);
  /**
   * The table concerned, empty for component issues.
   */
  'table': (string);
  'message': (string);
  'severity': (_tablesafe_v1_HealthStatus__Output);
}
