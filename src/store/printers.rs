//! Printer configuration queries; exactly one default at all times.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::printing::{Printer, Provider};

const COLUMNS: &str = "id, name, provider, target, api_key, tray, copies, enabled, is_default, created_at, on_unknown";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Printer> {
    let provider: String = r.get(2)?;
    Ok(Printer {
        id: r.get(0)?,
        name: r.get(1)?,
        provider: provider.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        target: r.get(3)?,
        api_key: r.get(4)?,
        tray: r.get(5)?,
        copies: r.get(6)?,
        enabled: r.get(7)?,
        is_default: r.get(8)?,
        created_at: r.get(9)?,
        on_unknown: r
            .get::<_, Option<String>>(10)?
            .map(|s| s.parse())
            .transpose()
            .map_err(|e: String| {
                rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, e.into())
            })?,
    })
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Printer>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM printers ORDER BY name COLLATE NOCASE, name"
    ))?;
    stmt.query_map([], from_row)?.collect()
}

pub fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Printer>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM printers WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()
}

pub fn by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<Printer>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM printers WHERE name = ?1"),
        [name],
        from_row,
    )
    .optional()
}

/// The default printer, if any printer exists.
pub fn default(conn: &Connection) -> rusqlite::Result<Option<Printer>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM printers WHERE is_default = 1"),
        [],
        from_row,
    )
    .optional()
}

/// A new printer configuration, before it has an id.
#[derive(Debug, Clone)]
pub struct NewPrinter {
    pub name: String,
    pub provider: Provider,
    pub target: String,
    pub api_key: Option<String>,
    pub tray: Option<String>,
    pub copies: u32,
    pub enabled: bool,
    /// Make it the default; the first printer is the default whatever this says.
    pub make_default: bool,
}

/// Inserts a printer in one transaction; the first printer becomes the default.
pub fn insert(conn: &mut Connection, p: &NewPrinter) -> rusqlite::Result<i64> {
    let tx = conn.transaction()?;
    let has_default: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM printers WHERE is_default = 1)",
        [],
        |r| r.get(0),
    )?;
    let is_default = p.make_default || !has_default;
    if is_default {
        tx.execute(
            "UPDATE printers SET is_default = 0 WHERE is_default = 1",
            [],
        )?;
    }
    tx.execute(
        "INSERT INTO printers (name, provider, target, api_key, tray, copies, enabled, is_default, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            p.name,
            p.provider.as_str(),
            p.target,
            p.api_key,
            p.tray,
            p.copies,
            p.enabled,
            is_default,
            crate::store::now()
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(id)
}

/// Why a change to the printers was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no printer named {0:?}")]
    NotFound(String),
    #[error("no printer named {0:?} to take over as default")]
    SuccessorNotFound(String),
    #[error(
        "{name} is the default printer: name the printer that becomes the default with --successor NAME (one of: {})",
        candidates.join(", ")
    )]
    SuccessorRequired {
        name: String,
        candidates: Vec<String>,
    },
    #[error("--successor must be another printer than {0}")]
    SuccessorIsSelf(String),
    #[error("--successor only applies when removing the default printer; {0} is not the default")]
    SuccessorNotNeeded(String),
    #[error("a printer named {0:?} already exists")]
    NameTaken(String),
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

/// Inserts a printer, refusing a name already in use.
pub fn add(conn: &mut Connection, p: &NewPrinter) -> Result<Printer, ChangeError> {
    if by_name(conn, &p.name)?.is_some() {
        return Err(ChangeError::NameTaken(p.name.clone()));
    }
    let id = insert(conn, p)?;
    by_id(conn, id)?.ok_or_else(|| ChangeError::NotFound(p.name.clone()))
}

/// Makes `name` the default printer; the flag moves in one transaction.
pub fn set_default(conn: &mut Connection, name: &str) -> Result<Printer, ChangeError> {
    let tx = conn.transaction()?;
    let printer = by_name(&tx, name)?.ok_or_else(|| ChangeError::NotFound(name.to_string()))?;
    tx.execute(
        "UPDATE printers SET is_default = 0 WHERE is_default = 1 AND id <> ?1",
        [printer.id],
    )?;
    tx.execute(
        "UPDATE printers SET is_default = 1 WHERE id = ?1",
        [printer.id],
    )?;
    tx.commit()?;
    by_id(conn, printer.id)?.ok_or_else(|| ChangeError::NotFound(name.to_string()))
}

/// What `remove` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Removed {
    pub removed: String,
    /// The printer that became the default, when the default was removed.
    pub new_default: Option<String>,
    /// True when no printer is left: jobs will fail with "no default printer".
    pub none_left: bool,
    /// Unfinished print jobs that were bound to it: they now go to the default printer.
    pub jobs_to_default: i64,
    /// Triggers that named it: they now print on the default printer.
    pub triggers_to_default: i64,
}

