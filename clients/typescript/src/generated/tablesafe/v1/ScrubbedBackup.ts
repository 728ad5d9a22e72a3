// Original file: proto/tablesafe/v1/storage_admin.proto

import type { ScrubOutcome as _tablesafe_v1_ScrubOutcome, ScrubOutcome__Output as _tablesafe_v1_ScrubOutcome__Output } from '../../tablesafe/v1/ScrubOutcome.js';

export interface ScrubbedBackup {
  'table'?: (string);
  'fileName'?: (string);
  'outcome'?: (_tablesafe_v1_ScrubOutcome);
  /**
   * What no longer matches (corrupt), or why it could not be read.
   */
  'message'?: (string);
}

export interface ScrubbedBackup__Output {
  'table': (string);
  'fileName': (string);
  'outcome': (_tablesafe_v1_ScrubOutcome__Output);
  /**
   * What no longer matches (corrupt), or why it could not be read.
   */
  'message': (string);
}
