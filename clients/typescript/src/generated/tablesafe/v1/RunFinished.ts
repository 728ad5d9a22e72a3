// Original file: proto/tablesafe/v1/storage_admin.proto

import type { RunOutcome as _tablesafe_v1_RunOutcome, RunOutcome__Output as _tablesafe_v1_RunOutcome__Output } from '../../tablesafe/v1/RunOutcome.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration.js';

export interface RunFinished {
  'runId'?: (string);
  'outcome'?: (_tablesafe_v1_RunOutcome);
  'succeeded'?: (number);
  'failed'?: (number);
  'skipped'?: (number);
  'duration'?: (_google_protobuf_Duration | null);
}

export interface RunFinished__Output {
  'runId': (string);
  'outcome': (_tablesafe_v1_RunOutcome__Output);
  'succeeded': (number);
  'failed': (number);
  'skipped': (number);
  'duration': (_google_protobuf_Duration__Output | null);
}
