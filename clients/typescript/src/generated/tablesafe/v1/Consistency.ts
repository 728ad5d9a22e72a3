// Original file: proto/tablesafe/v1/storage_admin.proto

/**
 * Whether a backup holds every write the application had made.
 */
export const Consistency = {
  CONSISTENCY_UNSPECIFIED: 'CONSISTENCY_UNSPECIFIED',
  /**
   * Closed properly: Erlang opens it with {repair, false}.
   */
  CONSISTENCY_CLEAN: 'CONSISTENCY_CLEAN',
  /**
   * Copied while the table was open with unsaved state: Erlang repairs it on
   * open and writes still in the application's cache are missing.
   */
  CONSISTENCY_DIRTY: 'CONSISTENCY_DIRTY',
} as const;

/**
 * Whether a backup holds every write the application had made.
 */
export type Consistency =
  | 'CONSISTENCY_UNSPECIFIED'
  | 0
  /**
   * Closed properly: Erlang opens it with {repair, false}.
   */
  | 'CONSISTENCY_CLEAN'
  | 1
  /**
   * Copied while the table was open with unsaved state: Erlang repairs it on
   * open and writes still in the application's cache are missing.
   */
  | 'CONSISTENCY_DIRTY'
  | 2

/**
 * Whether a backup holds every write the application had made.
 */
export type Consistency__Output = typeof Consistency[keyof typeof Consistency]