/// Removes a printer. Removing the default needs a successor (unless it is the last printer);
/// the successor becomes the default in the same transaction.
///
/// Its finished jobs (the history, where nothing is routed any more) let go of it first, in
/// batches that give the write lock back between them: on a million-job store a printer had a
/// third of a million jobs, and the one transaction that set them all to `NULL` held the lock
/// 3 s. The removal itself is then one short transaction.
pub fn remove(
    conn: &mut Connection,
    name: &str,
    successor: Option<&str>,
) -> Result<Removed, ChangeError> {
    remove_with(conn, name, successor, &mut |_, _| {})
}

/// [`remove`], telling `progress` after each batch how many of the printer's finished jobs were
/// let go, and of how many (a printer with a long history takes seconds).
pub fn remove_with(
    conn: &mut Connection,
    name: &str,
    successor: Option<&str>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Removed, ChangeError> {
    let (printer, _, _) = removal(conn, name, successor)?;
    let finished: i64 = conn.query_row(
        "SELECT COUNT(*) FROM print_jobs WHERE printer_id = ?1 AND state NOT IN ('pending', 'sending')",
        [printer.id],
        |r| r.get(0),
    )?;
    let finished = u64::try_from(finished).unwrap_or(0);
    super::batch::until_done_with(
        conn,
        &format!(
            "UPDATE print_jobs SET printer_id = NULL WHERE id IN (SELECT id FROM print_jobs
             WHERE printer_id = ?1 AND state NOT IN ('pending', 'sending') LIMIT {DETACH_BATCH})"
        ),
        [printer.id],
        DETACH_BATCH,
        &mut |done| progress(done as u64, finished),
        // Each batch rewrites its jobs' printer in the search index.
        &mut super::jobs::merge_between,
    )?;
    let tx = conn.transaction()?;
    let (printer, new_default, others) = removal(&tx, name, successor)?;
    let jobs_to_default: i64 = tx.query_row(
        "SELECT COUNT(*) FROM print_jobs WHERE printer_id = ?1 AND state IN ('pending', 'sending')",
        [printer.id],
        |r| r.get(0),
    )?;
    let triggers_to_default: i64 = tx.query_row(
        "SELECT COUNT(*) FROM triggers WHERE printer_id = ?1",
        [printer.id],
        |r| r.get(0),
    )?;
    tx.execute("DELETE FROM printers WHERE id = ?1", [printer.id])?;
    if let Some(id) = new_default {
        tx.execute("UPDATE printers SET is_default = 1 WHERE id = ?1", [id])?;
    }
    tx.commit()?;
    Ok(Removed {
        removed: name.to_string(),
        new_default: successor
            .filter(|_| new_default.is_some())
            .map(str::to_string),
        none_left: others.is_empty(),
        jobs_to_default,
        triggers_to_default,
    })
}

/// Finished jobs that let go of a removed printer per transaction.
const DETACH_BATCH: usize = 500;

/// The printer `name`, the printer that becomes the default (removing the default needs a
/// `successor`, unless it is the last printer), and the names of the others; or why not.
fn removal(
    conn: &Connection,
    name: &str,
    successor: Option<&str>,
) -> Result<(Printer, Option<i64>, Vec<String>), ChangeError> {
    let printer = by_name(conn, name)?.ok_or_else(|| ChangeError::NotFound(name.to_string()))?;
    let others: Vec<String> = list(conn)?
        .into_iter()
        .filter(|p| p.id != printer.id)
        .map(|p| p.name)
        .collect();
    let mut new_default = None;
    match (printer.is_default, successor) {
        (false, Some(_)) => return Err(ChangeError::SuccessorNotNeeded(name.to_string())),
        (false, None) => {}
        (true, None) if others.is_empty() => {}
        (true, None) => {
            return Err(ChangeError::SuccessorRequired {
                name: name.to_string(),
                candidates: others,
            });
        }
        (true, Some(next)) => {
            if next == name {
                return Err(ChangeError::SuccessorIsSelf(name.to_string()));
            }
            let next_printer = by_name(conn, next)?
                .ok_or_else(|| ChangeError::SuccessorNotFound(next.to_string()))?;
            new_default = Some(next_printer.id);
        }
    }
    Ok((printer, new_default, others))
}

/// Changes to a printer configuration; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PrinterEdit {
    pub target: Option<String>,
    /// `Some(None)` clears the key.
    pub api_key: Option<Option<String>>,
    /// `Some(None)` clears the tray (the printer's default tray).
    pub tray: Option<Option<String>>,
    pub copies: Option<u32>,
    pub enabled: Option<bool>,
}

/// Applies an edit in one statement; returns the printer as stored.
pub fn edit(conn: &Connection, name: &str, e: &PrinterEdit) -> Result<Printer, ChangeError> {
    let p = by_name(conn, name)?.ok_or_else(|| ChangeError::NotFound(name.to_string()))?;
    conn.execute(
        "UPDATE printers SET target = ?2, api_key = ?3, tray = ?4, copies = ?5, enabled = ?6 WHERE id = ?1",
        params![
            p.id,
            e.target.as_ref().unwrap_or(&p.target),
            e.api_key.clone().unwrap_or(p.api_key),
            e.tray.clone().unwrap_or(p.tray),
            e.copies.unwrap_or(p.copies),
            e.enabled.unwrap_or(p.enabled),
        ],
    )?;
    by_id(conn, p.id)?.ok_or_else(|| ChangeError::NotFound(name.to_string()))
}

