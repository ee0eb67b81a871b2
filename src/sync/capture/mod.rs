//! Change capture on the server database, as SymmetricDS does it: a trigger on every server → till
//! table records each insert, update and delete in `backroom_sync_log` with a monotonic sequence.
//!
//! `backroom_sync_capture` remembers, per table, the columns and key the triggers were built for,
//! so `check` can tell when a table changed shape after the install.

pub mod postgres;
pub mod sqlite;

use serde::Serialize;

use super::serverdb::{ServerDb, TableInfo, blocking};
use super::{Folder, SyncError};

/// The state of capture on one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Installed,
    Missing,
    /// The table's columns or key changed since the install: reinstall.
    Stale,
}

/// Capture on one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableCapture {
    pub table: String,
    pub state: State,
    pub detail: String,
}

/// What `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub folder: String,
    pub db_kind: String,
    pub tables: Vec<TableCapture>,
    /// Changes recorded and not yet purged by an export.
    pub logged_changes: i64,
    pub last_seq: i64,
    /// After an install: the folder's next export is full (see [`install`]).
    pub full_next: bool,
}

impl Report {
    pub fn all_installed(&self) -> bool {
        self.tables.iter().all(|t| t.state == State::Installed)
    }
}

/// What the capture table remembers of an installed table.
#[derive(Debug, Clone)]
pub struct Installed {
    pub table: String,
    pub folder: String,
    pub columns: Vec<String>,
    pub pk: Vec<String>,
    pub trigger_present: bool,
}

/// Compares what was installed with the table as it is now.
pub fn judge(info: &TableInfo, installed: Option<&Installed>) -> TableCapture {
    let (state, detail) = match installed {
        None => (
            State::Missing,
            "no trigger: run backroom sync capture install".to_string(),
        ),
        Some(i) if !i.trigger_present => (
            State::Missing,
            "the trigger was dropped: run backroom sync capture install".to_string(),
        ),
        Some(i) if i.columns != info.columns || i.pk != info.pk => (
            State::Stale,
            format!(
                "installed for columns ({}) key ({}), the table now has ({}) key ({}): run backroom sync capture install",
                i.columns.join(", "),
                i.pk.join(", "),
                info.columns.join(", "),
                info.pk.join(", ")
            ),
        ),
        Some(_) => (
            State::Installed,
            format!(
                "{} columns, key ({})",
                info.columns.len(),
                info.pk.join(", ")
            ),
        ),
    };
    TableCapture {
        table: info.name.clone(),
        state,
        detail,
    }
}

fn outgoing(folder: &Folder) -> Result<Vec<String>, SyncError> {
    let names: Vec<String> = folder.outgoing().map(|t| t.name.clone()).collect();
    if names.is_empty() {
        return Err(SyncError::Config(format!(
            "folder {} has no server → till table (add one: backroom sync tables add {} ART --type incremental --direction server-to-till)",
            folder.code, folder.code
        )));
    }
    Ok(names)
}

/// Installs (or reinstalls) the triggers of every server → till table, all or nothing.
/// `watermark` is the last sequence the folder exported (0 before its first export): the log's
/// sequence goes on above it. The result says, in `full_next`, whether the next export must be
/// full: after an export, when the log was created anew (capture removed, then installed again:
/// the changes in between were not recorded), or when a table was not captured as it is now (a
/// table added to the folder, whose rows no batch carried yet, or a table whose columns changed,
/// whose recorded changes have the old columns).
pub async fn install(folder: &Folder, watermark: i64) -> Result<Report, SyncError> {
    let tables = outgoing(folder)?;
    let db = ServerDb::connect(folder).await?;
    let mut infos = Vec::new();
    for t in &tables {
        infos.push(db.describe(&folder.code, t).await?);
    }
    let before = check_with(folder, &db, &tables).await?;
    let log_existed = match &db {
        ServerDb::Postgres(c) => postgres::install(c, &folder.code, &infos, watermark).await?,
        ServerDb::Sqlite(path) => {
            let (path, code, infos) = (path.clone(), folder.code.clone(), infos.clone());
            blocking(move || {
                let mut conn = super::serverdb::sqlite::open(&path, &code)?;
                sqlite::install(&mut conn, &code, &infos, watermark)
            })
            .await?
        }
    };
    let mut report = check_with(folder, &db, &tables).await?;
    report.full_next = watermark > 0 && (!log_existed || !before.all_installed());
    Ok(report)
}

/// Reports the state of capture on every server → till table.
pub async fn check(folder: &Folder) -> Result<Report, SyncError> {
    let tables = outgoing(folder)?;
    let db = ServerDb::connect(folder).await?;
    check_with(folder, &db, &tables).await
}

async fn check_with(
    folder: &Folder,
    db: &ServerDb,
    tables: &[String],
) -> Result<Report, SyncError> {
    let (installed, logged, last) = match db {
        ServerDb::Postgres(c) => postgres::installed(c, &folder.code).await?,
        ServerDb::Sqlite(path) => {
            let (path, code) = (path.clone(), folder.code.clone());
            blocking(move || {
                let conn = super::serverdb::sqlite::open(&path, &code)?;
                sqlite::installed(&conn)
            })
            .await?
        }
    };
    let mut out = Vec::new();
    for t in tables {
        let info = db.describe(&folder.code, t).await?;
        let found = installed.iter().find(|i| i.table.eq_ignore_ascii_case(t));
        let mut judged = judge(&info, found);
        if let Some(i) = found
            && i.folder != folder.code
        {
            judged.state = State::Stale;
            judged.detail = format!(
                "installed for folder {}; one server database serves one POS folder",
                i.folder
            );
        }
        out.push(judged);
    }
    Ok(Report {
        folder: folder.code.clone(),
        db_kind: folder.db_kind.clone(),
        tables: out,
        logged_changes: logged,
        last_seq: last,
        full_next: false,
    })
}

/// What `remove` did.
#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    /// Tables whose trigger was dropped.
    pub tables: usize,
    /// `backroom_sync_log` and `backroom_sync_capture` were dropped (no other table used them).
    pub dropped_log: bool,
}

/// Removes the triggers and the recorded changes of every server → till table of the folder, and
/// the log and capture tables themselves when nothing else is captured.
pub async fn remove(folder: &Folder) -> Result<Removal, SyncError> {
    let tables = outgoing(folder)?;
    let db = ServerDb::connect(folder).await?;
    let mut infos = Vec::new();
    for t in &tables {
        match db.describe(&folder.code, t).await {
            Ok(i) => infos.push(i),
            Err(_) => infos.push(TableInfo {
                name: t.clone(),
                actual: t.clone(),
                columns: Vec::new(),
                pk: Vec::new(),
            }),
        }
    }
    match &db {
        ServerDb::Postgres(c) => postgres::remove(c, &folder.code, &infos).await,
        ServerDb::Sqlite(path) => {
            let (path, code) = (path.clone(), folder.code.clone());
            blocking(move || {
                let mut conn = super::serverdb::sqlite::open(&path, &code)?;
                sqlite::remove(&mut conn, &infos)
            })
            .await
        }
    }
}

/// Refuses an export when capture is not in place, saying what to do.
pub fn require_installed(report: &Report) -> Result<(), SyncError> {
    let bad: Vec<String> = report
        .tables
        .iter()
        .filter(|t| t.state != State::Installed)
        .map(|t| format!("{} ({})", t.table, t.detail))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(SyncError::Blocked(format!(
        "change capture is not in place on the server database of folder {}: {}; run backroom sync capture install {}",
        report.folder,
        bad.join("; "),
        report.folder
    )))
}
