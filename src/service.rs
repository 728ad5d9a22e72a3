//! The `StorageAdmin` gRPC service: authentication, then the engine.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tablesafe_engine::control::{CompactAsk, Handle, RestoreAsk};
use tablesafe_engine::events::{Event, EventBus};
use tablesafe_engine::monitor::HealthHandle;
use tablesafe_engine::offsite::{ManifestCache, OffsiteHandle, Remote};
use tablesafe_engine::restore::{Destination, Which, SAFETY_DIR};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// The longest reason a trigger may give (the ledger keeps it with the run).
pub const MAX_REASON_BYTES: usize = 1024;

use crate::auth::{Access, Tokens};
use crate::convert::{event_kind, ToProto};
use crate::proto;
use crate::status::to_status;
use crate::wire::{EncodedHealth, HealthQuery, HealthWire};

/// Runs listed when a request asks for none.
const DEFAULT_RUN_LIMIT: u32 = 20;
/// Runs listed at most.
const MAX_RUN_LIMIT: u32 = 500;

/// Events a slow watcher's stream buffers before it waits (and, if it
/// stays behind the ring, is told to resync).
const WATCHER_BUFFER: usize = 16;

/// What the service serves from.
#[derive(Clone)]
pub struct StorageAdminService {
    /// The engine.
    pub engine: Handle,
    /// The health snapshot.
    pub health: HealthHandle,
    /// The tokens that guard every call.
    pub tokens: Tokens,
    /// Ends open streams when the server stops.
    pub shutdown: CancellationToken,
    /// Time between heartbeats on an event stream.
    pub heartbeat_interval: Duration,
    /// The offsite destinations, for the remote copies ListBackups lists.
    pub offsite: OffsiteHandle,
    /// The remote copies' manifests ListBackups has read.
    pub remote_manifests: Arc<ManifestCache>,
    /// The latest snapshot in wire form, made once per snapshot.
    pub health_wire: HealthWire,
    /// The free share above which CompactTable compacts a file (health's
    /// `fragmentation_warn`: the same line FRAGMENTATION_HIGH draws).
    pub fragmentation_warn: f64,
}

/// What a watcher asked to see.
struct EventFilter {
    kinds: Vec<proto::EventKind>,
    tables: Vec<String>,
}

impl EventFilter {
    /// Heartbeats and resync notices always pass; run events pass any table filter.
    fn passes(&self, event: &Event) -> bool {
        let kind = event_kind(&event.payload);
        let always = matches!(
            kind,
            proto::EventKind::Heartbeat | proto::EventKind::ResyncRequired
        );
        let kind_ok = self.kinds.is_empty() || self.kinds.contains(&kind);
        let table_ok = self.tables.is_empty()
            || event
                .payload
                .table()
                .is_none_or(|t| self.tables.iter().any(|f| f == t));
        always || (kind_ok && table_ok)
    }
}

