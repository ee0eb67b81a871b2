//! Change capture on SQLite: three triggers per table (insert, update, delete).

use rusqlite::Connection;

use super::Installed;
use crate::sync::serverdb::TableInfo;
use crate::sync::{SyncError, ident, literal};

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS backroom_sync_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name  TEXT NOT NULL,
    op          TEXT NOT NULL,
    pk          TEXT NOT NULL,
    row_data    TEXT,
    captured_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
DROP INDEX IF EXISTS backroom_sync_log_key;
CREATE INDEX IF NOT EXISTS backroom_sync_log_table ON backroom_sync_log (table_name, seq);
CREATE TABLE IF NOT EXISTS backroom_sync_capture (
    table_name   TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    folder       TEXT NOT NULL,
    columns      TEXT NOT NULL,
    pk           TEXT NOT NULL,
    installed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);";

fn trigger(actual: &str, suffix: char) -> String {
    ident(&format!("backroom_capture_{actual}_{suffix}"))
}

fn array(record: &str, cols: &[String]) -> String {
    let cols: Vec<String> = cols
        .iter()
        .map(|c| format!("{record}.{}", ident(c)))
        .collect();
    format!("json_array({})", cols.join(", "))
}

/// The DDL that installs capture on one table.
pub fn install_sql(folder: &str, t: &TableInfo) -> String {
    let name = literal(&t.name);
    let table = ident(&t.actual);
    let old_key = array("OLD", &t.pk);
    let new_key = array("NEW", &t.pk);
    let new_row = array("NEW", &t.columns);
    let changed: Vec<String> =
        t.pk.iter()
            .map(|c| format!("OLD.{0} IS NOT NEW.{0}", ident(c)))
            .collect();
    format!(
        "DROP TRIGGER IF EXISTS {ti}; DROP TRIGGER IF EXISTS {tu}; DROP TRIGGER IF EXISTS {td};
CREATE TRIGGER {ti} AFTER INSERT ON {table} BEGIN
    INSERT INTO backroom_sync_log (table_name, op, pk, row_data) VALUES ({name}, 'I', {new_key}, {new_row});
END;
CREATE TRIGGER {tu} AFTER UPDATE ON {table} BEGIN
    INSERT INTO backroom_sync_log (table_name, op, pk) SELECT {name}, 'D', {old_key} WHERE {changed};
    INSERT INTO backroom_sync_log (table_name, op, pk, row_data) VALUES ({name}, 'U', {new_key}, {new_row});
END;
CREATE TRIGGER {td} AFTER DELETE ON {table} BEGIN
    INSERT INTO backroom_sync_log (table_name, op, pk) VALUES ({name}, 'D', {old_key});
END;
INSERT INTO backroom_sync_capture (table_name, source, folder, columns, pk) VALUES ({name}, {source}, {folder}, {columns}, {pk})
ON CONFLICT (table_name) DO UPDATE SET source = excluded.source, folder = excluded.folder,
    columns = excluded.columns, pk = excluded.pk, installed_at = excluded.installed_at;",
        ti = trigger(&t.actual, 'i'),
        tu = trigger(&t.actual, 'u'),
        td = trigger(&t.actual, 'd'),
        changed = changed.join(" OR "),
        source = literal(&t.actual),
        folder = literal(folder),
        columns = literal(&serde_json::Value::from(t.columns.clone()).to_string()),
        pk = literal(&serde_json::Value::from(t.pk.clone()).to_string()),
    )
}

