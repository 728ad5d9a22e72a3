// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ResyncRequired {
  /**
   * The oldest sequence the server still holds.
   */
  'oldestSequence'?: (number | string | Long);
  /**
   * The current epoch.
   */
  'epoch'?: (string);
  'reason'?: (string);
  /**
   * The stream goes on with the events after this sequence: resume from it
   * (with `epoch`) after reloading whatever state the missed events described.
   */
  'resumeAfter'?: (number | string | Long);
}

export interface ResyncRequired__Output {
  /**
   * The oldest sequence the server still holds.
   */
  'oldestSequence': (string);
  /**
   * The current epoch.
   */
  'epoch': (string);
  'reason': (string);
  /**
   * The stream goes on with the events after this sequence: resume from it
   * (with `epoch`) after reloading whatever state the missed events described.
   */
  'resumeAfter': (string);
}
