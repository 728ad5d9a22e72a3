//! Plain HTTP on the gRPC port: the health report as JSON, liveness, metrics.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tablesafe_engine::monitor::HealthHandle;
use tonic::metadata::MetadataMap;

use crate::auth::{Access, Tokens};
use crate::convert::ToProto;
use crate::metrics::Metrics;

/// What the HTTP handlers read.
#[derive(Clone)]
pub struct HttpState {
    /// The health snapshot.
    pub health: HealthHandle,
    /// Tokens (the read token guards the health report).
    pub tokens: Tokens,
    /// Metrics.
    pub metrics: Arc<Metrics>,
}

/// The routes served next to gRPC.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/v1/health", get(health_json))
        .route("/metrics", get(metrics))
        .with_state(state)
}

#[derive(Deserialize)]
struct HealthQuery {
    #[serde(default)]
    refresh: bool,
}

/// `GET /v1/health[?refresh=true]`: the GetHealth response in the proto3 JSON
/// mapping, the same field names grpcurl prints.
async fn health_json(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(query): Query<HealthQuery>,
) -> Response {
    if let Err(status) = state
        .tokens
        .check(&MetadataMap::from_headers(headers), Access::Read)
    {
        let code = match status.code() {
            tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        let body =
            serde_json::json!({ "code": status.code().description(), "message": status.message() });
        return (
            code,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(body),
        )
            .into_response();
    }
    let report = if query.refresh {
        state.health.refresh().await
    } else {
        state.health.latest()
    };
    axum::Json(report.to_proto()).into_response()
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(state): State<HttpState>) -> Response {
    let text = state.metrics.render(&state.health.latest());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
