//! Runs of the sync processes: logging each one (`sync_runs`, `sync_processes.last_*`) and progress.

use std::path::Path;
use std::sync::Arc;

use crate::store::sync::RunTotals;

/// Which process a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Process {
    Export,
    Import,
    Push,
    Update,
}

impl Process {
    pub fn as_str(self) -> &'static str {
        match self {
            Process::Export => "export",
            Process::Import => "import",
            Process::Push => "push",
            Process::Update => "update",
        }
    }

    /// The process kind as configured per folder (`sync_processes.kind`).
    pub fn kind(self) -> Option<&'static str> {
        match self {
            Process::Export => Some("export_caisseauto"),
            Process::Import => Some("import_caisseauto"),
            Process::Update => Some("import_updatecaisse"),
            Process::Push => None,
        }
    }
}

/// Progress of a running export or import: rows done out of a total when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub folder: String,
    pub process: Process,
    pub done: u64,
    pub total: Option<u64>,
}

/// Where progress goes (the worker turns it into notifications; the CLI ignores it).
pub type Reporter = Arc<dyn Fn(Progress) + Send + Sync>;

/// A reporter that drops everything.
pub fn quiet() -> Reporter {
    Arc::new(|_| {})
}

/// What a run moved so far, so a run that fails late still counts what it moved.
pub type Moved = Arc<std::sync::Mutex<RunTotals>>;

/// Opens the run's log line, runs `work`, and closes the line with its outcome; a failed run
/// keeps the totals `moved` holds.
pub async fn logged<T, F>(
    db: &Path,
    folder_id: Option<i64>,
    process: Process,
    moved: Moved,
    work: F,
) -> anyhow::Result<T>
where
    F: std::future::Future<Output = anyhow::Result<(T, RunTotals, String)>>,
{
    let id = {
        let conn = crate::store::open(db)?;
        crate::store::sync::run_start(&conn, folder_id, process.as_str())?
    };
    let result = work.await;
    let conn = crate::store::open(db)?;
    match result {
        Ok((value, totals, message)) => {
            crate::store::sync::run_finish(&conn, id, &totals, "ok", &message)?;
            Ok(value)
        }
        Err(e) => {
            let message = format!("{e:#}");
            let totals = moved.lock().map(|t| t.clone()).unwrap_or_default();
            let nothing_moved = totals.rows == 0 && totals.batches == 0 && totals.bytes == 0;
            if !(nothing_moved && crate::store::sync::fold_repeated_error(&conn, id, &message)?) {
                crate::store::sync::run_finish(&conn, id, &totals, "error", &message)?;
            }
            Err(e)
        }
    }
}
