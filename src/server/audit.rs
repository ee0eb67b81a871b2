//! Every change that arrives over the web service is audited: one entry per request (a till's
//! push of many tickets is one entry), refusals (a wrong or missing token) too. Who asked is the
//! token's owner (`http:api token`, `http:till 7`), `http:unknown token`, or `web` for the
//! portal; the action is named by the route. Entries are written by one thread on its own
//! connection, in batches, off the request's path.

use std::sync::mpsc;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use crate::service::Identity;
use crate::service::audit::{self, Outcome};
use crate::store::audit::Entry;

/// The longest batch one transaction writes.
const BATCH: usize = 256;

/// Where the web service's audit entries go.
#[derive(Clone)]
pub struct Writer(mpsc::Sender<Entry>);

impl Writer {
    /// Starts the writing thread on `db`; it ends when the last writer is dropped.
    pub fn start(db: std::path::PathBuf) -> Writer {
        let (tx, rx) = mpsc::channel::<Entry>();
        let spawned = std::thread::Builder::new()
            .name("web-audit".into())
            .spawn(move || write(&db, rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "starting the web service's audit writer");
        }
        Writer(tx)
    }

    fn send(&self, entry: Entry) {
        if self.0.send(entry).is_err() {
            tracing::error!("the web service's audit writer stopped: not audited");
        }
    }
}

fn write(db: &std::path::Path, rx: mpsc::Receiver<Entry>) {
    let mut conn = match crate::store::open(db) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "opening the store for the web service's audit log");
            return;
        }
    };
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH
            && let Ok(more) = rx.try_recv()
        {
            batch.push(more);
        }
        let written = conn.transaction().and_then(|tx| {
            for e in &batch {
                crate::store::audit::append(&tx, e)?;
            }
            tx.commit()
        });
        if let Err(e) = written {
            tracing::error!(error = %e, n = batch.len(), "writing the web service's audit log");
        }
    }
}

/// The middleware: audits requests that may change something (not GET, HEAD, OPTIONS).
pub async fn layer(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(writer) = state.audit.clone() else {
        return next.run(request).await;
    };
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let path = request.uri().path().to_string();
    let Some((action, target)) = route.as_deref().and_then(|r| name(r, &path)) else {
        return next.run(request).await;
    };
    let who = if path.starts_with("/portal/") {
        // Contacts prove themselves with their own keys and links: the portal is one caller.
        Identity {
            user: "web".to_string(),
            ..Identity::web("")
        }
    } else {
        caller(&state, &request)
    };
    let response = next.run(request).await;
    let status = response.status();
    let outcome = if status.is_success() {
        Outcome::Ok
    } else if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        Outcome::Refused(format!("HTTP {status}"))
    } else {
        Outcome::Failed(format!("HTTP {status}"))
    };
    let target = match (target.is_empty(), who.user.strip_prefix("http:till ")) {
        (true, Some(till)) => format!("till {till}"),
        _ => target,
    };
    writer.send(audit::entry(&who, action, &target, &outcome));
    response
}

/// The audited action and target of a route; `None` for routes that change nothing (or
/// only report, as a till's status heartbeat does). Link tokens are never a target.
fn name(route: &str, path: &str) -> Option<(&'static str, String)> {
    let segment = |n: usize| path.split('/').nth(n).unwrap_or_default().to_string();
    Some(match route {
        "/api/events/{kind}" => ("events.emit", segment(3)),
        "/api/events" => ("events.emit", String::new()),
        "/api/till/push" => ("till.push", String::new()),
        "/api/till/customers" => ("till.customer.create", String::new()),
        "/portal/register" => ("portal.register", String::new()),
        "/portal/activate" => ("portal.activate", String::new()),
        "/portal/terms/accept" => ("portal.terms.accept", String::new()),
        "/portal/jobs" => ("portal.jobs.submit", String::new()),
        "/portal/jobs/{id}/support" => ("portal.jobs.support", format!("job {}", segment(3))),
        "/portal/jobs/{id}/model" => ("portal.jobs.model", format!("job {}", segment(3))),
        "/portal/g/{link}/jobs" => ("portal.generic.submit", "generic link".to_string()),
        _ => return None,
    })
}

/// Who an API request comes from, by its bearer token (compared in constant time).
fn caller(state: &AppState, request: &Request) -> Identity {
    let token = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Identity::web("no token");
    };
    let server = &state.ctx.config.server;
    if server
        .api_token
        .as_deref()
        .is_some_and(|t| super::till::same(t, token))
    {
        return Identity::web("api token");
    }
    let till = server
        .till_tokens
        .iter()
        .find(|(_, t)| !t.is_empty() && super::till::same(t, token));
    match till {
        Some((n, _)) => Identity::web(&format!("till {n}")),
        None => Identity::web("unknown token"),
    }
}
