//! `POST /api/till/status`: a till reports its status (see `sync::fleet`); the server keeps the latest.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::AppState;
use crate::sync::fleet::{self, TillStatus};

/// A till's status report, behind [`super::till::gate`].
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/till/status", post(status))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::till::gate,
        ))
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let s: TillStatus = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": format!("bad status report: {e}") })),
            )
                .into_response();
        }
    };
    if let Err(r) = super::till::authenticate(&state, &headers, &s.till) {
        return *r;
    }
    let db = state.ctx.db_path.clone();
    let saved = tokio::task::spawn_blocking(move || {
        let conn = crate::store::open(&db)?;
        fleet::record(&conn, &s)?;
        anyhow::Ok(())
    })
    .await;
    match saved {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "keeping a till's status");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({ "error": "the status could not be kept" })),
            )
                .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
