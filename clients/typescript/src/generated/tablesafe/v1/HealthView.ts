// Original file: proto/tablesafe/v1/storage_admin.proto

export const HealthView = {
  /**
   * FULL.
   */
  HEALTH_VIEW_UNSPECIFIED: 'HEALTH_VIEW_UNSPECIFIED',
  /**
   * Status, components and every table.
   */
  HEALTH_VIEW_FULL: 'HEALTH_VIEW_FULL',
  /**
   * Status, components and only the tables with issues.
   */
  HEALTH_VIEW_SUMMARY: 'HEALTH_VIEW_SUMMARY',
} as const;

export type HealthView =
  /**
   * FULL.
   */
  | 'HEALTH_VIEW_UNSPECIFIED'
  | 0
  /**
   * Status, components and every table.
   */
  | 'HEALTH_VIEW_FULL'
  | 1
  /**
   * Status, components and only the tables with issues.
   */
  | 'HEALTH_VIEW_SUMMARY'
  | 2

export type HealthView__Output = typeof HealthView[keyof typeof HealthView]
