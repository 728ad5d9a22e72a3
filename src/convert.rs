//! Engine types to wire types, in one place.

use chrono::{DateTime, Utc};
use tablesafe_client::wkt::{Duration, Timestamp};
use tablesafe_engine::catalog::Role;
use tablesafe_engine::drill::{DrillFacts, DrillLevel};
use tablesafe_engine::events::{Event, EventPayload};
use tablesafe_engine::health::{
    ComponentHealth, HealthReport, Issue, IssueCode, Status, TableHealth,
};
use tablesafe_engine::model::{
    Consistency, RunOutcome, RunRecord, TableOutcome, TableResult, Trigger,
};
use tablesafe_engine::restore::Plan;
use tablesafe_engine::scrub::{ScrubOutcome, ScrubReport};
use tablesafe_engine::store::{BackupEntry, ContentDigest};

use crate::proto;

/// Conversion of an engine value into its protobuf message or enum.
pub trait ToProto {
    /// The wire type.
    type Output;
    /// Converts.
    fn to_proto(&self) -> Self::Output;
}

impl ToProto for DateTime<Utc> {
    type Output = Timestamp;
    fn to_proto(&self) -> Self::Output {
        (*self).into()
    }
}

impl ToProto for std::time::Duration {
    type Output = Duration;
    fn to_proto(&self) -> Self::Output {
        (*self).into()
    }
}

/// An age in a health snapshot, to the whole second: the snapshot itself is
/// seconds old by the time most callers read it, so finer digits would only
/// be noise (and bytes, a thousand tables over).
fn age(d: &std::time::Duration) -> Duration {
    std::time::Duration::from_secs(d.as_secs()).into()
}

impl ToProto for Trigger {
    type Output = proto::Trigger;
    fn to_proto(&self) -> Self::Output {
        match self {
            Trigger::Scheduled => proto::Trigger::Scheduled,
            Trigger::Manual => proto::Trigger::Manual,
            Trigger::CatchUp => proto::Trigger::CatchUp,
            Trigger::Restore => proto::Trigger::Restore,
            Trigger::Drill => proto::Trigger::Drill,
            Trigger::Compact => proto::Trigger::Compact,
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
        let error = self.outcome.error();
        let mut wire = proto::TableBackupResult {
            table: self.table.clone(),
            outcome: self.kind().to_proto().into(),
            duration: Some(self.duration.to_proto()),
            error_code: error
                .as_ref()
                .map(|e| e.code.as_str().to_owned())
                .unwrap_or_default(),
            error_message: error.map(|e| e.message).unwrap_or_default(),
            attempts: self.attempts,
            ..Default::default()
        };
        if let Some(copy) = self.committed() {
            wire.file_name = copy.file_name.clone();
            wire.bytes = copy.bytes;
            wire.records = copy.records;
            wire.keys = copy.keys;
            wire.consistency = copy.consistency.to_proto().into();
            wire.sha256 = copy.sha256.clone();
            wire.pruned = copy.pruned.clone();
            wire.digest = copy.digest.map(|d| d.to_proto());
        }
        wire
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
            joined_reasons: self.joined.clone(),
            errors: self.errors.clone(),
            succeeded: self.counts.succeeded,
            failed: self.counts.failed,
            skipped: self.counts.skipped,
            results_omitted: self.results_omitted,
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
            captured_at: Some(self.captured_at().to_proto()),
            bytes: self.bytes,
            records: m.map_or(0, |m| m.records),
            keys: m.map_or(0, |m| m.keys),
            consistency: m.map_or(0, |m| m.consistency.to_proto().into()),
            verified: self.verified(),
            sha256: m.map(|m| m.sha256.clone()).unwrap_or_default(),
            digest: m.and_then(|m| m.digest).map(|d| d.to_proto()),
            corrupt_reason: self.corrupt().map(|c| c.reason.clone()).unwrap_or_default(),
            ..Default::default()
        }
    }
}

