// Original file: proto/tablesafe/v1/storage_admin.proto

import type { TableDrill as _tablesafe_v1_TableDrill, TableDrill__Output as _tablesafe_v1_TableDrill__Output } from '../../tablesafe/v1/TableDrill.js';

export interface RunDrillResponse {
  /**
   * The drill's id in the ledger.
   */
  'runId'?: (string);
  'tables'?: (_tablesafe_v1_TableDrill)[];
}

export interface RunDrillResponse__Output {
  /**
   * The drill's id in the ledger.
   */
  'runId': (string);
  'tables': (_tablesafe_v1_TableDrill__Output)[];
}
