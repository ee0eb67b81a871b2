//! Reading what a batch carries from the server database: the changes since a sequence, collapsed
//! to the last change per key, or whole tables.

use std::path::Path;

use futures::{StreamExt, pin_mut};

use crate::sync::batch::Writer;
use crate::sync::error::pg_message;
use crate::sync::runs::{Process, Progress, Reporter};
use crate::sync::serverdb::TableInfo;
use crate::sync::{SyncError, ident};

/// A table to write into the batch, whole (`replace`) or as its changes.
pub struct Section {
    pub info: TableInfo,
    pub replace: bool,
}

fn report(reporter: &Reporter, folder: &str, done: u64) {
    if done.is_multiple_of(10_000) {
        reporter(Progress {
            folder: folder.to_string(),
            process: Process::Export,
            done,
            total: None,
        });
    }
}

/// The changes newest first: the first change seen for a key is its last one, and the batch keeps
/// only that one (a batch holds one change per key, so their order does not matter).
const CHANGES_SQLITE: &str = "SELECT op, pk, row_data FROM backroom_sync_log
     WHERE seq > ?2 AND seq <= ?3 AND table_name = ?1 ORDER BY seq DESC";

/// Keys already written for the table being read (a fast hash: an export of a million changes
/// looks up a million keys).
#[derive(Default)]
struct Seen(foldhash::HashSet<String>);

impl Seen {
    /// True the first time `pk` is seen.
    fn first(&mut self, pk: &str) -> bool {
        // One probe: a key seen twice is rare, its copy made for nothing is cheap.
        self.0.insert(pk.to_string())
    }
}

/// SQLite: reads everything in one read transaction; returns the sequence the batch goes up to.
pub fn sqlite(
    path: &Path,
    folder: &str,
    sections: &[Section],
    from_seq: i64,
    writer: &mut Writer,
    reporter: &Reporter,
) -> Result<i64, SyncError> {
    let mut conn = crate::sync::serverdb::sqlite::open(path, folder)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
    let last: i64 = tx.query_row(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'backroom_sync_log'), 0)",
        [],
        |r| r.get(0),
    )?;
    let to_seq = last.max(from_seq);
    let mut done = 0u64;
    for s in sections {
        writer.begin_table(
            &s.info.name,
            s.info.columns.clone(),
            s.info.pk.clone(),
            s.replace,
        );
        if s.replace {
            let cols: Vec<String> = s.info.columns.iter().map(|c| ident(c)).collect();
            let sql = format!(
                "SELECT json_array({}) FROM {}",
                cols.join(", "),
                ident(&s.info.actual)
            );
            let mut stmt = tx.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let json: rusqlite::types::ValueRef = r.get_ref(0)?;
                writer.upsert(json.as_str().map_err(|e| SyncError::db(folder, e))?)?;
                done += 1;
                report(reporter, folder, done);
            }
        } else {
            let mut stmt = tx.prepare_cached(CHANGES_SQLITE)?;
            let mut rows = stmt.query(rusqlite::params![s.info.name, from_seq, to_seq])?;
            // The log holds every change (the capture triggers never collapse them): only the
            // newest of a key goes into the batch, or the till would apply the older ones after it.
            let mut seen = Seen::default();
            while let Some(r) = rows.next()? {
                let text = |i: usize| -> Result<&str, SyncError> {
                    r.get_ref(i)?.as_str().map_err(|e| SyncError::db(folder, e))
                };
                if !seen.first(text(1)?) {
                    continue;
                }
                let op = text(0)?;
                if op == "D" {
                    writer.delete(text(1)?)?;
                } else {
                    writer.upsert(text(2)?)?;
                }
                done += 1;
                report(reporter, folder, done);
            }
        }
    }
    tx.commit()?;
    Ok(to_seq)
}

