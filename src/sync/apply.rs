//! Applying a verified batch to the till's database in ONE transaction: tables created or widened
//! from the batch's column list, rows upserted or deleted, users of other tills removed, the batch
//! recorded. Anything wrong rolls everything back: the till stays exactly as it was.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::batch::{self, Change, Lines, TableManifest};
use super::runs::{Process, Progress, Reporter};
use super::value::Param;
use super::{SyncError, ident};

/// Which users the till keeps after an import: those whose `column` in `table` is this till's number.
#[derive(Debug, Clone)]
pub struct UsersFilter {
    pub table: String,
    pub column: String,
    pub till: String,
}

/// What applying a batch did.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub batch: i64,
    pub kind: batch::Kind,
    pub rows: u64,
    pub users_removed: u64,
    /// True when the batch had already been applied (nothing changed).
    pub already: bool,
}

/// Verifies and applies the batch at `path` for `folder`. `reapply` (a full re-import) applies a
/// batch again even when it was applied before.
pub fn apply(
    conn: &mut Connection,
    path: &Path,
    folder: &str,
    users: Option<&UsersFilter>,
    reapply: bool,
    reporter: &Reporter,
) -> Result<Applied, SyncError> {
    let name = path.display().to_string();
    let manifest = batch::verify(path)?;
    if manifest.folder != folder {
        return Err(SyncError::batch(
            &name,
            format!("it belongs to folder {}, not {folder}", manifest.folder),
        ));
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(sha) = crate::store::sync::applied_sha(&tx, folder, manifest.batch)? {
        if sha == manifest.sha256 && !reapply {
            return Ok(Applied {
                batch: manifest.batch,
                kind: manifest.kind,
                rows: 0,
                users_removed: 0,
                already: true,
            });
        }
        if sha != manifest.sha256 && !reapply {
            return Err(SyncError::batch(
                &name,
                format!(
                    "batch {} was already applied with another checksum ({sha}); the server exported it twice: ask a full re-import (backroom sync run import {folder} --full)",
                    manifest.batch
                ),
            ));
        }
    }
    let (_, offset) = batch::read_manifest(path)?;
    let mut lines = Lines::open(path, offset)?;
    let total = manifest.rows();
    let mut done = 0u64;
    for t in &manifest.tables {
        ensure_table(&tx, folder, t, &name)?;
        if t.replace {
            tx.execute(&format!("DELETE FROM {}", ident(&t.name)), [])?;
        }
        let mut upsert = tx.prepare(&upsert_sql(t))?;
        let mut delete = tx.prepare(&delete_sql(t))?;
        for _ in 0..(t.upserts + t.deletes) {
            let change = lines.next_change()?;
            let (json, expected, is_delete) = match change {
                Change::Upsert(j) => (j, t.columns.len(), false),
                Change::Delete(j) => (j, t.pk.len(), true),
            };
            let values: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
                SyncError::batch(
                    &name,
                    format!("line {}: table {}: {e}", lines.number(), t.name),
                )
            })?;
            if values.len() != expected {
                return Err(SyncError::batch(
                    &name,
                    format!(
                        "line {}: table {}: {} values, expected {expected}",
                        lines.number(),
                        t.name,
                        values.len()
                    ),
                ));
            }
            let params = rusqlite::params_from_iter(values.iter().map(Param));
            let stmt = if is_delete { &mut delete } else { &mut upsert };
            stmt.execute(params).map_err(|e| {
                SyncError::batch(
                    &name,
                    format!("line {}: table {}: {e}", lines.number(), t.name),
                )
            })?;
            done += 1;
            if done.is_multiple_of(10_000) {
                reporter(Progress {
                    folder: folder.to_string(),
                    process: Process::Import,
                    done,
                    total: Some(total),
                });
            }
        }
    }
    let users_removed = match users {
        Some(f) => filter_users(&tx, f)?,
        None => 0,
    };
    tx.execute(
        "INSERT OR REPLACE INTO till_batches (folder, batch, kind, sha256, rows, applied_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            folder,
            manifest.batch,
            manifest.kind.as_str(),
            manifest.sha256,
            total as i64,
            crate::store::now()
        ],
    )?;
    tx.commit()?;
    Ok(Applied {
        batch: manifest.batch,
        kind: manifest.kind,
        rows: total,
        users_removed,
        already: false,
    })
}

