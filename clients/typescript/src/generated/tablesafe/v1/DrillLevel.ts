// Original file: proto/tablesafe/v1/storage_admin.proto

/**
 * How far a restore drill proved a copy.
 */
export const DrillLevel = {
  DRILL_LEVEL_UNSPECIFIED: 'DRILL_LEVEL_UNSPECIFIED',
  /**
   * The reader's full check of the restored bytes (SHA-256, every object,
   * content digest).
   */
  DRILL_LEVEL_READER: 'DRILL_LEVEL_READER',
  /**
   * And real Erlang opened the restored file with {repair, false} and folded
   * it to the same object count and phash2 sum.
   */
  DRILL_LEVEL_ERLANG: 'DRILL_LEVEL_ERLANG',
} as const;

/**
 * How far a restore drill proved a copy.
 */
export type DrillLevel =
  | 'DRILL_LEVEL_UNSPECIFIED'
  | 0
  /**
   * The reader's full check of the restored bytes (SHA-256, every object,
   * content digest).
   */
  | 'DRILL_LEVEL_READER'
  | 1
  /**
   * And real Erlang opened the restored file with {repair, false} and folded
   * it to the same object count and phash2 sum.
   */
  | 'DRILL_LEVEL_ERLANG'
  | 2

/**
 * How far a restore drill proved a copy.
 */
export type DrillLevel__Output = typeof DrillLevel[keyof typeof DrillLevel]
