// Original file: proto/tablesafe/v1/storage_admin.proto

export const TableOutcome = {
  TABLE_OUTCOME_UNSPECIFIED: 'TABLE_OUTCOME_UNSPECIFIED',
  TABLE_OUTCOME_SUCCEEDED: 'TABLE_OUTCOME_SUCCEEDED',
  TABLE_OUTCOME_FAILED: 'TABLE_OUTCOME_FAILED',
  /**
   * Not attempted (the run was stopped first).
   */
  TABLE_OUTCOME_SKIPPED: 'TABLE_OUTCOME_SKIPPED',
} as const;

export type TableOutcome =
  | 'TABLE_OUTCOME_UNSPECIFIED'
  | 0
  | 'TABLE_OUTCOME_SUCCEEDED'
  | 1
  | 'TABLE_OUTCOME_FAILED'
  | 2
  /**
   * Not attempted (the run was stopped first).
   */
  | 'TABLE_OUTCOME_SKIPPED'
  | 3

export type TableOutcome__Output = typeof TableOutcome[keyof typeof TableOutcome]
