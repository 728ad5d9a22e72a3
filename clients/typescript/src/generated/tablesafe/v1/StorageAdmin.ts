// Original file: proto/tablesafe/v1/storage_admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CompactTableRequest as _tablesafe_v1_CompactTableRequest, CompactTableRequest__Output as _tablesafe_v1_CompactTableRequest__Output } from '../../tablesafe/v1/CompactTableRequest.js';
import type { CompactTableResponse as _tablesafe_v1_CompactTableResponse, CompactTableResponse__Output as _tablesafe_v1_CompactTableResponse__Output } from '../../tablesafe/v1/CompactTableResponse.js';
import type { Event as _tablesafe_v1_Event, Event__Output as _tablesafe_v1_Event__Output } from '../../tablesafe/v1/Event.js';
import type { GetHealthRequest as _tablesafe_v1_GetHealthRequest, GetHealthRequest__Output as _tablesafe_v1_GetHealthRequest__Output } from '../../tablesafe/v1/GetHealthRequest.js';
import type { GetHealthResponse as _tablesafe_v1_GetHealthResponse, GetHealthResponse__Output as _tablesafe_v1_GetHealthResponse__Output } from '../../tablesafe/v1/GetHealthResponse.js';
import type { ListBackupsRequest as _tablesafe_v1_ListBackupsRequest, ListBackupsRequest__Output as _tablesafe_v1_ListBackupsRequest__Output } from '../../tablesafe/v1/ListBackupsRequest.js';
import type { ListBackupsResponse as _tablesafe_v1_ListBackupsResponse, ListBackupsResponse__Output as _tablesafe_v1_ListBackupsResponse__Output } from '../../tablesafe/v1/ListBackupsResponse.js';
import type { ListRunsRequest as _tablesafe_v1_ListRunsRequest, ListRunsRequest__Output as _tablesafe_v1_ListRunsRequest__Output } from '../../tablesafe/v1/ListRunsRequest.js';
import type { ListRunsResponse as _tablesafe_v1_ListRunsResponse, ListRunsResponse__Output as _tablesafe_v1_ListRunsResponse__Output } from '../../tablesafe/v1/ListRunsResponse.js';
import type { RemoveSafetyCopyRequest as _tablesafe_v1_RemoveSafetyCopyRequest, RemoveSafetyCopyRequest__Output as _tablesafe_v1_RemoveSafetyCopyRequest__Output } from '../../tablesafe/v1/RemoveSafetyCopyRequest.js';
import type { RemoveSafetyCopyResponse as _tablesafe_v1_RemoveSafetyCopyResponse, RemoveSafetyCopyResponse__Output as _tablesafe_v1_RemoveSafetyCopyResponse__Output } from '../../tablesafe/v1/RemoveSafetyCopyResponse.js';
import type { RestoreBackupRequest as _tablesafe_v1_RestoreBackupRequest, RestoreBackupRequest__Output as _tablesafe_v1_RestoreBackupRequest__Output } from '../../tablesafe/v1/RestoreBackupRequest.js';
import type { RestoreBackupResponse as _tablesafe_v1_RestoreBackupResponse, RestoreBackupResponse__Output as _tablesafe_v1_RestoreBackupResponse__Output } from '../../tablesafe/v1/RestoreBackupResponse.js';
import type { RunDrillRequest as _tablesafe_v1_RunDrillRequest, RunDrillRequest__Output as _tablesafe_v1_RunDrillRequest__Output } from '../../tablesafe/v1/RunDrillRequest.js';
import type { RunDrillResponse as _tablesafe_v1_RunDrillResponse, RunDrillResponse__Output as _tablesafe_v1_RunDrillResponse__Output } from '../../tablesafe/v1/RunDrillResponse.js';
import type { ScrubBackupsRequest as _tablesafe_v1_ScrubBackupsRequest, ScrubBackupsRequest__Output as _tablesafe_v1_ScrubBackupsRequest__Output } from '../../tablesafe/v1/ScrubBackupsRequest.js';
import type { ScrubBackupsResponse as _tablesafe_v1_ScrubBackupsResponse, ScrubBackupsResponse__Output as _tablesafe_v1_ScrubBackupsResponse__Output } from '../../tablesafe/v1/ScrubBackupsResponse.js';
import type { TriggerBackupRequest as _tablesafe_v1_TriggerBackupRequest, TriggerBackupRequest__Output as _tablesafe_v1_TriggerBackupRequest__Output } from '../../tablesafe/v1/TriggerBackupRequest.js';
import type { TriggerBackupResponse as _tablesafe_v1_TriggerBackupResponse, TriggerBackupResponse__Output as _tablesafe_v1_TriggerBackupResponse__Output } from '../../tablesafe/v1/TriggerBackupResponse.js';
import type { WatchEventsRequest as _tablesafe_v1_WatchEventsRequest, WatchEventsRequest__Output as _tablesafe_v1_WatchEventsRequest__Output } from '../../tablesafe/v1/WatchEventsRequest.js';

