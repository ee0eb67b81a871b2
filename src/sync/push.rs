//! The till synchroniser's push: sends the queue to `backroom serve` in order, in batches, and
//! marks what the server confirmed. Offline, items wait; a rejected item stops the channel.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::inbox::{ItemResult, Outcome};
use super::queue::{self, Item};
use super::serverdb::blocking;
use super::{Folder, SyncError};

/// Who this till is, for the server.
#[derive(Debug, Clone)]
pub struct Identity {
    pub number: String,
    pub token: String,
}

impl Identity {
    /// This till's identity from `[till]` in config.toml.
    pub fn from_config(till: &crate::config::TillSection) -> Result<Identity, SyncError> {
        if till.number.trim().is_empty() {
            return Err(SyncError::Config(
                "this backroom is not a till: set number under [till] in config.toml".into(),
            ));
        }
        let Some(token) = till.token.clone().filter(|t| !t.is_empty()) else {
            return Err(SyncError::Config(format!(
                "till {} has no token: set token under [till] in config.toml (the server lists it under [server.till_tokens])",
                till.number
            )));
        };
        Ok(Identity {
            number: till.number.trim().to_string(),
            token,
        })
    }
}

/// A push request.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub folder: String,
    pub till: String,
    pub items: Vec<Item>,
}

/// The server's reply.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    pub results: Vec<ItemResult>,
}

/// What a push did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pushed {
    pub folder: String,
    pub applied: u64,
    pub duplicates: u64,
    pub batches: u64,
    pub bytes: u64,
    pub waiting: i64,
}

/// The endpoint under the folder's web service URL.
pub fn endpoint(folder: &Folder, path: &str) -> Result<String, SyncError> {
    let base = folder.ws_url.trim().trim_end_matches('/');
    if base.is_empty() {
        return Err(SyncError::Config(format!(
            "folder {} has no web service URL (backroom pos folders set {} --ws-url http://server:8080)",
            folder.code, folder.code
        )));
    }
    Ok(format!("{base}{path}"))
}

/// An HTTP client with the synchroniser's timeouts.
pub fn client() -> Result<reqwest::Client, SyncError> {
    crate::net::trust::client_builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| SyncError::Config(format!("cannot build the HTTP client: {e}")))
}

/// Turns a non-success reply into an error naming the status and the server's message.
pub async fn refusal(url: &str, resp: reqwest::Response) -> SyncError {
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or(body);
    let text = format!("{url} answered {status}: {message}");
    if status.is_server_error() {
        SyncError::Unreachable {
            url: url.to_string(),
            message: format!("answered {status}: {message}"),
        }
    } else {
        SyncError::Refused(text)
    }
}

/// The number of items waiting in the queue of `folder` (for messages: the real depth).
async fn depth(db: &Path, folder: &str) -> Result<i64, SyncError> {
    let (db, folder) = (db.to_path_buf(), folder.to_string());
    blocking(move || {
        let conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
        Ok(crate::store::sync::queue_depth(&conn, &folder)?.waiting)
    })
    .await
}

