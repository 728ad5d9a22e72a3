//! Engine types to wire types, in one place.

use chrono::{DateTime, Utc};
use tablesafe_engine::model::{
    Consistency, RunOutcome, RunRecord, TableOutcome, TableResult, Trigger,
};
use tablesafe_engine::store::BackupEntry;

use crate::proto;

/// Conversion of an engine value into its protobuf message or enum.
pub trait ToProto {
    /// The wire type.
    type Output;
    /// Converts.
    fn to_proto(&self) -> Self::Output;
}

impl ToProto for DateTime<Utc> {
    type Output = pbjson_types::Timestamp;
    fn to_proto(&self) -> Self::Output {
        (*self).into()
    }
}

impl ToProto for std::time::Duration {
    type Output = pbjson_types::Duration;
    fn to_proto(&self) -> Self::Output {
        pbjson_types::Duration {
            seconds: self.as_secs() as i64,
            nanos: self.subsec_nanos() as i32,
        }
    }
}

impl ToProto for Trigger {
    type Output = proto::Trigger;
    fn to_proto(&self) -> Self::Output {
        match self {
            Trigger::Scheduled => proto::Trigger::Scheduled,
            Trigger::Manual => proto::Trigger::Manual,
            Trigger::CatchUp => proto::Trigger::CatchUp,
        }
    }
}

impl ToProto for RunOutcome {
    type Output = proto::RunOutcome;
    fn to_proto(&self) -> Self::Output {
        match self {
            RunOutcome::Succeeded => proto::RunOutcome::Succeeded,
            RunOutcome::Partial => proto::RunOutcome::Partial,
            RunOutcome::Failed => proto::RunOutcome::Failed,
            RunOutcome::Interrupted => proto::RunOutcome::Interrupted,
            RunOutcome::Running => proto::RunOutcome::Running,
        }
    }
}

impl ToProto for Consistency {
    type Output = proto::Consistency;
    fn to_proto(&self) -> Self::Output {
        match self {
            Consistency::Clean => proto::Consistency::Clean,
            Consistency::Dirty => proto::Consistency::Dirty,
        }
    }
}

impl ToProto for TableOutcome {
    type Output = proto::TableOutcome;
    fn to_proto(&self) -> Self::Output {
        match self {
            TableOutcome::Succeeded => proto::TableOutcome::Succeeded,
            TableOutcome::Failed => proto::TableOutcome::Failed,
            TableOutcome::Skipped => proto::TableOutcome::Skipped,
        }
    }
}

impl ToProto for TableResult {
    type Output = proto::TableBackupResult;
    fn to_proto(&self) -> Self::Output {
        proto::TableBackupResult {
            table: self.table.clone(),
            outcome: self.outcome.to_proto().into(),
            file_name: self.file_name.clone().unwrap_or_default(),
            bytes: self.bytes,
            records: self.records,
            keys: self.keys,
            consistency: self.consistency.map_or(0, |c| c.to_proto().into()),
            sha256: self.sha256.clone().unwrap_or_default(),
            duration: Some(self.duration.to_proto()),
            error_code: self
                .error
                .as_ref()
                .map(|e| e.code.as_str().to_owned())
                .unwrap_or_default(),
            error_message: self
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default(),
            pruned: self.pruned.clone(),
            attempts: self.attempts,
        }
    }
}

impl ToProto for RunRecord {
    type Output = proto::BackupRun;
    fn to_proto(&self) -> Self::Output {
        proto::BackupRun {
            run_id: self.run_id.clone(),
            trigger: self.trigger.to_proto().into(),
            started_at: Some(self.started_at.to_proto()),
            finished_at: self.finished_at.map(|t| t.to_proto()),
            outcome: self.outcome.to_proto().into(),
            tables: self.results.iter().map(ToProto::to_proto).collect(),
            reason: self.reason.clone(),
        }
    }
}

impl ToProto for BackupEntry {
    type Output = proto::BackupFile;
    fn to_proto(&self) -> Self::Output {
        let m = self.manifest.as_ref();
        proto::BackupFile {
            file_name: self.name.file_name(),
            table: self.name.table.clone(),
            captured_at: Some(self.name.at.to_proto()),
            bytes: self.bytes,
            records: m.map_or(0, |m| m.records),
            keys: m.map_or(0, |m| m.keys),
            consistency: m.map_or(0, |m| m.consistency.to_proto().into()),
            verified: m.is_some_and(|m| m.verified && m.bytes == self.bytes),
            sha256: m.map(|m| m.sha256.clone()).unwrap_or_default(),
        }
    }
}
