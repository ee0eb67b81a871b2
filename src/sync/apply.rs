//! Applying a verified batch to the till's database in ONE transaction: tables created or widened
//! from the batch's column list, rows upserted or deleted, users of other tills removed, the batch
//! recorded. Anything wrong rolls everything back: the till stays exactly as it was.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::batch::{self, Change, Kind, Lines, Manifest, TableManifest};
use super::runs::{Process, Progress, Reporter};
use super::sign::Trust;
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
}

/// What the till expects of a batch file before it applies it.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub folder: &'a str,
    /// The batch number and kind in the file's name.
    pub file_batch: i64,
    pub file_kind: Kind,
    /// The folder's server → till sync tables listed on this till (empty: none listed here).
    pub tables: &'a [String],
    pub trust: &'a Trust,
}

/// Verifies and applies the batch at `path`. `reapply` (a full re-import) applies a full batch
/// even when it does not follow the last one applied.
pub fn apply(
    conn: &mut Connection,
    path: &Path,
    expect: &Expect<'_>,
    users: Option<&UsersFilter>,
    reapply: bool,
    reporter: &Reporter,
) -> Result<Applied, SyncError> {
    let name = path.display().to_string();
    let folder = expect.folder;
    let verified = batch::verify(path, expect.trust)?;
    let manifest = &verified.manifest;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let last = crate::store::sync::last_applied(&tx, folder)?;
    let last_to_seq: Option<i64> = match &last {
        Some(l) => tx.query_row(
            "SELECT to_seq FROM till_batches WHERE folder = ?1 AND batch = ?2",
            params![folder, l.batch],
            |r| r.get(0),
        )?,
        None => None,
    };
    expected(
        manifest,
        expect,
        last.as_ref().map(|l| l.batch),
        last_to_seq,
        reapply,
    )
    .map_err(|m| SyncError::batch(&name, m))?;
    allowed_tables(manifest, expect, verified.signed).map_err(|m| SyncError::batch(&name, m))?;
    let mut lines = Lines::open(path, &verified)?;
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
    if manifest.kind == Kind::Full {
        // A full re-import of an older full batch: the batches recorded after it no longer hold,
        // the ones after it apply again in order.
        tx.execute(
            "DELETE FROM till_batches WHERE folder = ?1 AND batch > ?2",
            params![folder, manifest.batch],
        )?;
    }
    tx.execute(
        "INSERT OR REPLACE INTO till_batches (folder, batch, kind, sha256, rows, applied_at, from_seq, to_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            folder,
            manifest.batch,
            manifest.kind.as_str(),
            manifest.sha256,
            total as i64,
            crate::store::now(),
            manifest.from_seq,
            manifest.to_seq
        ],
    )?;
    tx.commit()?;
    Ok(Applied {
        batch: manifest.batch,
        kind: manifest.kind,
        rows: total,
        users_removed,
    })
}

/// Checks that the batch is the one this till expects next: its folder, the number and kind its
/// file name says, the number after the last one applied (or a later full batch), and changes that
/// continue those already applied.
fn expected(
    m: &Manifest,
    e: &Expect<'_>,
    last: Option<i64>,
    last_to_seq: Option<i64>,
    reapply: bool,
) -> Result<(), String> {
    if m.folder != e.folder {
        return Err(format!(
            "it belongs to folder {}, not {}",
            m.folder, e.folder
        ));
    }
    if m.batch != e.file_batch || m.kind != e.file_kind {
        return Err(format!(
            "the file is named as batch {} ({}) but holds batch {} ({}): it was copied or renamed on the FTP server",
            e.file_batch,
            e.file_kind.as_str(),
            m.batch,
            m.kind.as_str()
        ));
    }
    if m.to_seq < m.from_seq {
        return Err(format!(
            "its changes run backwards ({}..{})",
            m.from_seq, m.to_seq
        ));
    }
    let full = m.kind == Kind::Full;
    match last {
        None if !full => {
            return Err(format!(
                "batch {} is incremental, but this till has applied no full batch of folder {} yet",
                m.batch, e.folder
            ));
        }
        Some(l) if !reapply && m.batch <= l => {
            return Err(format!(
                "batch {} was already applied (the last batch applied is {l}); a batch is never applied twice",
                m.batch
            ));
        }
        Some(l) if !full && m.batch != l + 1 => {
            return Err(format!(
                "batch {} does not follow the last batch applied ({l}): batch {} is expected",
                m.batch,
                l + 1
            ));
        }
        _ => {}
    }
    if let Some(seq) = last_to_seq {
        if !full && m.from_seq != seq {
            return Err(format!(
                "its changes start after {} but the changes applied end at {seq}: a batch in between is missing or was replaced",
                m.from_seq
            ));
        }
        if full && !reapply && m.to_seq < seq {
            return Err(format!(
                "this full batch holds changes up to {} only, older than those applied (up to {seq})",
                m.to_seq
            ));
        }
    }
    Ok(())
}