impl ToProto for ContentDigest {
    type Output = proto::ContentDigest;

    fn to_proto(&self) -> proto::ContentDigest {
        proto::ContentDigest {
            objects: self.objects,
            phash2_sum: self.sum,
        }
    }
}

impl ToProto for ScrubReport {
    type Output = proto::ScrubBackupsResponse;

    fn to_proto(&self) -> proto::ScrubBackupsResponse {
        proto::ScrubBackupsResponse {
            started_at: Some(self.started_at.to_proto()),
            finished_at: Some(self.finished_at.to_proto()),
            backups: self
                .results
                .iter()
                .map(|r| {
                    let (outcome, message) = match &r.outcome {
                        ScrubOutcome::Intact => (proto::ScrubOutcome::Intact, String::new()),
                        ScrubOutcome::Corrupt(why) => (proto::ScrubOutcome::Corrupt, why.clone()),
                        ScrubOutcome::AlreadyCorrupt(why) => {
                            (proto::ScrubOutcome::AlreadyCorrupt, why.clone())
                        }
                        ScrubOutcome::Unreadable(why) => {
                            (proto::ScrubOutcome::Unreadable, why.clone())
                        }
                    };
                    proto::ScrubbedBackup {
                        table: r.table.clone(),
                        file_name: r.file_name.clone(),
                        outcome: outcome.into(),
                        message,
                    }
                })
                .collect(),
        }
    }
}

impl ToProto for Status {
    type Output = proto::HealthStatus;
    fn to_proto(&self) -> Self::Output {
        match self {
            Status::Healthy => proto::HealthStatus::Healthy,
            Status::Warning => proto::HealthStatus::Warning,
            Status::Critical => proto::HealthStatus::Critical,
        }
    }
}

impl ToProto for Role {
    type Output = proto::TableRole;
    fn to_proto(&self) -> Self::Output {
        match self {
            Role::Critical => proto::TableRole::Critical,
            Role::Listed => proto::TableRole::Listed,
            Role::Discovered => proto::TableRole::Discovered,
            Role::Orphaned => proto::TableRole::Orphaned,
        }
    }
}

impl ToProto for IssueCode {
    type Output = proto::IssueCode;
    fn to_proto(&self) -> Self::Output {
        match self {
            IssueCode::BackupStale => proto::IssueCode::BackupStale,
            IssueCode::NeverBackedUp => proto::IssueCode::NeverBackedUp,
            IssueCode::FragmentationHigh => proto::IssueCode::FragmentationHigh,
            IssueCode::LastBackupFailed => proto::IssueCode::LastBackupFailed,
            IssueCode::LastBackupDirty => proto::IssueCode::LastBackupDirty,
            IssueCode::TableMissing => proto::IssueCode::TableMissing,
            IssueCode::TableUnreadable => proto::IssueCode::TableUnreadable,
            IssueCode::BackupDiskLow => proto::IssueCode::BackupDiskLow,
            IssueCode::ErlangNodeUnreachable => proto::IssueCode::ErlangNodeUnreachable,
            IssueCode::SchedulerStopped => proto::IssueCode::SchedulerStopped,
            IssueCode::BackupCorrupt => proto::IssueCode::BackupCorrupt,
            IssueCode::DataDirUnreadable => proto::IssueCode::DataDirUnreadable,
            IssueCode::ClockSkew => proto::IssueCode::ClockSkew,
            IssueCode::RestoreDrillFailed => proto::IssueCode::RestoreDrillFailed,
            IssueCode::DrillStale => proto::IssueCode::DrillStale,
            IssueCode::NeverDrilled => proto::IssueCode::NeverDrilled,
            IssueCode::SizeLimitNear => proto::IssueCode::SizeLimitNear,
            IssueCode::OffsiteLagging => proto::IssueCode::OffsiteLagging,
            IssueCode::OffsiteFailed => proto::IssueCode::OffsiteFailed,
        }
    }
}

