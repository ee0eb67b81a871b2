//! Back at once after an outage: a printer with waiting jobs is asked how it is (at most every
//! [`PROBE_INTERVAL`]); when it answers ready after a probe found it not ready, all its waiting
//! jobs become due now instead of each waiting out its own backoff.
//!
//! A printer that answers ready while its sends fail (a full disk under a spool folder, a printer
//! answering Print-Job with a server error) keeps its jobs' backoff: making them due at each
//! ready answer spent all eight attempts of a queue within 50 ms.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::net::print;
use crate::store::jobs;

/// The shortest time between two probes of one printer.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(5);

/// When each printer was last probed, and which ones a probe last found not ready.
#[derive(Default)]
pub struct Prober {
    last: HashMap<i64, Instant>,
    down: Arc<Mutex<HashSet<i64>>>,
}

impl Prober {
    /// Probes (in the background) each printer with waiting jobs not probed for
    /// [`PROBE_INTERVAL`]; never blocks the dispatcher. A probe time is kept for its interval
    /// even when the printer has no waiting job for a moment (its jobs made due, failing again).
    pub fn run(&mut self, db: &Path, waiting: Vec<i64>) {
        self.last.retain(|_, t| t.elapsed() < PROBE_INTERVAL);
        for id in waiting {
            if self.last.contains_key(&id) {
                continue;
            }
            self.last.insert(id, Instant::now());
            tokio::spawn(probe(db.to_path_buf(), id, Arc::clone(&self.down)));
        }
    }
}

async fn probe(db: PathBuf, printer_id: i64, down: Arc<Mutex<HashSet<i64>>>) {
    let path = db.clone();
    let printer = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let conn = crate::store::open(&path)?;
        Ok(crate::store::printers::by_id(&conn, printer_id)?)
    })
    .await;
    let Ok(Ok(Some(printer))) = printer else {
        return;
    };
    let back = match print::check(&printer).await {
        // A printer busy printing is not "back": its jobs keep their backoff.
        Ok(status) => status.ready && status.state != "processing",
        Err(e) => {
            tracing::debug!(printer = %printer.name, error = %e, "probe");
            false
        }
    };
    let was_down = {
        let mut down = down.lock().unwrap_or_else(|p| p.into_inner());
        if back {
            down.remove(&printer_id)
        } else {
            down.insert(printer_id);
            false
        }
    };
    // Not ready, or ready without having been found down: whatever fails its sends, a probe
    // does not see it, and its jobs keep their backoff.
    if !back || !was_down {
        return;
    }
    let made_due = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let conn = crate::store::open(&db)?;
        Ok(jobs::due_now_for_printer(&conn, printer_id)?)
    })
    .await;
    if let Ok(Ok(n)) = made_due
        && n > 0
    {
        tracing::info!(printer = %printer.name, jobs = n, "printer answers again: its waiting jobs are due now");
        crate::worker::wake();
    }
}
