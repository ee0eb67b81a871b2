//! Keyset pagination: the rows around a key in the pane's order, never the whole table.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::fields::{self, Kind};
use super::{Query, View};
use crate::store::collation;
use crate::store::counts::{self, Count};

/// Where a window is taken: the first rows, the last rows, or around a row's key.
#[derive(Debug, Clone, PartialEq)]
pub enum Anchor {
    First,
    Last,
    At(Key),
}

/// A row's position in the order: its sort value, then its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub value: Value,
    pub id: i64,
}

/// A row as shown: its id, its key and one text per column.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: i64,
    pub key: Key,
    pub cells: Vec<String>,
}

/// Consecutive rows of the filtered, sorted view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    pub rows: Vec<Row>,
    /// Index of the anchor row (or of the row that took its place).
    pub anchor: usize,
    /// No row comes before the window.
    pub at_start: bool,
    /// No row comes after the window.
    pub at_end: bool,
}

/// Reads up to `before` rows before the anchor and `after` rows from it on.
pub fn window(
    conn: &Connection,
    view: &View,
    query: &Query,
    anchor: &Anchor,
    before: usize,
    after: usize,
) -> rusqlite::Result<Window> {
    match anchor {
        Anchor::First => {
            let rows = fetch(conn, view, query, None, true, after + 1)?;
            Ok(forward_only(rows, after, true))
        }
        Anchor::Last => {
            let mut rows = fetch(conn, view, query, None, false, before + 1)?;
            let at_start = rows.len() <= before;
            rows.truncate(before.max(1));
            rows.reverse();
            let anchor = rows.len().saturating_sub(1);
            Ok(Window {
                rows,
                anchor,
                at_start,
                at_end: true,
            })
        }
        Anchor::At(key) => {
            let mut back = fetch(conn, view, query, Some((key, true)), false, before + 1)?;
            let at_start = back.len() <= before;
            back.truncate(before);
            back.reverse();
            let mut ahead = fetch(conn, view, query, Some((key, false)), true, after + 1)?;
            let at_end = ahead.len() <= after;
            ahead.truncate(after);
            if ahead.is_empty() && !back.is_empty() {
                // The anchor and everything after it are gone: stay on the last row.
                let anchor = back.len() - 1;
                return Ok(Window {
                    rows: back,
                    anchor,
                    at_start,
                    at_end: true,
                });
            }
            let anchor = back.len();
            back.extend(ahead);
            Ok(Window {
                rows: back,
                anchor,
                at_start,
                at_end,
            })
        }
    }
}

fn forward_only(mut rows: Vec<Row>, after: usize, at_start: bool) -> Window {
    let at_end = rows.len() <= after;
    rows.truncate(after);
    Window {
        rows,
        anchor: 0,
        at_start,
        at_end,
    }
}

/// Rows in display order (`forward`) or against it, strictly before the key (`Some((k, true))`)
/// or from the key on (`Some((k, false))`).
fn fetch(
    conn: &Connection,
    view: &View,
    query: &Query,
    from: Option<(&Key, bool)>,
    forward: bool,
    limit: usize,
) -> rusqlite::Result<Vec<Row>> {
    let (sql, values) = statement(conn, view, query, from, forward, limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let n = view.columns.len();
    let rows = stmt.query_map(params_from_iter(values), |r| {
        let id: i64 = r.get(0)?;
        let value: Value = r.get(1)?;
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(text(r.get::<_, Value>(i + 2)?));
        }
        Ok(Row {
            id,
            key: Key { value, id },
            cells,
        })
    })?;
    rows.collect()
}

/// How SQLite reads the page after `key` (the detail lines of `EXPLAIN QUERY PLAN`): a window
/// should seek an index, never scan the table or sort it.
pub fn plan(conn: &Connection, view: &View, query: &Query, key: &Key) -> rusqlite::Result<String> {
    let (sql, values) = statement(conn, view, query, Some((key, false)), true, 50);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let lines = stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(3))?;
    Ok(lines.collect::<rusqlite::Result<Vec<_>>>()?.join("; "))
}

