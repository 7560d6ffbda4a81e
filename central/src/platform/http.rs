//! The HTTP surface: `/health`, `/metrics` (Prometheus text), `GET /dlq`,
//! `POST /dlq/replay/{seq}`, `GET /orders/{id}/history` (an order's events, for operators). [`serve`] takes a bound listener and a shutdown future, so tests bind
//! port 0 and the binary logs the address (`http listening on ADDR`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::connection::State;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mallbots_domain::error::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::platform::dlq::DeadLetters;
use crate::platform::error::DlqError;
use crate::platform::metrics::{self, Metrics};
use crate::platform::order_history::{self as history, HistoryEntry};
use crate::platform::topology::{StreamKind, Topology};
use crate::platform::ServiceRole;

/// What the handlers need.
#[derive(Clone)]
pub struct HttpState {
    /// NATS client (connection state for `/health`).
    pub client: async_nats::Client,
    /// JetStream context (queue depth for `/metrics`).
    pub js: async_nats::jetstream::Context,
    /// Names.
    pub topology: Topology,
    /// Roles this replica runs.
    pub roles: Vec<ServiceRole>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// DLQ access.
    pub dead_letters: DeadLetters,
}

/// `/health` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok`, or `degraded` while NATS is disconnected.
    pub status: String,
    /// `connected` or `disconnected`.
    pub nats: String,
    /// Roles this replica runs.
    pub roles: Vec<ServiceRole>,
}

/// `POST /dlq/replay/{seq}` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replayed {
    /// The DLQ entry replayed (now deleted).
    pub seq: u64,
    /// Sequence of the re-published message in its original stream.
    pub sequence: u64,
    /// True when the original was already there (an event-log entry whose original is still in
    /// the log): nothing was published and the entry stays.
    #[serde(default)]
    pub duplicate: bool,
}

/// An error body: `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpError {
    /// Machine-readable code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// The router over `state`.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/dlq", get(dlq_list))
        .route("/dlq/replay/{seq}", post(dlq_replay))
        .route("/orders/{id}/history", get(order_history))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn health(AxumState(state): AxumState<HttpState>) -> Json<Health> {
    let connected = state.client.connection_state() == State::Connected;
    Json(Health {
        status: if connected { "ok" } else { "degraded" }.into(),
        nats: if connected {
            "connected"
        } else {
            "disconnected"
        }
        .into(),
        roles: state.roles.clone(),
    })
}

async fn metrics_text(AxumState(state): AxumState<HttpState>) -> Response {
    let name = state.topology.stream_name(StreamKind::Dispatch);
    let depth = tokio::time::timeout(Duration::from_millis(500), async {
        let stream = state.js.get_stream(&name).await.ok()?;
        stream.get_info().await.ok().map(|i| i.state.messages)
    })
    .await;
    if let Ok(Some(depth)) = depth {
        state.metrics.set(
            metrics::DISPATCH_DEPTH,
            &[],
            i64::try_from(depth).unwrap_or(i64::MAX),
        );
    }
    (
        [(header::CONTENT_TYPE, metrics::Metrics::CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    from: u64,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    100
}

async fn dlq_list(AxumState(state): AxumState<HttpState>, Query(q): Query<ListQuery>) -> Response {
    match state.dead_letters.list(q.from, q.limit.min(10_000)).await {
        Ok(entries) => Json(entries).into_response(),
        Err(e) => dlq_error(e),
    }
}

async fn dlq_replay(AxumState(state): AxumState<HttpState>, Path(seq): Path<u64>) -> Response {
    match state.dead_letters.replay(seq).await {
        Ok(p) => Json(Replayed {
            seq,
            sequence: p.sequence,
            duplicate: p.duplicate,
        })
        .into_response(),
        Err(e) => dlq_error(e),
    }
}

fn dlq_error(e: DlqError) -> Response {
    let status = match e {
        DlqError::NotFound(_) => StatusCode::NOT_FOUND,
        DlqError::MissingSubject(_)
        | DlqError::EventLogReplay { .. }
        | DlqError::Conflict { .. }
        | DlqError::DedupWindow { .. }
        | DlqError::Truncated { .. } => StatusCode::CONFLICT,
        DlqError::Nats(_) => StatusCode::BAD_GATEWAY,
    };
    let body = HttpError {
        code: e.code().to_string(),
        message: e.to_string(),
    };
    (status, Json(body)).into_response()
}

fn refusal(status: StatusCode, code: &str, message: String) -> Response {
    let body = HttpError {
        code: code.to_owned(),
        message,
    };
    (status, Json(body)).into_response()
}

/// `GET /orders/{id}/history`: 200 with the events oldest first, 400 `invalid_input` for an id
/// that is not a UUID, 404 `not_found` when the stream holds none, 503 `unavailable` when the
/// stream cannot be read.
async fn order_history(AxumState(state): AxumState<HttpState>, Path(id): Path<String>) -> Response {
    let Ok(order) = id.trim().parse::<mallbots_domain::OrderId>() else {
        let shown: String = id.chars().take(64).collect();
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("{shown:?} is not an order id"),
        );
    };
    match history::order_history(&state.js, &state.topology, order).await {
        Ok(entries) if entries.is_empty() => refusal(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no event of order {order}"),
        ),
        Ok(entries) => Json::<Vec<HistoryEntry>>(entries).into_response(),
        Err(e) => refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        ),
    }
}
