//! Back at once after an outage: a printer with waiting jobs is asked how it is (at most every
//! [`PROBE_INTERVAL`]); when it answers ready, all its waiting jobs become due now instead of
//! each waiting out its own backoff.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::net::print;
use crate::store::jobs;

/// The shortest time between two probes of one printer.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(5);

/// When each printer was last probed.
#[derive(Default)]
pub struct Prober {
    last: HashMap<i64, Instant>,
}

impl Prober {
    /// Probes (in the background) each printer with waiting jobs not probed for
    /// [`PROBE_INTERVAL`]; never blocks the dispatcher.
    pub fn run(&mut self, db: &Path, waiting: Vec<i64>) {
        self.last.retain(|id, _| waiting.contains(id));
        for id in waiting {
            if self
                .last
                .get(&id)
                .is_some_and(|t| t.elapsed() < PROBE_INTERVAL)
            {
                continue;
            }
            self.last.insert(id, Instant::now());
            tokio::spawn(probe(db.to_path_buf(), id));
        }
    }
}

async fn probe(db: PathBuf, printer_id: i64) {
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
    if !back {
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
