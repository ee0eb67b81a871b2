//! Row operations on the server database, the same for PostgreSQL and SQLite, used by the till
//! endpoints (pushed items, customer creation). Run them inside `spawn_blocking`: PostgreSQL calls
//! are driven with `block_on` while the connection task runs on the runtime.

use serde_json::{Map, Value};

use super::TableInfo;
use crate::sync::error::pg_message;
use crate::sync::value::Param;
use crate::sync::{SyncError, ident};

/// The server database tables that receive what tills push.
pub const INBOX_PG: &str = "
CREATE TABLE IF NOT EXISTS backroom_till_inbox (
    uuid        TEXT PRIMARY KEY,
    till        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    note        TEXT
);
CREATE TABLE IF NOT EXISTS backroom_tickets (
    uuid        TEXT PRIMARY KEY REFERENCES backroom_till_inbox (uuid),
    till        TEXT NOT NULL,
    number      TEXT NOT NULL,
    sold_at     TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    customer    TEXT,
    lines       TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS backroom_till_parameters (
    till       TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (till, key)
);
CREATE TABLE IF NOT EXISTS backroom_till_customers (
    code       TEXT PRIMARY KEY,
    till       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS backroom_till_customer_requests (
    uuid       TEXT PRIMARY KEY,
    till       TEXT NOT NULL,
    code       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS backroom_till_customer_seq (
    till TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);";

/// The same tables for an SQLite server database.
pub const INBOX_SQLITE: &str = "
CREATE TABLE IF NOT EXISTS backroom_till_inbox (
    uuid        TEXT PRIMARY KEY,
    till        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    note        TEXT
);
CREATE TABLE IF NOT EXISTS backroom_tickets (
    uuid        TEXT PRIMARY KEY REFERENCES backroom_till_inbox (uuid),
    till        TEXT NOT NULL,
    number      TEXT NOT NULL,
    sold_at     TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    customer    TEXT,
    lines       TEXT NOT NULL,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS backroom_till_parameters (
    till       TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (till, key)
);
CREATE TABLE IF NOT EXISTS backroom_till_customers (
    code       TEXT PRIMARY KEY,
    till       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS backroom_till_customer_requests (
    uuid       TEXT PRIMARY KEY,
    till       TEXT NOT NULL,
    code       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS backroom_till_customer_seq (
    till TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);";

/// What the till endpoints need of a server database, inside one transaction.
pub trait Ops {
    fn begin(&mut self) -> Result<(), SyncError>;
    fn commit(&mut self) -> Result<(), SyncError>;
    fn rollback(&mut self);
    fn savepoint(&mut self) -> Result<(), SyncError>;
    fn rollback_savepoint(&mut self) -> Result<(), SyncError>;
    /// Releases the item's savepoint and opens the next item's, in one go.
    fn next_savepoint(&mut self) -> Result<(), SyncError>;
    fn describe(&mut self, table: &str) -> Result<TableInfo, SyncError>;
    /// Inserts an inbox row; false when this UUID was already received (the UNIQUE key says so).
    fn claim(
        &mut self,
        uuid: &str,
        till: &str,
        kind: &str,
        note: Option<&str>,
    ) -> Result<bool, SyncError>;
    /// Runs the statement written for this database with its parameters.
    fn execute_pair(
        &mut self,
        pg: &str,
        pg_params: &[Value],
        lite: &str,
        lite_params: &[Value],
    ) -> Result<u64, SyncError>;
    /// The first column of every row of a query, as text.
    fn query_pair(
        &mut self,
        pg: &str,
        lite: &str,
        params: &[Value],
    ) -> Result<Vec<String>, SyncError>;
}

/// PostgreSQL, driven synchronously.
pub struct PgOps {
    pub client: tokio_postgres::Client,
    pub folder: String,
}

fn pg_params(params: &[Value]) -> Vec<Option<String>> {
    params
        .iter()
        .map(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
        .collect()
}

/// Every parameter as text (the statements cast where a column is not), for the typed calls:
/// `execute_typed` and `query_typed` send the statement with its parameters in one round trip,
/// where `execute` on a string first prepares it, then runs it (a ticket's claim and insert took
/// four round trips that way, two now).
fn as_text<T: tokio_postgres::types::ToSql + Sync>(
    params: &[T],
) -> Vec<(
    &(dyn tokio_postgres::types::ToSql + Sync),
    tokio_postgres::types::Type,
)> {
    params
        .iter()
        .map(|p| {
            (
                p as &(dyn tokio_postgres::types::ToSql + Sync),
                tokio_postgres::types::Type::TEXT,
            )
        })
        .collect()
}

impl PgOps {
    fn err(&self) -> impl Fn(tokio_postgres::Error) -> SyncError + '_ {
        move |e| SyncError::db(&self.folder, pg_message(&e))
    }
    fn batch(&mut self, sql: &str) -> Result<(), SyncError> {
        futures::executor::block_on(self.client.batch_execute(sql)).map_err(self.err())
    }
}

impl Ops for PgOps {
    fn begin(&mut self) -> Result<(), SyncError> {
        self.batch("BEGIN")
    }
    fn commit(&mut self) -> Result<(), SyncError> {
        self.batch("COMMIT")
    }
    fn rollback(&mut self) {
        let _ = self.batch("ROLLBACK");
    }
    fn savepoint(&mut self) -> Result<(), SyncError> {
        self.batch("SAVEPOINT item")
    }
    fn rollback_savepoint(&mut self) -> Result<(), SyncError> {
        self.batch("ROLLBACK TO SAVEPOINT item")
    }
    fn next_savepoint(&mut self) -> Result<(), SyncError> {
        self.batch("RELEASE SAVEPOINT item; SAVEPOINT item")
    }
    fn describe(&mut self, table: &str) -> Result<TableInfo, SyncError> {
        futures::executor::block_on(super::postgres::describe(&self.client, &self.folder, table))
    }
    fn claim(
        &mut self,
        uuid: &str,
        till: &str,
        kind: &str,
        note: Option<&str>,
    ) -> Result<bool, SyncError> {
        let params = [Some(uuid), Some(till), Some(kind), note];
        let n = futures::executor::block_on(self.client.execute_typed(
            "INSERT INTO backroom_till_inbox (uuid, till, kind, note) VALUES ($1, $2, $3, $4) ON CONFLICT (uuid) DO NOTHING",
            &as_text(&params),
        ))
        .map_err(self.err())?;
        Ok(n == 1)
    }
    fn execute_pair(
        &mut self,
        pg: &str,
        params: &[Value],
        _lite: &str,
        _: &[Value],
    ) -> Result<u64, SyncError> {
        let owned = pg_params(params);
        futures::executor::block_on(self.client.execute_typed(pg, &as_text(&owned)))
            .map_err(self.err())
    }
    fn query_pair(
        &mut self,
        pg: &str,
        _lite: &str,
        params: &[Value],
    ) -> Result<Vec<String>, SyncError> {
        let owned = pg_params(params);
        let rows = futures::executor::block_on(self.client.query_typed(pg, &as_text(&owned)))
            .map_err(self.err())?;
        Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
    }
}

/// SQLite.
pub struct LiteOps {
    pub conn: rusqlite::Connection,
    pub folder: String,
}

impl Ops for LiteOps {
    fn begin(&mut self) -> Result<(), SyncError> {
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }
    fn commit(&mut self) -> Result<(), SyncError> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }
    fn rollback(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }
    fn savepoint(&mut self) -> Result<(), SyncError> {
        Ok(self.conn.execute_batch("SAVEPOINT item")?)
    }
    fn rollback_savepoint(&mut self) -> Result<(), SyncError> {
        Ok(self
            .conn
            .execute_batch("ROLLBACK TO SAVEPOINT item; RELEASE SAVEPOINT item")?)
    }
    fn next_savepoint(&mut self) -> Result<(), SyncError> {
        Ok(self
            .conn
            .execute_batch("RELEASE SAVEPOINT item; SAVEPOINT item")?)
    }
    fn describe(&mut self, table: &str) -> Result<TableInfo, SyncError> {
        super::sqlite::describe(&self.conn, &self.folder, table)
    }
    fn claim(
        &mut self,
        uuid: &str,
        till: &str,
        kind: &str,
        note: Option<&str>,
    ) -> Result<bool, SyncError> {
        let n = self.conn.execute(
            "INSERT INTO backroom_till_inbox (uuid, till, kind, note) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (uuid) DO NOTHING",
            rusqlite::params![uuid, till, kind, note],
        )?;
        Ok(n == 1)
    }
    fn execute_pair(
        &mut self,
        _pg: &str,
        _: &[Value],
        lite: &str,
        params: &[Value],
    ) -> Result<u64, SyncError> {
        let n = self
            .conn
            .execute(lite, rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(|e| SyncError::db(&self.folder, e))?;
        Ok(n as u64)
    }
    fn query_pair(
        &mut self,
        _pg: &str,
        lite: &str,
        params: &[Value],
    ) -> Result<Vec<String>, SyncError> {
        let mut stmt = self
            .conn
            .prepare(lite)
            .map_err(|e| SyncError::db(&self.folder, e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter().map(Param)), |r| {
                r.get::<_, String>(0)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// The table's own names of the row's columns, in the row's order (an unknown column is refused
/// with its name, and so is a column named twice in different cases).
pub fn check_columns(info: &TableInfo, row: &Map<String, Value>) -> Result<Vec<String>, SyncError> {
    let mut cols: Vec<String> = Vec::new();
    for k in row.keys() {
        match info.columns.iter().find(|c| c.eq_ignore_ascii_case(k)) {
            Some(c) if cols.contains(c) => {
                return Err(SyncError::Rejected(format!(
                    "the row of {} names the column {c} twice",
                    info.name
                )));
            }
            Some(c) => cols.push(c.clone()),
            None => {
                return Err(SyncError::Rejected(format!(
                    "table {} has no column {k} (columns: {})",
                    info.name,
                    info.columns.join(", ")
                )));
            }
        }
    }
    Ok(cols)
}

/// Inserts or updates a row by its key.
pub fn upsert(
    ops: &mut dyn Ops,
    info: &TableInfo,
    row: &Map<String, Value>,
) -> Result<(), SyncError> {
    let cols = check_columns(info, row)?;
    for k in &info.pk {
        if !cols.contains(k) {
            return Err(SyncError::Rejected(format!(
                "the row of {} lacks its key column {k}",
                info.name
            )));
        }
    }
    let q: Vec<String> = cols.iter().map(|c| ident(c)).collect();
    let pk: Vec<String> = info.pk.iter().map(|c| ident(c)).collect();
    let set: Vec<String> = cols
        .iter()
        .filter(|c| !info.pk.contains(c))
        .map(|c| format!("{0} = excluded.{0}", ident(c)))
        .collect();
    let action = if set.is_empty() {
        "NOTHING".to_string()
    } else {
        format!("UPDATE SET {}", set.join(", "))
    };
    let table = ident(&info.actual);
    let pg = format!(
        "INSERT INTO {table} ({c}) SELECT {c} FROM json_populate_record(NULL::{table}, $1::text::json) ON CONFLICT ({pk}) DO {action}",
        c = q.join(", "),
        pk = pk.join(", ")
    );
    let marks: Vec<String> = (1..=q.len()).map(|i| format!("?{i}")).collect();
    let lite = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
        q.join(", "),
        marks.join(", "),
        pk.join(", ")
    );
    // The JSON object matches by name; SQLite's values go in the order of `cols`, the row's (the
    // object below sorts its keys by the table's names, which can be another order).
    let renamed: Map<String, Value> = cols.iter().cloned().zip(row.values().cloned()).collect();
    let json = Value::String(Value::Object(renamed).to_string());
    let values: Vec<Value> = row.values().cloned().collect();
    ops.execute_pair(&pg, &[json], &lite, &values)?;
    Ok(())
}

/// Updates some columns of the row whose one-column key is `code`; returns the rows changed.
pub fn update(
    ops: &mut dyn Ops,
    info: &TableInfo,
    code: &str,
    fields: &Map<String, Value>,
) -> Result<u64, SyncError> {
    let cols = check_columns(info, fields)?;
    let [key] = info.pk.as_slice() else {
        return Err(SyncError::Rejected(format!(
            "table {} has a composite key",
            info.name
        )));
    };
    let table = ident(&info.actual);
    let q: Vec<String> = cols.iter().map(|c| ident(c)).collect();
    // A one-column SET needs no parentheses (PostgreSQL reads `(c) = (SELECT ...)` as a row).
    let (target, source) = if q.len() == 1 {
        (q[0].clone(), q[0].clone())
    } else {
        (format!("({})", q.join(", ")), q.join(", "))
    };
    let pg = format!(
        "UPDATE {table} SET {target} = (SELECT {source} FROM json_populate_record(NULL::{table}, $1::text::json)) WHERE {k}::text = $2",
        k = ident(key)
    );
    let sets: Vec<String> = q
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 2))
        .collect();
    let lite = format!(
        "UPDATE {table} SET {} WHERE CAST({} AS TEXT) = ?1",
        sets.join(", "),
        ident(key)
    );
    let renamed: Map<String, Value> = cols.iter().cloned().zip(fields.values().cloned()).collect();
    // In the order of `cols` (the fields' order), as the SET list above.
    let mut lite_params = vec![Value::from(code)];
    lite_params.extend(fields.values().cloned());
    ops.execute_pair(
        &pg,
        &[
            Value::String(Value::Object(renamed).to_string()),
            Value::from(code),
        ],
        &lite,
        &lite_params,
    )
}

/// Deletes the row whose key columns have the values in `key`.
pub fn delete(
    ops: &mut dyn Ops,
    info: &TableInfo,
    key: &Map<String, Value>,
) -> Result<u64, SyncError> {
    let table = ident(&info.actual);
    let mut pg_cond = Vec::new();
    let mut lite_cond = Vec::new();
    let mut values = Vec::new();
    for (i, k) in info.pk.iter().enumerate() {
        let v = key
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                SyncError::Rejected(format!(
                    "deleting from {} needs its key column {k}",
                    info.name
                ))
            })?;
        pg_cond.push(format!("{}::text = ${}", ident(k), i + 1));
        lite_cond.push(format!("CAST({} AS TEXT) = ?{}", ident(k), i + 1));
        values.push(match v {
            Value::String(s) => Value::String(s),
            other => Value::String(other.to_string()),
        });
    }
    ops.execute_pair(
        &format!("DELETE FROM {table} WHERE {}", pg_cond.join(" AND ")),
        &values,
        &format!("DELETE FROM {table} WHERE {}", lite_cond.join(" AND ")),
        &values,
    )
}

/// The row whose one-column key is `code`, as a JSON object (column → value).
pub fn fetch(
    ops: &mut dyn Ops,
    info: &TableInfo,
    code: &str,
) -> Result<Option<Map<String, Value>>, SyncError> {
    let [key] = info.pk.as_slice() else {
        return Err(SyncError::Rejected(format!(
            "table {} has a composite key",
            info.name
        )));
    };
    let table = ident(&info.actual);
    let pairs: Vec<String> = info
        .columns
        .iter()
        .map(|c| format!("'{}', {}", c.replace('\'', "''"), ident(c)))
        .collect();
    let pg = format!(
        "SELECT row_to_json(t)::text FROM {table} t WHERE {}::text = $1",
        ident(key)
    );
    let lite = format!(
        "SELECT json_object({}) FROM {table} WHERE CAST({} AS TEXT) = ?1",
        pairs.join(", "),
        ident(key)
    );
    let rows = ops.query_pair(&pg, &lite, &[Value::from(code)])?;
    match rows.first() {
        None => Ok(None),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => Ok(Some(m)),
            _ => Ok(None),
        },
    }
}

/// Keys (as text) of the table that start with `prefix`.
pub fn keys_like(
    ops: &mut dyn Ops,
    info: &TableInfo,
    prefix: &str,
) -> Result<Vec<String>, SyncError> {
    let [key] = info.pk.as_slice() else {
        return Ok(Vec::new());
    };
    let table = ident(&info.actual);
    let pattern = format!("{}%", prefix.replace('%', "").replace('_', "\\_"));
    ops.query_pair(
        &format!(
            "SELECT {k}::text FROM {table} WHERE {k}::text LIKE $1",
            k = ident(key)
        ),
        &format!(
            "SELECT CAST({k} AS TEXT) FROM {table} WHERE CAST({k} AS TEXT) LIKE ?1 ESCAPE '\\'",
            k = ident(key)
        ),
        &[Value::from(pattern)],
    )
}
