//! Printer configuration queries; exactly one default at all times.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::printing::{Printer, Provider};

const COLUMNS: &str =
    "id, name, provider, target, api_key, tray, copies, enabled, is_default, created_at";

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
    })
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Printer>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM printers ORDER BY name"))?;
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
}
