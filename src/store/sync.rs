//! Queries of the sync area: folders as the processes read them, runs, exports, applied batches,
//! blocked channels, the till queue.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::sync::folder::{Direction, Folder, Table};

/// Loads a POS folder by code, with its sync tables.
pub fn folder(conn: &Connection, code: &str) -> rusqlite::Result<Option<Folder>> {
    let found = conn
        .query_row(
            "SELECT id, code, db_kind, db_host, db_port, db_name, db_user, db_password,
                    ftp_mode, ftp_share, ftp_address, ftp_user, ftp_password, ws_url, sync_wait_ms
             FROM pos_folders WHERE code = ?1",
            [code],
            |r| {
                Ok(Folder {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    db_kind: r.get(2)?,
                    db_host: r.get(3)?,
                    db_port: r
                        .get::<_, Option<i64>>(4)?
                        .and_then(|p| u16::try_from(p).ok()),
                    db_name: r.get(5)?,
                    db_user: r.get(6)?,
                    db_password: r.get(7)?,
                    ftp_mode: r.get(8)?,
                    ftp_share: r.get(9)?,
                    ftp_address: r.get(10)?,
                    ftp_user: r.get(11)?,
                    ftp_password: r.get(12)?,
                    ws_url: r.get(13)?,
                    sync_wait_ms: u64::try_from(r.get::<_, i64>(14)?).unwrap_or(0),
                    tables: Vec::new(),
                })
            },
        )
        .optional()?;
    let Some(mut folder) = found else {
        return Ok(None);
    };
    let mut stmt = conn.prepare(
        "SELECT table_name, sync_type, direction FROM sync_tables WHERE folder_id = ?1 ORDER BY id",
    )?;
    folder.tables = stmt
        .query_map([folder.id], |r| {
            let direction: String = r.get(2)?;
            Ok(Table {
                name: r.get(0)?,
                full: r.get::<_, String>(1)? == "full",
                direction: if direction == "till_to_server" {
                    Direction::TillToServer
                } else {
                    Direction::ServerToTill
                },
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(folder))
}

/// Codes of every POS folder.
pub fn folder_codes(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT code FROM pos_folders ORDER BY code")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// A run of a sync process, as logged.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: i64,
    pub folder: Option<String>,
    pub process: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub rows: i64,
    pub batches: i64,
    pub bytes: i64,
    pub outcome: Option<String>,
    pub message: Option<String>,
}

/// Starts logging a run; returns its id.
pub fn run_start(
    conn: &Connection,
    folder_id: Option<i64>,
    process: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO sync_runs (folder_id, process, started_at, outcome) VALUES (?1, ?2, ?3, 'running')",
        params![folder_id, process, crate::store::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// What a finished run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunTotals {
    pub rows: i64,
    pub batches: i64,
    pub bytes: i64,
}

/// Finishes a run and copies its result into the folder's process row (`sync_processes.last_*`).
pub fn run_finish(
    conn: &Connection,
    id: i64,
    totals: &RunTotals,
    outcome: &str,
    message: &str,
) -> rusqlite::Result<()> {
    let now = crate::store::now();
    conn.execute(
        "UPDATE sync_runs SET finished_at = ?2, rows = ?3, batches = ?4, bytes = ?5, outcome = ?6, message = ?7
         WHERE id = ?1",
        params![id, now, totals.rows, totals.batches, totals.bytes, outcome, message],
    )?;
    conn.execute(
        "UPDATE sync_processes SET last_run_at = ?2, last_outcome = ?3, last_message = ?4
         WHERE (folder_id, kind) = (SELECT folder_id,
                   CASE process WHEN 'export' THEN 'export_caisseauto'
                                WHEN 'import' THEN 'import_caisseauto'
                                WHEN 'update' THEN 'import_updatecaisse' END
                FROM sync_runs WHERE id = ?1)",
        params![id, now, outcome, message],
    )?;
    Ok(())
}

/// The latest runs, newest first (of one folder when given).
pub fn runs(
    conn: &Connection,
    folder: Option<&str>,
    filter: &crate::store::views::Filter,
    limit: Option<usize>,
) -> rusqlite::Result<Vec<Run>> {
    let (cond, values) = runs_where(folder, filter);
    let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare(&format!(
        "SELECT r.id, f.code, r.process, r.started_at, r.finished_at, r.rows, r.batches, r.bytes,
                r.outcome, r.message
         FROM {from} WHERE {cond} ORDER BY r.id DESC LIMIT {limit}",
        from = crate::store::views::lists::SYNC_RUNS.from
    ))?;
    stmt.query_map(rusqlite::params_from_iter(values), |r| {
        Ok(Run {
            id: r.get(0)?,
            folder: r.get(1)?,
            process: r.get(2)?,
            started_at: r.get(3)?,
            finished_at: r.get(4)?,
            rows: r.get(5)?,
            batches: r.get(6)?,
            bytes: r.get(7)?,
            outcome: r.get(8)?,
            message: r.get(9)?,
        })
    })?
    .collect()
}

/// How many runs [`runs`] would list without a limit (counted up to
/// [`crate::store::counts::COUNT_CAP`]).
pub fn runs_count(
    conn: &Connection,
    folder: Option<&str>,
    filter: &crate::store::views::Filter,
) -> rusqlite::Result<crate::store::counts::Count> {
    let (cond, values) = runs_where(folder, filter);
    crate::store::counts::capped(
        conn,
        crate::store::views::lists::SYNC_RUNS.from,
        &cond,
        values,
    )
}

/// The condition on the runs of `folder` (every folder's when `None`) that `filter` keeps.
fn runs_where(
    folder: Option<&str>,
    filter: &crate::store::views::Filter,
) -> (String, Vec<rusqlite::types::Value>) {
    let (cond, mut values) = filter.sql(&crate::store::views::lists::SYNC_RUNS);
    values.insert(
        0,
        folder.map_or(rusqlite::types::Value::Null, |f| f.to_string().into()),
    );
    (format!("(?1 IS NULL OR f.code = ?1) AND {cond}"), values)
}

/// How long the run log keeps a run.
pub const RUN_RETENTION_DAYS: i64 = 30;

/// Runs the log keeps no longer, deleted per transaction.
const RUN_PURGE_BATCH: usize = 500;

/// Forgets the runs started more than [`RUN_RETENTION_DAYS`] before `now`, a batch per short
/// transaction (each process's last result stays in its `sync_processes` row); returns how many.
pub fn purge_runs(
    conn: &Connection,
    now: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<usize> {
    let before = crate::store::to_text(now - chrono::Duration::days(RUN_RETENTION_DAYS));
    crate::store::batch::until_done(
        conn,
        &format!(
            "DELETE FROM sync_runs WHERE id IN (SELECT id FROM sync_runs
             WHERE started_at < ?1 LIMIT {RUN_PURGE_BATCH})"
        ),
        [before],
        RUN_PURGE_BATCH,
    )
}

/// The last run of a process for a folder.
pub fn last_run(conn: &Connection, folder_id: i64, process: &str) -> rusqlite::Result<Option<Run>> {
    conn.query_row(
        "SELECT r.id, f.code, r.process, r.started_at, r.finished_at, r.rows, r.batches, r.bytes,
                r.outcome, r.message
         FROM sync_runs r LEFT JOIN pos_folders f ON f.id = r.folder_id
         WHERE r.folder_id = ?1 AND r.process = ?2 ORDER BY r.id DESC LIMIT 1",
        params![folder_id, process],
        |r| {
            Ok(Run {
                id: r.get(0)?,
                folder: r.get(1)?,
                process: r.get(2)?,
                started_at: r.get(3)?,
                finished_at: r.get(4)?,
                rows: r.get(5)?,
                batches: r.get(6)?,
                bytes: r.get(7)?,
                outcome: r.get(8)?,
                message: r.get(9)?,
            })
        },
    )
    .optional()
}

/// A batch exported by the server.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    pub batch: i64,
    pub kind: String,
    pub from_seq: i64,
    pub to_seq: i64,
    pub rows: i64,
    pub bytes: i64,
    pub sha256: String,
    pub file: String,
    pub exported_at: String,
}

/// The folder's latest export (its `to_seq` is the watermark).
pub fn last_export(conn: &Connection, folder_id: i64) -> rusqlite::Result<Option<Export>> {
    conn.query_row(
        "SELECT batch, kind, from_seq, to_seq, rows, bytes, sha256, file, exported_at
         FROM sync_exports WHERE folder_id = ?1 ORDER BY batch DESC LIMIT 1",
        [folder_id],
        |r| {
            Ok(Export {
                batch: r.get(0)?,
                kind: r.get(1)?,
                from_seq: r.get(2)?,
                to_seq: r.get(3)?,
                rows: r.get(4)?,
                bytes: r.get(5)?,
                sha256: r.get(6)?,
                file: r.get(7)?,
                exported_at: r.get(8)?,
            })
        },
    )
    .optional()
}

/// Records an export once its file was transferred (this advances the watermark); a full one
/// answers a [`set_full_next`].
pub fn record_export(conn: &Connection, folder_id: i64, e: &Export) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_exports (folder_id, batch, kind, from_seq, to_seq, rows, bytes, sha256, file, exported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            folder_id, e.batch, e.kind, e.from_seq, e.to_seq, e.rows, e.bytes, e.sha256, e.file,
            e.exported_at
        ],
    )?;
    if e.kind == "full" {
        conn.execute(
            "DELETE FROM settings WHERE key = ?1",
            [full_next_key(folder_id)],
        )?;
    }
    Ok(())
}

fn full_next_key(folder_id: i64) -> String {
    format!("sync.full_next.{folder_id}")
}

/// The folder's next export must be full: changes went unrecorded (capture removed and installed
/// again) or a table's rows never travelled whole (a table added, or its columns changed).
pub fn set_full_next(conn: &Connection, folder_id: i64) -> rusqlite::Result<()> {
    super::settings::set(conn, &full_next_key(folder_id), "true")
}

/// Whether [`set_full_next`] asked for a full export that has not run yet.
pub fn full_next(conn: &Connection, folder_id: i64) -> rusqlite::Result<bool> {
    Ok(super::settings::get(conn, &full_next_key(folder_id))?.is_some())
}

/// A batch applied on the till.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub batch: i64,
    pub kind: String,
    pub sha256: String,
    pub rows: i64,
    pub applied_at: String,
}

