// Original file: proto/tablesafe/v1/storage_admin.proto

export const IssueCode = {
  ISSUE_CODE_UNSPECIFIED: 'ISSUE_CODE_UNSPECIFIED',
  ISSUE_CODE_BACKUP_STALE: 'ISSUE_CODE_BACKUP_STALE',
  ISSUE_CODE_NEVER_BACKED_UP: 'ISSUE_CODE_NEVER_BACKED_UP',
  ISSUE_CODE_FRAGMENTATION_HIGH: 'ISSUE_CODE_FRAGMENTATION_HIGH',
  ISSUE_CODE_LAST_BACKUP_FAILED: 'ISSUE_CODE_LAST_BACKUP_FAILED',
  ISSUE_CODE_LAST_BACKUP_DIRTY: 'ISSUE_CODE_LAST_BACKUP_DIRTY',
  ISSUE_CODE_TABLE_MISSING: 'ISSUE_CODE_TABLE_MISSING',
  ISSUE_CODE_TABLE_UNREADABLE: 'ISSUE_CODE_TABLE_UNREADABLE',
  ISSUE_CODE_BACKUP_DISK_LOW: 'ISSUE_CODE_BACKUP_DISK_LOW',
  ISSUE_CODE_ERLANG_NODE_UNREACHABLE: 'ISSUE_CODE_ERLANG_NODE_UNREACHABLE',
  ISSUE_CODE_SCHEDULER_STOPPED: 'ISSUE_CODE_SCHEDULER_STOPPED',
  /**
   * A retained backup no longer matches its manifest (sha256 or content
   * digest); found by the scrub. It no longer counts as a backup.
   */
  ISSUE_CODE_BACKUP_CORRUPT: 'ISSUE_CODE_BACKUP_CORRUPT',
  /**
   * A data directory cannot be listed (removed, unmounted, permissions): its
   * tables cannot be found or backed up. Names the directory and the OS error.
   */
  ISSUE_CODE_DATA_DIR_UNREADABLE: 'ISSUE_CODE_DATA_DIR_UNREADABLE',
  /**
   * A backup's capture time is ahead of this host's clock (the clock was wrong
   * then, or is now): its real age is unknown; retention ranks it below copies
   * with a believable time. Names the file.
   */
  ISSUE_CODE_CLOCK_SKEW: 'ISSUE_CODE_CLOCK_SKEW',
  /**
   * The last restore drill failed: the newest copy did not restore and prove
   * out (CRITICAL for critical tables).
   */
  ISSUE_CODE_RESTORE_DRILL_FAILED: 'ISSUE_CODE_RESTORE_DRILL_FAILED',
  /**
   * The last passed drill is older than drill.stale_after (default 8 days).
   */
  ISSUE_CODE_DRILL_STALE: 'ISSUE_CODE_DRILL_STALE',
  /**
   * The table has had a good backup for over a day and no drill proved one.
   */
  ISSUE_CODE_NEVER_DRILLED: 'ISSUE_CODE_NEVER_DRILLED',
  /**
   * The file has passed 75% of the 2 GiB a DETS file can address: inserts
   * fail once it is full. Names the size and the free space a rebuild reclaims.
   */
  ISSUE_CODE_SIZE_LIMIT_NEAR: 'ISSUE_CODE_SIZE_LIMIT_NEAR',
  /**
   * The newest copy at an offsite destination is older than its stale_after
   * (or none is there and a verified backup has waited longer than that).
   */
  ISSUE_CODE_OFFSITE_LAGGING: 'ISSUE_CODE_OFFSITE_LAGGING',
  /**
   * Copies cannot be stored at an offsite destination (unreachable, refused
   * credentials, a failed check); local backups are not affected.
   */
  ISSUE_CODE_OFFSITE_FAILED: 'ISSUE_CODE_OFFSITE_FAILED',
} as const;

export type IssueCode =
  | 'ISSUE_CODE_UNSPECIFIED'
  | 0
  | 'ISSUE_CODE_BACKUP_STALE'
  | 1
  | 'ISSUE_CODE_NEVER_BACKED_UP'
  | 2
  | 'ISSUE_CODE_FRAGMENTATION_HIGH'
  | 3
  | 'ISSUE_CODE_LAST_BACKUP_FAILED'
  | 4
  | 'ISSUE_CODE_LAST_BACKUP_DIRTY'
  | 5
  | 'ISSUE_CODE_TABLE_MISSING'
  | 6
  | 'ISSUE_CODE_TABLE_UNREADABLE'
  | 7
  | 'ISSUE_CODE_BACKUP_DISK_LOW'
  | 8
  | 'ISSUE_CODE_ERLANG_NODE_UNREACHABLE'
  | 9
  | 'ISSUE_CODE_SCHEDULER_STOPPED'
  | 10
  /**
   * A retained backup no longer matches its manifest (sha256 or content
   * digest); found by the scrub. It no longer counts as a backup.
   */
  | 'ISSUE_CODE_BACKUP_CORRUPT'
  | 11
  /**
   * A data directory cannot be listed (removed, unmounted, permissions): its
   * tables cannot be found or backed up. Names the directory and the OS error.
   */
  | 'ISSUE_CODE_DATA_DIR_UNREADABLE'
  | 12
  /**
   * A backup's capture time is ahead of this host's clock (the clock was wrong
   * then, or is now): its real age is unknown; retention ranks it below copies
   * with a believable time. Names the file.
   */
  | 'ISSUE_CODE_CLOCK_SKEW'
  | 13
  /**
   * The last restore drill failed: the newest copy did not restore and prove
   * out (CRITICAL for critical tables).
   */
  | 'ISSUE_CODE_RESTORE_DRILL_FAILED'
  | 14
  /**
   * The last passed drill is older than drill.stale_after (default 8 days).
   */
  | 'ISSUE_CODE_DRILL_STALE'
  | 15
  /**
   * The table has had a good backup for over a day and no drill proved one.
   */
  | 'ISSUE_CODE_NEVER_DRILLED'
  | 16
  /**
   * The file has passed 75% of the 2 GiB a DETS file can address: inserts
   * fail once it is full. Names the size and the free space a rebuild reclaims.
   */
  | 'ISSUE_CODE_SIZE_LIMIT_NEAR'
  | 17
  /**
   * The newest copy at an offsite destination is older than its stale_after
   * (or none is there and a verified backup has waited longer than that).
   */
  | 'ISSUE_CODE_OFFSITE_LAGGING'
  | 18
  /**
   * Copies cannot be stored at an offsite destination (unreachable, refused
   * credentials, a failed check); local backups are not affected.
   */
  | 'ISSUE_CODE_OFFSITE_FAILED'
  | 19

export type IssueCode__Output = typeof IssueCode[keyof typeof IssueCode]
