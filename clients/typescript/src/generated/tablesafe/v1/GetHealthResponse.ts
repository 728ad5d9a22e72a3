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
}

export interface GetHealthResponse__Output {
  'status': (_tablesafe_v1_HealthStatus__Output);
  'computedAt': (_google_protobuf_Timestamp__Output | null);
  'components': (_tablesafe_v1_ComponentHealth__Output)[];
  'tables': (_tablesafe_v1_TableHealth__Output)[];
}
