//! Queries of the audit log: append an entry, list with filters, purge old entries in small batches.

use rusqlite::{Connection, params};
use serde::Serialize;

/// One audited change or refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub time: String,
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    pub role: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
}

/// Which entries `list` returns (all filters optional), newest first.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Entries at or after this RFC 3339 time.
    pub since: Option<String>,
    /// The OS user or the operator.
    pub user: Option<String>,
    /// The action, or an action prefix ending in `.` (`printers.`).
    pub action: Option<String>,
    pub limit: usize,
}

pub fn append(conn: &Connection, e: &Entry) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, os_user, operator, role, action, target, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            e.time, e.user, e.operator, e.role, e.action, e.target, e.outcome
        ],
    )?;
    Ok(())
}

pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<Vec<Entry>> {
    let action_like = f.action.as_ref().map(|a| {
        if a.ends_with('.') {
            format!("{a}%")
        } else {
            a.clone()
        }
    });
    let mut stmt = conn.prepare(
        "SELECT at, os_user, operator, role, action, target, outcome FROM audit_log
         WHERE (?1 IS NULL OR at >= ?1)
           AND (?2 IS NULL OR os_user = ?2 OR operator = ?2)
           AND (?3 IS NULL OR action LIKE ?3)
         ORDER BY id DESC LIMIT ?4",
    )?;
    let limit = i64::try_from(f.limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![f.since, f.user, action_like, limit], |r| {
        Ok(Entry {
            time: r.get(0)?,
            user: r.get(1)?,
            operator: r.get(2)?,
            role: r.get(3)?,
            action: r.get(4)?,
            target: r.get(5)?,
            outcome: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// Deletes up to `batch` entries older than `before` in one short transaction; returns how many.
pub fn purge_batch(conn: &Connection, before: &str, batch: usize) -> rusqlite::Result<usize> {
    let batch = i64::try_from(batch).unwrap_or(i64::MAX);
    conn.execute(
        "DELETE FROM audit_log WHERE id IN
           (SELECT id FROM audit_log WHERE at < ?1 ORDER BY id LIMIT ?2)",
        params![before, batch],
    )
}
