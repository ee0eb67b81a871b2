//! Queries of the audit log: append an entry, list with filters, purge old entries in small batches.

use rusqlite::types::Value;
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
    /// `--filter`, in the filter language of the panes (see [`crate::store::views::lists::AUDIT`]).
    pub query: crate::store::views::Filter,
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

/// The `WHERE` condition of `f` (without its limit) and its bound values.
fn condition(f: &Filter) -> (String, Vec<Value>) {
    let action_like = f.action.as_ref().map(|a| {
        if a.ends_with('.') {
            format!("{a}%")
        } else {
            a.clone()
        }
    });
    let (cond, mut values) = f.query.sql(&crate::store::views::lists::AUDIT);
    let mut bound = vec![
        Value::from(f.since.clone()),
        Value::from(f.since.clone()),
        Value::from(f.user.clone()),
        Value::from(f.user.clone()),
        Value::from(f.user.clone()),
        Value::from(action_like.clone()),
        Value::from(action_like),
    ];
    bound.append(&mut values);
    let sql = format!(
        "(? IS NULL OR a.at >= ?)
         AND (? IS NULL OR a.os_user = ? OR a.operator = ?)
         AND (? IS NULL OR a.action LIKE ?)
         AND ({cond})"
    );
    (sql, bound)
}

pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<Vec<Entry>> {
    let (cond, values) = condition(f);
    let limit = i64::try_from(f.limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare(&format!(
        "SELECT a.at, a.os_user, a.operator, a.role, a.action, a.target, a.outcome
         FROM audit_log a WHERE {cond} ORDER BY a.id DESC LIMIT {limit}"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
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

/// How many entries `f` keeps past the first `shown` (counted up to
/// [`crate::store::counts::COUNT_CAP`]).
pub fn count_more(
    conn: &Connection,
    f: &Filter,
    shown: usize,
) -> rusqlite::Result<crate::store::counts::Count> {
    let (cond, values) = condition(f);
    let total = crate::store::counts::capped(conn, "audit_log a", &cond, values)?;
    Ok(crate::store::counts::Count {
        n: total.n.saturating_sub(shown as u64),
        exact: total.exact,
    })
}

/// Deletes the entries older than `before`, `batch` per short transaction; returns how many.
pub fn purge(conn: &Connection, before: &str, batch: usize) -> rusqlite::Result<usize> {
    crate::store::batch::until_done(
        conn,
        &format!(
            "DELETE FROM audit_log WHERE id IN
               (SELECT id FROM audit_log WHERE at < ?1 ORDER BY id LIMIT {batch})"
        ),
        [before],
        batch,
    )
}
