//! `grpc.health.v1`: SERVING for `""` and `tablesafe.v1.StorageAdmin` while the
//! engine runs, NOT_SERVING once shutdown begins. Watch streams send that last
//! change and then end, so they never hold shutdown.

use std::pin::Pin;

use tokio::sync::watch;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// Services this server reports on.
const SERVICES: &[&str] = &["", "tablesafe.v1.StorageAdmin"];

/// Sets the reported status.
pub struct HealthSwitch {
    status: watch::Sender<ServingStatus>,
}

impl HealthSwitch {
    /// Reports NOT_SERVING from now on.
    pub fn not_serving(&self) {
        self.status.send_replace(ServingStatus::NotServing);
    }
}

/// The service; reports SERVING until the switch says otherwise.
#[derive(Clone)]
pub struct HealthService {
    status: watch::Receiver<ServingStatus>,
    shutdown: CancellationToken,
}

/// A health service and its switch; streams end when `shutdown` fires.
pub fn health_service(shutdown: CancellationToken) -> (HealthSwitch, HealthServer<HealthService>) {
    let (tx, rx) = watch::channel(ServingStatus::Serving);
    (
        HealthSwitch { status: tx },
        HealthServer::new(HealthService {
            status: rx,
            shutdown,
        }),
    )
}

fn known(service: &str) -> Result<(), Status> {
    if SERVICES.contains(&service) {
        Ok(())
    } else {
        Err(Status::not_found(format!("unknown service {service:?}")))
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        known(&request.get_ref().service)?;
        let status = *self.status.borrow();
        Ok(Response::new(HealthCheckResponse {
            status: status.into(),
        }))
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        known(&request.get_ref().service)?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut status = self.status.clone();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                let current = *status.borrow_and_update();
                if tx
                    .send(Ok(HealthCheckResponse {
                        status: current.into(),
                    }))
                    .await
                    .is_err()
                {
                    return;
                }
                tokio::select! {
                    changed = status.changed() => if changed.is_err() { return },
                    () = shutdown.cancelled() => {
                        if *status.borrow() != current {
                            let last = HealthCheckResponse { status: (*status.borrow()).into() };
                            let _ = tx.send(Ok(last)).await;
                        }
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}
