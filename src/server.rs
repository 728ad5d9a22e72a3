//! `run(config, listener, shutdown)`: the whole server on one port.
//!
//! gRPC (StorageAdmin, grpc.health.v1, reflection v1 and v1alpha) and plain
//! HTTP share the listener through tonic's `Routes` with HTTP/1 accepted.

use std::future::Future;

use std::sync::Arc;

use tablesafe_engine::catalog::OpenFiles;
use tablesafe_engine::drill::ErlangFold;
use tablesafe_engine::erlang::{NodeClient, NodeQuiesce};
use tablesafe_engine::events::EventBus;
use tablesafe_engine::pipeline::Quiesce;
use tablesafe_engine::{control, monitor, offsite};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::service::Routes;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use crate::config::{Config, TlsFiles};
use crate::grpc_health;
use crate::http::{self, HttpState};
use crate::listener;
use crate::metrics::Metrics;
use crate::proto::{StorageAdminServer, FILE_DESCRIPTOR_SET};
use crate::service::StorageAdminService;
use crate::wire::HealthWire;

/// Streams (calls) one HTTP/2 connection may have open at once.
pub const MAX_CONCURRENT_STREAMS: u32 = 128;

fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
}

/// The server's TLS settings from the PEM files' bytes.
pub fn tls_settings(tls: &TlsFiles) -> ServerTlsConfig {
    let settings = ServerTlsConfig::new().identity(Identity::from_pem(&tls.cert, &tls.key));
    match &tls.client_ca {
        Some(ca) => settings.client_ca_root(Certificate::from_pem(ca)),
        None => settings,
    }
}

/// Serves until `shutdown` completes, then drains within the grace period.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let bus = EventBus::new(config.ring_size);
    run_with_events(config, listener, shutdown, bus).await
}

/// [`run`], publishing on a bus the caller also holds.
pub async fn run_with_events(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    bus: EventBus,
) -> anyhow::Result<()> {
    let stop = CancellationToken::new();
    // Every long-lived task: shutdown waits for all of them, within the grace.
    let tasks = TaskTracker::new();
    let (routes, health_switch) = start_services(&config, &bus, &stop, &tasks).await?;
    let addr = listener.local_addr()?;
    // Bounded connections with deadlines for silent clients; TCP_NODELAY
    // (without it multi-segment responses wait on delayed ACKs, ~40 ms).
    let incoming = listener::incoming(listener, config.limits, stop.clone());
    tracing::info!(%addr, tls = config.tls.is_some(), backup_dir = %config.engine.backup_dir.display(), "tablesafe listening");

    let stopping = stop.clone();
    let grace = config.shutdown_grace;
    let signal = async move {
        shutdown.await;
        tracing::info!(grace_secs = grace.as_secs_f64(), "shutting down");
        health_switch.not_serving();
        stopping.cancel();
    };
    let mut builder = Server::builder();
    if let Some(tls) = &config.tls {
        builder = builder.tls_config(tls_settings(tls))?;
    }
    let serve = builder
        .accept_http1(true)
        // A client may not open streams without bound on one connection, and
        // one that stops answering pings is closed.
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .http2_keepalive_interval(Some(config.limits.keepalive))
        .http2_keepalive_timeout(Some(config.limits.keepalive_timeout()))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, signal);
    drain(serve, &stop, grace, &tasks).await
}

/// Starts the node client, the engine, the monitor and the metrics on
/// `tasks`, and gives the routes of every service on the port.
async fn start_services(
    config: &Config,
    bus: &EventBus,
    stop: &CancellationToken,
    tasks: &TaskTracker,
) -> anyhow::Result<(Routes, grpc_health::HealthSwitch)> {
    // With a node configured, every copy is preceded by dets:sync on it, and
    // every scan asks it which files it has open.
    let node = config
        .erlang
        .clone()
        .map(|node| NodeClient::start(node, stop.child_token(), tasks))
        .transpose()?;
    let parts = control::Parts {
        quiesce: node.clone().map(|client| {
            Arc::new(NodeQuiesce {
                client,
                runtime: tokio::runtime::Handle::current(),
            }) as Arc<dyn Quiesce>
        }),
        open_files: node
            .clone()
            .map(|client| Arc::new(client) as Arc<dyn OpenFiles>),
        erlang_fold: node
            .clone()
            .map(|client| Arc::new(client) as Arc<dyn ErlangFold>),
        events: bus.clone(),
    };
    let engine = control::start(config.engine.clone(), parts, stop.child_token(), tasks)?;
    // Offsite passes start after the engine, which has cleared the backup
    // directory of leftovers by then.
    let offsite = offsite::start(
        config.offsite.clone(),
        engine.store().clone(),
        bus.clone(),
        config.engine.clock,
        stop.child_token(),
        tasks,
    );
    let health = monitor::start(
        config.health.clone(),
        engine.clone(),
        node,
        offsite.clone(),
        stop.child_token(),
        tasks,
    )
    .await;
    let metrics = Metrics::new();
    metrics.follow(bus, stop.child_token(), tasks);

    let (health_switch, health_service) = grpc_health::health_service(stop.clone());
    // grpcurl 1.8.6 speaks only v1alpha; newer clients use v1. Both list
    // every service on the port.
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let health_wire = HealthWire::new(config.engine.catalog.data_dirs.first().map(|d| d.as_path()));
    let http = http::router(HttpState {
        engine: engine.clone(),
        shutdown: stop.clone(),
        heartbeat_interval: config.heartbeat_interval,
        health: health.clone(),
        health_wire: health_wire.clone(),
        tokens: config.tokens.clone(),
        metrics,
        metrics_public: config.metrics_public,
    });
    let service = StorageAdminService {
        engine,
        health,
        tokens: config.tokens.clone(),
        shutdown: stop.clone(),
        heartbeat_interval: config.heartbeat_interval,
        health_wire,
        fragmentation_warn: config.health.thresholds.fragmentation_warn,
        offsite,
        remote_manifests: Default::default(),
    };
    let mut routes = Routes::new(StorageAdminServer::new(service))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .prepare();
    *routes.axum_router_mut() = std::mem::take(routes.axum_router_mut())
        .merge(http)
        .fallback(http::not_found);
    Ok((routes, health_switch))
}

/// Serves until shutdown begins, then gives the connections and every task
/// one grace period from that moment, shared: never twice the configured time.
async fn drain(
    serve: impl Future<Output = Result<(), tonic::transport::Error>>,
    stop: &CancellationToken,
    grace: std::time::Duration,
    tasks: &TaskTracker,
) -> anyhow::Result<()> {
    tokio::pin!(serve);
    let deadline = tokio::select! {
        result = &mut serve => {
            result?;
            tokio::time::Instant::now() + grace
        }
        () = stop.cancelled() => {
            let at = tokio::time::Instant::now() + grace;
            match tokio::time::timeout_at(at, &mut serve).await {
                Ok(result) => result?,
                Err(_) => tracing::warn!("grace period over; closing remaining connections"),
            }
            at
        }
    };
    stop.cancel();
    tasks.close();
    if tokio::time::timeout_at(deadline, tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            still_running = tasks.len(),
            "grace period over: the engine did not stop in time"
        );
    }
    Ok(())
}