/// The settings key of the printing feature switch.
pub const PRINTING_ENABLED_KEY: &str = "printing.enabled";

/// Whether printing is switched on for the store (default: on).
/// Sets a printer's policy for jobs it can no longer account for (None: the provider's default).
pub fn set_on_unknown(
    conn: &Connection,
    id: i64,
    policy: Option<crate::printing::OnUnknown>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE printers SET on_unknown = ?2 WHERE id = ?1",
        params![id, policy.map(|p| p.as_str())],
    )?;
    Ok(())
}

pub fn printing_enabled(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(crate::store::settings::get(conn, PRINTING_ENABLED_KEY)?.as_deref() != Some("false"))
}

/// Switches printing on or off for the store.
pub fn set_printing_enabled(conn: &Connection, enabled: bool) -> rusqlite::Result<()> {
    crate::store::settings::set(
        conn,
        PRINTING_ENABLED_KEY,
        if enabled { "true" } else { "false" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, make_default: bool) -> NewPrinter {
        NewPrinter {
            name: name.into(),
            provider: Provider::Spool,
            target: "/tmp/spool".into(),
            api_key: None,
            tray: None,
            copies: 1,
            enabled: true,
            make_default,
        }
    }

    #[test]
    fn the_first_printer_is_the_default_and_the_flag_moves_in_one_piece() {
        let mut conn = crate::store::open_in_memory().unwrap();
        insert(&mut conn, &new("front", false)).unwrap();
        insert(&mut conn, &new("back", false)).unwrap();
        assert_eq!(default(&conn).unwrap().unwrap().name, "front");
        insert(&mut conn, &new("office", true)).unwrap();
        assert_eq!(default(&conn).unwrap().unwrap().name, "office");
        let defaults = list(&conn)
            .unwrap()
            .into_iter()
            .filter(|p| p.is_default)
            .count();
        assert_eq!(defaults, 1);
    }

    #[test]
    fn removing_the_default_needs_a_successor_and_moves_the_flag() {
        let mut conn = crate::store::open_in_memory().unwrap();
        insert(&mut conn, &new("front", false)).unwrap();
        insert(&mut conn, &new("back", false)).unwrap();
        insert(&mut conn, &new("office", false)).unwrap();
        match remove(&mut conn, "front", None) {
            Err(ChangeError::SuccessorRequired { candidates, .. }) => {
                assert_eq!(candidates, vec!["back".to_string(), "office".to_string()])
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(
            remove(&mut conn, "front", Some("nowhere")),
            Err(ChangeError::SuccessorNotFound(_))
        ));
        assert_eq!(default(&conn).unwrap().unwrap().name, "front");
        let front = by_name(&conn, "front").unwrap().unwrap().id;
        conn.execute_batch(&format!(
            "INSERT INTO documents (id, kind, title, sha256, bytes, created_at)
                 VALUES (1, 'invoice', 'Invoice 1', 'x', x'00', '2026-01-01T00:00:00Z');
             INSERT INTO print_jobs (uuid, document_id, printer_id, state, next_attempt_at, created_at)
                 VALUES ('a', 1, {front}, 'pending', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
                        ('b', 1, {front}, 'succeeded', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
        ))
        .unwrap();
        let removed = remove(&mut conn, "front", Some("office")).unwrap();
        assert_eq!(removed.jobs_to_default, 1);
        assert_eq!(default(&conn).unwrap().unwrap().name, "office");
        remove(&mut conn, "back", None).unwrap();
        let last = remove(&mut conn, "office", None).unwrap();
        assert!(last.none_left);
        assert!(default(&conn).unwrap().is_none());
    }

    #[test]
    fn set_default_moves_the_flag_and_edit_keeps_other_fields() {
        let mut conn = crate::store::open_in_memory().unwrap();
        insert(&mut conn, &new("front", false)).unwrap();
        insert(&mut conn, &new("back", false)).unwrap();
        set_default(&mut conn, "back").unwrap();
        assert_eq!(default(&conn).unwrap().unwrap().name, "back");
        assert!(matches!(
            set_default(&mut conn, "nope"),
            Err(ChangeError::NotFound(_))
        ));
        let edited = edit(
            &conn,
            "front",
            &PrinterEdit {
                tray: Some(Some("manual".into())),
                copies: Some(3),
                ..PrinterEdit::default()
            },
        )
        .unwrap();
        assert_eq!(edited.tray.as_deref(), Some("manual"));
        assert_eq!(edited.copies, 3);
        assert_eq!(edited.target, "/tmp/spool");
        assert!(edited.enabled);
    }

    #[test]
    fn printing_is_on_until_switched_off() {
        let conn = crate::store::open_in_memory().unwrap();
        assert!(printing_enabled(&conn).unwrap());
        set_printing_enabled(&conn, false).unwrap();
        assert!(!printing_enabled(&conn).unwrap());
    }
}