/// Pushes everything queued for `folder`, `batch` items per request (customer creations whose
/// reply was lost go first). `moved` hears what was moved after each request, so a push that
/// fails later still counts it.
pub async fn run(
    store: &Path,
    folder: &Folder,
    me: &Identity,
    batch: usize,
    moved: &(dyn Fn(&Pushed) + Send + Sync),
) -> Result<Pushed, SyncError> {
    let url = endpoint(folder, "/api/till/push")?;
    if let Err(e) = super::till_customers::send_pending(store, folder, me).await {
        tracing::info!(folder = %folder.code, error = %e, "pending customer creations wait");
    }
    let http = client()?;
    // Each push carries the till's status (at most every few seconds); its failure is the push's to tell.
    if let Err(e) = super::fleet::report(store, folder, me).await {
        tracing::debug!(folder = %folder.code, error = %e, "till status not reported");
    }
    let mut out = Pushed {
        folder: folder.code.clone(),
        ..Pushed::default()
    };
    let db = store.to_path_buf();
    let code = folder.code.clone();
    loop {
        let (db2, code2) = (db.clone(), code.clone());
        let items = blocking(move || {
            let conn = crate::store::open(&db2).map_err(|e| SyncError::Config(e.to_string()))?;
            queue::pending(&conn, &code2, batch.max(1))
        })
        .await?;
        if items.is_empty() {
            break;
        }
        let body = serde_json::to_vec(&Request {
            folder: code.clone(),
            till: me.number.clone(),
            items: items.clone(),
        })
        .map_err(|e| SyncError::Rejected(e.to_string()))?;
        let size = body.len() as u64;
        let sent = http
            .post(&url)
            .bearer_auth(&me.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let waiting = depth(&db, &code).await?;
                let err = SyncError::Unreachable {
                    url: url.clone(),
                    message: format!(
                        "{e}; {waiting} item(s) wait in the queue and will be sent when it is back"
                    ),
                };
                note(&db, &code, None, &err.to_string()).await?;
                return Err(err);
            }
        };
        if !resp.status().is_success() {
            let err = refusal(&url, resp).await;
            note(&db, &code, None, &err.to_string()).await?;
            if let SyncError::Refused(m) = &err {
                block(&db, &code, m, "check [till] number and token here and [server.till_tokens] on the server, then run backroom sync run push again").await?;
            }
            return Err(err);
        }
        let reply: Reply = match resp.json().await {
            Ok(r) => r,
            Err(e) => {
                let err = SyncError::Unreachable {
                    url: url.clone(),
                    message: format!(
                        "the reply was lost or unreadable ({e}); the items will be sent again, the server keeps each once"
                    ),
                };
                note(&db, &code, None, &err.to_string()).await?;
                return Err(err);
            }
        };
        out.batches += 1;
        out.bytes += size;
        let mut acked = Vec::new();
        let mut rejected = None;
        for r in &reply.results {
            match r.outcome {
                Outcome::Applied => {
                    out.applied += 1;
                    acked.push(r.uuid.clone());
                }
                Outcome::Duplicate => {
                    out.duplicates += 1;
                    acked.push(r.uuid.clone());
                }
                Outcome::Rejected => {
                    rejected = Some(r.clone());
                    break;
                }
            }
        }
        let (db2, acked2) = (db.clone(), acked.clone());
        blocking(move || {
            let mut conn =
                crate::store::open(&db2).map_err(|e| SyncError::Config(e.to_string()))?;
            queue::ack(&mut conn, &acked2)
        })
        .await?;
        moved(&out);
        if let Some(r) = rejected {
            let message = r.message.unwrap_or_else(|| "rejected by the server".into());
            note(&db, &code, Some(&r.uuid), &message).await?;
            let hint = format!(
                "the server refused item {uuid}; later items wait to keep their order. Fix the cause on the server (see the message), then run backroom sync run push; or let the others go: backroom till queue set-aside {code} {uuid} --reason \"…\" (kept here until put back)",
                uuid = r.uuid
            );
            block(&db, &code, &message, &hint).await?;
            return Err(SyncError::Rejected(message));
        }
        if acked.is_empty() {
            break;
        }
    }
    let (db2, code2) = (db.clone(), code.clone());
    out.waiting = blocking(move || {
        let conn = crate::store::open(&db2).map_err(|e| SyncError::Config(e.to_string()))?;
        crate::store::sync::unblock(&conn, &code2, "push")?;
        queue::purge_acked(&conn, 30)?;
        Ok(crate::store::sync::queue_depth(&conn, &code2)?.waiting)
    })
    .await?;
    Ok(out)
}

async fn note(db: &Path, folder: &str, uuid: Option<&str>, error: &str) -> Result<(), SyncError> {
    let (db, folder, uuid, error) = (
        db.to_path_buf(),
        folder.to_string(),
        uuid.map(str::to_string),
        error.to_string(),
    );
    blocking(move || {
        let conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
        queue::note_failure(&conn, &folder, uuid.as_deref(), &error)
    })
    .await
}

async fn block(db: &Path, folder: &str, error: &str, hint: &str) -> Result<(), SyncError> {
    let (db, folder, error, hint) = (
        db.to_path_buf(),
        folder.to_string(),
        error.to_string(),
        hint.to_string(),
    );
    blocking(move || {
        let conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
        Ok(crate::store::sync::block(
            &conn, &folder, "push", None, &error, &hint,
        )?)
    })
    .await
}