/// Checks that the batch touches only the folder's server → till tables, and that the columns
/// this till already has keep their order (a renamed or swapped column is refused).
fn allowed_tables(m: &Manifest, e: &Expect<'_>, signed: bool) -> Result<(), String> {
    if e.tables.is_empty() && !signed {
        return Err(format!(
            "an unsigned batch may only touch the server → till tables listed on this till, and folder {} lists none here \
             (backroom sync tables add {} TABLE --direction server-to-till)",
            e.folder, e.folder
        ));
    }
    for t in &m.tables {
        if !e.tables.is_empty() && !e.tables.iter().any(|n| n.eq_ignore_ascii_case(&t.name)) {
            return Err(format!(
                "table {} is not a server → till table of folder {} (its tables here: {}); a batch cannot create or change any other table",
                t.name,
                e.folder,
                e.tables.join(", ")
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = t
            .columns
            .iter()
            .find(|c| !seen.insert(c.to_ascii_lowercase()))
        {
            return Err(format!("table {}: column {dup} appears twice", t.name));
        }
    }
    Ok(())
}

/// Refuses a batch whose columns, among those the till already has, come in another order.
fn same_order(registered: &[String], t: &TableManifest) -> Result<(), String> {
    let mine: Vec<usize> = t
        .columns
        .iter()
        .filter_map(|c| registered.iter().position(|r| r.eq_ignore_ascii_case(c)))
        .collect();
    if mine.windows(2).any(|w| w[0] > w[1]) {
        return Err(format!(
            "table {}: the columns come as {:?}, but this till has them as {:?}; columns were swapped or renamed",
            t.name, t.columns, registered
        ));
    }
    Ok(())
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
    let registered: Option<(String, String)> = tx
        .query_row(
            "SELECT pk, columns FROM till_tables WHERE name = ?1 COLLATE NOCASE",
            [&t.name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((_, columns)) = &registered {
        let columns: Vec<String> = serde_json::from_str(columns).unwrap_or_default();
        same_order(&columns, t).map_err(|m| SyncError::batch(file, m))?;
    }
    let registered = registered.map(|(pk, _)| pk);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(batch: i64, kind: Kind, from_seq: i64, to_seq: i64) -> Manifest {
        Manifest {
            folder: "LYON".into(),
            batch,
            kind,
            from_seq,
            to_seq,
            created_at: String::new(),
            tables: Vec::new(),
            payload_bytes: 0,
            sha256: String::new(),
        }
    }

    fn check(
        m: &Manifest,
        file: (i64, Kind),
        last: Option<(i64, i64)>,
        reapply: bool,
    ) -> Result<(), String> {
        let trust = Trust::default();
        let e = Expect {
            folder: "LYON",
            file_batch: file.0,
            file_kind: file.1,
            tables: &[],
            trust: &trust,
        };
        expected(m, &e, last.map(|l| l.0), last.map(|l| l.1), reapply)
    }

    #[test]
    fn only_the_next_batch_continuing_the_changes_applied_is_expected() {
        use Kind::{Full, Incremental};
        let next = manifest(15, Incremental, 140, 150);
        assert!(check(&next, (15, Incremental), Some((14, 140)), false).is_ok());
        let err = check(&next, (14, Incremental), Some((13, 130)), false).unwrap_err();
        assert!(
            err.contains("named as batch 14") && err.contains("holds batch 15"),
            "{err}"
        );
        let err = check(&next, (15, Incremental), Some((15, 150)), false).unwrap_err();
        assert!(err.contains("already applied"), "{err}");
        let err = check(&next, (15, Incremental), Some((13, 130)), false).unwrap_err();
        assert!(err.contains("batch 14 is expected"), "{err}");
        let err = check(&next, (15, Incremental), Some((14, 139)), false).unwrap_err();
        assert!(err.contains("missing or was replaced"), "{err}");
        let err = check(&next, (15, Incremental), None, false).unwrap_err();
        assert!(err.contains("no full batch"), "{err}");
        // A later full batch replaces a gap; an older one only on a full re-import.
        let full = manifest(20, Full, 180, 200);
        assert!(check(&full, (20, Full), Some((14, 140)), false).is_ok());
        let old = manifest(10, Full, 90, 100);
        assert!(check(&old, (10, Full), Some((14, 140)), false).is_err());
        assert!(check(&old, (10, Full), Some((14, 140)), true).is_ok());
        let mut other = manifest(15, Incremental, 140, 150);
        other.folder = "NICE".into();
        assert!(check(&other, (15, Incremental), Some((14, 140)), false).is_err());
    }

    fn table(name: &str, columns: &[&str]) -> TableManifest {
        TableManifest {
            name: name.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            pk: vec!["code".into()],
            replace: false,
            upserts: 0,
            deletes: 0,
        }
    }

    #[test]
    fn a_batch_touches_only_the_folders_tables_with_their_columns_in_order() {
        let trust = Trust::default();
        let listed = vec!["ART".to_string(), "USERS".to_string()];
        let e = |tables| Expect {
            folder: "LYON",
            file_batch: 1,
            file_kind: Kind::Full,
            tables,
            trust: &trust,
        };
        let mut m = manifest(1, Kind::Full, 0, 1);
        m.tables = vec![table("art", &["code", "label"])];
        assert!(allowed_tables(&m, &e(&listed), true).is_ok());
        m.tables = vec![table("HACK", &["code", "label"])];
        let err = allowed_tables(&m, &e(&listed), true).unwrap_err();
        assert!(err.contains("HACK") && err.contains("ART, USERS"), "{err}");
        // Unsigned (a lab), a batch may touch only tables listed on the till.
        assert!(allowed_tables(&m, &e(&[]), false).is_err());
        m.tables = vec![table("ART", &["code", "label", "label"])];
        assert!(allowed_tables(&m, &e(&listed), true).is_err());
        let have = vec!["code".to_string(), "label".into(), "price".into()];
        assert!(same_order(&have, &table("ART", &["code", "label", "price", "vat"])).is_ok());
        assert!(same_order(&have, &table("ART", &["code", "price"])).is_ok());
        let err = same_order(&have, &table("ART", &["code", "price", "label"])).unwrap_err();
        assert!(err.contains("swapped"), "{err}");
    }
}
