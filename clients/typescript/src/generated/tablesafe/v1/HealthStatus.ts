// Original file: proto/tablesafe/v1/storage_admin.proto

export const HealthStatus = {
  HEALTH_STATUS_UNSPECIFIED: 'HEALTH_STATUS_UNSPECIFIED',
  HEALTH_STATUS_HEALTHY: 'HEALTH_STATUS_HEALTHY',
  HEALTH_STATUS_WARNING: 'HEALTH_STATUS_WARNING',
  HEALTH_STATUS_CRITICAL: 'HEALTH_STATUS_CRITICAL',
} as const;

export type HealthStatus =
  | 'HEALTH_STATUS_UNSPECIFIED'
  | 0
  | 'HEALTH_STATUS_HEALTHY'
  | 1
  | 'HEALTH_STATUS_WARNING'
  | 2
  | 'HEALTH_STATUS_CRITICAL'
  | 3

export type HealthStatus__Output = typeof HealthStatus[keyof typeof HealthStatus]
