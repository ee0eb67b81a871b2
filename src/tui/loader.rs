//! Work off the UI loop: pane rows, counts, details and header counts on read connections of
//! their own (rows and details on one, counts on another, so a slow count never holds rows back),
//! and action work on its own connection, each in `spawn_blocking`, answered by an event.
//!
//! A load that a newer load of the same pane supersedes is cancelled where it stands (an SQLite
//! progress handler interrupts its statement), and a filter keystroke waits [`FILTER_DEBOUNCE`]
//! before reading, so that typing never queues one query per key.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::mpsc::UnboundedSender;

use crate::store::views::{self, View};
use crate::worker::WorkerStatus;

use super::effect::{DbWork, Effect, Progress};
use super::event::{Event, Loaded};
use super::panes::Pane;
use super::panes::table::{LoadRequest, WINDOW_HALF};

/// How long a filter keystroke waits for the next one before its rows are read.
pub const FILTER_DEBOUNCE: Duration = Duration::from_millis(30);

/// The error text of a load that a newer one superseded (the app drops it silently).
pub const SUPERSEDED: &str = "superseded by a newer load";

/// SQLite virtual-machine steps between two checks for a newer load.
const CHECK_EVERY: std::ffi::c_int = 2_000;

/// One lazily opened connection.
#[derive(Clone, Default)]
struct Slot(Arc<Mutex<Option<Connection>>>);

/// The newest load (rows) and count asked for, per pane.
#[derive(Default)]
struct Latest {
    rows: [AtomicU64; Pane::ALL.len()],
    counts: [AtomicU64; Pane::ALL.len()],
}

/// The connections pane loads read through (opened on first use, reused after).
#[derive(Clone)]
pub struct Reader {
    db: PathBuf,
    rows: Slot,
    counts: Slot,
    latest: Arc<Latest>,
}

impl Reader {
    pub fn new(db: &Path) -> Reader {
        Reader {
            db: db.to_path_buf(),
            rows: Slot::default(),
            counts: Slot::default(),
            latest: Arc::new(Latest::default()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T, String> {
        self.on(&self.rows, f)
    }

    fn on<T>(
        &self,
        slot: &Slot,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, String> {
        let mut guard = slot.0.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let conn = crate::store::open(&self.db).map_err(|e| format!("{e}"))?;
            *guard = Some(conn);
        }
        match guard.as_mut() {
            Some(conn) => f(conn).map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::OperationInterrupted) => SUPERSEDED.to_string(),
                _ => e.to_string(),
            }),
            None => Err("no database connection".to_string()),
        }
    }
}

/// Reads a pane's window (and, when asked, its notices), sends it, then counts when asked on
/// the count connection: the rows are drawn without waiting for a count over a large table.
/// `link_focus`: the session's focused generic-link limit, for the Contacts pane's notices.
pub fn load(
    reader: &Reader,
    pane: Pane,
    req: LoadRequest,
    link_focus: u8,
    tx: &UnboundedSender<Event>,
) {
    let reader = reader.clone();
    let tx = tx.clone();
    let i = pane.index();
    reader.latest.rows[i].store(req.seq, Ordering::Relaxed);
    if let Some(c) = req.count {
        reader.latest.counts[i].store(c, Ordering::Relaxed);
    }
    tokio::task::spawn_blocking(move || {
        let view = pane.view();
        let newest = Arc::clone(&reader.latest);
        if req.debounce {
            std::thread::sleep(FILTER_DEBOUNCE);
        }
        let superseded = newest.rows[i].load(Ordering::Relaxed) != req.seq;
        let result = if superseded {
            Err(SUPERSEDED.to_string())
        } else {
            reader.with(|conn| {
                let watch = Arc::clone(&newest);
                conn.progress_handler(
                    CHECK_EVERY,
                    Some(move || watch.rows[i].load(Ordering::Relaxed) != req.seq),
                )?;
                let window = views::window(
                    conn,
                    view,
                    &req.query,
                    &req.anchor,
                    WINDOW_HALF,
                    WINDOW_HALF,
                );
                conn.progress_handler(0, None::<fn() -> bool>)?;
                let window = window?;
                let notices = match req.count {
                    Some(_) => Some(pane.notices(conn, link_focus)?),
                    None => None,
                };
                Ok(Loaded { window, notices })
            })
        };
        let _ = tx.send(Event::Loaded {
            pane,
            seq: req.seq,
            result,
        });
        if let Some(count_seq) = req.count {
            let result = if newest.counts[i].load(Ordering::Relaxed) != count_seq {
                Err(SUPERSEDED.to_string())
            } else {
                reader.on(&reader.counts, |conn| {
                    let watch = Arc::clone(&newest);
                    conn.progress_handler(
                        CHECK_EVERY,
                        Some(move || watch.counts[i].load(Ordering::Relaxed) != count_seq),
                    )?;
                    let count = views::count(conn, view, &req.query);
                    conn.progress_handler(0, None::<fn() -> bool>)?;
                    count
                })
            };
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
