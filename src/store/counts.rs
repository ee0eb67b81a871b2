//! Row counts kept by triggers (`row_counts`, see schema/scale.sql), and counts that stop early:
//! a pane or a list never counts a large table row by row to show how many rows it has.

use rusqlite::{Connection, OptionalExtension, params_from_iter};

/// Past this many matching rows a filtered count stops and says "more than".
pub const COUNT_CAP: u64 = 10_000;

/// How many rows: exact, or at least `n` (a count that stopped at [`COUNT_CAP`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Count {
    pub n: u64,
    pub exact: bool,
}

impl Count {
    pub fn exact(n: u64) -> Count {
        Count { n, exact: true }
    }
}

/// The count kept under `name` (`print_jobs`, `print_jobs.failed`, `contacts`, …), when kept.
pub fn kept(conn: &Connection, name: &str) -> rusqlite::Result<Option<u64>> {
    let n: Option<i64> = conn
        .prepare_cached("SELECT n FROM row_counts WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    Ok(n.map(i64::unsigned_abs))
}

/// Like [`kept`], 0 when no row was ever counted under `name` (a state no row has had).
pub fn kept_or_zero(conn: &Connection, name: &str) -> rusqlite::Result<u64> {
    Ok(kept(conn, name)?.unwrap_or(0))
}

/// Counts the rows of `SELECT 1 FROM {from} WHERE {cond}`, stopping past [`COUNT_CAP`].
pub fn capped(
    conn: &Connection,
    from: &str,
    cond: &str,
    values: Vec<rusqlite::types::Value>,
) -> rusqlite::Result<Count> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {cond} LIMIT {})",
        COUNT_CAP + 1
    );
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| r.get(0))?;
    let n = n.unsigned_abs();
    Ok(if n > COUNT_CAP {
        Count {
            n: COUNT_CAP,
            exact: false,
        }
    } else {
        Count::exact(n)
    })
}
