// Original file: proto/tablesafe/v1/storage_admin.proto

import type { HealthView as _tablesafe_v1_HealthView, HealthView__Output as _tablesafe_v1_HealthView__Output } from '../../tablesafe/v1/HealthView.js';

export interface GetHealthRequest {
  /**
   * Recompute from disk before answering instead of using the last snapshot.
   */
  'refresh'?: (boolean);
  /**
   * How much of the snapshot to send.
   */
  'view'?: (_tablesafe_v1_HealthView);
  /**
   * The `snapshot_id` of an answer the caller holds: while the snapshot is
   * still that one, the answer is `unchanged = true` with the status, the
   * time and the id, and no components or tables.
   */
  'ifNoneMatch'?: (string);
  /**
   * FULL only: at most this many tables per answer, in name order (0: every
   * table in one answer). At most 5000.
   */
  'pageSize'?: (number);
  /**
   * FULL only: the `next_page_token` of the previous page. A page follows
   * table names, not positions: every table present throughout is sent
   * exactly once, whatever tables come and go between pages.
   */
  'pageToken'?: (string);
}

export interface GetHealthRequest__Output {
  /**
   * Recompute from disk before answering instead of using the last snapshot.
   */
  'refresh': (boolean);
  /**
   * How much of the snapshot to send.
   */
  'view': (_tablesafe_v1_HealthView__Output);
  /**
   * The `snapshot_id` of an answer the caller holds: while the snapshot is
   * still that one, the answer is `unchanged = true` with the status, the
   * time and the id, and no components or tables.
   */
  'ifNoneMatch': (string);
  /**
   * FULL only: at most this many tables per answer, in name order (0: every
   * table in one answer). At most 5000.
   */
  'pageSize': (number);
  /**
   * FULL only: the `next_page_token` of the previous page. A page follows
   * table names, not positions: every table present throughout is sent
   * exactly once, whatever tables come and go between pages.
   */
  'pageToken': (string);
}
