// Original file: proto/tablesafe/v1/storage_admin.proto

import type { HealthStatus as _tablesafe_v1_HealthStatus, HealthStatus__Output as _tablesafe_v1_HealthStatus__Output } from '../../tablesafe/v1/HealthStatus.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { ComponentHealth as _tablesafe_v1_ComponentHealth, ComponentHealth__Output as _tablesafe_v1_ComponentHealth__Output } from '../../tablesafe/v1/ComponentHealth.js';
import type { TableHealth as _tablesafe_v1_TableHealth, TableHealth__Output as _tablesafe_v1_TableHealth__Output } from '../../tablesafe/v1/TableHealth.js';

export interface GetHealthResponse {
  'status'?: (_tablesafe_v1_HealthStatus);
  'computedAt'?: (_google_protobuf_Timestamp | null);
  'components'?: (_tablesafe_v1_ComponentHealth)[];
  'tables'?: (_tablesafe_v1_TableHealth)[];
  /**
   * Names the snapshot's content (everything but the time it was computed and
   * the ages that follow from it): equal ids, equal answers. Also the ETag of
   * `GET /v1/health`.
   */
  'snapshotId'?: (string);
  /**
   * The snapshot is still the one `if_none_match` named.
   */
  'unchanged'?: (boolean);
  /**
   * FULL with `page_size`: the token of the next page; empty on the last.
   */
  'nextPageToken'?: (string);
  /**
   * Tables in the snapshot (in every view and page).
   */
  'totalTables'?: (number);
  /**
   * The first data directory, as the server was given it: a table whose
   * `path` is empty has its file at `<data_dir>/<name>.dets`.
   */
  'dataDir'?: (string);
}

export interface GetHealthResponse__Output {
  'status': (_tablesafe_v1_HealthStatus__Output);
  'computedAt': (_google_protobuf_Timestamp__Output | null);
  'components': (_tablesafe_v1_ComponentHealth__Output)[];
  'tables': (_tablesafe_v1_TableHealth__Output)[];
  /**
   * Names the snapshot's content (everything but the time it was computed and
   * the ages that follow from it): equal ids, equal answers. Also the ETag of
   * `GET /v1/health`.
   */
  'snapshotId': (string);
  /**
   * The snapshot is still the one `if_none_match` named.
   */
  'unchanged': (boolean);
  /**
   * FULL with `page_size`: the token of the next page; empty on the last.
   */
  'nextPageToken': (string);
  /**
   * Tables in the snapshot (in every view and page).
   */
  'totalTables': (number);
  /**
   * The first data directory, as the server was given it: a table whose
   * `path` is empty has its file at `<data_dir>/<name>.dets`.
   */
  'dataDir': (string);
}