/// The SELECT of [`fetch`] and its values.
fn statement(
    conn: &Connection,
    view: &View,
    query: &Query,
    from: Option<(&Key, bool)>,
    forward: bool,
    limit: usize,
) -> (String, Vec<Value>) {
    let sort = order_by(view, query.sort);
    let (mut cond, mut values) = query.filter.sql_for(conn, view);
    // Display order is ascending unless `desc`; reading backwards flips it.
    let ascending = forward != query.desc;
    if let Some((key, strictly_before)) = from {
        let op = match (ascending, strictly_before) {
            (true, false) => ">=",
            (false, false) => "<=",
            (true, true) => ">",
            (false, true) => "<",
        };
        // The single-value bound lets SQLite seek the index on an expression (`unicode_key`);
        // the row value alone would scan it from the start.
        let bound = if ascending { ">=" } else { "<=" };
        cond = format!(
            "({cond}) AND {sort} {bound} ? AND ({sort}, {id}) {op} (?, ?)",
            id = view.id
        );
        values.push(key.value.clone());
        values.push(key.value.clone());
        values.push(Value::Integer(key.id));
    }
    let dir = if ascending { "ASC" } else { "DESC" };
    let shown: Vec<&str> = view.columns.iter().map(|c| c.show).collect();
    let sql = format!(
        "SELECT {id}, {sort}, {shown} FROM {from} WHERE {cond} ORDER BY {sort} {dir}, {id} {dir} LIMIT {limit}",
        id = view.id,
        shown = shown.join(", "),
        from = view.from,
    );
    (sql, values)
}

fn text(v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => t,
        Value::Blob(b) => format!("({} bytes)", b.len()),
    }
}

/// The SQL a column sorts by: text by its Unicode sort key (`unicode_key`, which the indexes on
/// names hold), other values as stored. A row's [`Key`] holds this value.
pub fn order_by(view: &View, column: usize) -> String {
    let col = &view.columns[column];
    match fields::kind(view, col) {
        Kind::Text => format!("{}({})", collation::KEY_FN, col.value),
        _ => col.value.to_string(),
    }
}

/// How many rows the filter keeps: from the counts kept by triggers when they answer (no filter,
/// or one state), else counted up to [`counts::COUNT_CAP`] and then "more than".
pub fn count(conn: &Connection, view: &View, query: &Query) -> rusqlite::Result<Count> {
    if matches!(view.name, "print_jobs" | "contacts") {
        if query.filter.is_empty() {
            if let Some(n) = counts::kept(conn, view.name)? {
                return Ok(Count::exact(n));
            }
        } else if let Some(("state", state)) = query.filter.single_exact(view) {
            let n = counts::kept_or_zero(conn, &format!("{}.{state}", view.name))?;
            return Ok(Count::exact(n));
        }
    }
    // One term the index finds past the cap: "more than" from the index alone.
    if let (Some(s), Some((field, word))) =
        (super::search::of(view), query.filter.single_search(view))
    {
        let cap = counts::COUNT_CAP as i64;
        if s.found(conn, field, word, cap + 1)? > cap {
            return Ok(Count {
                n: counts::COUNT_CAP,
                exact: false,
            });
        }
    }
    // Words through the full-text index by id, common or not: a count reads the matches, not
    // the sort order, and stops at the cap.
    let (cond, values) = query.filter.sql(view);
    counts::capped(conn, view.from, &cond, values)
}

/// The ids of every row the filter keeps, in display order (bulk actions on the filtered rows).
pub fn ids(conn: &Connection, view: &View, query: &Query) -> rusqlite::Result<Vec<i64>> {
    let (cond, values) = query.filter.sql(view);
    let sort = order_by(view, query.sort);
    let dir = if query.desc { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT {id} FROM {from} WHERE {cond} ORDER BY {sort} {dir}, {id} {dir}",
        id = view.id,
        from = view.from
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
    ids.collect()
}