/// The last batch applied on this till for a folder.
pub fn last_applied(conn: &Connection, folder: &str) -> rusqlite::Result<Option<Applied>> {
    conn.query_row(
        "SELECT batch, kind, sha256, rows, applied_at FROM till_batches
         WHERE folder = ?1 ORDER BY batch DESC LIMIT 1",
        [folder],
        |r| {
            Ok(Applied {
                batch: r.get(0)?,
                kind: r.get(1)?,
                sha256: r.get(2)?,
                rows: r.get(3)?,
                applied_at: r.get(4)?,
            })
        },
    )
    .optional()
}

/// A channel blocked by an error.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub folder: String,
    pub channel: String,
    pub batch: Option<i64>,
    pub error: String,
    pub hint: String,
    pub since: String,
}

/// Marks a channel blocked (keeps the first `since` while the same batch keeps failing).
pub fn block(
    conn: &Connection,
    folder: &str,
    channel: &str,
    batch: Option<i64>,
    error: &str,
    hint: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_blocks (folder, channel, batch, error, hint, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (folder, channel) DO UPDATE SET
            since = CASE WHEN sync_blocks.batch IS excluded.batch THEN sync_blocks.since ELSE excluded.since END,
            batch = excluded.batch, error = excluded.error, hint = excluded.hint",
        params![folder, channel, batch, error, hint, crate::store::now()],
    )?;
    Ok(())
}

