//! Change capture on PostgreSQL: one PL/pgSQL trigger function per table.
//!
//! Rows are recorded as JSON arrays in column order (`json_each(row_to_json(NEW))` keeps the
//! table's column order and has no argument limit, unlike `json_build_array` with wide tables).

use super::Installed;
use crate::sync::error::pg_message;
use crate::sync::serverdb::TableInfo;
use crate::sync::{SyncError, ident, literal};

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS backroom_sync_log (
    seq         BIGSERIAL PRIMARY KEY,
    table_name  TEXT NOT NULL,
    op          CHAR(1) NOT NULL,
    pk          TEXT NOT NULL,
    row_data    TEXT,
    captured_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
DROP INDEX IF EXISTS backroom_sync_log_key;
CREATE INDEX IF NOT EXISTS backroom_sync_log_table ON backroom_sync_log (table_name, seq);
CREATE TABLE IF NOT EXISTS backroom_sync_capture (
    table_name   TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    folder       TEXT NOT NULL,
    columns      TEXT NOT NULL,
    pk           TEXT NOT NULL,
    installed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);";

fn function_name(actual: &str) -> String {
    let clean: String = actual
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("backroom_capture_{clean}")
}

/// The JSON array of a record's key columns.
fn key_of(record: &str, pk: &[String]) -> String {
    let cols: Vec<String> = pk
        .iter()
        .map(|c| format!("{record}.{}", ident(c)))
        .collect();
    format!("json_build_array({})::text", cols.join(", "))
}

/// The DDL that installs capture on one table.
pub fn install_sql(folder: &str, t: &TableInfo) -> String {
    let name = literal(&t.name);
    let function = function_name(&t.actual);
    let old_key = key_of("OLD", &t.pk);
    let new_key = key_of("NEW", &t.pk);
    let changed_key: Vec<String> =
        t.pk.iter()
            .map(|c| format!("OLD.{0} IS DISTINCT FROM NEW.{0}", ident(c)))
            .collect();
    let columns = literal(&serde_json::Value::from(t.columns.clone()).to_string());
    let pk = literal(&serde_json::Value::from(t.pk.clone()).to_string());
    format!(
        "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO backroom_sync_log (table_name, op, pk) VALUES ({name}, 'D', {old_key});
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND ({changed}) THEN
        INSERT INTO backroom_sync_log (table_name, op, pk) VALUES ({name}, 'D', {old_key});
    END IF;
    INSERT INTO backroom_sync_log (table_name, op, pk, row_data)
    VALUES ({name}, left(TG_OP, 1), {new_key},
            (SELECT json_agg(value)::text FROM json_each(row_to_json(NEW))));
    RETURN NEW;
END
$body$;
DROP TRIGGER IF EXISTS backroom_capture ON {table};
CREATE TRIGGER backroom_capture AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
INSERT INTO backroom_sync_capture (table_name, source, folder, columns, pk)
VALUES ({name}, {source}, {folder}, {columns}, {pk})
ON CONFLICT (table_name) DO UPDATE SET source = excluded.source, folder = excluded.folder,
    columns = excluded.columns, pk = excluded.pk, installed_at = now();",
        changed = changed_key.join(" OR "),
        table = ident(&t.actual),
        source = literal(&t.actual),
        folder = literal(folder),
    )
}

/// Installs capture on every table in one transaction.
pub async fn install(
    client: &tokio_postgres::Client,
    folder: &str,
    tables: &[TableInfo],
    watermark: i64,
) -> Result<bool, SyncError> {
    let err = |e: tokio_postgres::Error| SyncError::db(folder, pg_message(&e));
    let log_existed: bool = client
        .query_one("SELECT to_regclass('backroom_sync_log') IS NOT NULL", &[])
        .await
        .map_err(err)?
        .get(0);
    let mut sql = format!("BEGIN;\n{TABLES}\n");
    if watermark > 0 {
        // The sequence goes on above what the folder exported, never back (see the SQLite side).
        sql.push_str(&format!(
            "SELECT setval(pg_get_serial_sequence('backroom_sync_log', 'seq'),
                GREATEST({watermark}, COALESCE(pg_sequence_last_value(
                    pg_get_serial_sequence('backroom_sync_log', 'seq')::regclass), 0)));\n"
        ));
    }
    sql.push_str(&format!(
        "DO $check$ BEGIN
            IF EXISTS (SELECT 1 FROM backroom_sync_capture WHERE folder <> {f}) THEN
                RAISE EXCEPTION 'this server database already captures changes for folder %%, one server database serves one POS folder',
                    (SELECT folder FROM backroom_sync_capture WHERE folder <> {f} LIMIT 1);
            END IF;
         END $check$;\n",
        f = literal(folder)
    ).replace("%%", "%"));
    for t in tables {
        sql.push_str(&install_sql(folder, t));
        sql.push('\n');
    }
    sql.push_str("COMMIT;");
    if let Err(e) = client.batch_execute(&sql).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(err(e));
    }
    Ok(log_existed)
}

