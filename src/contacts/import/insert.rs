//! Inserting the valid rows of an import: one transaction, multi-row prepared INSERTs, and the
//! indexes and triggers of contacts built once after a large load.

use rusqlite::Connection;

use super::{Message, Progress, Rows};
use crate::store::collation::KeysAhead;

/// The open import transaction, and the indexes and triggers to build again before it commits.
pub(super) struct Pending {
    rebuild: Option<crate::store::contacts::Secondary>,
    loaded: u64,
    /// The thread computing the sort keys of the loaded names for the name indexes.
    keys: Option<std::thread::JoinHandle<KeysAhead>>,
}

impl Pending {
    pub(super) fn finish(self, conn: &Connection) -> rusqlite::Result<()> {
        let done = (|| {
            if let Some(secondary) = self.rebuild {
                let keys = self.keys;
                let keys = || keys.and_then(|k| k.join().ok());
                crate::store::contacts::restore_secondary(conn, secondary, self.loaded, keys)?;
            }
            conn.execute_batch("COMMIT")
        })();
        if done.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        done
    }

    pub(super) fn abandon(self, conn: &Connection) {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Inserts the rows as they arrive, in the transaction the caller began (and settles: it is
/// rolled back here only on an error).
pub(super) fn insert_stream(
    conn: &Connection,
    receiver: std::sync::mpsc::Receiver<Message>,
    progress: &mut dyn FnMut(Progress),
    existing: usize,
    total_bytes: u64,
) -> rusqlite::Result<(u64, Pending)> {
    use crate::store::contacts as q;
    // Building the indexes once after a large load is much cheaper than growing them row by
    // row. The rows are checked for duplicates (against each other and against the addresses
    // the caller read in this transaction) before they are sent here.
    let large = total_bytes / 64 > (existing as u64).max(1_000);
    let rebuild = if large {
        match q::drop_secondary(conn) {
            Ok(s) => Some(s),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    } else {
        None
    };
    // The names' sort keys: computed here while this thread waits for the parser (it inserts
    // faster than the parser validates), the rest on other threads while this one builds the
    // e-mail index; the name indexes then take them as they are built.
    let mut names = rebuild.is_some().then(KeysAhead::default);
    let pending = Pending {
        rebuild,
        loaded: 0,
        keys: None,
    };
    let result = (|| {
        let now = crate::store::now();
        let mut many = conn.prepare(&insert_sql(ROWS_PER_INSERT))?;
        let mut one = conn.prepare(&insert_sql(1))?;
        let mut count = 0u64;
        loop {
            let message = match receiver.try_recv() {
                Ok(message) => message,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    if names
                        .as_mut()
                        .is_some_and(|n| n.compute_some(KEYS_WHILE_WAITING))
                    {
                        continue;
                    }
                    match receiver.recv() {
                        Ok(message) => message,
                        Err(_) => break,
                    }
                }
            };
            match message {
                Message::Progress(p) => progress(p),
                Message::Rows(rows) => {
                    let whole = rows.len() - rows.len() % ROWS_PER_INSERT;
                    for start in (0..whole).step_by(ROWS_PER_INSERT) {
                        insert_rows(&mut many, &now, &rows, start..start + ROWS_PER_INSERT)?;
                    }
                    for i in whole..rows.len() {
                        insert_rows(&mut one, &now, &rows, i..i + 1)?;
                    }
                    count += rows.len() as u64;
                    if let Some(names) = &mut names {
                        for i in 0..rows.len() {
                            names.push(rows.get(i).name);
                        }
                    }
                }
            }
        }
        Ok(count)
    })();
    match result {
        Ok(count) => Ok((
            count,
            Pending {
                loaded: count,
                keys: names.map(|mut names| {
                    std::thread::spawn(move || {
                        names.compute();
                        names
                    })
                }),
                ..pending
            },
        )),
        Err(e) => {
            pending.abandon(conn);
            Err(e)
        }
    }
}

/// Sort keys computed at a time while the inserting thread has no rows (about 30 µs of
/// accented names): short, so that rows that come meanwhile wait little.
const KEYS_WHILE_WAITING: usize = 64;

/// Rows per multi-row INSERT: fewer statement steps than one INSERT per row.
const ROWS_PER_INSERT: usize = 64;

/// `INSERT ... VALUES (?2, ?3, ?4, ?5, ?1), (?6, ?7, ?8, ?9, ?1), ...` for `rows` rows (`?1`:
/// created_at).
fn insert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let p = 4 * i + 2;
            format!("(?{}, ?{}, ?{}, ?{}, ?1)", p, p + 1, p + 2, p + 3)
        })
        .collect();
    format!(
        "INSERT INTO contacts (name, email, company, email_key, created_at) VALUES {}",
        values.join(", ")
    )
}

/// Inserts rows `range` of `rows` with `stmt` (made by [`insert_sql`] for that many rows).
fn insert_rows(
    stmt: &mut rusqlite::Statement<'_>,
    now: &str,
    rows: &Rows,
    range: std::ops::Range<usize>,
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(1, now)?;
    for (i, row) in range.enumerate() {
        let row = rows.get(row);
        let p = 4 * i + 2;
        stmt.raw_bind_parameter(p, row.name)?;
        stmt.raw_bind_parameter(p + 1, row.email)?;
        stmt.raw_bind_parameter(p + 2, row.company)?;
        stmt.raw_bind_parameter(p + 3, row.email_key)?;
    }
    stmt.raw_execute()?;
    Ok(())
}