/// Clears a channel's block.
pub fn unblock(conn: &Connection, folder: &str, channel: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM sync_blocks WHERE folder = ?1 AND channel = ?2",
        params![folder, channel],
    )?;
    Ok(())
}

/// The blocked channels of a folder.
pub fn blocks(conn: &Connection, folder: &str) -> rusqlite::Result<Vec<Block>> {
    let mut stmt = conn.prepare(
        "SELECT folder, channel, batch, error, hint, since FROM sync_blocks WHERE folder = ?1 ORDER BY channel",
    )?;
    stmt.query_map([folder], |r| {
        Ok(Block {
            folder: r.get(0)?,
            channel: r.get(1)?,
            batch: r.get(2)?,
            error: r.get(3)?,
            hint: r.get(4)?,
            since: r.get(5)?,
        })
    })?
    .collect()
}

/// The till queue's depth and the time of its oldest waiting item.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueDepth {
    pub waiting: i64,
    pub oldest: Option<String>,
    pub last_error: Option<String>,
    pub sent: i64,
    /// Items set aside because the server refuses them (`backroom till queue show`).
    pub set_aside: i64,
}

/// How many items wait in the till queue for a folder, and since when.
pub fn queue_depth(conn: &Connection, folder: &str) -> rusqlite::Result<QueueDepth> {
    conn.query_row(
        "SELECT count(*) FILTER (WHERE acked_at IS NULL),
                min(created_at) FILTER (WHERE acked_at IS NULL),
                (SELECT last_error FROM till_queue WHERE folder = ?1 AND acked_at IS NULL
                   AND last_error IS NOT NULL ORDER BY seq LIMIT 1),
                count(*) FILTER (WHERE acked_at IS NOT NULL),
                (SELECT count(*) FROM till_queue_set_aside WHERE folder = ?1)
         FROM till_queue WHERE folder = ?1",
        [folder],
        |r| {
            Ok(QueueDepth {
                waiting: r.get(0)?,
                oldest: r.get(1)?,
                last_error: r.get(2)?,
                sent: r.get(3)?,
                set_aside: r.get(4)?,
            })
        },
    )
}

