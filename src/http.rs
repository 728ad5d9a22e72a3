//! Plain HTTP on the gRPC port: the health report as JSON, liveness, metrics.

use std::sync::Arc;

use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::Html;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tablesafe_engine::control::Handle;
use tablesafe_engine::monitor::HealthHandle;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataMap;

use crate::auth::{Access, Tokens};
use crate::metrics::Metrics;
use crate::proto;
use crate::service::stream_events;
use crate::status::http_response;
use crate::wire::{HealthQuery, HealthWire};

/// What the HTTP handlers read.
#[derive(Clone)]
pub struct HttpState {
    /// The engine (for its event bus).
    pub engine: Handle,
    /// Ends event streams on shutdown.
    pub shutdown: CancellationToken,
    /// Time between heartbeats on event streams.
    pub heartbeat_interval: Duration,
    /// The health snapshot.
    pub health: HealthHandle,
    /// The snapshot's wire forms, shared with GetHealth.
    pub health_wire: HealthWire,
    /// Tokens (the read token guards the health report).
    pub tokens: Tokens,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// `/metrics` answers without the read token.
    pub metrics_public: bool,
}

/// The routes served next to gRPC.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/v1/events", get(events_sse))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/v1/health", get(health_json))
        .route("/metrics", get(metrics))
        .method_not_allowed_fallback(|| async {
            let mut response = http_response(&tonic::Status::unimplemented(
                "method not allowed: these paths answer GET",
            ));
            *response.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
            response
        })
        .with_state(state)
}

/// Any other path: a gRPC call to a method this server lacks gets gRPC's
/// `UNIMPLEMENTED`; anything else a 404 with a JSON body.
pub async fn not_found(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let grpc = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"));
    if grpc {
        return tonic::Status::unimplemented(format!("no method {}", bounded(uri.path())))
            .into_http()
            .map(|_: tonic::body::Body| axum::body::Body::empty());
    }
    http_response(&tonic::Status::not_found(format!(
        "no such path: {}; try /, /v1/health, /v1/events, /healthz or /metrics",
        bounded(uri.path())
    )))
}

/// At most the first 200 bytes of what a client sent, for echoing it back.
pub fn bounded(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}... ({} bytes)", &text[..end], text.len()),
    }
}

/// The dashboard: one self-contained page (no external resources).
async fn dashboard() -> Html<&'static str> {
    Html(include_str!("dashboard.html"))
}

struct EventsQuery {
    after: u64,
    epoch: String,
    table: Vec<String>,
}

/// `GET /v1/events[?after=SEQ&epoch=E&table=T]`: WatchEvents as server-sent
/// events, each `data:` a proto3 JSON `Event` with `id: <epoch>:<sequence>`.
/// A reconnecting EventSource's `Last-Event-ID` resumes where it left off.
async fn events_sse(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(response) = refusal(&state.tokens, &headers) {
        return response;
    }
    let query: EventsQuery = parse_events_query(raw.as_deref().unwrap_or(""));
    let (mut after, mut epoch) = (query.after, query.epoch);
    if let Some((e, seq)) = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(':'))
        .and_then(|(e, s)| Some((e.to_owned(), s.parse::<u64>().ok()?)))
    {
        (after, epoch) = (seq, e);
    }
    let request = proto::WatchEventsRequest {
        after_sequence: after,
        epoch,
        kinds: Vec::new(),
        tables: query.table,
    };
    let events = stream_events(
        state.engine.events(),
        request,
        state.heartbeat_interval,
        state.shutdown.clone(),
    )
    .filter_map(|event| event.ok())
    .map(|event| {
        let data = serde_json::to_string(&event).unwrap_or_default();
        let sse = SseEvent::default().data(data);
        Ok::<_, std::convert::Infallible>(if event.sequence > 0 {
            sse.id(format!("{}:{}", event.epoch, event.sequence))
        } else {
            sse
        })
    });
    Sse::new(events).into_response()
}

/// `after`, `epoch` and repeated `table` from a query string.
fn parse_events_query(raw: &str) -> EventsQuery {
    let mut query = EventsQuery {
        after: 0,
        epoch: String::new(),
        table: Vec::new(),
    };
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match &*key {
            "after" => query.after = value.parse().unwrap_or(0),
            "epoch" => query.epoch = value.into_owned(),
            "table" => query.table.push(value.into_owned()),
            _ => {}
        }
    }
    query
}

/// The 401/403 answer (with a JSON body) when the read token is missing or wrong.
fn refusal(tokens: &Tokens, headers: &HeaderMap) -> Option<Response> {
    tokens
        .check(&MetadataMap::from_headers(headers.clone()), Access::Read)
        .err()
        .map(|refused| http_response(&refused.into()))
}

/// `GET /v1/health[?refresh=true&view=summary&page_size=N&page_token=T]`:
/// the GetHealth response in the proto3 JSON mapping, the same field names
/// grpcurl prints. The snapshot id is the `ETag`; `If-None-Match` with it
/// answers `304 Not Modified`.
async fn health_json(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(response) = refusal(&state.tokens, &headers) {
        return response;
    }
    let (refresh, mut query) = match parse_health_query(raw.as_deref().unwrap_or("")) {
        Ok(parsed) => parsed,
        Err(status) => return http_response(&status),
    };
    if let Some(tag) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        query.if_none_match = tag
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned();
    }
    let report = if refresh {
        state.health.refresh().await
    } else {
        state.health.latest()
    };
    let answer = match state.health_wire.forms(report).answer(&query) {
        Ok(answer) => answer,
        Err(e) => return http_response(&tonic::Status::invalid_argument(e.to_string())),
    };
    let etag = format!("\"{}\"", answer.snapshot_id);
    if answer.unchanged {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        answer.json,
    )
        .into_response()
}

/// `refresh`, `view`, `page_size` and `page_token`; anything else is a 400
/// that says what the endpoint takes.
fn parse_health_query(raw: &str) -> Result<(bool, HealthQuery), tonic::Status> {
    let mut refresh = false;
    let mut query = HealthQuery::default();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match (&*key, &*value) {
            ("refresh", "true" | "1") => refresh = true,
            ("refresh", "false" | "0") => refresh = false,
            ("view", "full" | "FULL") => query.summary = false,
            ("view", "summary" | "SUMMARY") => query.summary = true,
            ("page_size", size) if size.parse::<u32>().is_ok() => {
                query.page_size = size.parse().unwrap_or_default();
            }
            ("page_token", token) => query.page_token = token.to_owned(),
            _ => {
                return Err(tonic::Status::invalid_argument(format!(
                    "unknown query {}={}: /v1/health takes refresh=true|false, view=full|summary, page_size=N, page_token=T",
                    bounded(&key),
                    bounded(&value)
                )))
            }
        }
    }
    Ok((refresh, query))
}

/// `GET /metrics`: Prometheus text format. Needs the read token (when one is
/// configured) unless `metrics.public`: it names every table and its figures.
async fn metrics(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    if !state.metrics_public {
        if let Some(response) = refusal(&state.tokens, &headers) {
            return response;
        }
    }
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
