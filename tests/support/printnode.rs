//! A local HTTP server that follows PrintNode's public API (the one peer that cannot run here
//! for real): `POST /printjobs` with HTTP basic auth (API key as user, empty password) and
//! `pdf_base64` content, `X-Idempotency-Key` (409 on a repeat), `GET /printjobs/{id}/states`,
//! `GET /printers/{id}`. Records what it receives; can be told to fail with a status code.
//! It serves HTTPS (PrintNode targets must be `https://`) with a self-signed certificate made by
//! `openssl`, through backroom's own TLS listener.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

/// A print job as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedJob {
    pub id: u64,
    pub printer_id: u64,
    pub title: String,
    pub document: Vec<u8>,
    pub qty: u64,
    pub bin: Option<String>,
    pub source: String,
    pub idempotency_key: Option<String>,
}

struct Inner {
    api_key: String,
    printer_id: u64,
    bins: Vec<String>,
    printer_state: String,
    jobs: Vec<ReceivedJob>,
    fail_with: Option<u16>,
}

type Shared = Arc<Mutex<Inner>>;

pub struct PrintNode {
    pub port: u16,
    /// The server's self-signed certificate: trust it with `backroom::net::trust::add_ca_file`.
    pub ca_file: std::path::PathBuf,
    _certs: tempfile::TempDir,
    inner: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PrintNode {
    /// Starts the server for one account (`api_key`) with one printer (`printer_id`).
    pub fn start(api_key: &str, printer_id: u64) -> PrintNode {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            api_key: api_key.to_string(),
            printer_id,
            bins: vec!["Tray 1".into(), "Tray 2".into(), "Manual Feed".into()],
            printer_state: "online".into(),
            jobs: Vec::new(),
            fail_with: None,
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind printnode server");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let certs = tempfile::tempdir().expect("cert dir");
        let pair = super::tls::self_signed(certs.path(), "printnode");
        let tls = backroom::server::tls::Reloadable::load(&pair.cert, &pair.key).expect("tls");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new()
            .route("/printjobs", post(create_job))
            .route("/printjobs/{id}/states", get(job_states))
            .route("/printers/{id}", get(printer))
            .with_state(inner.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("printnode runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let limits = backroom::server::listener::Limits {
                    header_timeout: std::time::Duration::from_secs(10),
                    max_connections: 64,
                };
                backroom::server::listener::run(listener, app, limits, Some(tls), async {
                    let _ = rx.await;
                })
                .await;
            });
        });
        PrintNode {
            port,
            ca_file: pair.ca.clone(),
            _certs: certs,
            inner,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// The backroom `printnode` target for the printer on this server.
    pub fn target(&self) -> String {
        let id = self.inner.lock().expect("lock").printer_id;
        format!("https://127.0.0.1:{}/printers/{id}", self.port)
    }

    pub fn jobs(&self) -> Vec<ReceivedJob> {
        self.inner.lock().expect("lock").jobs.clone()
    }

    /// Answers every request with this HTTP status (None: behave).
    pub fn fail_with(&self, status: Option<u16>) {
        self.inner.lock().expect("lock").fail_with = status;
    }

    pub fn set_printer_state(&self, state: &str) {
        self.inner.lock().expect("lock").printer_state = state.to_string();
    }
}

impl Drop for PrintNode {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "code": status.canonical_reason(), "message": message })),
    )
        .into_response()
}

/// Checks basic auth (API key as user, empty password) and the forced failure.
fn guard(inner: &Inner, headers: &HeaderMap) -> Option<Response> {
    if let Some(code) = inner.fail_with {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Some(error(status, "forced failure"));
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", inner.api_key))
    );
    let given = headers.get("authorization").and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return Some(error(StatusCode::UNAUTHORIZED, "API Key not found"));
    }
    None
}

async fn create_job(State(s): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let mut inner = s.lock().expect("lock");
    if let Some(r) = guard(&inner, &headers) {
        return r;
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "body is not JSON");
    };
    if v["contentType"] != "pdf_base64" {
        return error(
            StatusCode::BAD_REQUEST,
            "contentType must be pdf_base64 here",
        );
    }
    let Some(printer_id) = v["printerId"].as_u64() else {
        return error(StatusCode::BAD_REQUEST, "printerId must be a number");
    };
    if printer_id != inner.printer_id {
        return error(StatusCode::BAD_REQUEST, "printerId does not exist");
    }
    let Ok(document) =
        base64::engine::general_purpose::STANDARD.decode(v["content"].as_str().unwrap_or_default())
    else {
        return error(StatusCode::BAD_REQUEST, "content is not base64");
    };
    let key = headers
        .get("x-idempotency-key")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    if key.is_some() && inner.jobs.iter().any(|j| j.idempotency_key == key) {
        return error(StatusCode::CONFLICT, "duplicate X-Idempotency-Key");
    }
    let id = 1000 + inner.jobs.len() as u64 + 1;
    inner.jobs.push(ReceivedJob {
        id,
        printer_id,
        title: v["title"].as_str().unwrap_or_default().to_string(),
        document,
        qty: v["qty"].as_u64().unwrap_or(1),
        bin: v["options"]["bin"].as_str().map(str::to_string),
        source: v["source"].as_str().unwrap_or_default().to_string(),
        idempotency_key: key,
    });
    (StatusCode::CREATED, Json(json!(id))).into_response()
}

async fn job_states(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    let inner = s.lock().expect("lock");
    if let Some(r) = guard(&inner, &headers) {
        return r;
    }
    if !inner.jobs.iter().any(|j| j.id == id) {
        return Json(json!([])).into_response();
    }
    Json(json!([[
        { "printJobId": id, "state": "new", "message": null },
        { "printJobId": id, "state": "sent_to_client", "message": null },
        { "printJobId": id, "state": "done", "message": "Print job complete" }
    ]]))
    .into_response()
}

async fn printer(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    let inner = s.lock().expect("lock");
    if let Some(r) = guard(&inner, &headers) {
        return r;
    }
    if id != inner.printer_id {
        return Json(json!([])).into_response();
    }
    Json(json!([{
        "id": id,
        "name": "Front Desk Laser",
        "state": inner.printer_state,
        "computer": { "id": 7, "name": "BACKOFFICE-PC", "state": "connected" },
        "capabilities": { "bins": inner.bins }
    }]))
    .into_response()
}