/// What is installed: per table, and the log's size and last sequence.
pub async fn installed(
    client: &tokio_postgres::Client,
    folder: &str,
) -> Result<(Vec<Installed>, i64, i64), SyncError> {
    let err = |e: tokio_postgres::Error| SyncError::db(folder, pg_message(&e));
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('backroom_sync_capture') IS NOT NULL AND to_regclass('backroom_sync_log') IS NOT NULL",
            &[],
        )
        .await
        .map_err(err)?
        .get(0);
    if !exists {
        return Ok((Vec::new(), 0, 0));
    }
    let rows = client
        .query(
            "SELECT c.table_name, c.folder, c.columns, c.pk,
                    EXISTS (SELECT 1 FROM pg_trigger t
                            WHERE t.tgname = 'backroom_capture' AND t.tgrelid = to_regclass(quote_ident(c.source)))
             FROM backroom_sync_capture c",
            &[],
        )
        .await
        .map_err(err)?;
    let mut out = Vec::new();
    for r in rows {
        let columns: String = r.get(2);
        let pk: String = r.get(3);
        out.push(Installed {
            table: r.get(0),
            folder: r.get(1),
            columns: serde_json::from_str(&columns).unwrap_or_default(),
            pk: serde_json::from_str(&pk).unwrap_or_default(),
            trigger_present: r.get(4),
        });
    }
    let row = client
        .query_one(
            "SELECT count(*), coalesce(max(seq), 0) FROM backroom_sync_log",
            &[],
        )
        .await
        .map_err(err)?;
    Ok((out, row.get(0), row.get(1)))
}

/// Drops the triggers and functions, forgets the tables' recorded changes, and drops the log and
/// capture tables when no other table is captured, all in one transaction.
pub async fn remove(
    client: &tokio_postgres::Client,
    folder: &str,
    tables: &[TableInfo],
) -> Result<super::Removal, SyncError> {
    let err = |e: tokio_postgres::Error| SyncError::db(folder, pg_message(&e));
    let mut sql = format!("BEGIN;\n{TABLES}\n");
    for t in tables {
        sql.push_str(&format!(
            "DROP TRIGGER IF EXISTS backroom_capture ON {table};
             DROP FUNCTION IF EXISTS {function}();
             DELETE FROM backroom_sync_capture WHERE table_name = {name};
             DELETE FROM backroom_sync_log WHERE table_name = {name};\n",
            table = ident(&t.actual),
            function = function_name(&t.actual),
            name = literal(&t.name),
        ));
    }
    // The log and capture tables go too once no table (of any folder) is captured any more.
    sql.push_str(
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM backroom_sync_capture) THEN
             DROP TABLE backroom_sync_log;
             DROP TABLE backroom_sync_capture;
           END IF;
         END $$;
         COMMIT;",
    );
    let exists_before: Vec<bool> = {
        let mut v = Vec::new();
        for t in tables {
            let row = client
                .query_opt(
                    "SELECT 1 FROM pg_trigger WHERE tgname = 'backroom_capture' AND tgrelid = to_regclass(quote_ident($1))",
                    &[&t.actual],
                )
                .await
                .map_err(err)?;
            v.push(row.is_some());
        }
        v
    };
    if let Err(e) = client.batch_execute(&sql).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(err(e));
    }
    let dropped: bool = client
        .query_one("SELECT to_regclass('backroom_sync_capture') IS NULL", &[])
        .await
        .map_err(err)?
        .get(0);
    Ok(super::Removal {
        tables: exists_before.into_iter().filter(|b| *b).count(),
        dropped_log: dropped,
    })
}
