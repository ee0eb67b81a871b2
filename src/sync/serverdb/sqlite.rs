//! SQLite server databases (a single store): opening and describing tables.

use std::path::Path;

use rusqlite::Connection;

use super::{TableInfo, no_pk, no_table};
use crate::sync::SyncError;

/// Opens the server database file (never creates it).
pub fn open(path: &Path, folder: &str) -> Result<Connection, SyncError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| SyncError::db(folder, format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// The real name, columns and primary key of `table`.
pub fn describe(conn: &Connection, folder: &str, table: &str) -> Result<TableInfo, SyncError> {
    let actual: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
            [table],
            |r| r.get(0),
        )
        .ok();
    let Some(actual) = actual else {
        return Err(no_table(folder, table));
    };
    let mut stmt = conn.prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")?;
    let cols: Vec<(String, i64)> = stmt
        .query_map([&actual], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut pk: Vec<(i64, String)> = cols
        .iter()
        .filter(|(_, p)| *p > 0)
        .map(|(n, p)| (*p, n.clone()))
        .collect();
    pk.sort();
    if pk.is_empty() {
        return Err(no_pk(folder, table));
    }
    Ok(TableInfo {
        name: table.to_string(),
        actual,
        columns: cols.into_iter().map(|(n, _)| n).collect(),
        pk: pk.into_iter().map(|(_, n)| n).collect(),
    })
}
