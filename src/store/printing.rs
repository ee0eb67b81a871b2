//! Queries of the printing area: triggers, events and documents (jobs are in `jobs.rs`).

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::printing::trigger::Trigger;

const TRIGGER_COLUMNS: &str =
    "t.id, t.event_kind, t.document, p.name, t.printer_id, t.copies, t.enabled";

fn trigger_row(r: &Row<'_>) -> rusqlite::Result<Trigger> {
    Ok(Trigger {
        id: r.get(0)?,
        event_kind: r.get(1)?,
        document: r.get(2)?,
        printer: r.get(3)?,
        printer_id: r.get(4)?,
        copies: r.get(5)?,
        enabled: r.get(6)?,
    })
}

pub fn triggers(conn: &Connection) -> rusqlite::Result<Vec<Trigger>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {TRIGGER_COLUMNS} FROM triggers t LEFT JOIN printers p ON p.id = t.printer_id ORDER BY t.id"
    ))?;
    stmt.query_map([], trigger_row)?.collect()
}

pub fn trigger(conn: &Connection, event_kind: &str) -> rusqlite::Result<Option<Trigger>> {
    conn.query_row(
        &format!(
            "SELECT {TRIGGER_COLUMNS} FROM triggers t LEFT JOIN printers p ON p.id = t.printer_id WHERE t.event_kind = ?1"
        ),
        [event_kind],
        trigger_row,
    )
    .optional()
}

/// Sets a trigger's printer (None: the default) and copies (None: the printer's).
pub fn set_trigger(
    conn: &Connection,
    event_kind: &str,
    printer_id: Option<Option<i64>>,
    copies: Option<Option<u32>>,
) -> rusqlite::Result<usize> {
    let mut n = 0;
    if let Some(p) = printer_id {
        n += conn.execute(
            "UPDATE triggers SET printer_id = ?2 WHERE event_kind = ?1",
            params![event_kind, p],
        )?;
    }
    if let Some(c) = copies {
        n += conn.execute(
            "UPDATE triggers SET copies = ?2 WHERE event_kind = ?1",
            params![event_kind, c],
        )?;
    }
    Ok(n)
}

pub fn set_trigger_enabled(
    conn: &Connection,
    event_kind: &str,
    enabled: bool,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE triggers SET enabled = ?2 WHERE event_kind = ?1",
        params![event_kind, enabled],
    )
}

pub fn insert_event(
    conn: &Connection,
    kind: &str,
    reference: &str,
    payload: &str,
    source: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO events (kind, reference, payload, source, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![kind, reference, payload, source, super::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A stored event, as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub reference: String,
    pub source: String,
    pub created_at: String,
    pub jobs: i64,
}

/// The latest events `filter` keeps (see [`crate::store::views::lists::EVENTS`]), newest first.
pub fn events(
    conn: &Connection,
    filter: &crate::store::views::Filter,
    limit: Option<usize>,
) -> rusqlite::Result<Vec<EventRow>> {
    let (cond, values) = filter.sql(&crate::store::views::lists::EVENTS);
    let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare(&format!(
        "SELECT e.id, e.kind, e.reference, e.source, e.created_at,
                (SELECT COUNT(*) FROM print_jobs j WHERE j.event_id = e.id)
         FROM events e WHERE {cond} ORDER BY e.id DESC LIMIT {limit}"
    ))?;
    stmt.query_map(rusqlite::params_from_iter(values), |r| {
        Ok(EventRow {
            id: r.get(0)?,
            kind: r.get(1)?,
            reference: r.get(2)?,
            source: r.get(3)?,
            created_at: r.get(4)?,
            jobs: r.get(5)?,
        })
    })?
    .collect()
}

pub fn insert_document(
    conn: &Connection,
    event_id: Option<i64>,
    kind: &str,
    title: &str,
    sha256: &str,
    bytes: &[u8],
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO documents (event_id, kind, title, sha256, bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![event_id, kind, title, sha256, bytes, super::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records what document `id` could not print as written.
pub fn set_document_warning(conn: &Connection, id: i64, warning: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE documents SET warning = ?2 WHERE id = ?1",
        params![id, warning],
    )?;
    Ok(())
}

/// A document's bytes and its recorded SHA-256.
pub fn document_bytes(conn: &Connection, id: i64) -> rusqlite::Result<Option<(Vec<u8>, String)>> {
    conn.query_row(
        "SELECT bytes, sha256 FROM documents WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}
