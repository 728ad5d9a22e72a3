//! `run(config, listener, shutdown)`: the whole server on one port.
//!
//! gRPC (StorageAdmin, grpc.health.v1, reflection v1 and v1alpha) and plain
//! HTTP share the listener through tonic's `Routes` with HTTP/1 accepted.

use std::future::Future;

use tablesafe_engine::control;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::Server;

use crate::config::Config;
use crate::proto::{StorageAdminServer, FILE_DESCRIPTOR_SET};
use crate::service::StorageAdminService;

fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
}

/// Serves until `shutdown` completes, then drains within the grace period.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let stop = CancellationToken::new();
    let (engine, engine_task) = control::start(config.engine.clone(), None, stop.child_token())?;

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<StorageAdminServer<StorageAdminService>>()
        .await;
    // grpcurl 1.8.6 speaks only v1alpha; newer clients use v1. Both list
    // every service on the port.
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let service = StorageAdminService::new(engine, config.tokens.clone());

    let routes = Routes::new(StorageAdminServer::new(service))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);

    let addr = listener.local_addr()?;
    tracing::info!(%addr, backup_dir = %config.engine.backup_dir.display(), "tablesafe listening");

    let stopping = stop.clone();
    let grace = config.shutdown_grace;
    let signal = async move {
        shutdown.await;
        tracing::info!(grace_secs = grace.as_secs_f64(), "shutting down");
        health
            .set_not_serving::<StorageAdminServer<StorageAdminService>>()
            .await;
        health
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        stopping.cancel();
    };
    let serve = Server::builder()
        .accept_http1(true)
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), signal);
    let grace_over = async {
        stop.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = serve => result?,
        () = grace_over => tracing::warn!("grace period over; closing remaining connections"),
    }
    stop.cancel();
    if tokio::time::timeout(grace, engine_task).await.is_err() {
        tracing::warn!("engine did not stop within the grace period");
    }
    Ok(())
}
