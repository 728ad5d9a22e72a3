// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Trigger as _tablesafe_v1_Trigger, Trigger__Output as _tablesafe_v1_Trigger__Output } from '../../tablesafe/v1/Trigger.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { RunOutcome as _tablesafe_v1_RunOutcome, RunOutcome__Output as _tablesafe_v1_RunOutcome__Output } from '../../tablesafe/v1/RunOutcome.js';
import type { TableBackupResult as _tablesafe_v1_TableBackupResult, TableBackupResult__Output as _tablesafe_v1_TableBackupResult__Output } from '../../tablesafe/v1/TableBackupResult.js';

export interface BackupRun {
  'runId'?: (string);
  'trigger'?: (_tablesafe_v1_Trigger);
  'startedAt'?: (_google_protobuf_Timestamp | null);
  'finishedAt'?: (_google_protobuf_Timestamp | null);
  'outcome'?: (_tablesafe_v1_RunOutcome);
  'tables'?: (_tablesafe_v1_TableBackupResult)[];
  'reason'?: (string);
  /**
   * The reasons of triggers that joined this run while it was under way, or
   * waited for it as the follow-up of a run that did not cover their tables;
   * `reason` is the first caller's.
   */
  'joinedReasons'?: (string)[];
  /**
   * Problems of the run as a whole rather than of one table (a data directory
   * that could not be listed, so its tables are not in the run). A run with any
   * is never RUN_OUTCOME_SUCCEEDED.
   */
  'errors'?: (string)[];
  /**
   * Tables by how they ended (also for runs whose per-table results are no
   * longer held).
   */
  'succeeded'?: (number);
  'failed'?: (number);
  'skipped'?: (number);
  /**
   * Per-table results (`tables`) are kept for the newest finished run only;
   * older runs keep their counts and say so here.
   */
  'resultsOmitted'?: (boolean);
}

export interface BackupRun__Output {
  'runId': (string);
  'trigger': (_tablesafe_v1_Trigger__Output);
  'startedAt': (_google_protobuf_Timestamp__Output | null);
  'finishedAt': (_google_protobuf_Timestamp__Output | null);
  'outcome': (_tablesafe_v1_RunOutcome__Output);
  'tables': (_tablesafe_v1_TableBackupResult__Output)[];
  'reason': (string);
  /**
   * The reasons of triggers that joined this run while it was under way, or
   * waited for it as the follow-up of a run that did not cover their tables;
   * `reason` is the first caller's.
   */
  'joinedReasons': (string)[];
  /**
   * Problems of the run as a whole rather than of one table (a data directory
   * that could not be listed, so its tables are not in the run). A run with any
   * is never RUN_OUTCOME_SUCCEEDED.
   */
  'errors': (string)[];
  /**
   * Tables by how they ended (also for runs whose per-table results are no
   * longer held).
   */
  'succeeded': (number);
  'failed': (number);
  'skipped': (number);
  /**
   * Per-table results (`tables`) are kept for the newest finished run only;
   * older runs keep their counts and say so here.
   */
  'resultsOmitted': (boolean);
}