impl ToProto for Issue {
    type Output = proto::HealthIssue;
    fn to_proto(&self) -> Self::Output {
        proto::HealthIssue {
            code: self.code.to_proto().into(),
            severity: self.severity.to_proto().into(),
            table: self.table.clone().unwrap_or_default(),
            message: self.message.clone(),
        }
    }
}

impl ToProto for TableHealth {
    type Output = proto::TableHealth;
    fn to_proto(&self) -> Self::Output {
        let f = self.figures.as_ref();
        proto::TableHealth {
            name: self.name.clone(),
            path: self.path.clone(),
            role: self.role.to_proto().into(),
            status: self.status.to_proto().into(),
            issues: self.issues.iter().map(ToProto::to_proto).collect(),
            r#type: f.map(|f| f.table_type.clone()).unwrap_or_default(),
            records: f.map_or(0, |f| f.records),
            keys: f.map_or(0, |f| f.keys),
            file_size_bytes: f.map_or(self.file_size.unwrap_or(0), |f| f.file_size),
            free_bytes: f.map_or(0, |f| f.free_bytes),
            fragmentation_ratio: f.map_or(0.0, |f| f.fragmentation_ratio),
            closed_properly: f.is_some_and(|f| f.closed_properly),
            last_backup_at: self.last_backup_at.map(|t| t.to_proto()),
            since_last_backup: self.since_last_backup.as_ref().map(age),
            last_backup_consistency: self
                .last_backup_consistency
                .map_or(0, |c| c.to_proto().into()),
            last_attempt_outcome: self.last_attempt_outcome.map_or(0, |o| o.to_proto().into()),
            backups_retained: self.backups_retained,
            last_drill_at: self.last_drill.as_ref().map(|d| d.at.to_proto()),
            last_drill_passed: self.last_drill.as_ref().is_some_and(|d| d.passed),
            last_drill_level: self
                .last_drill
                .as_ref()
                .map_or(0, |d| d.level.to_proto().into()),
            offsite: self
                .offsite
                .iter()
                .map(|o| proto::OffsiteStatus {
                    destination: o.destination.clone(),
                    last_copy_at: o.last_copy_at.map(|t| t.to_proto()),
                    since_last_copy: o.since_last_copy.as_ref().map(age),
                    copies: o.copies,
                    pending: o.pending,
                    last_error: o.last_error.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

impl ToProto for ComponentHealth {
    type Output = proto::ComponentHealth;
    fn to_proto(&self) -> Self::Output {
        proto::ComponentHealth {
            name: self.name.to_owned(),
            status: self.status.to_proto().into(),
            issues: self.issues.iter().map(ToProto::to_proto).collect(),
            detail: self.detail.clone(),
        }
    }
}

impl ToProto for HealthReport {
    type Output = proto::GetHealthResponse;
    fn to_proto(&self) -> Self::Output {
        proto::GetHealthResponse {
            status: self.status.to_proto().into(),
            computed_at: Some(self.computed_at.to_proto()),
            components: self.components.iter().map(ToProto::to_proto).collect(),
            tables: self.tables.iter().map(ToProto::to_proto).collect(),
            total_tables: self.tables.len() as u32,
            // The wire layer names the snapshot and cuts views and pages.
            ..Default::default()
        }
    }
}

impl ToProto for Event {
    type Output = proto::Event;
    fn to_proto(&self) -> Self::Output {
        use proto::event::Payload;
        let payload = match &self.payload {
            EventPayload::RunStarted {
                run_id,
                trigger,
                tables,
                reason,
            } => Payload::RunStarted(proto::RunStarted {
                run_id: run_id.clone(),
                trigger: trigger.to_proto().into(),
                tables: tables.clone(),
                reason: reason.clone(),
            }),
            EventPayload::TableBackedUp {
                run_id,
                table,
                file_name,
                bytes,
                records,
                consistency,
                duration,
                captured_at,
            } => Payload::TableBackedUp(proto::TableBackedUp {
                run_id: run_id.clone(),
                table: table.clone(),
                file_name: file_name.clone(),
                bytes: *bytes,
                records: *records,
                consistency: consistency.to_proto().into(),
                duration: Some(duration.to_proto()),
                captured_at: Some(captured_at.to_proto()),
            }),
            EventPayload::TableBackupFailed {
                run_id,
                table,
                code,
                message,
            } => Payload::TableBackupFailed(proto::TableBackupFailed {
                run_id: run_id.clone(),
                table: table.clone(),
                code: code.as_str().to_owned(),
                message: message.clone(),
            }),
            EventPayload::RunFinished {
                run_id,
                outcome,
                succeeded,
                failed,
                skipped,
                duration,
            } => Payload::RunFinished(proto::RunFinished {
                run_id: run_id.clone(),
                outcome: outcome.to_proto().into(),
                succeeded: *succeeded,
                failed: *failed,
                skipped: *skipped,
                duration: Some(duration.to_proto()),
            }),
            EventPayload::RestoreStarted {
                run_id,
                table,
                backup,
                target,
            } => Payload::RestoreStarted(proto::RestoreStarted {
                run_id: run_id.clone(),
                table: table.clone(),
                backup: backup.clone(),
                target: target.clone(),
            }),
            EventPayload::RestoreFinished {
                run_id,
                table,
                backup,
                target,
                error,
                safety_copy,
            } => Payload::RestoreFinished(proto::RestoreFinished {
                run_id: run_id.clone(),
                table: table.clone(),
                backup: backup.clone(),
                target: target.clone(),
                error_code: error_code(error),
                error_message: error_message(error),
                safety_copy: safety_copy.clone().unwrap_or_default(),
            }),
            EventPayload::TableCompacted {
                run_id,
                table,
                bytes_before,
                bytes_after,
                error,
                safety_copy,
            } => Payload::TableCompacted(proto::TableCompacted {
                run_id: run_id.clone(),
                table: table.clone(),
                bytes_before: *bytes_before,
                bytes_after: *bytes_after,
                error_code: error_code(error),
                error_message: error_message(error),
                safety_copy: safety_copy.clone().unwrap_or_default(),
            }),
            EventPayload::OffsiteCopied {
                destination,
                table,
                file_name,
                bytes,
                duration,
                captured_at,
            } => Payload::OffsiteCopied(proto::OffsiteCopied {
                destination: destination.clone(),
                table: table.clone(),
                file_name: file_name.clone(),
                bytes: *bytes,
                duration: Some(duration.to_proto()),
                captured_at: Some(captured_at.to_proto()),
            }),
            EventPayload::OffsiteFailed {
                destination,
                table,
                file_name,
                message,
            } => Payload::OffsiteFailed(proto::OffsiteFailed {
                destination: destination.clone(),
                table: table.clone(),
                file_name: file_name.clone(),
                message: message.clone(),
            }),
            EventPayload::TableDrilled {
                run_id,
                table,
                facts,
            } => Payload::TableDrilled(proto::TableDrilled {
                run_id: run_id.clone(),
                drill: Some(drill_to_proto(table, facts, None)),
            }),
            EventPayload::HealthChanged { table, old, new } => {
                Payload::HealthChanged(proto::HealthChanged {
                    table: table.clone().unwrap_or_default(),
                    old_status: old.to_proto().into(),
                    new_status: new.to_proto().into(),
                })
            }
            EventPayload::Heartbeat { latest_sequence } => Payload::Heartbeat(proto::Heartbeat {
                latest_sequence: *latest_sequence,
            }),
            EventPayload::ResyncRequired {
                oldest_sequence,
                resume_after,
                reason,
            } => Payload::ResyncRequired(proto::ResyncRequired {
                oldest_sequence: *oldest_sequence,
                epoch: self.epoch.to_string(),
                reason: reason.clone(),
                resume_after: *resume_after,
            }),
        };
        proto::Event {
            sequence: self.sequence,
            epoch: self.epoch.to_string(),
            at: Some(self.at.to_proto()),
            payload: Some(payload),
        }
    }
}

/// The kind of an event, as watchers filter on it.
pub fn event_kind(payload: &EventPayload) -> proto::EventKind {
    match payload {
        EventPayload::RunStarted { .. } => proto::EventKind::RunStarted,
        EventPayload::TableBackedUp { .. } => proto::EventKind::TableBackedUp,
        EventPayload::TableBackupFailed { .. } => proto::EventKind::TableBackupFailed,
        EventPayload::RunFinished { .. } => proto::EventKind::RunFinished,
        EventPayload::HealthChanged { .. } => proto::EventKind::HealthChanged,
        EventPayload::RestoreStarted { .. } => proto::EventKind::RestoreStarted,
        EventPayload::TableDrilled { .. } => proto::EventKind::TableDrilled,
        EventPayload::TableCompacted { .. } => proto::EventKind::TableCompacted,
        EventPayload::OffsiteCopied { .. } => proto::EventKind::OffsiteCopied,
        EventPayload::OffsiteFailed { .. } => proto::EventKind::OffsiteFailed,
        EventPayload::RestoreFinished { .. } => proto::EventKind::RestoreFinished,
        EventPayload::Heartbeat { .. } => proto::EventKind::Heartbeat,
        EventPayload::ResyncRequired { .. } => proto::EventKind::ResyncRequired,
    }
}

impl ToProto for Plan {
    type Output = proto::RestorePlan;
    fn to_proto(&self) -> Self::Output {
        proto::RestorePlan {
            table: self.table.clone(),
            backup: self.backup.clone(),
            captured_at: Some(self.captured_at.to_proto()),
            age: (chrono::Utc::now() - self.captured_at)
                .to_std()
                .ok()
                .map(|age| age.to_proto()),
            consistency: self.consistency.to_proto().into(),
            records: self.records,
            digest: self.digest.map(|d| d.to_proto()),
            sha256: self.sha256.clone(),
            bytes: self.bytes,
            target: self.target.display().to_string(),
            overwrites: self.overwrites.is_some(),
            overwritten_bytes: self.overwrites.unwrap_or(0),
            safety_copy: self.safety_copy.clone().unwrap_or_default(),
            warnings: self.warnings.clone(),
        }
    }
}

impl ToProto for DrillLevel {
    type Output = proto::DrillLevel;
    fn to_proto(&self) -> Self::Output {
        match self {
            DrillLevel::Reader => proto::DrillLevel::Reader,
            DrillLevel::Erlang => proto::DrillLevel::Erlang,
        }
    }
}

/// One table's drill on the wire (with the copy's figures when it restored).
pub fn drill_to_proto(table: &str, facts: &DrillFacts, plan: Option<&Plan>) -> proto::TableDrill {
    proto::TableDrill {
        table: table.to_owned(),
        passed: facts.passed,
        level: facts.level.to_proto().into(),
        backup: facts.backup.clone(),
        records: plan.map_or(0, |p| p.records),
        digest: plan.and_then(|p| p.digest).map(|d| d.to_proto()),
        at: Some(facts.at.to_proto()),
        error_code: facts
            .error
            .as_ref()
            .map(|e| e.code.as_str().to_owned())
            .unwrap_or_default(),
        error_message: facts
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default(),
    }
}

/// A table error's code as events carry it; empty when there is none.
fn error_code(error: &Option<tablesafe_engine::model::TableError>) -> String {
    error
        .as_ref()
        .map(|e| e.code.as_str().to_owned())
        .unwrap_or_default()
}

/// A table error's message as events carry it; empty when there is none.
fn error_message(error: &Option<tablesafe_engine::model::TableError>) -> String {
    error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_default()
}
