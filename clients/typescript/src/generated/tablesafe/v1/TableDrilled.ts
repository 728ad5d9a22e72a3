// Original file: proto/tablesafe/v1/storage_admin.proto

import type { TableDrill as _tablesafe_v1_TableDrill, TableDrill__Output as _tablesafe_v1_TableDrill__Output } from '../../tablesafe/v1/TableDrill.js';

export interface TableDrilled {
  'runId'?: (string);
  'drill'?: (_tablesafe_v1_TableDrill | null);
}

export interface TableDrilled__Output {
  'runId': (string);
  'drill': (_tablesafe_v1_TableDrill__Output | null);
}
