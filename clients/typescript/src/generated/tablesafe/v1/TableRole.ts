// Original file: proto/tablesafe/v1/storage_admin.proto

export const TableRole = {
  TABLE_ROLE_UNSPECIFIED: 'TABLE_ROLE_UNSPECIFIED',
  /**
   * Listed in the config with critical = true.
   */
  TABLE_ROLE_CRITICAL: 'TABLE_ROLE_CRITICAL',
  /**
   * Listed in the config.
   */
  TABLE_ROLE_LISTED: 'TABLE_ROLE_LISTED',
  /**
   * Found in a data directory; no tables are listed in the config.
   */
  TABLE_ROLE_DISCOVERED: 'TABLE_ROLE_DISCOVERED',
  /**
   * Found in a data directory but not listed while others are.
   */
  TABLE_ROLE_ORPHANED: 'TABLE_ROLE_ORPHANED',
} as const;

export type TableRole =
  | 'TABLE_ROLE_UNSPECIFIED'
  | 0
  /**
   * Listed in the config with critical = true.
   */
  | 'TABLE_ROLE_CRITICAL'
  | 1
  /**
   * Listed in the config.
   */
  | 'TABLE_ROLE_LISTED'
  | 2
  /**
   * Found in a data directory; no tables are listed in the config.
   */
  | 'TABLE_ROLE_DISCOVERED'
  | 3
  /**
   * Found in a data directory but not listed while others are.
   */
  | 'TABLE_ROLE_ORPHANED'
  | 4

export type TableRole__Output = typeof TableRole[keyof typeof TableRole]
