//! `backroom serve`: the web service (events, portal, till endpoints) on axum.

pub mod audit;
pub mod events;
pub mod fleet;
mod json_errors;
pub mod listener;
pub mod metrics;
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
    /// Where changes are audited (`None` read-only: nothing changes).
    pub audit: Option<audit::Writer>,
}

/// The whole router: `/health` plus each area's routes.
pub fn router(ctx: Context) -> Router {
    let read_only = ctx.read_only;
    let audit = (!read_only).then(|| audit::Writer::start(ctx.db_path.clone()));
    let state = AppState {
        ctx: Arc::new(ctx),
        audit,
    };
    let router = Router::new()
        .route("/health", get(health))
        .merge(events::routes(&state))
        .merge(portal::routes())
        .merge(till::routes(&state).merge(fleet::routes(&state)))
        .merge(metrics::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::layer,
        ))
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

/// `backroom serve`: serves until Ctrl-C or SIGTERM (see [`bind`]).
pub async fn serve(ctx: Context, listen: &str) -> anyhow::Result<()> {
    ctx.open_store()?;
    let web = bind(&ctx, listen).await?;
    eprintln!("backroom serve: listening on {}", web.url());
    web.run(ctx, shutdown_signal()).await;
    Ok(())
}

/// The web service, bound and checked, ready to run (`serve` and the daemon both start it so).
pub struct Bound {
    listener: tokio::net::TcpListener,
    tls: Option<tls::Reloadable>,
    limits: listener::Limits,
    body_timeout: std::time::Duration,
}

/// Binds `listen` with the network face of `[server]`: HTTPS when `tls_cert` and `tls_key` are
/// set (reloaded on SIGHUP), plain HTTP only on loopback unless `allow_plain_http`, and the
/// timeouts and connection limit of [`listener`]. Configuration mistakes exit 2.
pub async fn bind(ctx: &Context, listen: &str) -> anyhow::Result<Bound> {
    use anyhow::Context as _;
    let server = &ctx.config.server;
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
    Ok(Bound {
        listener,
        tls,
        limits: listener::Limits::from_config(server),
        body_timeout: std::time::Duration::from_secs(server.body_timeout_secs.max(1)),
    })
}

impl Bound {
    /// `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        match self.listener.local_addr() {
            Ok(addr) => format!("{scheme}://{addr}"),
            Err(_) => format!("{scheme}://?"),
        }
    }

    /// Serves the router until `shutdown` completes.
    pub async fn run(self, ctx: Context, shutdown: impl std::future::Future<Output = ()>) {
        tracing::info!(url = %self.url(), "serving");
        // Uploads the last run was stopped in the middle of (serve and the daemon start here).
        crate::contacts::submit::sweep_incoming(&ctx.db_path);
        let app = router(ctx).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            self.body_timeout,
        ));
        listener::run(self.listener, app, self.limits, self.tls, shutdown).await;
    }
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
