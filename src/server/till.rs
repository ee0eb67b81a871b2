//! The till endpoints of `backroom serve`: tills push their queue (`POST /api/till/push`) and
//! create customers (`POST /api/till/customers`). Each till authenticates with its own bearer
//! token (`[server.till_tokens]`) and can only speak for itself.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use crate::sync::inbox::{self, Customers};
use crate::sync::push::{Reply, Request};
use crate::sync::{Folder, SyncError};

/// The till API, behind [`gate`].
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/till/push", post(push))
        .route("/api/till/customers", post(create_customer))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), gate))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// Compares without stopping at the first difference.
pub(super) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What a request without a known till token is told.
const UNKNOWN_TOKEN: &str =
    "unknown till token: the till's [till] token must match its entry under [server.till_tokens]";

/// The till whose token the request carries (`Authorization: Bearer …`), if any.
fn till_of(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    state
        .ctx
        .config
        .server
        .till_tokens
        .iter()
        .find(|(_, t)| !t.is_empty() && same(t, token))
        .map(|(n, _)| n.clone())
}

/// Answers 401 before the body is read when the request carries no known till token: a client
/// without one could otherwise hold a connection busy as long as it trickled a body in.
pub(super) async fn gate(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if till_of(&state, request.headers()).is_none() {
        return error(StatusCode::UNAUTHORIZED, UNKNOWN_TOKEN);
    }
    next.run(request).await
}

/// The till number the bearer token belongs to; refuses a till speaking for another.
pub(super) fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    claimed: &str,
) -> Result<String, Box<Response>> {
    let Some(till) = till_of(state, headers) else {
        tracing::warn!(claimed, "till request with an unknown token");
        return Err(Box::new(error(StatusCode::UNAUTHORIZED, UNKNOWN_TOKEN)));
    };
    if till != claimed {
        tracing::warn!(till, claimed, "till pushed for another till");
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            format!("this token belongs to till {till}; it cannot speak for till {claimed}"),
        )));
    }
    Ok(till)
}

async fn load_folder(state: &AppState, code: &str) -> Result<Folder, Response> {
    let db = state.ctx.db_path.clone();
    let code2 = code.to_string();
    let found = tokio::task::spawn_blocking(move || {
        let conn = crate::store::open(&db)?;
        anyhow::Ok(crate::store::sync::folder(&conn, &code2)?)
    })
    .await;
    match found {
        Ok(Ok(Some(f))) => Ok(f),
        Ok(Ok(None)) => Err(error(
            StatusCode::NOT_FOUND,
            format!("POS folder {code} does not exist on the server"),
        )),
        Ok(Err(e)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))),
        Err(e) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

fn sync_error(e: SyncError) -> Response {
    match e {
        SyncError::Refused(m) | SyncError::Rejected(m) => {
            error(StatusCode::UNPROCESSABLE_ENTITY, m)
        }
        other => error(StatusCode::SERVICE_UNAVAILABLE, other.to_string()),
    }
}

fn customers(state: &AppState) -> Customers {
    Customers {
        table: state.ctx.config.server.customers_table.clone(),
        model: state.ctx.config.server.model_customer.clone(),
        columns: state.ctx.config.server.till_customer_columns.clone(),
    }
}

async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let req: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("bad push request: {e}")),
    };
    let till = match authenticate(&state, &headers, &req.till) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let folder = match load_folder(&state, &req.folder).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let customers = customers(&state);
    let count = req.items.len();
    let f2 = folder.clone();
    let store = state.ctx.db_path.clone();
    let issuer = state.ctx.config.store.name.clone();
    let result = crate::sync::serverdb::with_ops(&folder, move |ops| {
        apply_with_print(ops, &store, &issuer, &f2, &customers, &till, &req.items)
    })
    .await;
    match result {
        Ok(results) => {
            tracing::info!(folder = %folder.code, items = count, "till push applied");
            Json(Reply { results }).into_response()
        }
        Err(e) => sync_error(e),
    }
}

#[derive(Debug, Deserialize)]
struct CreateCustomer {
    folder: String,
    till: String,
    /// The till's request UUID: the same UUID gets the same customer back, created once.
    #[serde(default)]
    request: Option<String>,
    #[serde(default)]
    fields: serde_json::Map<String, serde_json::Value>,
}

async fn create_customer(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let req: CreateCustomer = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("bad customer request: {e}"),
            );
        }
    };
    let till = match authenticate(&state, &headers, &req.till) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let folder = match load_folder(&state, &req.folder).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let customers = customers(&state);
    let result = crate::sync::serverdb::with_ops(&folder, move |ops| {
        crate::sync::customers::create(ops, &customers, &till, req.request.as_deref(), &req.fields)
    })
    .await;
    match result {
        Ok(created) => (StatusCode::CREATED, Json(created)).into_response(),
        Err(e) => sync_error(e),
    }
}

/// Applies pushed items on the server database, then records the invoice events of the tickets
/// applied for the first time in this server's store, and notes on each ticket's inbox row what
/// was printed (or why not). The store's write lock is taken only for those events, after the
/// server database committed: a push that fails prints nothing, a duplicate is never applied
/// again so it never prints twice, and the pushes of many tills apply their tickets on the server
/// database side by side (the lock was held for a whole push before: the fleet's pushes ran one
/// after another). A crash between the two commits loses those invoices, never doubles them.
fn apply_with_print(
    ops: &mut dyn crate::sync::serverdb::ops::Ops,
    store: &std::path::Path,
    issuer: &str,
    folder: &crate::sync::Folder,
    customers: &Customers,
    till: &str,
    items: &[crate::sync::queue::Item],
) -> Result<Vec<inbox::ItemResult>, SyncError> {
    let applied = inbox::apply_items(ops, folder, customers, till, items)?;
    if !applied.tickets.is_empty() {
        let notes = print_tickets(store, issuer, till, &applied.tickets);
        if let Err(e) = inbox::note_all(ops, &notes) {
            tracing::warn!(error = %e, "pushed tickets' print notes were not written");
        }
    }
    Ok(applied.results)
}

/// Records the tickets' invoice events in one transaction on the store; a note per ticket.
fn print_tickets(
    store: &std::path::Path,
    issuer: &str,
    till: &str,
    tickets: &[crate::sync::queue::Ticket],
) -> Vec<(String, String)> {
    let not_printed = |why: &str| -> Vec<(String, String)> {
        tracing::warn!(till, error = %why, "pushed tickets will not print");
        let note = format!("not printed: {why}");
        tickets
            .iter()
            .map(|t| (t.uuid.clone(), note.clone()))
            .collect()
    };
    let conn = match crate::store::open(store) {
        Ok(c) => c,
        Err(e) => return not_printed(&format!("the store cannot be opened: {e}")),
    };
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        return not_printed(&e.to_string());
    }
    let notes: Vec<(String, String)> = tickets
        .iter()
        .map(|t| {
            let note = match crate::sync::print::record(&conn, issuer, till, t) {
                Ok(out) => format!(
                    "printed: event {}, {} job(s){}",
                    out.event_id,
                    out.jobs.len(),
                    out.skipped.map(|s| format!(" ({s})")).unwrap_or_default()
                ),
                Err(reason) => {
                    tracing::info!(till, ticket = %t.number, %reason, "pushed ticket");
                    reason
                }
            };
            (t.uuid.clone(), note)
        })
        .collect();
    match conn.execute_batch("COMMIT") {
        Ok(()) => {
            crate::worker::wake();
            notes
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            not_printed(&format!("storing the events: {e}"))
        }
    }
}
