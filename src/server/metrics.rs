//! `GET /metrics`: Prometheus text for monitoring — jobs by state and printer, attempts, commit →
//! send latency, till queues, the last successful sync runs, and the doctor's findings.
//! Answered on loopback, or with the API token from elsewhere.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rusqlite::Connection;

use super::AppState;

type Labels = Vec<(String, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Loopback callers, or a bearer token equal to `[server] api_token`.
fn allowed(state: &AppState, request: &Request) -> bool {
    // The peer address the server recorded (axum's test mock stands in for it in unit tests).
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| {
            request
                .extensions()
                .get::<axum::extract::connect_info::MockConnectInfo<SocketAddr>>()
                .map(|c| c.0)
        });
    let loopback = peer.is_some_and(|p| p.ip().is_loopback());
    if loopback {
        return true;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (&state.ctx.config.server.api_token, token) {
        (Some(want), Some(got)) if !want.is_empty() => {
            want.len() == got.len()
                && want
                    .bytes()
                    .zip(got.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
        _ => false,
    }
}

async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    if !allowed(&state, &request) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({
                "error": "/metrics answers on loopback, or with the API token ([server] api_token) as a bearer token"
            })),
        )
            .into_response();
    }
    let db = state.ctx.db_path.clone();
    let till = state.ctx.config.till.number.trim().to_string();
    let text = tokio::task::spawn_blocking(move || {
        let conn = crate::store::open_read_only(&db)?;
        anyhow::Ok(render(&conn, &till)?)
    })
    .await;
    match text {
        Ok(Ok(body)) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "metrics");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({ "error": format!("metrics could not be read: {e}") })),
            )
                .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn seconds_since_epoch(t: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
}

