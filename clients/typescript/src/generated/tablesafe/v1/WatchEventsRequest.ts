// Original file: proto/tablesafe/v1/storage_admin.proto

import type { EventKind as _tablesafe_v1_EventKind, EventKind__Output as _tablesafe_v1_EventKind__Output } from '../../tablesafe/v1/EventKind.js';
import type { Long } from '@grpc/proto-loader';

export interface WatchEventsRequest {
  /**
   * Replay events after this sequence (0: only what happens from now on).
   */
  'afterSequence'?: (number | string | Long);
  /**
   * The epoch `after_sequence` belongs to; another epoch gets ResyncRequired.
   */
  'epoch'?: (string);
  /**
   * Only these kinds (heartbeats and resync notices always come); empty for all.
   */
  'kinds'?: (_tablesafe_v1_EventKind)[];
  /**
   * Only events about these tables (run events always come); empty for all.
   */
  'tables'?: (string)[];
}

export interface WatchEventsRequest__Output {
  /**
   * Replay events after this sequence (0: only what happens from now on).
   */
  'afterSequence': (string);
  /**
   * The epoch `after_sequence` belongs to; another epoch gets ResyncRequired.
   */
  'epoch': (string);
  /**
   * Only these kinds (heartbeats and resync notices always come); empty for all.
   */
  'kinds': (_tablesafe_v1_EventKind__Output)[];
  /**
   * Only events about these tables (run events always come); empty for all.
   */
  'tables': (string)[];
}
