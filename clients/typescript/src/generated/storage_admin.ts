import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from './google/protobuf/Duration.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { BackupFile as _tablesafe_v1_BackupFile, BackupFile__Output as _tablesafe_v1_BackupFile__Output } from './tablesafe/v1/BackupFile.js';
import type { BackupRun as _tablesafe_v1_BackupRun, BackupRun__Output as _tablesafe_v1_BackupRun__Output } from './tablesafe/v1/BackupRun.js';
import type { CompactTableRequest as _tablesafe_v1_CompactTableRequest, CompactTableRequest__Output as _tablesafe_v1_CompactTableRequest__Output } from './tablesafe/v1/CompactTableRequest.js';
import type { CompactTableResponse as _tablesafe_v1_CompactTableResponse, CompactTableResponse__Output as _tablesafe_v1_CompactTableResponse__Output } from './tablesafe/v1/CompactTableResponse.js';
import type { CompactionPlan as _tablesafe_v1_CompactionPlan, CompactionPlan__Output as _tablesafe_v1_CompactionPlan__Output } from './tablesafe/v1/CompactionPlan.js';
import type { ComponentHealth as _tablesafe_v1_ComponentHealth, ComponentHealth__Output as _tablesafe_v1_ComponentHealth__Output } from './tablesafe/v1/ComponentHealth.js';
import type { ContentDigest as _tablesafe_v1_ContentDigest, ContentDigest__Output as _tablesafe_v1_ContentDigest__Output } from './tablesafe/v1/ContentDigest.js';
import type { Event as _tablesafe_v1_Event, Event__Output as _tablesafe_v1_Event__Output } from './tablesafe/v1/Event.js';
import type { GetHealthRequest as _tablesafe_v1_GetHealthRequest, GetHealthRequest__Output as _tablesafe_v1_GetHealthRequest__Output } from './tablesafe/v1/GetHealthRequest.js';
import type { GetHealthResponse as _tablesafe_v1_GetHealthResponse, GetHealthResponse__Output as _tablesafe_v1_GetHealthResponse__Output } from './tablesafe/v1/GetHealthResponse.js';
import type { HealthChanged as _tablesafe_v1_HealthChanged, HealthChanged__Output as _tablesafe_v1_HealthChanged__Output } from './tablesafe/v1/HealthChanged.js';
import type { HealthIssue as _tablesafe_v1_HealthIssue, HealthIssue__Output as _tablesafe_v1_HealthIssue__Output } from './tablesafe/v1/HealthIssue.js';
import type { Heartbeat as _tablesafe_v1_Heartbeat, Heartbeat__Output as _tablesafe_v1_Heartbeat__Output } from './tablesafe/v1/Heartbeat.js';
import type { ListBackupsRequest as _tablesafe_v1_ListBackupsRequest, ListBackupsRequest__Output as _tablesafe_v1_ListBackupsRequest__Output } from './tablesafe/v1/ListBackupsRequest.js';
import type { ListBackupsResponse as _tablesafe_v1_ListBackupsResponse, ListBackupsResponse__Output as _tablesafe_v1_ListBackupsResponse__Output } from './tablesafe/v1/ListBackupsResponse.js';
import type { ListRunsRequest as _tablesafe_v1_ListRunsRequest, ListRunsRequest__Output as _tablesafe_v1_ListRunsRequest__Output } from './tablesafe/v1/ListRunsRequest.js';
import type { ListRunsResponse as _tablesafe_v1_ListRunsResponse, ListRunsResponse__Output as _tablesafe_v1_ListRunsResponse__Output } from './tablesafe/v1/ListRunsResponse.js';
import type { OffsiteCopied as _tablesafe_v1_OffsiteCopied, OffsiteCopied__Output as _tablesafe_v1_OffsiteCopied__Output } from './tablesafe/v1/OffsiteCopied.js';
import type { OffsiteFailed as _tablesafe_v1_OffsiteFailed, OffsiteFailed__Output as _tablesafe_v1_OffsiteFailed__Output } from './tablesafe/v1/OffsiteFailed.js';
import type { OffsiteStatus as _tablesafe_v1_OffsiteStatus, OffsiteStatus__Output as _tablesafe_v1_OffsiteStatus__Output } from './tablesafe/v1/OffsiteStatus.js';
import type { RemoveSafetyCopyRequest as _tablesafe_v1_RemoveSafetyCopyRequest, RemoveSafetyCopyRequest__Output as _tablesafe_v1_RemoveSafetyCopyRequest__Output } from './tablesafe/v1/RemoveSafetyCopyRequest.js';
import type { RemoveSafetyCopyResponse as _tablesafe_v1_RemoveSafetyCopyResponse, RemoveSafetyCopyResponse__Output as _tablesafe_v1_RemoveSafetyCopyResponse__Output } from './tablesafe/v1/RemoveSafetyCopyResponse.js';
import type { RestoreBackupRequest as _tablesafe_v1_RestoreBackupRequest, RestoreBackupRequest__Output as _tablesafe_v1_RestoreBackupRequest__Output } from './tablesafe/v1/RestoreBackupRequest.js';
import type { RestoreBackupResponse as _tablesafe_v1_RestoreBackupResponse, RestoreBackupResponse__Output as _tablesafe_v1_RestoreBackupResponse__Output } from './tablesafe/v1/RestoreBackupResponse.js';
import type { RestoreFinished as _tablesafe_v1_RestoreFinished, RestoreFinished__Output as _tablesafe_v1_RestoreFinished__Output } from './tablesafe/v1/RestoreFinished.js';
import type { RestorePlan as _tablesafe_v1_RestorePlan, RestorePlan__Output as _tablesafe_v1_RestorePlan__Output } from './tablesafe/v1/RestorePlan.js';
import type { RestoreStarted as _tablesafe_v1_RestoreStarted, RestoreStarted__Output as _tablesafe_v1_RestoreStarted__Output } from './tablesafe/v1/RestoreStarted.js';
import type { ResyncRequired as _tablesafe_v1_ResyncRequired, ResyncRequired__Output as _tablesafe_v1_ResyncRequired__Output } from './tablesafe/v1/ResyncRequired.js';
import type { RunDrillRequest as _tablesafe_v1_RunDrillRequest, RunDrillRequest__Output as _tablesafe_v1_RunDrillRequest__Output } from './tablesafe/v1/RunDrillRequest.js';
import type { RunDrillResponse as _tablesafe_v1_RunDrillResponse, RunDrillResponse__Output as _tablesafe_v1_RunDrillResponse__Output } from './tablesafe/v1/RunDrillResponse.js';
import type { RunFinished as _tablesafe_v1_RunFinished, RunFinished__Output as _tablesafe_v1_RunFinished__Output } from './tablesafe/v1/RunFinished.js';
import type { RunStarted as _tablesafe_v1_RunStarted, RunStarted__Output as _tablesafe_v1_RunStarted__Output } from './tablesafe/v1/RunStarted.js';
import type { ScrubBackupsRequest as _tablesafe_v1_ScrubBackupsRequest, ScrubBackupsRequest__Output as _tablesafe_v1_ScrubBackupsRequest__Output } from './tablesafe/v1/ScrubBackupsRequest.js';
import type { ScrubBackupsResponse as _tablesafe_v1_ScrubBackupsResponse, ScrubBackupsResponse__Output as _tablesafe_v1_ScrubBackupsResponse__Output } from './tablesafe/v1/ScrubBackupsResponse.js';
import type { ScrubbedBackup as _tablesafe_v1_ScrubbedBackup, ScrubbedBackup__Output as _tablesafe_v1_ScrubbedBackup__Output } from './tablesafe/v1/ScrubbedBackup.js';
import type { StorageAdminClient as _tablesafe_v1_StorageAdminClient, StorageAdminDefinition as _tablesafe_v1_StorageAdminDefinition } from './tablesafe/v1/StorageAdmin.js';
import type { TableBackedUp as _tablesafe_v1_TableBackedUp, TableBackedUp__Output as _tablesafe_v1_TableBackedUp__Output } from './tablesafe/v1/TableBackedUp.js';
import type { TableBackupFailed as _tablesafe_v1_TableBackupFailed, TableBackupFailed__Output as _tablesafe_v1_TableBackupFailed__Output } from './tablesafe/v1/TableBackupFailed.js';
import type { TableBackupResult as _tablesafe_v1_TableBackupResult, TableBackupResult__Output as _tablesafe_v1_TableBackupResult__Output } from './tablesafe/v1/TableBackupResult.js';
import type { TableCompacted as _tablesafe_v1_TableCompacted, TableCompacted__Output as _tablesafe_v1_TableCompacted__Output } from './tablesafe/v1/TableCompacted.js';
import type { TableDrill as _tablesafe_v1_TableDrill, TableDrill__Output as _tablesafe_v1_TableDrill__Output } from './tablesafe/v1/TableDrill.js';
import type { TableDrilled as _tablesafe_v1_TableDrilled, TableDrilled__Output as _tablesafe_v1_TableDrilled__Output } from './tablesafe/v1/TableDrilled.js';
import type { TableHealth as _tablesafe_v1_TableHealth, TableHealth__Output as _tablesafe_v1_TableHealth__Output } from './tablesafe/v1/TableHealth.js';
import type { TriggerBackupRequest as _tablesafe_v1_TriggerBackupRequest, TriggerBackupRequest__Output as _tablesafe_v1_TriggerBackupRequest__Output } from './tablesafe/v1/TriggerBackupRequest.js';
import type { TriggerBackupResponse as _tablesafe_v1_TriggerBackupResponse, TriggerBackupResponse__Output as _tablesafe_v1_TriggerBackupResponse__Output } from './tablesafe/v1/TriggerBackupResponse.js';
import type { WatchEventsRequest as _tablesafe_v1_WatchEventsRequest, WatchEventsRequest__Output as _tablesafe_v1_WatchEventsRequest__Output } from './tablesafe/v1/WatchEventsRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Duration: MessageTypeDefinition<_google_protobuf_Duration, _google_protobuf_Duration__Output>
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  tablesafe: {
    v1: {
      BackupFile: MessageTypeDefinition<_tablesafe_v1_BackupFile, _tablesafe_v1_BackupFile__Output>
      BackupRun: MessageTypeDefinition<_tablesafe_v1_BackupRun, _tablesafe_v1_BackupRun__Output>
      CompactTableRequest: MessageTypeDefinition<_tablesafe_v1_CompactTableRequest, _tablesafe_v1_CompactTableRequest__Output>
      CompactTableResponse: MessageTypeDefinition<_tablesafe_v1_CompactTableResponse, _tablesafe_v1_CompactTableResponse__Output>
      CompactionPlan: MessageTypeDefinition<_tablesafe_v1_CompactionPlan, _tablesafe_v1_CompactionPlan__Output>
      ComponentHealth: MessageTypeDefinition<_tablesafe_v1_ComponentHealth, _tablesafe_v1_ComponentHealth__Output>
      Consistency: EnumTypeDefinition
      ContentDigest: MessageTypeDefinition<_tablesafe_v1_ContentDigest, _tablesafe_v1_ContentDigest__Output>
      DrillLevel: EnumTypeDefinition
      Event: MessageTypeDefinition<_tablesafe_v1_Event, _tablesafe_v1_Event__Output>
      EventKind: EnumTypeDefinition
      GetHealthRequest: MessageTypeDefinition<_tablesafe_v1_GetHealthRequest, _tablesafe_v1_GetHealthRequest__Output>
      GetHealthResponse: MessageTypeDefinition<_tablesafe_v1_GetHealthResponse, _tablesafe_v1_GetHealthResponse__Output>
      HealthChanged: MessageTypeDefinition<_tablesafe_v1_HealthChanged, _tablesafe_v1_HealthChanged__Output>
      HealthIssue: MessageTypeDefinition<_tablesafe_v1_HealthIssue, _tablesafe_v1_HealthIssue__Output>
      HealthStatus: EnumTypeDefinition
      HealthView: EnumTypeDefinition
      Heartbeat: MessageTypeDefinition<_tablesafe_v1_Heartbeat, _tablesafe_v1_Heartbeat__Output>
      IssueCode: EnumTypeDefinition
      ListBackupsRequest: MessageTypeDefinition<_tablesafe_v1_ListBackupsRequest, _tablesafe_v1_ListBackupsRequest__Output>
      ListBackupsResponse: MessageTypeDefinition<_tablesafe_v1_ListBackupsResponse, _tablesafe_v1_ListBackupsResponse__Output>
      ListRunsRequest: MessageTypeDefinition<_tablesafe_v1_ListRunsRequest, _tablesafe_v1_ListRunsRequest__Output>
      ListRunsResponse: MessageTypeDefinition<_tablesafe_v1_ListRunsResponse, _tablesafe_v1_ListRunsResponse__Output>
      OffsiteCopied: MessageTypeDefinition<_tablesafe_v1_OffsiteCopied, _tablesafe_v1_OffsiteCopied__Output>
      OffsiteFailed: MessageTypeDefinition<_tablesafe_v1_OffsiteFailed, _tablesafe_v1_OffsiteFailed__Output>
      OffsiteStatus: MessageTypeDefinition<_tablesafe_v1_OffsiteStatus, _tablesafe_v1_OffsiteStatus__Output>
      RemoveSafetyCopyRequest: MessageTypeDefinition<_tablesafe_v1_RemoveSafetyCopyRequest, _tablesafe_v1_RemoveSafetyCopyRequest__Output>
      RemoveSafetyCopyResponse: MessageTypeDefinition<_tablesafe_v1_RemoveSafetyCopyResponse, _tablesafe_v1_RemoveSafetyCopyResponse__Output>
      RestoreBackupRequest: MessageTypeDefinition<_tablesafe_v1_RestoreBackupRequest, _tablesafe_v1_RestoreBackupRequest__Output>
      RestoreBackupResponse: MessageTypeDefinition<_tablesafe_v1_RestoreBackupResponse, _tablesafe_v1_RestoreBackupResponse__Output>
      RestoreFinished: MessageTypeDefinition<_tablesafe_v1_RestoreFinished, _tablesafe_v1_RestoreFinished__Output>
      RestorePlan: MessageTypeDefinition<_tablesafe_v1_RestorePlan, _tablesafe_v1_RestorePlan__Output>
      RestoreStarted: MessageTypeDefinition<_tablesafe_v1_RestoreStarted, _tablesafe_v1_RestoreStarted__Output>
      ResyncRequired: MessageTypeDefinition<_tablesafe_v1_ResyncRequired, _tablesafe_v1_ResyncRequired__Output>
      RunDrillRequest: MessageTypeDefinition<_tablesafe_v1_RunDrillRequest, _tablesafe_v1_RunDrillRequest__Output>
      RunDrillResponse: MessageTypeDefinition<_tablesafe_v1_RunDrillResponse, _tablesafe_v1_RunDrillResponse__Output>
      RunFinished: MessageTypeDefinition<_tablesafe_v1_RunFinished, _tablesafe_v1_RunFinished__Output>
      RunOutcome: EnumTypeDefinition
      RunStarted: MessageTypeDefinition<_tablesafe_v1_RunStarted, _tablesafe_v1_RunStarted__Output>
      ScrubBackupsRequest: MessageTypeDefinition<_tablesafe_v1_ScrubBackupsRequest, _tablesafe_v1_ScrubBackupsRequest__Output>
      ScrubBackupsResponse: MessageTypeDefinition<_tablesafe_v1_ScrubBackupsResponse, _tablesafe_v1_ScrubBackupsResponse__Output>
      ScrubOutcome: EnumTypeDefinition
      ScrubbedBackup: MessageTypeDefinition<_tablesafe_v1_ScrubbedBackup, _tablesafe_v1_ScrubbedBackup__Output>
      /**
       * Backs up, lists and watches the tables of one application.
       */
      StorageAdmin: SubtypeConstructor<typeof grpc.Client, _tablesafe_v1_StorageAdminClient> & { service: _tablesafe_v1_StorageAdminDefinition }
      TableBackedUp: MessageTypeDefinition<_tablesafe_v1_TableBackedUp, _tablesafe_v1_TableBackedUp__Output>
      TableBackupFailed: MessageTypeDefinition<_tablesafe_v1_TableBackupFailed, _tablesafe_v1_TableBackupFailed__Output>
      TableBackupResult: MessageTypeDefinition<_tablesafe_v1_TableBackupResult, _tablesafe_v1_TableBackupResult__Output>
      TableCompacted: MessageTypeDefinition<_tablesafe_v1_TableCompacted, _tablesafe_v1_TableCompacted__Output>
      TableDrill: MessageTypeDefinition<_tablesafe_v1_TableDrill, _tablesafe_v1_TableDrill__Output>
      TableDrilled: MessageTypeDefinition<_tablesafe_v1_TableDrilled, _tablesafe_v1_TableDrilled__Output>
      TableHealth: MessageTypeDefinition<_tablesafe_v1_TableHealth, _tablesafe_v1_TableHealth__Output>
      TableOutcome: EnumTypeDefinition
      TableRole: EnumTypeDefinition
      Trigger: EnumTypeDefinition
      TriggerBackupRequest: MessageTypeDefinition<_tablesafe_v1_TriggerBackupRequest, _tablesafe_v1_TriggerBackupRequest__Output>
      TriggerBackupResponse: MessageTypeDefinition<_tablesafe_v1_TriggerBackupResponse, _tablesafe_v1_TriggerBackupResponse__Output>
      WatchEventsRequest: MessageTypeDefinition<_tablesafe_v1_WatchEventsRequest, _tablesafe_v1_WatchEventsRequest__Output>
    }
  }
}

