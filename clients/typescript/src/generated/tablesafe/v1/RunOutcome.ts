// Original file: proto/tablesafe/v1/storage_admin.proto

export const RunOutcome = {
  RUN_OUTCOME_UNSPECIFIED: 'RUN_OUTCOME_UNSPECIFIED',
  /**
   * Every table backed up.
   */
  RUN_OUTCOME_SUCCEEDED: 'RUN_OUTCOME_SUCCEEDED',
  /**
   * Some tables backed up, some failed.
   */
  RUN_OUTCOME_PARTIAL: 'RUN_OUTCOME_PARTIAL',
  /**
   * No table backed up.
   */
  RUN_OUTCOME_FAILED: 'RUN_OUTCOME_FAILED',
  /**
   * The process stopped while the run was under way.
   */
  RUN_OUTCOME_INTERRUPTED: 'RUN_OUTCOME_INTERRUPTED',
  /**
   * Still under way.
   */
  RUN_OUTCOME_RUNNING: 'RUN_OUTCOME_RUNNING',
} as const;

export type RunOutcome =
  | 'RUN_OUTCOME_UNSPECIFIED'
  | 0
  /**
   * Every table backed up.
   */
  | 'RUN_OUTCOME_SUCCEEDED'
  | 1
  /**
   * Some tables backed up, some failed.
   */
  | 'RUN_OUTCOME_PARTIAL'
  | 2
  /**
   * No table backed up.
   */
  | 'RUN_OUTCOME_FAILED'
  | 3
  /**
   * The process stopped while the run was under way.
   */
  | 'RUN_OUTCOME_INTERRUPTED'
  | 4
  /**
   * Still under way.
   */
  | 'RUN_OUTCOME_RUNNING'
  | 5

export type RunOutcome__Output = typeof RunOutcome[keyof typeof RunOutcome]
