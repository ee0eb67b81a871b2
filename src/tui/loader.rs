//! Work off the UI loop: pane loads, details and header counts on a shared read connection,
//! and action work on its own connection, each in `spawn_blocking`, answered by an event.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::mpsc::UnboundedSender;

use crate::store::views::{self, View};
use crate::worker::WorkerStatus;

use super::effect::{DbWork, Effect, Progress};
use super::event::{Event, Loaded};
use super::panes::Pane;
use super::panes::table::{LoadRequest, WINDOW_HALF};

/// The connection pane loads read through (opened on first use, reused after).
#[derive(Clone)]
pub struct Reader {
    db: PathBuf,
    conn: Arc<Mutex<Option<Connection>>>,
}

impl Reader {
    pub fn new(db: &Path) -> Reader {
        Reader {
            db: db.to_path_buf(),
            conn: Arc::new(Mutex::new(None)),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, String> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let conn = crate::store::open(&self.db).map_err(|e| format!("{e}"))?;
            *guard = Some(conn);
        }
        match guard.as_ref() {
            Some(conn) => f(conn).map_err(|e| e.to_string()),
            None => Err("no database connection".to_string()),
        }
    }
}

/// Reads a pane's window (and, when asked, its notices), sends it, then counts when asked:
/// the rows are drawn without waiting for a count over a large table.
pub fn load(reader: &Reader, pane: Pane, req: LoadRequest, tx: &UnboundedSender<Event>) {
    let reader = reader.clone();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let view = pane.view();
        let result = reader.with(|conn| {
            let window = views::window(
                conn,
                view,
                &req.query,
                &req.anchor,
                WINDOW_HALF,
                WINDOW_HALF,
            )?;
            let notices = match req.count {
                Some(_) => Some(pane.notices(conn)?),
                None => None,
            };
            Ok(Loaded { window, notices })
        });
        let _ = tx.send(Event::Loaded {
            pane,
            seq: req.seq,
            result,
        });
        if let Some(count_seq) = req.count {
            let result = reader.with(|conn| views::count(conn, view, &req.query));
            let _ = tx.send(Event::Counted {
                pane,
                count_seq,
                result,
            });
        }
    });
}

/// Reads the detail of row `id`.
pub fn detail(reader: &Reader, view: &'static View, id: i64, tx: &UnboundedSender<Event>) {
    let reader = reader.clone();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let result = reader.with(|conn| (view.detail)(conn, id));
        let _ = tx.send(Event::Detail(result));
    });
}

/// Counts the queues; reads the lease holder when this process runs no worker.
pub fn header(reader: &Reader, read_lease: bool, tx: &UnboundedSender<Event>) {
    let reader = reader.clone();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let result = reader.with(|conn| {
            let queue = views::queue_depth(conn)?;
            let lease = if read_lease {
                Some(match crate::worker::lease::holder(conn)? {
                    Some(holder) => WorkerStatus::RunningElsewhere { holder },
                    None => WorkerStatus::NotRunning,
                })
            } else {
                None
            };
            Ok((queue, lease))
        });
        let (queue, lease) = match result {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "header counts");
                (Default::default(), None)
            }
        };
        let _ = tx.send(Event::Header { queue, lease });
    });
}

/// Runs an action's database work on its own connection.
pub fn work(db: &Path, label: String, work: DbWork, tx: &UnboundedSender<Event>) {
    let db = db.to_path_buf();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let progress = Progress {
            label: label.clone(),
            tx: tx.clone(),
        };
        let result = crate::store::open(&db)
            .map_err(anyhow::Error::from)
            .and_then(|mut conn| work(&mut conn, &progress));
        let result = result.unwrap_or_else(|e| {
            tracing::warn!(error = %format!("{e:#}"), %label, "action failed");
            Effect::Error(format!("{label}: {e:#}"))
        });
        let _ = tx.send(Event::Done { label, result });
    });
}