/// PostgreSQL: finds the sequence below which every change is committed, then reads in one
/// repeatable-read snapshot. Returns the sequence the batch goes up to.
pub async fn postgres(
    client: &mut tokio_postgres::Client,
    folder: &str,
    sections: &[Section],
    from_seq: i64,
    writer: &mut Writer,
    reporter: &Reporter,
) -> Result<i64, SyncError> {
    let err = |e: tokio_postgres::Error| SyncError::db(folder, pg_message(&e));
    // A SHARE lock waits for every transaction still writing to the log, so no change with a
    // lower sequence can commit after we read the maximum.
    let (last, issued): (i64, i64) = {
        let tx = client.transaction().await.map_err(err)?;
        tx.batch_execute("LOCK TABLE backroom_sync_log IN SHARE MODE")
            .await
            .map_err(err)?;
        let row = tx
            .query_one(
                "SELECT coalesce(max(seq), 0),
                        coalesce(pg_sequence_last_value(
                            pg_get_serial_sequence('backroom_sync_log', 'seq')::regclass), 0)
                 FROM backroom_sync_log",
                &[],
            )
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        (row.get(0), row.get(1))
    };
    // A batch that replaces every table stands for every change captured so far, the purged
    // ones too: the log's own rows (emptied by the purge after each export) put a full batch
    // made after a lost record at the old watermark, behind what the tills had applied, and
    // they refused it. SQLite's `sqlite_sequence` already gives the sequence.
    let whole = !sections.is_empty() && sections.iter().all(|s| s.replace);
    let to_seq = if whole { last.max(issued) } else { last }.max(from_seq);
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(err)?;
    let mut done = 0u64;
    for s in sections {
        writer.begin_table(
            &s.info.name,
            s.info.columns.clone(),
            s.info.pk.clone(),
            s.replace,
        );
        if s.replace {
            let sql = format!(
                "SELECT (SELECT json_agg(value) FROM json_each(row_to_json(t)))::text FROM {} t",
                ident(&s.info.actual)
            );
            let rows = tx
                .query_raw(&sql, std::iter::empty::<i64>())
                .await
                .map_err(err)?;
            pin_mut!(rows);
            while let Some(row) = rows.next().await {
                let row = row.map_err(err)?;
                writer.upsert(row.get::<_, &str>(0))?;
                done += 1;
                report(reporter, folder, done);
            }
        } else {
            let sql = "SELECT op::text, pk, row_data FROM backroom_sync_log
                 WHERE seq > $2 AND seq <= $3 AND table_name = $1 ORDER BY seq DESC";
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
                [&s.info.name, &from_seq, &to_seq];
            let rows = tx.query_raw(sql, params).await.map_err(err)?;
            pin_mut!(rows);
            let mut seen = Seen::default();
            while let Some(row) = rows.next().await {
                let row = row.map_err(err)?;
                if !seen.first(row.get::<_, &str>(1)) {
                    continue;
                }
                if row.get::<_, &str>(0) == "D" {
                    writer.delete(row.get::<_, &str>(1))?;
                } else {
                    writer.upsert(row.get::<_, &str>(2))?;
                }
                done += 1;
                report(reporter, folder, done);
            }
        }
    }
    tx.commit().await.map_err(err)?;
    Ok(to_seq)
}

/// Forgets the changes every till now has through an exported batch. When nothing newer was
/// recorded meanwhile (checked under a lock that keeps writers out), the log is emptied at once
/// (SQLite's truncate optimisation, PostgreSQL's TRUNCATE) instead of row by row; the sequence
/// goes on from where it was either way.
pub async fn purge(
    db: &crate::sync::serverdb::ServerDb,
    folder: &str,
    to_seq: i64,
) -> Result<(), SyncError> {
    use crate::sync::serverdb::ServerDb;
    match db {
        ServerDb::Postgres(c) => c
            .batch_execute(&format!(
                "BEGIN;
                 LOCK TABLE backroom_sync_log IN EXCLUSIVE MODE;
                 DO $purge$ BEGIN
                     IF coalesce((SELECT max(seq) FROM backroom_sync_log), 0) <= {to_seq} THEN
                         TRUNCATE backroom_sync_log;
                     ELSE
                         DELETE FROM backroom_sync_log WHERE seq <= {to_seq};
                     END IF;
                 END $purge$;
                 COMMIT;"
            ))
            .await
            .map_err(|e| SyncError::db(folder, pg_message(&e))),
        ServerDb::Sqlite(path) => {
            let (path, folder) = (path.clone(), folder.to_string());
            crate::sync::serverdb::blocking(move || {
                let mut conn = crate::sync::serverdb::sqlite::open(&path, &folder)?;
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let newest: i64 = tx.query_row(
                    "SELECT coalesce(max(seq), 0) FROM backroom_sync_log",
                    [],
                    |r| r.get(0),
                )?;
                if newest <= to_seq {
                    tx.execute("DELETE FROM backroom_sync_log", [])?;
                } else {
                    tx.execute("DELETE FROM backroom_sync_log WHERE seq <= ?1", [to_seq])?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
        }
    }
}