/**
 * Backs up, lists and watches the tables of one application.
 */
export interface StorageAdminClient extends grpc.Client {
  /**
   * Rebuilds one table's file in place into a compact one, or (dry_run) says
   * what it would do. Refused unless the file is sound and closed, a
   * verified backup holds exactly what it holds now, its free space is above
   * the threshold (unless force), no process or Erlang node has it open, and
   * there is room for the new file and the safety copy. The new file is
   * proved (closed, sound, the same digest) before it replaces the old one,
   * which is kept as a safety copy. Recorded in the ledger (ListRuns,
   * trigger COMPACT). Admin token.
   */
  CompactTable(argument: _tablesafe_v1_CompactTableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_CompactTableResponse__Output>): grpc.ClientUnaryCall;
  CompactTable(argument: _tablesafe_v1_CompactTableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_CompactTableResponse__Output>): grpc.ClientUnaryCall;
  CompactTable(argument: _tablesafe_v1_CompactTableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_CompactTableResponse__Output>): grpc.ClientUnaryCall;
  CompactTable(argument: _tablesafe_v1_CompactTableRequest, callback: grpc.requestCallback<_tablesafe_v1_CompactTableResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Rebuilds one table's file in place into a compact one, or (dry_run) says
   * what it would do. Refused unless the file is sound and closed, a
   * verified backup holds exactly what it holds now, its free space is above
   * the threshold (unless force), no process or Erlang node has it open, and
   * there is room for the new file and the safety copy. The new file is
   * proved (closed, sound, the same digest) before it replaces the old one,
   * which is kept as a safety copy. Recorded in the ledger (ListRuns,
   * trigger COMPACT). Admin token.
   */
  compactTable(argument: _tablesafe_v1_CompactTableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_CompactTableResponse__Output>): grpc.ClientUnaryCall;
  compactTable(argument: _tablesafe_v1_CompactTableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_CompactTableResponse__Output>): grpc.ClientUnaryCall;
  compactTable(argument: _tablesafe_v1_CompactTableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_CompactTableResponse__Output>): grpc.ClientUnaryCall;
  compactTable(argument: _tablesafe_v1_CompactTableRequest, callback: grpc.requestCallback<_tablesafe_v1_CompactTableResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Storage health: per table figures and issues, components, overall status.
   */
  GetHealth(argument: _tablesafe_v1_GetHealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_GetHealthResponse__Output>): grpc.ClientUnaryCall;
  GetHealth(argument: _tablesafe_v1_GetHealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_GetHealthResponse__Output>): grpc.ClientUnaryCall;
  GetHealth(argument: _tablesafe_v1_GetHealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_GetHealthResponse__Output>): grpc.ClientUnaryCall;
  GetHealth(argument: _tablesafe_v1_GetHealthRequest, callback: grpc.requestCallback<_tablesafe_v1_GetHealthResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Storage health: per table figures and issues, components, overall status.
   */
  getHealth(argument: _tablesafe_v1_GetHealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_GetHealthResponse__Output>): grpc.ClientUnaryCall;
  getHealth(argument: _tablesafe_v1_GetHealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_GetHealthResponse__Output>): grpc.ClientUnaryCall;
  getHealth(argument: _tablesafe_v1_GetHealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_GetHealthResponse__Output>): grpc.ClientUnaryCall;
  getHealth(argument: _tablesafe_v1_GetHealthRequest, callback: grpc.requestCallback<_tablesafe_v1_GetHealthResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The backups on disk, newest first.
   */
  ListBackups(argument: _tablesafe_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _tablesafe_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _tablesafe_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  ListBackups(argument: _tablesafe_v1_ListBackupsRequest, callback: grpc.requestCallback<_tablesafe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The backups on disk, newest first.
   */
  listBackups(argument: _tablesafe_v1_ListBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _tablesafe_v1_ListBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _tablesafe_v1_ListBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  listBackups(argument: _tablesafe_v1_ListBackupsRequest, callback: grpc.requestCallback<_tablesafe_v1_ListBackupsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Recent runs from the ledger, newest first.
   */
  ListRuns(argument: _tablesafe_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _tablesafe_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _tablesafe_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _tablesafe_v1_ListRunsRequest, callback: grpc.requestCallback<_tablesafe_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Recent runs from the ledger, newest first.
   */
  listRuns(argument: _tablesafe_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _tablesafe_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _tablesafe_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _tablesafe_v1_ListRunsRequest, callback: grpc.requestCallback<_tablesafe_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deletes a safety copy (ListBackups with safety_copies lists them); no
   * other file. Admin token.
   */
  RemoveSafetyCopy(argument: _tablesafe_v1_RemoveSafetyCopyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RemoveSafetyCopyResponse__Output>): grpc.ClientUnaryCall;
  RemoveSafetyCopy(argument: _tablesafe_v1_RemoveSafetyCopyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_RemoveSafetyCopyResponse__Output>): grpc.ClientUnaryCall;
  RemoveSafetyCopy(argument: _tablesafe_v1_RemoveSafetyCopyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RemoveSafetyCopyResponse__Output>): grpc.ClientUnaryCall;
  RemoveSafetyCopy(argument: _tablesafe_v1_RemoveSafetyCopyRequest, callback: grpc.requestCallback<_tablesafe_v1_RemoveSafetyCopyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deletes a safety copy (ListBackups with safety_copies lists them); no
   * other file. Admin token.
   */
  removeSafetyCopy(argument: _tablesafe_v1_RemoveSafetyCopyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RemoveSafetyCopyResponse__Output>): grpc.ClientUnaryCall;
  removeSafetyCopy(argument: _tablesafe_v1_RemoveSafetyCopyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_RemoveSafetyCopyResponse__Output>): grpc.ClientUnaryCall;
  removeSafetyCopy(argument: _tablesafe_v1_RemoveSafetyCopyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RemoveSafetyCopyResponse__Output>): grpc.ClientUnaryCall;
  removeSafetyCopy(argument: _tablesafe_v1_RemoveSafetyCopyRequest, callback: grpc.requestCallback<_tablesafe_v1_RemoveSafetyCopyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Restores a proved copy of one table to a path or onto the table's own
   * file, or (dry_run) says what it would do. Never a copy that fails its
   * proof or was found corrupt; in place, never while a process holds the
   * file, and the file as it was is kept first as a safety copy. Recorded
   * in the ledger (ListRuns, trigger RESTORE). Admin token.
   */
  RestoreBackup(argument: _tablesafe_v1_RestoreBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RestoreBackupResponse__Output>): grpc.ClientUnaryCall;
  RestoreBackup(argument: _tablesafe_v1_RestoreBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_RestoreBackupResponse__Output>): grpc.ClientUnaryCall;
  RestoreBackup(argument: _tablesafe_v1_RestoreBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RestoreBackupResponse__Output>): grpc.ClientUnaryCall;
  RestoreBackup(argument: _tablesafe_v1_RestoreBackupRequest, callback: grpc.requestCallback<_tablesafe_v1_RestoreBackupResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Restores a proved copy of one table to a path or onto the table's own
   * file, or (dry_run) says what it would do. Never a copy that fails its
   * proof or was found corrupt; in place, never while a process holds the
   * file, and the file as it was is kept first as a safety copy. Recorded
   * in the ledger (ListRuns, trigger RESTORE). Admin token.
   */
  restoreBackup(argument: _tablesafe_v1_RestoreBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RestoreBackupResponse__Output>): grpc.ClientUnaryCall;
  restoreBackup(argument: _tablesafe_v1_RestoreBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_RestoreBackupResponse__Output>): grpc.ClientUnaryCall;
  restoreBackup(argument: _tablesafe_v1_RestoreBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RestoreBackupResponse__Output>): grpc.ClientUnaryCall;
  restoreBackup(argument: _tablesafe_v1_RestoreBackupRequest, callback: grpc.requestCallback<_tablesafe_v1_RestoreBackupResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Restore drills: each table's newest good copy restored into a scratch
   * directory and proved by the reader and, with an Erlang node configured,
   * by Erlang opening it with {repair, false} and folding it. Waits for a
   * drill under way. Never touches the live files. Admin token.
   */
  RunDrill(argument: _tablesafe_v1_RunDrillRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RunDrillResponse__Output>): grpc.ClientUnaryCall;
  RunDrill(argument: _tablesafe_v1_RunDrillRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_RunDrillResponse__Output>): grpc.ClientUnaryCall;
  RunDrill(argument: _tablesafe_v1_RunDrillRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RunDrillResponse__Output>): grpc.ClientUnaryCall;
  RunDrill(argument: _tablesafe_v1_RunDrillRequest, callback: grpc.requestCallback<_tablesafe_v1_RunDrillResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Restore drills: each table's newest good copy restored into a scratch
   * directory and proved by the reader and, with an Erlang node configured,
   * by Erlang opening it with {repair, false} and folding it. Waits for a
   * drill under way. Never touches the live files. Admin token.
   */
  runDrill(argument: _tablesafe_v1_RunDrillRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RunDrillResponse__Output>): grpc.ClientUnaryCall;
  runDrill(argument: _tablesafe_v1_RunDrillRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_RunDrillResponse__Output>): grpc.ClientUnaryCall;
  runDrill(argument: _tablesafe_v1_RunDrillRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_RunDrillResponse__Output>): grpc.ClientUnaryCall;
  runDrill(argument: _tablesafe_v1_RunDrillRequest, callback: grpc.requestCallback<_tablesafe_v1_RunDrillResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reads every retained backup again and proves it against its manifest
   * (sha256, every object, content digest); marks the ones that no longer
   * match as corrupt. Joins a scrub in progress. Admin token.
   */
  ScrubBackups(argument: _tablesafe_v1_ScrubBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ScrubBackupsResponse__Output>): grpc.ClientUnaryCall;
  ScrubBackups(argument: _tablesafe_v1_ScrubBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_ScrubBackupsResponse__Output>): grpc.ClientUnaryCall;
  ScrubBackups(argument: _tablesafe_v1_ScrubBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ScrubBackupsResponse__Output>): grpc.ClientUnaryCall;
  ScrubBackups(argument: _tablesafe_v1_ScrubBackupsRequest, callback: grpc.requestCallback<_tablesafe_v1_ScrubBackupsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reads every retained backup again and proves it against its manifest
   * (sha256, every object, content digest); marks the ones that no longer
   * match as corrupt. Joins a scrub in progress. Admin token.
   */
  scrubBackups(argument: _tablesafe_v1_ScrubBackupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ScrubBackupsResponse__Output>): grpc.ClientUnaryCall;
  scrubBackups(argument: _tablesafe_v1_ScrubBackupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_ScrubBackupsResponse__Output>): grpc.ClientUnaryCall;
  scrubBackups(argument: _tablesafe_v1_ScrubBackupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_ScrubBackupsResponse__Output>): grpc.ClientUnaryCall;
  scrubBackups(argument: _tablesafe_v1_ScrubBackupsRequest, callback: grpc.requestCallback<_tablesafe_v1_ScrubBackupsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Backs up the named tables (all when none are named) and waits for the run.
   * A trigger while a run is in progress joins that run when it covers every
   * table asked for; otherwise it waits for one follow-up run, after the
   * current one, that covers the tables of every such trigger. Admin token.
   */
  TriggerBackup(argument: _tablesafe_v1_TriggerBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_TriggerBackupResponse__Output>): grpc.ClientUnaryCall;
  TriggerBackup(argument: _tablesafe_v1_TriggerBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_TriggerBackupResponse__Output>): grpc.ClientUnaryCall;
  TriggerBackup(argument: _tablesafe_v1_TriggerBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_TriggerBackupResponse__Output>): grpc.ClientUnaryCall;
  TriggerBackup(argument: _tablesafe_v1_TriggerBackupRequest, callback: grpc.requestCallback<_tablesafe_v1_TriggerBackupResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Backs up the named tables (all when none are named) and waits for the run.
   * A trigger while a run is in progress joins that run when it covers every
   * table asked for; otherwise it waits for one follow-up run, after the
   * current one, that covers the tables of every such trigger. Admin token.
   */
  triggerBackup(argument: _tablesafe_v1_TriggerBackupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_TriggerBackupResponse__Output>): grpc.ClientUnaryCall;
  triggerBackup(argument: _tablesafe_v1_TriggerBackupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tablesafe_v1_TriggerBackupResponse__Output>): grpc.ClientUnaryCall;
  triggerBackup(argument: _tablesafe_v1_TriggerBackupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tablesafe_v1_TriggerBackupResponse__Output>): grpc.ClientUnaryCall;
  triggerBackup(argument: _tablesafe_v1_TriggerBackupRequest, callback: grpc.requestCallback<_tablesafe_v1_TriggerBackupResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Events from `after_sequence` on, then live, until the caller leaves.
   */
  WatchEvents(argument: _tablesafe_v1_WatchEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tablesafe_v1_Event__Output>;
  WatchEvents(argument: _tablesafe_v1_WatchEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tablesafe_v1_Event__Output>;
  /**
   * Events from `after_sequence` on, then live, until the caller leaves.
   */
  watchEvents(argument: _tablesafe_v1_WatchEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tablesafe_v1_Event__Output>;
  watchEvents(argument: _tablesafe_v1_WatchEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tablesafe_v1_Event__Output>;
  
}

/**
 * Backs up, lists and watches the tables of one application.
 */
export interface StorageAdminHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Rebuilds one table's file in place into a compact one, or (dry_run) says
   * what it would do. Refused unless the file is sound and closed, a
   * verified backup holds exactly what it holds now, its free space is above
   * the threshold (unless force), no process or Erlang node has it open, and
   * there is room for the new file and the safety copy. The new file is
   * proved (closed, sound, the same digest) before it replaces the old one,
   * which is kept as a safety copy. Recorded in the ledger (ListRuns,
   * trigger COMPACT). Admin token.
   */
  CompactTable: grpc.handleUnaryCall<_tablesafe_v1_CompactTableRequest__Output, _tablesafe_v1_CompactTableResponse>;
  
  /**
   * Storage health: per table figures and issues, components, overall status.
   */
  GetHealth: grpc.handleUnaryCall<_tablesafe_v1_GetHealthRequest__Output, _tablesafe_v1_GetHealthResponse>;
  
  /**
   * The backups on disk, newest first.
   */
  ListBackups: grpc.handleUnaryCall<_tablesafe_v1_ListBackupsRequest__Output, _tablesafe_v1_ListBackupsResponse>;
  
  /**
   * Recent runs from the ledger, newest first.
   */
  ListRuns: grpc.handleUnaryCall<_tablesafe_v1_ListRunsRequest__Output, _tablesafe_v1_ListRunsResponse>;
  
  /**
   * Deletes a safety copy (ListBackups with safety_copies lists them); no
   * other file. Admin token.
   */
  RemoveSafetyCopy: grpc.handleUnaryCall<_tablesafe_v1_RemoveSafetyCopyRequest__Output, _tablesafe_v1_RemoveSafetyCopyResponse>;
  
  /**
   * Restores a proved copy of one table to a path or onto the table's own
   * file, or (dry_run) says what it would do. Never a copy that fails its
   * proof or was found corrupt; in place, never while a process holds the
   * file, and the file as it was is kept first as a safety copy. Recorded
   * in the ledger (ListRuns, trigger RESTORE). Admin token.
   */
  RestoreBackup: grpc.handleUnaryCall<_tablesafe_v1_RestoreBackupRequest__Output, _tablesafe_v1_RestoreBackupResponse>;
  
  /**
   * Restore drills: each table's newest good copy restored into a scratch
   * directory and proved by the reader and, with an Erlang node configured,
   * by Erlang opening it with {repair, false} and folding it. Waits for a
   * drill under way. Never touches the live files. Admin token.
   */
  RunDrill: grpc.handleUnaryCall<_tablesafe_v1_RunDrillRequest__Output, _tablesafe_v1_RunDrillResponse>;
  
  /**
   * Reads every retained backup again and proves it against its manifest
   * (sha256, every object, content digest); marks the ones that no longer
   * match as corrupt. Joins a scrub in progress. Admin token.
   */
  ScrubBackups: grpc.handleUnaryCall<_tablesafe_v1_ScrubBackupsRequest__Output, _tablesafe_v1_ScrubBackupsResponse>;
  
  /**
   * Backs up the named tables (all when none are named) and waits for the run.
   * A trigger while a run is in progress joins that run when it covers every
   * table asked for; otherwise it waits for one follow-up run, after the
   * current one, that covers the tables of every such trigger. Admin token.
   */
  TriggerBackup: grpc.handleUnaryCall<_tablesafe_v1_TriggerBackupRequest__Output, _tablesafe_v1_TriggerBackupResponse>;
  
  /**
   * Events from `after_sequence` on, then live, until the caller leaves.
   */
  WatchEvents: grpc.handleServerStreamingCall<_tablesafe_v1_WatchEventsRequest__Output, _tablesafe_v1_Event>;
  
}

export interface StorageAdminDefinition extends grpc.ServiceDefinition {
  CompactTable: MethodDefinition<_tablesafe_v1_CompactTableRequest, _tablesafe_v1_CompactTableResponse, _tablesafe_v1_CompactTableRequest__Output, _tablesafe_v1_CompactTableResponse__Output>
  GetHealth: MethodDefinition<_tablesafe_v1_GetHealthRequest, _tablesafe_v1_GetHealthResponse, _tablesafe_v1_GetHealthRequest__Output, _tablesafe_v1_GetHealthResponse__Output>
  ListBackups: MethodDefinition<_tablesafe_v1_ListBackupsRequest, _tablesafe_v1_ListBackupsResponse, _tablesafe_v1_ListBackupsRequest__Output, _tablesafe_v1_ListBackupsResponse__Output>
  ListRuns: MethodDefinition<_tablesafe_v1_ListRunsRequest, _tablesafe_v1_ListRunsResponse, _tablesafe_v1_ListRunsRequest__Output, _tablesafe_v1_ListRunsResponse__Output>
  RemoveSafetyCopy: MethodDefinition<_tablesafe_v1_RemoveSafetyCopyRequest, _tablesafe_v1_RemoveSafetyCopyResponse, _tablesafe_v1_RemoveSafetyCopyRequest__Output, _tablesafe_v1_RemoveSafetyCopyResponse__Output>
  RestoreBackup: MethodDefinition<_tablesafe_v1_RestoreBackupRequest, _tablesafe_v1_RestoreBackupResponse, _tablesafe_v1_RestoreBackupRequest__Output, _tablesafe_v1_RestoreBackupResponse__Output>
  RunDrill: MethodDefinition<_tablesafe_v1_RunDrillRequest, _tablesafe_v1_RunDrillResponse, _tablesafe_v1_RunDrillRequest__Output, _tablesafe_v1_RunDrillResponse__Output>
  ScrubBackups: MethodDefinition<_tablesafe_v1_ScrubBackupsRequest, _tablesafe_v1_ScrubBackupsResponse, _tablesafe_v1_ScrubBackupsRequest__Output, _tablesafe_v1_ScrubBackupsResponse__Output>
  TriggerBackup: MethodDefinition<_tablesafe_v1_TriggerBackupRequest, _tablesafe_v1_TriggerBackupResponse, _tablesafe_v1_TriggerBackupRequest__Output, _tablesafe_v1_TriggerBackupResponse__Output>
  WatchEvents: MethodDefinition<_tablesafe_v1_WatchEventsRequest, _tablesafe_v1_Event, _tablesafe_v1_WatchEventsRequest__Output, _tablesafe_v1_Event__Output>
}
