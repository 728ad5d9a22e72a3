// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Trigger as _tablesafe_v1_Trigger, Trigger__Output as _tablesafe_v1_Trigger__Output } from '../../tablesafe/v1/Trigger.js';

export interface RunStarted {
  'runId'?: (string);
  'trigger'?: (_tablesafe_v1_Trigger);
  'tables'?: (string)[];
  'reason'?: (string);
}

export interface RunStarted__Output {
  'runId': (string);
  'trigger': (_tablesafe_v1_Trigger__Output);
  'tables': (string)[];
  'reason': (string);
}
