// Original file: proto/tablesafe/v1/storage_admin.proto

export const ScrubOutcome = {
  SCRUB_OUTCOME_UNSPECIFIED: 'SCRUB_OUTCOME_UNSPECIFIED',
  /**
   * The copy still matches its manifest.
   */
  SCRUB_OUTCOME_INTACT: 'SCRUB_OUTCOME_INTACT',
  /**
   * The copy no longer matches; this scrub marked it corrupt.
   */
  SCRUB_OUTCOME_CORRUPT: 'SCRUB_OUTCOME_CORRUPT',
  /**
   * An earlier scrub had marked it corrupt.
   */
  SCRUB_OUTCOME_ALREADY_CORRUPT: 'SCRUB_OUTCOME_ALREADY_CORRUPT',
  /**
   * The copy could not be read; nothing was marked.
   */
  SCRUB_OUTCOME_UNREADABLE: 'SCRUB_OUTCOME_UNREADABLE',
} as const;

export type ScrubOutcome =
  | 'SCRUB_OUTCOME_UNSPECIFIED'
  | 0
  /**
   * The copy still matches its manifest.
   */
  | 'SCRUB_OUTCOME_INTACT'
  | 1
  /**
   * The copy no longer matches; this scrub marked it corrupt.
   */
  | 'SCRUB_OUTCOME_CORRUPT'
  | 2
  /**
   * An earlier scrub had marked it corrupt.
   */
  | 'SCRUB_OUTCOME_ALREADY_CORRUPT'
  | 3
  /**
   * The copy could not be read; nothing was marked.
   */
  | 'SCRUB_OUTCOME_UNREADABLE'
  | 4

export type ScrubOutcome__Output = typeof ScrubOutcome[keyof typeof ScrubOutcome]