fn upsert_sql(t: &TableManifest) -> String {
    let cols: Vec<String> = t.columns.iter().map(|c| ident(c)).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let pk: Vec<String> = t.pk.iter().map(|c| ident(c)).collect();
    let set: Vec<String> = t
        .columns
        .iter()
        .filter(|c| !t.pk.contains(c))
        .map(|c| format!("{0} = excluded.{0}", ident(c)))
        .collect();
    let action = if set.is_empty() {
        "NOTHING".to_string()
    } else {
        format!("UPDATE SET {}", set.join(", "))
    };
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
        ident(&t.name),
        cols.join(", "),
        marks.join(", "),
        pk.join(", ")
    )
}

fn delete_sql(t: &TableManifest) -> String {
    let cond: Vec<String> =
        t.pk.iter()
            .enumerate()
            .map(|(i, c)| format!("{} = ?{}", ident(c), i + 1))
            .collect();
    format!(
        "DELETE FROM {} WHERE {}",
        ident(&t.name),
        cond.join(" AND ")
    )
}

/// Creates the table from the batch's columns, or adds the columns it lacks; refuses to touch a
/// table of backroom's own.
fn ensure_table(
    tx: &Transaction,
    folder: &str,
    t: &TableManifest,
    file: &str,
) -> Result<(), SyncError> {
    if t.name.is_empty()
        || t.columns.is_empty()
        || t.pk.is_empty()
        || t.pk.iter().any(|p| !t.columns.contains(p))
    {
        return Err(SyncError::batch(
            file,
            format!(
                "manifest: table {:?} needs a name, columns and a key among its columns",
                t.name
            ),
        ));
    }
    let registered: Option<String> = tx
        .query_row(
            "SELECT pk FROM till_tables WHERE name = ?1 COLLATE NOCASE",
            [&t.name],
            |r| r.get(0),
        )
        .optional()?;
    let exists: bool = tx.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
        [&t.name],
        |r| r.get(0),
    )?;
    if exists && registered.is_none() {
        return Err(SyncError::batch(
            file,
            format!(
                "table {} exists in the till's database and is not a synchronised table; rename the sync table on the server",
                t.name
            ),
        ));
    }
    let pk_json = serde_json::Value::from(t.pk.clone()).to_string();
    if let Some(old_pk) = &registered
        && *old_pk != pk_json
    {
        if !t.replace {
            return Err(SyncError::batch(
                file,
                format!(
                    "table {}: key changed from {old_pk} to {pk_json}; ask a full re-import (backroom sync run import {folder} --full)",
                    t.name
                ),
            ));
        }
        tx.execute(&format!("DROP TABLE {}", ident(&t.name)), [])?;
    }
    let exists = exists && registered.as_deref() == Some(pk_json.as_str());
    if !exists {
        let cols: Vec<String> = t.columns.iter().map(|c| ident(c)).collect();
        let pk: Vec<String> = t.pk.iter().map(|c| ident(c)).collect();
        tx.execute(
            &format!(
                "CREATE TABLE {} ({}, PRIMARY KEY ({}))",
                ident(&t.name),
                cols.join(", "),
                pk.join(", ")
            ),
            [],
        )?;
    } else {
        let mut stmt = tx.prepare("SELECT name FROM pragma_table_info(?1)")?;
        let have: Vec<String> = stmt
            .query_map([&t.name], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for c in &t.columns {
            if !have.iter().any(|h| h.eq_ignore_ascii_case(c)) {
                tx.execute(
                    &format!("ALTER TABLE {} ADD COLUMN {}", ident(&t.name), ident(c)),
                    [],
                )?;
            }
        }
    }
    tx.execute(
        "INSERT INTO till_tables (name, folder, columns, pk, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (name) DO UPDATE SET folder = excluded.folder, columns = excluded.columns, pk = excluded.pk",
        params![
            t.name,
            folder,
            serde_json::Value::from(t.columns.clone()).to_string(),
            pk_json,
            crate::store::now()
        ],
    )?;
    Ok(())
}

/// Deletes the users not attached to this till; returns how many.
fn filter_users(tx: &Transaction, f: &UsersFilter) -> Result<u64, SyncError> {
    let table: Option<String> = tx
        .query_row(
            "SELECT name FROM till_tables WHERE name = ?1 COLLATE NOCASE",
            [&f.table],
            |r| r.get(0),
        )
        .optional()?;
    let Some(table) = table else {
        return Ok(0);
    };
    let column: Option<String> = tx
        .query_row(
            "SELECT name FROM pragma_table_info(?1) WHERE name = ?2 COLLATE NOCASE",
            params![table, f.column],
            |r| r.get(0),
        )
        .optional()?;
    let Some(column) = column else {
        return Ok(0);
    };
    let n = tx.execute(
        &format!(
            "DELETE FROM {} WHERE CAST({} AS TEXT) IS NOT ?1",
            ident(&table),
            ident(&column)
        ),
        [&f.till],
    )?;
    Ok(n as u64)
}
