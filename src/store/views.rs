//! Read-only queries behind the TUI's panes: view definitions, filters, keyset windows and details.
//!
//! A [`View`] names the SQL of one pane's table; [`window`] fetches the rows around a key
//! (never the whole table), [`count`] and [`ids`] answer for the filtered rows, and each view's
//! `detail` function reads one row with its related rows. Nothing here writes.

mod details;
pub mod fields;
mod filter;
pub mod lists;
pub mod search;
mod specs;
pub use specs::col;
mod window;

pub use details::{Detail, Section};
pub use filter::{Filter, FilterError};
pub use specs::{CONTACTS, POS_FOLDERS, PRINT_JOBS, PRINTERS, SYNC_TABLES};
pub use window::{Anchor, Key, Row, Window, count, ids, order_by, plan, window};

use rusqlite::Connection;

/// How a column is matched by a `field:value` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Not filterable.
    None,
    /// Equal, case-insensitive (states, kinds, numbers); `>`/`<` compare.
    Exact,
    /// Contains, case-insensitive (names, targets, errors).
    Contains,
}

/// One column of a view. Its `name` is the header (upper-cased), the sort name and the filter field.
#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    /// SQL giving the displayed text.
    pub show: &'static str,
    /// SQL giving the raw, never NULL value: sorts, filters and keys the window.
    pub value: &'static str,
    pub filter: Match,
    /// Preferred width in cells (the last column takes what is left).
    pub width: u16,
}

/// One pane's table: the rows, how they are shown, sorted, filtered and detailed.
#[derive(Debug)]
pub struct View {
    pub name: &'static str,
    /// `FROM` clause (with joins).
    pub from: &'static str,
    /// SQL of the row id (the tie-breaker of every sort).
    pub id: &'static str,
    pub columns: &'static [Column],
    pub default_sort: usize,
    pub default_desc: bool,
    /// Expressions free-text filter words are looked for in.
    pub search: &'static [&'static str],
    /// The selected row with its related rows.
    pub detail: fn(&Connection, i64) -> rusqlite::Result<Option<Detail>>,
}

impl View {
    /// The column called `name` (case-insensitive), with its index.
    pub fn column(&self, name: &str) -> Option<(usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name.eq_ignore_ascii_case(name))
    }

    /// Names of the columns a `field:value` filter accepts.
    pub fn filter_fields(&self) -> Vec<&'static str> {
        self.columns
            .iter()
            .filter(|c| c.filter != Match::None)
            .map(|c| c.name)
            .collect()
    }
}

/// The sort and filter a pane applies to its view.
#[derive(Debug, Clone)]
pub struct Query {
    pub filter: Filter,
    pub sort: usize,
    pub desc: bool,
}

impl Query {
    /// The view's default order, unfiltered.
    pub fn new(view: &View) -> Query {
        Query {
            filter: Filter::default(),
            sort: view.default_sort,
            desc: view.default_desc,
        }
    }
}

/// What the printers pane warns about: no printer, no default printer, printing switched off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrinterHealth {
    pub printers: u64,
    pub has_default: bool,
    pub printing_enabled: bool,
}

/// Reads what the printers pane warns about.
pub fn printer_health(conn: &Connection) -> rusqlite::Result<PrinterHealth> {
    let (printers, has_default): (i64, bool) = conn.query_row(
        "SELECT COUNT(*), COALESCE(MAX(is_default), 0) FROM printers",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let printers = printers.unsigned_abs();
    let enabled = crate::store::settings::get(conn, "printing.enabled")?;
    Ok(PrinterHealth {
        printers,
        has_default,
        printing_enabled: enabled.as_deref() != Some("false"),
    })
}

/// The work waiting for the worker: print jobs pending or sending, and the till's tracking queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub print_jobs: u64,
    pub till_queue: u64,
}

/// Counts the work waiting for the worker (the header shows it).
pub fn queue_depth(conn: &Connection) -> rusqlite::Result<QueueDepth> {
    use crate::store::counts::kept_or_zero;
    let print_jobs =
        kept_or_zero(conn, "print_jobs.pending")? + kept_or_zero(conn, "print_jobs.sending")?;
    let till_queue: i64 = conn.query_row(
        "SELECT COUNT(*) FROM till_queue WHERE acked_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(QueueDepth {
        print_jobs,
        till_queue: till_queue.unsigned_abs(),
    })
}