/// Streams `bus` to a watcher until it leaves or the server stops. The task
/// holds a cursor and a small buffer: a watcher that stops reading costs
/// nothing more and never slows anyone else.
pub fn stream_events(
    bus: &EventBus,
    request: proto::WatchEventsRequest,
    heartbeat: Duration,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<proto::Event, Status>> {
    let resume = (request.after_sequence != 0 || !request.epoch.is_empty())
        .then_some((request.after_sequence, request.epoch.as_str()));
    let mut subscription = bus.subscribe(resume);
    let filter = EventFilter {
        kinds: request.kinds().collect(),
        tables: request.tables,
    };
    let (tx, rx) = mpsc::channel(WATCHER_BUFFER);
    tokio::spawn(async move {
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
        loop {
            let event = tokio::select! {
                () = shutdown.cancelled() => break,
                () = tx.closed() => break,
                _ = beat.tick() => subscription.heartbeat(),
                event = subscription.next() => event,
            };
            if !filter.passes(&event) {
                continue;
            }
            tokio::select! {
                sent = tx.send(Ok(event.to_proto())) => if sent.is_err() { break },
                () = shutdown.cancelled() => break,
            }
        }
    });
    ReceiverStream::new(rx)
}

type EventStream = Pin<Box<dyn Stream<Item = Result<proto::Event, Status>> + Send>>;

impl StorageAdminService {
    /// This host's copies of `table` (or of every table) at every offsite
    /// destination, newest first in each, from their manifests (each read
    /// from the store once per version).
    async fn remote_copies(&self, table: Option<&str>) -> Result<Vec<proto::BackupFile>, Status> {
        let mut files = Vec::new();
        for destination in self.offsite.destinations() {
            let name = destination.config.name.clone();
            let host = destination.config.host.clone();
            let remote = Remote::new(destination.clone());
            let copies = remote
                .copies_with_manifests(&host, table, &self.remote_manifests)
                .await
                .map_err(|e| Status::unavailable(format!("offsite destination {name}: {e}")))?;
            for manifest in copies {
                let local = &manifest.local;
                files.push(proto::BackupFile {
                    file_name: local.file_name.clone(),
                    table: local.table.clone(),
                    captured_at: Some(local.captured_at.to_proto()),
                    bytes: local.bytes,
                    records: local.records,
                    consistency: local.consistency.to_proto().into(),
                    verified: local.verified,
                    sha256: local.sha256.clone(),
                    keys: local.keys,
                    digest: local.digest.map(|d| d.to_proto()),
                    corrupt_reason: String::new(),
                    destination: name.clone(),
                    object: manifest.object.clone(),
                    uploaded_at: Some(manifest.uploaded_at.to_proto()),
                });
            }
        }
        Ok(files)
    }
}

#[tonic::async_trait]
impl proto::StorageAdmin for StorageAdminService {
    async fn trigger_backup(
        &self,
        request: Request<proto::TriggerBackupRequest>,
    ) -> Result<Response<proto::TriggerBackupResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Admin)?;
        let request = request.into_inner();
        // The reason is kept in the ledger for every run: bounded.
        if request.reason.len() > MAX_REASON_BYTES {
            return Err(Status::invalid_argument(format!(
                "reason is {} bytes; at most {MAX_REASON_BYTES}",
                request.reason.len()
            )));
        }
        let reply = self
            .engine
            .trigger(request.tables, request.reason)
            .await
            .map_err(to_status)?;
        Ok(Response::new(proto::TriggerBackupResponse {
            run: Some(reply.run.to_proto()),
            joined_existing_run: reply.joined_existing_run,
        }))
    }

    async fn get_health(
        &self,
        request: Request<proto::GetHealthRequest>,
    ) -> Result<Response<EncodedHealth>, Status> {
        self.tokens.check(request.metadata(), Access::Read)?;
        let request = request.into_inner();
        let query = HealthQuery::of(&request);
        let report = if request.refresh {
            self.health.refresh().await
        } else {
            self.health.latest()
        };
        let answer = self
            .health_wire
            .forms(report)
            .answer(&query)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        Ok(Response::new(answer.protobuf))
    }

    type WatchEventsStream = EventStream;

    async fn watch_events(
        &self,
        request: Request<proto::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        self.tokens.check(request.metadata(), Access::Read)?;
        let stream = stream_events(
            self.engine.events(),
            request.into_inner(),
            self.heartbeat_interval,
            self.shutdown.clone(),
        );
        Ok(Response::new(Box::pin(stream)))
    }

    async fn list_backups(
        &self,
        request: Request<proto::ListBackupsRequest>,
    ) -> Result<Response<proto::ListBackupsResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Read)?;
        let request = request.into_inner();
        let table = Some(request.table).filter(|t| !t.is_empty());
        if request.safety_copies {
            let copies = self
                .engine
                .list_safety_copies(table)
                .await
                .map_err(to_status)?;
            return Ok(Response::new(proto::ListBackupsResponse {
                backups: copies
                    .iter()
                    .map(|c| {
                        let mut file = c.to_proto();
                        file.file_name = format!("{SAFETY_DIR}/{}", file.file_name);
                        file
                    })
                    .collect(),
            }));
        }
        let backups = self
            .engine
            .list_backups(table.clone())
            .await
            .map_err(to_status)?;
        let mut backups: Vec<proto::BackupFile> = backups.iter().map(ToProto::to_proto).collect();
        if request.offsite {
            backups.extend(self.remote_copies(table.as_deref()).await?);
        }
        Ok(Response::new(proto::ListBackupsResponse { backups }))
    }

    async fn restore_backup(
        &self,
        request: Request<proto::RestoreBackupRequest>,
    ) -> Result<Response<proto::RestoreBackupResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Admin)?;
        let ask = restore_ask(request.into_inner())?;
        let reply = self.engine.restore(ask).await.map_err(to_status)?;
        // Health follows at once: the table's file may have changed.
        self.health.refresh().await;
        Ok(Response::new(proto::RestoreBackupResponse {
            plan: Some(reply.plan.to_proto()),
            restored: reply.run_id.is_some(),
            run_id: reply.run_id.unwrap_or_default(),
            duration: Some(reply.duration.to_proto()),
        }))
    }

    async fn run_drill(
        &self,
        request: Request<proto::RunDrillRequest>,
    ) -> Result<Response<proto::RunDrillResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Admin)?;
        let reply = self
            .engine
            .drill(request.into_inner().tables)
            .await
            .map_err(to_status)?;
        // Health follows at once: the drills are part of every table's health.
        self.health.refresh().await;
        Ok(Response::new(proto::RunDrillResponse {
            run_id: reply.run_id,
            tables: reply
                .tables
                .iter()
                .map(|d| crate::convert::drill_to_proto(&d.table, &d.facts, d.plan.as_ref()))
                .collect(),
        }))
    }

    async fn compact_table(
        &self,
        request: Request<proto::CompactTableRequest>,
    ) -> Result<Response<proto::CompactTableResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Admin)?;
        let request = request.into_inner();
        if request.table.is_empty() {
            return Err(Status::invalid_argument("say which table to compact"));
        }
        let reply = self
            .engine
            .compact(CompactAsk {
                table: request.table,
                force: request.force,
                threshold: self.fragmentation_warn,
                dry_run: request.dry_run,
            })
            .await
            .map_err(to_status)?;
        // Health follows at once: the table's file changed.
        self.health.refresh().await;
        let plan = &reply.plan;
        Ok(Response::new(proto::CompactTableResponse {
            plan: Some(proto::CompactionPlan {
                table: plan.table.clone(),
                path: plan.path.display().to_string(),
                file_size: plan.file_size,
                free_bytes: plan.free_bytes,
                fragmentation_ratio: plan.fragmentation_ratio,
                threshold: plan.threshold,
                forced: plan.forced,
                expected_size: plan.expected_size,
                objects: plan.digest.objects,
                backup: plan.backup.clone(),
            }),
            compacted: reply.done.is_some(),
            run_id: reply.run_id.unwrap_or_default(),
            file_size: reply.done.as_ref().map_or(0, |d| d.file_size),
            reclaimed_bytes: reply.done.as_ref().map_or(0, |d| d.reclaimed),
            safety_copy: reply
                .done
                .as_ref()
                .map(|d| d.safety_copy.clone())
                .unwrap_or_default(),
            duration: Some(reply.duration.to_proto()),
        }))
    }

    async fn remove_safety_copy(
        &self,
        request: Request<proto::RemoveSafetyCopyRequest>,
    ) -> Result<Response<proto::RemoveSafetyCopyResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Admin)?;
        self.engine
            .remove_safety_copy(request.into_inner().file)
            .await
            .map_err(to_status)?;
        Ok(Response::new(proto::RemoveSafetyCopyResponse {}))
    }

    async fn scrub_backups(
        &self,
        request: Request<proto::ScrubBackupsRequest>,
    ) -> Result<Response<proto::ScrubBackupsResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Admin)?;
        let report = self.engine.scrub().await.map_err(to_status)?;
        // Health follows at once: a corrupt copy is no backup.
        self.health.refresh().await;
        Ok(Response::new(report.to_proto()))
    }

    async fn list_runs(
        &self,
        request: Request<proto::ListRunsRequest>,
    ) -> Result<Response<proto::ListRunsResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Read)?;
        let limit = match request.into_inner().limit {
            0 => DEFAULT_RUN_LIMIT,
            n => n.min(MAX_RUN_LIMIT),
        };
        let runs = self
            .engine
            .list_runs(limit as usize)
            .await
            .map_err(to_status)?;
        Ok(Response::new(proto::ListRunsResponse {
            runs: runs.iter().map(ToProto::to_proto).collect(),
        }))
    }
}