/// Installs capture on every table in one transaction.
pub fn install(
    conn: &mut Connection,
    folder: &str,
    tables: &[TableInfo],
    watermark: i64,
) -> Result<bool, SyncError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let log_existed: bool = tx.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'backroom_sync_log'",
        [],
        |r| r.get(0),
    )?;
    tx.execute_batch(TABLES)?;
    // The sequence goes on above what the folder exported, even when the log was dropped with
    // `capture remove`: starting again at 1 would put new changes under the watermark, where
    // no export reads them.
    tx.execute(
        "UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = 'backroom_sync_log'",
        [watermark],
    )?;
    tx.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'backroom_sync_log', ?1
         WHERE ?1 > 0 AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'backroom_sync_log')",
        [watermark],
    )?;
    let other: Option<String> = tx
        .query_row(
            "SELECT folder FROM backroom_sync_capture WHERE folder <> ?1 LIMIT 1",
            [folder],
            |r| r.get(0),
        )
        .ok();
    if let Some(other) = other {
        return Err(SyncError::db(
            folder,
            format!(
                "this server database already captures changes for folder {other}; one server database serves one POS folder"
            ),
        ));
    }
    for t in tables {
        tx.execute_batch(&install_sql(folder, t))
            .map_err(|e| SyncError::db(folder, format!("installing capture on {}: {e}", t.name)))?;
    }
    tx.commit()?;
    Ok(log_existed)
}

/// What is installed: per table, and the log's size and last sequence.
pub fn installed(conn: &Connection) -> Result<(Vec<Installed>, i64, i64), SyncError> {
    let exists: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('backroom_sync_capture', 'backroom_sync_log')",
        [],
        |r| r.get(0),
    )?;
    if exists < 2 {
        return Ok((Vec::new(), 0, 0));
    }
    let mut stmt = conn.prepare(
        "SELECT c.table_name, c.folder, c.columns, c.pk,
                (SELECT count(*) FROM sqlite_master m WHERE m.type = 'trigger'
                   AND m.name IN ('backroom_capture_' || c.source || '_i', 'backroom_capture_' || c.source || '_u',
                                  'backroom_capture_' || c.source || '_d'))
         FROM backroom_sync_capture c",
    )?;
    let out = stmt
        .query_map([], |r| {
            let columns: String = r.get(2)?;
            let pk: String = r.get(3)?;
            Ok(Installed {
                table: r.get(0)?,
                folder: r.get(1)?,
                columns: serde_json::from_str(&columns).unwrap_or_default(),
                pk: serde_json::from_str(&pk).unwrap_or_default(),
                trigger_present: r.get::<_, i64>(4)? == 3,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (count, last) = conn.query_row(
        "SELECT count(*), coalesce(max(seq), 0) FROM backroom_sync_log",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((out, count, last))
}

/// Drops the triggers, forgets the tables' recorded changes, and drops the log and capture tables
/// when no other table is captured, all in one transaction.
pub fn remove(conn: &mut Connection, tables: &[TableInfo]) -> Result<super::Removal, SyncError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(TABLES)?;
    let mut removed = 0;
    for t in tables {
        let had: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
            [format!("backroom_capture_{}_i", t.actual)],
            |r| r.get(0),
        )?;
        removed += usize::from(had > 0);
        tx.execute_batch(&format!(
            "DROP TRIGGER IF EXISTS {}; DROP TRIGGER IF EXISTS {}; DROP TRIGGER IF EXISTS {};",
            trigger(&t.actual, 'i'),
            trigger(&t.actual, 'u'),
            trigger(&t.actual, 'd')
        ))?;
        tx.execute(
            "DELETE FROM backroom_sync_capture WHERE table_name = ?1",
            [&t.name],
        )?;
        tx.execute(
            "DELETE FROM backroom_sync_log WHERE table_name = ?1",
            [&t.name],
        )?;
    }
    let others: i64 = tx.query_row("SELECT count(*) FROM backroom_sync_capture", [], |r| {
        r.get(0)
    })?;
    let dropped_log = others == 0;
    if dropped_log {
        tx.execute_batch("DROP TABLE backroom_sync_log; DROP TABLE backroom_sync_capture;")?;
    }
    tx.commit()?;
    Ok(super::Removal {
        tables: removed,
        dropped_log,
    })
}
