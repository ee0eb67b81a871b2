//! Every till at a glance on the server: each till reports its status (version, queue depth, oldest
//! item, last applied batch, blocked channels, clock) when it pushes; the server keeps the latest
//! per till and flags the silent ones.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{Folder, SyncError};

/// A till reports at most this often, whatever its wait.
pub const REPORT_EVERY: Duration = Duration::from_secs(5);

/// A till is silent after this many report periods without a word.
pub const SILENT_AFTER_PERIODS: u64 = 3;

/// What a till tells the server about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TillStatus {
    pub folder: String,
    pub till: String,
    pub version: String,
    pub waiting: i64,
    pub oldest_age_secs: Option<i64>,
    pub last_batch: Option<i64>,
    /// Blocked channels: "import: batch 4 refused: …".
    pub blocked: Vec<String>,
    /// The till's clock when it reported.
    pub till_clock: String,
    pub wait_ms: u64,
}

/// A till as the server sees it.
#[derive(Debug, Clone, Serialize)]
pub struct TillRow {
    #[serde(flatten)]
    pub status: TillStatus,
    pub reported_at: String,
    pub silent_secs: i64,
    /// No report for over 3 × its period.
    pub silent: bool,
    /// Seconds between the till's clock and the server's when it reported.
    pub clock_offset_secs: i64,
}

/// This till's status for `folder`, read from its store.
pub fn collect(conn: &Connection, folder: &Folder, till: &str) -> rusqlite::Result<TillStatus> {
    let s = super::status::of(conn, folder.id, &folder.code)?;
    Ok(TillStatus {
        folder: folder.code.clone(),
        till: till.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        waiting: s.queue.waiting,
        oldest_age_secs: s.oldest_age_secs,
        last_batch: s.last_import.as_ref().map(|a| a.batch),
        blocked: s
            .blocks
            .iter()
            .map(|b| format!("{}: {}", b.channel, b.error))
            .collect(),
        till_clock: crate::store::now(),
        wait_ms: folder.sync_wait_ms,
    })
}

/// Keeps the latest status of a till (server side).
pub fn record(conn: &Connection, s: &TillStatus) -> rusqlite::Result<()> {
    let blocked = if s.blocked.is_empty() {
        None
    } else {
        serde_json::to_string(&s.blocked).ok()
    };
    conn.execute(
        "INSERT INTO till_status (folder, till, version, waiting, oldest_age_secs, last_batch, blocked,
                                  till_clock, wait_ms, reported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (folder, till) DO UPDATE SET
            version = excluded.version, waiting = excluded.waiting,
            oldest_age_secs = excluded.oldest_age_secs, last_batch = excluded.last_batch,
            blocked = excluded.blocked, till_clock = excluded.till_clock,
            wait_ms = excluded.wait_ms, reported_at = excluded.reported_at",
        params![
            s.folder,
            s.till,
            s.version,
            s.waiting,
            s.oldest_age_secs,
            s.last_batch,
            blocked,
            s.till_clock,
            i64::try_from(s.wait_ms).unwrap_or(i64::MAX),
            crate::store::now()
        ],
    )?;
    Ok(())
}

/// How long a till may stay quiet before it is flagged.
pub fn silent_after(wait_ms: u64) -> Duration {
    Duration::from_millis(wait_ms).max(REPORT_EVERY) * SILENT_AFTER_PERIODS as u32
}

fn secs_between(from: &str, to: chrono::DateTime<chrono::Utc>) -> i64 {
    chrono::DateTime::parse_from_rfc3339(from)
        .map(|t| (to - t.with_timezone(&chrono::Utc)).num_seconds())
        .unwrap_or(0)
}

/// Every till that ever reported, silent ones first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<TillRow>> {
    let now = chrono::Utc::now();
    let mut stmt = conn.prepare(
        "SELECT folder, till, version, waiting, oldest_age_secs, last_batch, blocked, till_clock,
                wait_ms, reported_at
         FROM till_status ORDER BY folder, till",
    )?;
    let mut rows: Vec<TillRow> = stmt
        .query_map([], |r| {
            let blocked: Option<String> = r.get(6)?;
            let wait_ms: i64 = r.get(8)?;
            let reported_at: String = r.get(9)?;
            let till_clock: String = r.get(7)?;
            let silent_secs = secs_between(&reported_at, now);
            let wait_ms = u64::try_from(wait_ms).unwrap_or(0);
            let clock_offset_secs = chrono::DateTime::parse_from_rfc3339(&reported_at)
                .map(|t| -secs_between(&till_clock, t.with_timezone(&chrono::Utc)))
                .unwrap_or(0);
            Ok(TillRow {
                status: TillStatus {
                    folder: r.get(0)?,
                    till: r.get(1)?,
                    version: r.get(2)?,
                    waiting: r.get(3)?,
                    oldest_age_secs: r.get(4)?,
                    last_batch: r.get(5)?,
                    blocked: blocked
                        .and_then(|b| serde_json::from_str(&b).ok())
                        .unwrap_or_default(),
                    till_clock,
                    wait_ms,
                },
                silent: silent_secs > silent_after(wait_ms).as_secs() as i64,
                silent_secs,
                reported_at,
                clock_offset_secs,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.sort_by_key(|r| !r.silent);
    Ok(rows)
}

fn last_sent() -> &'static Mutex<HashMap<String, Instant>> {
    static LAST: std::sync::OnceLock<Mutex<HashMap<String, Instant>>> = std::sync::OnceLock::new();
    LAST.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Sends this till's status with a push (at most every [`REPORT_EVERY`] per folder). A failure
/// is the push's to report: the status is only logged.
pub async fn report(
    store: &std::path::Path,
    folder: &Folder,
    me: &super::push::Identity,
) -> Result<(), SyncError> {
    {
        let mut last = last_sent()
            .lock()
            .map_err(|_| SyncError::Config("status lock poisoned".into()))?;
        if last
            .get(&folder.code)
            .is_some_and(|t| t.elapsed() < REPORT_EVERY)
        {
            return Ok(());
        }
        last.insert(folder.code.clone(), Instant::now());
    }
    let (db, f, number) = (store.to_path_buf(), folder.clone(), me.number.clone());
    let status = super::serverdb::blocking(move || {
        let conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
        collect(&conn, &f, &number).map_err(|e| SyncError::Config(e.to_string()))
    })
    .await?;
    let url = super::push::endpoint(folder, "/api/till/status")?;
    let resp = super::push::client()?
        .post(&url)
        .bearer_auth(&me.token)
        .json(&status)
        .send()
        .await
        .map_err(|e| SyncError::Unreachable {
            url: url.clone(),
            message: e.to_string(),
        })?;
    if !resp.status().is_success() {
        return Err(super::push::refusal(&url, resp).await);
    }
    Ok(())
}