/// Reads the store and renders every metric.
pub fn render(conn: &Connection, this_till: &str) -> anyhow::Result<String> {
    let mut registry = Registry::with_prefix("backroom");

    let jobs = Family::<Labels, Gauge>::default();
    let mut stmt = conn.prepare(
        "SELECT j.state, COALESCE(p.name, ''), COUNT(*) FROM print_jobs j
         LEFT JOIN printers p ON p.id = j.printer_id GROUP BY 1, 2",
    )?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (state, printer, n) = row?;
        jobs.get_or_create(&labels(&[("state", &state), ("printer", &printer)]))
            .set(n);
    }
    registry.register("print_jobs", "Print jobs by state and printer", jobs);

    let attempts = Family::<Labels, Gauge>::default();
    let mut stmt = conn.prepare("SELECT outcome, COUNT(*) FROM print_attempts GROUP BY 1")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (outcome, n) = row?;
        attempts
            .get_or_create(&labels(&[("outcome", &outcome)]))
            .set(n);
    }
    registry.register(
        "print_attempts",
        "Print attempts kept (retention applies) by outcome",
        attempts,
    );

    let latency = Histogram::new(exponential_buckets(0.005, 2.0, 14));
    let cutoff = crate::store::to_text(chrono::Utc::now() - chrono::Duration::hours(24));
    let mut stmt = conn.prepare(
        "SELECT (julianday(MIN(a.started_at)) - julianday(j.created_at)) * 86400.0
         FROM print_jobs j JOIN print_attempts a ON a.job_id = j.id
         WHERE j.created_at > ?1 GROUP BY j.id",
    )?;
    for row in stmt.query_map([&cutoff], |r| r.get::<_, Option<f64>>(0))? {
        if let Some(secs) = row? {
            latency.observe(secs.max(0.0));
        }
    }
    registry.register(
        "print_commit_to_send_seconds",
        "Seconds from a job's commit to its first send, jobs of the last 24 h",
        latency,
    );

    let depth = Family::<Labels, Gauge>::default();
    let oldest = Family::<Labels, Gauge>::default();
    let silent = Family::<Labels, Gauge>::default();
    let last_seen = Family::<Labels, FloatGauge>::default();
    for t in crate::sync::fleet::list(conn)? {
        let l = labels(&[("folder", &t.status.folder), ("till", &t.status.till)]);
        depth.get_or_create(&l).set(t.status.waiting);
        oldest
            .get_or_create(&l)
            .set(t.status.oldest_age_secs.unwrap_or(0));
        silent.get_or_create(&l).set(i64::from(t.silent));
        if let Some(s) = seconds_since_epoch(&t.reported_at) {
            last_seen.get_or_create(&l).set(s);
        }
    }
    if !this_till.is_empty() {
        for code in crate::store::sync::folder_codes(conn)? {
            let q = crate::store::sync::queue_depth(conn, &code)?;
            let l = labels(&[("folder", &code), ("till", this_till)]);
            depth.get_or_create(&l).set(q.waiting);
            let age = q
                .oldest
                .as_deref()
                .and_then(seconds_since_epoch)
                .map(|t| (chrono::Utc::now().timestamp_millis() as f64 / 1000.0 - t) as i64)
                .unwrap_or(0);
            oldest.get_or_create(&l).set(age);
        }
    }
    registry.register("till_queue_depth", "Items waiting in a till's queue", depth);
    registry.register(
        "till_queue_oldest_age_seconds",
        "Age of the oldest waiting item of a till's queue",
        oldest,
    );
    registry.register(
        "till_silent",
        "1 when a till has not reported for over 3 times its period",
        silent,
    );
    registry.register(
        "till_last_report_timestamp_seconds",
        "When a till last reported to this server",
        last_seen,
    );

    let last_ok = Family::<Labels, FloatGauge>::default();
    let mut stmt = conn.prepare(
        "SELECT f.code, r.process, MAX(r.finished_at) FROM sync_runs r JOIN pos_folders f ON f.id = r.folder_id
         WHERE r.outcome = 'ok' AND r.finished_at IS NOT NULL GROUP BY 1, 2",
    )?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (folder, process, at) = row?;
        if let Some(s) = seconds_since_epoch(&at) {
            last_ok
                .get_or_create(&labels(&[("folder", &folder), ("process", &process)]))
                .set(s);
        }
    }
    registry.register(
        "sync_last_success_timestamp_seconds",
        "When each sync process (export, import, push, update) last succeeded per folder",
        last_ok,
    );

    let findings = Family::<Labels, Gauge>::default();
    if let Some(report) = crate::worker::health::last(conn)? {
        for f in report.findings {
            findings
                .get_or_create(&labels(&[
                    ("code", &f.code),
                    ("severity", f.severity.as_str()),
                ]))
                .inc();
        }
    }
    registry.register(
        "doctor_findings",
        "The doctor's findings by code and severity, as the worker last checked",
        findings,
    );

    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::extract::connect_info::MockConnectInfo;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    /// A caller off loopback (no traffic leaves the process: the peer address is mocked).
    #[tokio::test]
    async fn a_caller_off_loopback_needs_the_api_token() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("backroom.db");
        crate::store::open(&db).unwrap();
        let mut ctx = crate::context::Context::for_db(db);
        ctx.config.server.api_token = Some("api-secret-7781".into());
        let remote = std::net::SocketAddr::from(([10, 0, 0, 5], 40000));
        let app = crate::server::router(ctx.clone()).layer(MockConnectInfo(remote));
        let get = |token: Option<&str>| {
            let mut b = Request::get("/metrics");
            if let Some(t) = token {
                b = b.header("authorization", format!("Bearer {t}"));
            }
            b.body(Body::empty()).unwrap()
        };
        let status = |r: axum::response::Response| r.status();
        assert_eq!(
            status(app.clone().oneshot(get(None)).await.unwrap()),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(app.clone().oneshot(get(Some("wrong"))).await.unwrap()),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(app.oneshot(get(Some("api-secret-7781"))).await.unwrap()),
            StatusCode::OK
        );
        let local = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
        let app = crate::server::router(ctx).layer(MockConnectInfo(local));
        assert_eq!(
            status(app.oneshot(get(None)).await.unwrap()),
            StatusCode::OK
        );
    }
}
