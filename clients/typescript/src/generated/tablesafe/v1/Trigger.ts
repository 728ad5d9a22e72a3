// Original file: proto/tablesafe/v1/storage_admin.proto

/**
 * What started a run.
 */
export const Trigger = {
  TRIGGER_UNSPECIFIED: 'TRIGGER_UNSPECIFIED',
  TRIGGER_SCHEDULED: 'TRIGGER_SCHEDULED',
  TRIGGER_MANUAL: 'TRIGGER_MANUAL',
  /**
   * Started at start-up because a scheduled run was missed.
   */
  TRIGGER_CATCH_UP: 'TRIGGER_CATCH_UP',
  /**
   * Not a backup: a restore of one table, in the ledger beside the runs.
   */
  TRIGGER_RESTORE: 'TRIGGER_RESTORE',
  /**
   * Not a backup: a restore drill, in the ledger beside the runs.
   */
  TRIGGER_DRILL: 'TRIGGER_DRILL',
  /**
   * Not a backup: a compaction of one table, in the ledger beside the runs.
   */
  TRIGGER_COMPACT: 'TRIGGER_COMPACT',
} as const;

/**
 * What started a run.
 */
export type Trigger =
  | 'TRIGGER_UNSPECIFIED'
  | 0
  | 'TRIGGER_SCHEDULED'
  | 1
  | 'TRIGGER_MANUAL'
  | 2
  /**
   * Started at start-up because a scheduled run was missed.
   */
  | 'TRIGGER_CATCH_UP'
  | 3
  /**
   * Not a backup: a restore of one table, in the ledger beside the runs.
   */
  | 'TRIGGER_RESTORE'
  | 4
  /**
   * Not a backup: a restore drill, in the ledger beside the runs.
   */
  | 'TRIGGER_DRILL'
  | 5
  /**
   * Not a backup: a compaction of one table, in the ledger beside the runs.
   */
  | 'TRIGGER_COMPACT'
  | 6

/**
 * What started a run.
 */
export type Trigger__Output = typeof Trigger[keyof typeof Trigger]
