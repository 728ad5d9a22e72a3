// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';

export interface RestoreBackupRequest {
  'table'?: (string);
  /**
   * Which copy: a file name from ListBackups (or `safety/<name>` for a
   * safety copy); else the newest good copy captured at or before `as_of`;
   * else the newest good copy.
   */
  'backup'?: (string);
  'asOf'?: (_google_protobuf_Timestamp | null);
  /**
   * Where: a path (which must not exist unless `force`), or the table's own
   * file (`in_place`). Exactly one.
   */
  'toPath'?: (string);
  'inPlace'?: (boolean);
  'force'?: (boolean);
  /**
   * Restore a dirty copy: it is rewritten as a clean file holding exactly
   * what its slot table holds (its manifest's digest), so Erlang opens it
   * without its repair (which on Erlang 25 can lose objects, erlang/otp#8513).
   */
  'allowDirty'?: (boolean);
  /**
   * Say what would be done, and do nothing.
   */
  'dryRun'?: (boolean);
}

export interface RestoreBackupRequest__Output {
  'table': (string);
  /**
   * Which copy: a file name from ListBackups (or `safety/<name>` for a
   * safety copy); else the newest good copy captured at or before `as_of`;
   * else the newest good copy.
   */
  'backup': (string);
  'asOf': (_google_protobuf_Timestamp__Output | null);
  /**
   * Where: a path (which must not exist unless `force`), or the table's own
   * file (`in_place`). Exactly one.
   */
  'toPath': (string);
  'inPlace': (boolean);
  'force': (boolean);
  /**
   * Restore a dirty copy: it is rewritten as a clean file holding exactly
   * what its slot table holds (its manifest's digest), so Erlang opens it
   * without its repair (which on Erlang 25 can lose objects, erlang/otp#8513).
   */
  'allowDirty': (boolean);
  /**
   * Say what would be done, and do nothing.
   */
  'dryRun': (boolean);
}
