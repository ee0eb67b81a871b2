//! `backroom serve`: the web service (events, portal, till endpoints) on axum.

pub mod events;
pub mod listener;
pub mod plain_http;
pub mod portal;
pub mod till;
pub mod tls;

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
        .with_state(state);
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

/// Serves until Ctrl-C or SIGTERM: HTTPS when `[server] tls_cert` and `tls_key` are set, plain
/// HTTP only on loopback unless `allow_plain_http`; timeouts and the connection limit of
/// [`listener`].
pub async fn serve(ctx: Context, listen: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    ctx.open_store()?;
    let server = ctx.config.server.clone();
    let tls = match (&server.tls_cert, &server.tls_key) {
        (Some(cert), Some(key)) => Some(tls::Reloadable::load(cert, key).map_err(|e| {
            crate::cli::Failure::usage(format!("{e} (in {})", ctx.config_path.display()))
        })?),
        (None, None) => None,
        _ => {
            return Err(crate::cli::Failure::usage(format!(
                "set both tls_cert and tls_key under [server] in {} (only one is set)",
                ctx.config_path.display()
            ))
            .into());
        }
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    plain_http::allowed(addr, tls.is_some(), server.allow_plain_http)
        .map_err(|e| crate::cli::Failure::usage(e.to_string()))?;
    if let Some(t) = &tls {
        t.reload_on_sighup()?;
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!("backroom serve: listening on {scheme}://{addr}");
    tracing::info!(%addr, scheme, "serving");
    let limits = listener::Limits::from_config(&server);
    let body_timeout = std::time::Duration::from_secs(server.body_timeout_secs.max(1));
    let app = router(ctx).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        body_timeout,
    ));
    listener::run(listener, app, limits, tls, shutdown_signal()).await;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
