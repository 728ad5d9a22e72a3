// Original file: proto/tablesafe/v1/storage_admin.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { RunStarted as _tablesafe_v1_RunStarted, RunStarted__Output as _tablesafe_v1_RunStarted__Output } from '../../tablesafe/v1/RunStarted.js';
import type { TableBackedUp as _tablesafe_v1_TableBackedUp, TableBackedUp__Output as _tablesafe_v1_TableBackedUp__Output } from '../../tablesafe/v1/TableBackedUp.js';
import type { TableBackupFailed as _tablesafe_v1_TableBackupFailed, TableBackupFailed__Output as _tablesafe_v1_TableBackupFailed__Output } from '../../tablesafe/v1/TableBackupFailed.js';
import type { RunFinished as _tablesafe_v1_RunFinished, RunFinished__Output as _tablesafe_v1_RunFinished__Output } from '../../tablesafe/v1/RunFinished.js';
import type { HealthChanged as _tablesafe_v1_HealthChanged, HealthChanged__Output as _tablesafe_v1_HealthChanged__Output } from '../../tablesafe/v1/HealthChanged.js';
import type { Heartbeat as _tablesafe_v1_Heartbeat, Heartbeat__Output as _tablesafe_v1_Heartbeat__Output } from '../../tablesafe/v1/Heartbeat.js';
import type { ResyncRequired as _tablesafe_v1_ResyncRequired, ResyncRequired__Output as _tablesafe_v1_ResyncRequired__Output } from '../../tablesafe/v1/ResyncRequired.js';
import type { RestoreStarted as _tablesafe_v1_RestoreStarted, RestoreStarted__Output as _tablesafe_v1_RestoreStarted__Output } from '../../tablesafe/v1/RestoreStarted.js';
import type { RestoreFinished as _tablesafe_v1_RestoreFinished, RestoreFinished__Output as _tablesafe_v1_RestoreFinished__Output } from '../../tablesafe/v1/RestoreFinished.js';
import type { TableDrilled as _tablesafe_v1_TableDrilled, TableDrilled__Output as _tablesafe_v1_TableDrilled__Output } from '../../tablesafe/v1/TableDrilled.js';
import type { TableCompacted as _tablesafe_v1_TableCompacted, TableCompacted__Output as _tablesafe_v1_TableCompacted__Output } from '../../tablesafe/v1/TableCompacted.js';
import type { OffsiteCopied as _tablesafe_v1_OffsiteCopied, OffsiteCopied__Output as _tablesafe_v1_OffsiteCopied__Output } from '../../tablesafe/v1/OffsiteCopied.js';
import type { OffsiteFailed as _tablesafe_v1_OffsiteFailed, OffsiteFailed__Output as _tablesafe_v1_OffsiteFailed__Output } from '../../tablesafe/v1/OffsiteFailed.js';
import type { Long } from '@grpc/proto-loader';

export interface Event {
  'sequence'?: (number | string | Long);
  'epoch'?: (string);
  'at'?: (_google_protobuf_Timestamp | null);
  'runStarted'?: (_tablesafe_v1_RunStarted | null);
  'tableBackedUp'?: (_tablesafe_v1_TableBackedUp | null);
  'tableBackupFailed'?: (_tablesafe_v1_TableBackupFailed | null);
  'runFinished'?: (_tablesafe_v1_RunFinished | null);
  'healthChanged'?: (_tablesafe_v1_HealthChanged | null);
  'heartbeat'?: (_tablesafe_v1_Heartbeat | null);
  'resyncRequired'?: (_tablesafe_v1_ResyncRequired | null);
  'restoreStarted'?: (_tablesafe_v1_RestoreStarted | null);
  'restoreFinished'?: (_tablesafe_v1_RestoreFinished | null);
  'tableDrilled'?: (_tablesafe_v1_TableDrilled | null);
  'tableCompacted'?: (_tablesafe_v1_TableCompacted | null);
  'offsiteCopied'?: (_tablesafe_v1_OffsiteCopied | null);
  'offsiteFailed'?: (_tablesafe_v1_OffsiteFailed | null);
  'payload'?: "runStarted"|"tableBackedUp"|"tableBackupFailed"|"runFinished"|"healthChanged"|"heartbeat"|"resyncRequired"|"restoreStarted"|"restoreFinished"|"tableDrilled"|"tableCompacted"|"offsiteCopied"|"offsiteFailed";
}

export interface Event__Output {
  'sequence': (string);
  'epoch': (string);
  'at': (_google_protobuf_Timestamp__Output | null);
  'runStarted'?: (_tablesafe_v1_RunStarted__Output | null);
  'tableBackedUp'?: (_tablesafe_v1_TableBackedUp__Output | null);
  'tableBackupFailed'?: (_tablesafe_v1_TableBackupFailed__Output | null);
  'runFinished'?: (_tablesafe_v1_RunFinished__Output | null);
  'healthChanged'?: (_tablesafe_v1_HealthChanged__Output | null);
  'heartbeat'?: (_tablesafe_v1_Heartbeat__Output | null);
  'resyncRequired'?: (_tablesafe_v1_ResyncRequired__Output | null);
  'restoreStarted'?: (_tablesafe_v1_RestoreStarted__Output | null);
  'restoreFinished'?: (_tablesafe_v1_RestoreFinished__Output | null);
  'tableDrilled'?: (_tablesafe_v1_TableDrilled__Output | null);
  'tableCompacted'?: (_tablesafe_v1_TableCompacted__Output | null);
  'offsiteCopied'?: (_tablesafe_v1_OffsiteCopied__Output | null);
  'offsiteFailed'?: (_tablesafe_v1_OffsiteFailed__Output | null);
  'payload'?: "runStarted"|"tableBackedUp"|"tableBackupFailed"|"runFinished"|"healthChanged"|"heartbeat"|"resyncRequired"|"restoreStarted"|"restoreFinished"|"tableDrilled"|"tableCompacted"|"offsiteCopied"|"offsiteFailed";
}