/// A restore request as the engine takes it; a request that does not say
/// exactly where, or says which copy two ways, is INVALID_ARGUMENT.
fn restore_ask(request: proto::RestoreBackupRequest) -> Result<RestoreAsk, Status> {
    let which = match (request.backup.is_empty(), request.as_of) {
        (false, Some(_)) => return Err(Status::invalid_argument("give backup or as_of, not both")),
        (false, None) => Which::File(request.backup),
        (true, Some(at)) => {
            let at = chrono::DateTime::from_timestamp(at.seconds, at.nanos.max(0) as u32)
                .ok_or_else(|| Status::invalid_argument("as_of is out of range"))?;
            Which::AsOf(at)
        }
        (true, None) => Which::Newest,
    };
    let to = match (request.to_path.is_empty(), request.in_place) {
        (false, false) => Destination::Path {
            path: request.to_path.into(),
            force: request.force,
        },
        (true, true) => Destination::InPlace,
        (false, true) => {
            return Err(Status::invalid_argument(
                "give to_path or in_place, not both",
            ))
        }
        (true, false) => {
            return Err(Status::invalid_argument(
                "say where to restore: to_path, or in_place for the table's own file",
            ))
        }
    };
    if let Destination::Path { path, .. } = &to {
        if !path.is_absolute() {
            return Err(Status::invalid_argument(
                "to_path must be absolute: it is a path on the server's host",
            ));
        }
    }
    Ok(RestoreAsk {
        table: request.table,
        which,
        to,
        allow_dirty: request.allow_dirty,
        dry_run: request.dry_run,
    })
}
