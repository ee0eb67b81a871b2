//! Writing many rows without keeping other writers out: batches in short transactions, and the
//! write lock left free between them.

use std::time::{Duration, Instant};

use rusqlite::{Connection, Params, Transaction, TransactionBehavior};

/// What a loop of batches does between two of them, told how long the last one held the write
/// lock: [`leave_free`], or more (the jobs' bulk actions also merge their search index a step).
pub type Between<'a> = &'a mut dyn FnMut(&Connection, Duration) -> rusqlite::Result<()>;

/// Between two batches: the write lock left free ([`give_way`]).
pub fn leave_free(_: &Connection, held: Duration) -> rusqlite::Result<()> {
    give_way(held);
    Ok(())
}

/// Runs `statement` (a `DELETE`, or an `UPDATE` that takes its rows out of its own `WHERE`, of at
/// most `batch` rows through a `LIMIT` in a subquery) in its own `IMMEDIATE` transaction again
/// and again, giving way between two, until it changes fewer than `batch` rows; returns how many
/// it changed.
pub fn until_done<P: Params + Clone>(
    conn: &Connection,
    statement: &str,
    params: P,
    batch: usize,
) -> rusqlite::Result<usize> {
    until_done_with(conn, statement, params, batch, &mut |_| {}, &mut leave_free)
}

/// [`until_done`], telling `done` after each committed batch how many rows have changed so far,
/// with `between` between two batches.
pub fn until_done_with<P: Params + Clone>(
    conn: &Connection,
    statement: &str,
    params: P,
    batch: usize,
    done: &mut dyn FnMut(usize),
    between: Between<'_>,
) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare(statement)?;
    let mut total = 0;
    loop {
        let held = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let n = match stmt.execute(params.clone()) {
            Ok(n) => n,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        };
        if let Err(e) = conn.execute_batch("COMMIT") {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
        total += n;
        done(total);
        if n < batch {
            return Ok(total);
        }
        between(conn, held.elapsed())?;
    }
}

/// Runs `step` on `ids`, `chunk` at a time, each chunk in its own `IMMEDIATE` transaction,
/// with `between` between two; returns what the steps returned, in order. An error stops it: the
/// chunks before it stay committed.
pub fn chunks<T>(
    conn: &mut Connection,
    ids: &[i64],
    chunk: usize,
    mut step: impl FnMut(&Transaction<'_>, &[i64]) -> rusqlite::Result<Vec<T>>,
    between: Between<'_>,
) -> rusqlite::Result<Vec<T>> {
    let mut done = Vec::with_capacity(ids.len());
    let mut parts = ids.chunks(chunk.max(1)).peekable();
    while let Some(part) = parts.next() {
        let held = Instant::now();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        done.extend(step(&tx, part)?);
        tx.commit()?;
        if parts.peek().is_some() {
            between(conn, held.elapsed())?;
        }
    }
    Ok(done)
}

/// Leaves the write lock free between two batches for twice as long as the last batch held it
/// (2 to 50 ms), so a purge takes the lock a third of the time. A purge that began its next batch
/// at once took the lock back before a waiting writer's busy handler looked again, and kept that
/// writer out for the whole purge (530 ms on 1,000,000 jobs).
pub fn give_way(held: Duration) {
    std::thread::sleep((held * 2).clamp(Duration::from_millis(2), Duration::from_millis(50)));
}
