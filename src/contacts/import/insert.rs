//! Inserting the valid rows of an import: one transaction, multi-row prepared INSERTs, and the
//! indexes and triggers of contacts built once after a large load.

use rusqlite::Connection;

use super::{GoodRow, Message, Progress};

/// The open import transaction, and the indexes and triggers to build again before it commits.
pub(super) struct Pending {
    rebuild: Option<crate::store::contacts::Secondary>,
}

impl Pending {
    pub(super) fn finish(self, conn: &Connection) -> rusqlite::Result<()> {
        let done = (|| {
            if let Some(secondary) = self.rebuild {
                crate::store::contacts::restore_secondary(conn, secondary)?;
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

/// Inserts the rows as they arrive, in one transaction left open for the caller to settle.
pub(super) fn insert_stream(
    conn: &Connection,
    receiver: std::sync::mpsc::Receiver<Message>,
    progress: &mut dyn FnMut(Progress),
    existing: usize,
    total_bytes: u64,
) -> rusqlite::Result<(u64, Pending)> {
    use crate::store::contacts as q;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    // Building the indexes once after a large load is much cheaper than growing them row by
    // row. The rows are checked for duplicates before they are sent here, and the unique e-mail
    // index is built again inside the same transaction before it commits.
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
    let pending = Pending { rebuild };
    let result = (|| {
        let now = crate::store::now();
        let mut many = conn.prepare(&insert_sql(ROWS_PER_INSERT))?;
        let mut one = conn.prepare(&insert_sql(1))?;
        let mut count = 0u64;
        for message in receiver {
            match message {
                Message::Progress(p) => progress(p),
                Message::Rows(rows) => {
                    let mut chunks = rows.chunks_exact(ROWS_PER_INSERT);
                    for chunk in &mut chunks {
                        insert_chunk(&mut many, &now, chunk)?;
                    }
                    for row in chunks.remainder() {
                        insert_chunk(&mut one, &now, std::slice::from_ref(row))?;
                    }
                    count += rows.len() as u64;
                }
            }
        }
        Ok(count)
    })();
    match result {
        Ok(count) => Ok((count, pending)),
        Err(e) => {
            pending.abandon(conn);
            Err(e)
        }
    }
}

/// Rows per multi-row INSERT: fewer statement steps than one INSERT per row.
const ROWS_PER_INSERT: usize = 64;

/// `INSERT ... VALUES (?2, ?3, ?4, ?1), (?5, ?6, ?7, ?1), ...` for `rows` rows (`?1`: created_at).
fn insert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| format!("(?{}, ?{}, ?{}, ?1)", 3 * i + 2, 3 * i + 3, 3 * i + 4))
        .collect();
    format!(
        "INSERT INTO contacts (name, email, company, created_at) VALUES {}",
        values.join(", ")
    )
}

fn insert_chunk(
    stmt: &mut rusqlite::Statement<'_>,
    now: &str,
    rows: &[GoodRow],
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(1, now)?;
    for (i, (name, email, company)) in rows.iter().enumerate() {
        stmt.raw_bind_parameter(3 * i + 2, name)?;
        stmt.raw_bind_parameter(3 * i + 3, email)?;
        stmt.raw_bind_parameter(3 * i + 4, company)?;
    }
    stmt.raw_execute()?;
    Ok(())
}
