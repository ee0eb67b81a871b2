//! The events endpoints of `backroom serve`: `POST /api/events` (`{kind, payload}`) and
//! `POST /api/events/{kind}` (the payload as body), with the bearer token `[server] api_token`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use crate::printing::EventKind;
use crate::printing::outbox::{self, OutboxError};

/// The events API, behind [`gate`]: the token is checked before anything else, the body included.
pub fn routes(state: &AppState) -> Router<AppState> {
    // A payload is capped as on the CLI; the envelope's few bytes more are allowed for.
    Router::new()
        .route("/api/events", post(post_envelope))
        .route("/api/events/{kind}", post(post_kind))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), gate))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::printing::payload::MAX_PAYLOAD_BYTES + 1_024,
        ))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Compares in time independent of where the strings differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Answers 401 before the body is read when the API token is missing or wrong (see
/// [`super::till::gate`]).
async fn gate(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match authorize(&state, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refused) => *refused,
    }
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let Some(token) = state.ctx.config.server.api_token.as_deref() else {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "the events API is closed: set api_token under [server] in config.toml",
        )));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if same(g.trim().as_bytes(), token.as_bytes()) => Ok(()),
        Some(_) => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "wrong bearer token",
        ))),
        None => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "missing `Authorization: Bearer <token>` header",
        ))),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            format!(
                "the body is not valid JSON: line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        ))
    })
}

async fn post_envelope(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let mut v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let kind = match v.get("kind") {
        Some(Value::String(k)) => k.clone(),
        _ => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({
                    "error": "the body must be {\"kind\": ..., \"payload\": {...}}",
                    "errors": [{"field": "$.kind", "reason": "is required (order.received, order.shipped or invoice.overdue)"}],
                })),
            )
                .into_response();
        }
    };
    let payload = v.get_mut("payload").map(Value::take).unwrap_or(Value::Null);
    match idempotency_key(&headers) {
        Ok(key) => ingest(state, &kind, payload, key).await,
        Err(r) => *r,
    }
}

/// The `Idempotency-Key` header, when sent: at most 200 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Box<Response>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(k.to_string()))
        }
        _ => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "Idempotency-Key must be 1 to 200 visible ASCII characters",
        ))),
    }
}

async fn post_kind(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    match parse_json(&body) {
        Ok(payload) => ingest(state, &kind, payload, key).await,
        Err(r) => *r,
    }
}

/// Records the event; with a key already recorded for this kind, answers 200 with that event
/// (`"duplicate": true`) and records nothing.
async fn ingest(state: AppState, kind: &str, payload: Value, key: Option<String>) -> Response {
    let kind: EventKind = match kind.parse() {
        Ok(k) => k,
        Err(e) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "error": e, "errors": [{"field": "kind", "reason": e}] })),
            )
                .into_response();
        }
    };
    if state.ctx.read_only {
        return error(StatusCode::FORBIDDEN, "backroom serve runs read-only");
    }
    let ctx = state.ctx.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut conn = crate::store::open(&ctx.db_path)?;
        // Audited by the web service's audit layer (server::audit), like every change.
        let out = outbox::ingest_once(
            &mut conn,
            kind,
            &payload,
            "api",
            &ctx.config.store.name,
            key.as_deref(),
        );
        Ok::<_, anyhow::Error>(out)
    })
    .await;
    match result {
        Ok(Ok(Ok(outbox::Once::New(out)))) => {
            if !out.dropped_fields.is_empty() {
                tracing::info!(fields = ?out.dropped_fields, "unknown payload fields dropped");
            }
            (StatusCode::CREATED, Json(json!(out))).into_response()
        }
        Ok(Ok(Ok(outbox::Once::Again(earlier)))) => {
            (StatusCode::OK, Json(json!(earlier))).into_response()
        }
        Ok(Ok(Err(OutboxError::Invalid(e)))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": e.to_string(), "errors": e.errors })),
        )
            .into_response(),
        Ok(Ok(Err(e))) => {
            tracing::error!(error = %e, "ingesting an event");
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
        Ok(Err(e)) => {
            tracing::error!(error = %format!("{e:#}"), "ingesting an event");
            error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
