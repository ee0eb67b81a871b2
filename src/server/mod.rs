//! `backroom serve`: the web service (events, portal, till endpoints) on axum.

pub mod events;
pub mod fleet;
mod json_errors;
pub mod metrics;
pub mod portal;
pub mod till;

use std::sync::Arc;

use axum::{Json, Router, routing::get};

use crate::context::Context;

/// State every handler sees.
#[derive(Clone)]
pub struct AppState {
    pub ctx: Arc<Context>,
}

/// The whole router: `/health` plus each area's routes.
pub fn router(ctx: Context) -> Router {
    let read_only = ctx.read_only;
    let state = AppState { ctx: Arc::new(ctx) };
    let router = Router::new()
        .route("/health", get(health))
        .merge(events::routes())
        .merge(portal::routes())
        .merge(till::routes())
        .merge(fleet::routes())
        .merge(metrics::routes())
        .with_state(state)
        .layer(axum::middleware::from_fn(json_errors::layer));
    if read_only {
        router.layer(axum::middleware::from_fn(refuse_changes))
    } else {
        router
    }
}

/// `backroom --read-only serve`: reads are answered, every request that could change data is
/// refused with 403 before it reaches a handler.
async fn refuse_changes(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    use axum::response::IntoResponse;
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    (
        axum::http::StatusCode::FORBIDDEN,
        Json(serde_json::json!({
            "error": "backroom serve runs read-only (started with --read-only): nothing can be changed"
        })),
    )
        .into_response()
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "service": "backroom",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(ctx: Context, listen: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    ctx.open_store()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    eprintln!("backroom serve: listening on http://{addr}");
    tracing::info!(%addr, "serving");
    let app = router(ctx).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(t) => t,
                    Err(_) => return std::future::pending().await,
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        })
        .await?;
    Ok(())
}