/// When the previous run of the same process and folder failed with the same message, folds run
/// `id` into it (the log keeps one line per outage, not one per attempt). Returns true if folded.
pub fn fold_repeated_error(conn: &Connection, id: i64, message: &str) -> rusqlite::Result<bool> {
    let previous: Option<i64> = conn
        .query_row(
            "SELECT p.id FROM sync_runs p JOIN sync_runs r ON r.id = ?1
             WHERE p.process = r.process AND p.folder_id IS r.folder_id AND p.id < r.id
             ORDER BY p.id DESC LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(previous) = previous else {
        return Ok(false);
    };
    let same: bool = conn.query_row(
        "SELECT outcome = 'error' AND message = ?2 FROM sync_runs WHERE id = ?1",
        params![previous, message],
        |r| r.get(0),
    )?;
    if !same {
        return Ok(false);
    }
    conn.execute(
        "UPDATE sync_runs SET finished_at = ?2 WHERE id = ?1",
        params![previous, crate::store::now()],
    )?;
    conn.execute(
        "UPDATE sync_processes SET last_run_at = ?2
         WHERE (folder_id, kind) = (SELECT folder_id,
                   CASE process WHEN 'export' THEN 'export_caisseauto'
                                WHEN 'import' THEN 'import_caisseauto'
                                WHEN 'update' THEN 'import_updatecaisse' END
                FROM sync_runs WHERE id = ?1)",
        params![previous, crate::store::now()],
    )?;
    conn.execute("DELETE FROM sync_runs WHERE id = ?1", [id])?;
    Ok(true)
}
