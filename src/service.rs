//! The `StorageAdmin` gRPC service: authentication, then the engine.

use std::pin::Pin;

use tablesafe_engine::control::Handle;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::auth::{Access, Tokens};
use crate::convert::ToProto;
use crate::proto;
use crate::status::to_status;

/// Runs listed when a request asks for none.
const DEFAULT_RUN_LIMIT: u32 = 20;
/// Runs listed at most.
const MAX_RUN_LIMIT: u32 = 500;

/// The service: a handle to the engine and the tokens that guard it.
#[derive(Clone)]
pub struct StorageAdminService {
    engine: Handle,
    tokens: Tokens,
}

impl StorageAdminService {
    /// A service over `engine`.
    pub fn new(engine: Handle, tokens: Tokens) -> Self {
        Self { engine, tokens }
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<proto::Event, Status>> + Send>>;

#[tonic::async_trait]
impl proto::StorageAdmin for StorageAdminService {
    async fn trigger_backup(
        &self,
        request: Request<proto::TriggerBackupRequest>,
    ) -> Result<Response<proto::TriggerBackupResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Admin)?;
        let request = request.into_inner();
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
    ) -> Result<Response<proto::GetHealthResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Read)?;
        Err(Status::unimplemented("GetHealth is not available yet"))
    }

    type WatchEventsStream = EventStream;

    async fn watch_events(
        &self,
        request: Request<proto::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        self.tokens.check(request.metadata(), Access::Read)?;
        Err(Status::unimplemented("WatchEvents is not available yet"))
    }

    async fn list_backups(
        &self,
        request: Request<proto::ListBackupsRequest>,
    ) -> Result<Response<proto::ListBackupsResponse>, Status> {
        self.tokens.check(request.metadata(), Access::Read)?;
        let table = Some(request.into_inner().table).filter(|t| !t.is_empty());
        let backups = self.engine.list_backups(table).await.map_err(to_status)?;
        Ok(Response::new(proto::ListBackupsResponse {
            backups: backups.iter().map(ToProto::to_proto).collect(),
        }))
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
