//! What `sync status` and the Sync pane show per folder: last export and import with their batch
//! numbers, the queue's depth and the age of its oldest item, blocked channels and what to do.

use rusqlite::Connection;
use serde::Serialize;

use crate::store::sync::{self as q, Applied, Block, Export, QueueDepth, Run};

/// The sync state of one folder on this machine (server or till).
#[derive(Debug, Clone, Serialize)]
pub struct FolderStatus {
    pub folder: String,
    pub last_export: Option<Export>,
    pub last_import: Option<Applied>,
    pub queue: QueueDepth,
    /// Seconds since the oldest waiting item was queued.
    pub oldest_age_secs: Option<i64>,
    pub blocks: Vec<Block>,
    /// The channel that waits for someone, import first: what blocks it and what to do.
    pub blocked: Option<Blocked>,
    /// `[till] allow_unsigned` is set: this machine accepts batches nobody signed (a test lab only).
    pub unsigned_batches_allowed: bool,
    /// Warnings for people (the unsigned switch).
    pub warnings: Vec<String>,
    /// The last run of each process (export, import, push, update) that ran here.
    pub runs: Vec<Run>,
}

/// A blocked channel, as `sync status --json` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Blocked {
    /// import, update, push or export.
    pub channel: String,
    /// The batch the channel waits on, when there is one.
    pub batch: Option<i64>,
    pub reason: String,
    /// What to do.
    pub fix: String,
    pub since: String,
}

/// The warning shown wherever a folder's status is, while `[till] allow_unsigned` is set.
pub const UNSIGNED_WARNING: &str = "WARNING: [till] allow_unsigned is set: this till accepts unsigned batches and \
     update manifests, so anyone who can write into the FTP folder can change its data. Only for a test lab: \
     remove it and set server_public_key under [till]";

static ALLOW_UNSIGNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Tells the status views of this process (the TUI's Sync pane) whether `[till] allow_unsigned` is set.
pub fn set_allow_unsigned(on: bool) {
    ALLOW_UNSIGNED.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `[till] allow_unsigned` was set for this process's status views.
pub fn allow_unsigned() -> bool {
    ALLOW_UNSIGNED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Reads the status of a folder.
pub fn of(conn: &Connection, folder_id: i64, code: &str) -> rusqlite::Result<FolderStatus> {
    let queue = q::queue_depth(conn, code)?;
    let oldest_age_secs = queue.oldest.as_deref().and_then(|t| {
        chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds())
    });
    let mut runs = Vec::new();
    for p in ["export", "import", "push", "update"] {
        if let Some(r) = q::last_run(conn, folder_id, p)? {
            runs.push(r);
        }
    }
    let blocks = q::blocks(conn, code)?;
    let blocked = ["import", "update", "push", "export"]
        .iter()
        .find_map(|c| blocks.iter().find(|b| b.channel == *c))
        .map(|b| Blocked {
            channel: b.channel.clone(),
            batch: b.batch,
            reason: b.error.clone(),
            fix: b.hint.clone(),
            since: b.since.clone(),
        });
    let unsigned = allow_unsigned();
    Ok(FolderStatus {
        folder: code.to_string(),
        last_export: q::last_export(conn, folder_id)?,
        last_import: q::last_applied(conn, code)?,
        queue,
        oldest_age_secs,
        blocks,
        blocked,
        unsigned_batches_allowed: unsigned,
        warnings: if unsigned {
            vec![UNSIGNED_WARNING.to_string()]
        } else {
            Vec::new()
        },
        runs,
    })
}

/// "3 min", "2 h 5 min": an age for people.
pub fn age_text(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// The human text of a folder's status.
pub fn text(s: &FolderStatus) -> String {
    let mut out = format!("folder {}\n", s.folder);
    for w in &s.warnings {
        out.push_str(&format!("  {w}\n"));
    }
    match &s.last_export {
        Some(e) => out.push_str(&format!(
            "  last export   batch {} ({}) at {}: {} rows, {} bytes, changes {}..{}\n",
            e.batch, e.kind, e.exported_at, e.rows, e.bytes, e.from_seq, e.to_seq
        )),
        None => out.push_str("  last export   none\n"),
    }
    match &s.last_import {
        Some(a) => out.push_str(&format!(
            "  last import   batch {} ({}) at {}: {} rows\n",
            a.batch, a.kind, a.applied_at, a.rows
        )),
        None => out.push_str("  last import   none\n"),
    }
    if s.queue.waiting > 0 {
        out.push_str(&format!(
            "  till queue    {} waiting, oldest {} ago (since {}), {} sent",
            s.queue.waiting,
            s.oldest_age_secs.map(age_text).unwrap_or_default(),
            s.queue.oldest.as_deref().unwrap_or(""),
            s.queue.sent
        ));
        if let Some(e) = &s.queue.last_error {
            out.push_str(&format!("; last error: {e}"));
        }
        out.push('\n');
    } else {
        out.push_str(&format!("  till queue    empty ({} sent)\n", s.queue.sent));
    }
    for r in &s.runs {
        out.push_str(&format!(
            "  last {:<8} {} {}{}\n",
            r.process,
            r.started_at,
            r.outcome.as_deref().unwrap_or("running"),
            r.message
                .as_deref()
                .filter(|m| !m.is_empty())
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ));
    }
    for b in &s.blocks {
        out.push_str(&format!(
            "  BLOCKED {} since {}{}: {}\n    what to do: {}\n",
            b.channel,
            b.since,
            b.batch
                .map(|n| format!(" at batch {n}"))
                .unwrap_or_default(),
            b.error,
            b.hint
        ));
    }
    out
}
