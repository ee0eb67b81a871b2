//! `--filter` on short lists whose rows are put together in Rust (a till's state, a process's
//! last result): the filter language runs on the cells as shown, in an in-memory table.
//!
//! Each list names its columns in a [`View`] over `shown r` (`r.c0`, `r.c1`, …), so a field, a
//! free word, `field:=value`, `field:!value` and `>`/`<` mean what they mean in the panes.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::{ListArgs, cut};
use crate::store::views::fields::{self, Kind};
use crate::store::views::{Detail, Match, View, col};

/// The highest number of columns a shown list has.
const COLUMNS: usize = 10;

/// Keeps the rows `--filter` selects, matched on the `cells` each row shows, then at most the
/// limit (the rest announced on stderr). The rows keep their order.
pub fn keep<T>(
    view: &View,
    args: &ListArgs,
    rows: Vec<T>,
    cells: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<Vec<T>> {
    let filter = args.filter(view)?;
    if filter.is_empty() {
        return Ok(cut(args, rows));
    }
    let kept = matching(view, &filter, rows.iter().map(cells))
        .map_err(|e| anyhow::anyhow!("filtering the {}: {e}", view.name))?;
    let rows = rows
        .into_iter()
        .enumerate()
        .filter(|(i, _)| kept.contains(&(*i as i64)))
        .map(|(_, r)| r)
        .collect();
    Ok(cut(args, rows))
}

fn matching(
    view: &View,
    filter: &crate::store::views::Filter,
    rows: impl Iterator<Item = Vec<String>>,
) -> rusqlite::Result<std::collections::HashSet<i64>> {
    let conn = Connection::open_in_memory()?;
    crate::store::collation::register(&conn)?;
    let cols: Vec<String> = (0..COLUMNS).map(|i| format!("c{i}")).collect();
    conn.execute_batch(&format!(
        "CREATE TABLE shown (i INTEGER PRIMARY KEY, {})",
        cols.join(", ")
    ))?;
    let kinds: Vec<Kind> = view.columns.iter().map(|c| fields::kind(view, c)).collect();
    {
        let marks = ["?"; COLUMNS + 1].join(", ");
        let mut insert = conn.prepare(&format!("INSERT INTO shown VALUES ({marks})"))?;
        for (i, cells) in rows.enumerate() {
            let mut values = vec![Value::Integer(i as i64)];
            for c in 0..COLUMNS {
                let text = cells.get(c).cloned().unwrap_or_default();
                values.push(match kinds.get(c) {
                    Some(Kind::Number) => leading_number(&text),
                    _ => Value::Text(text),
                });
            }
            insert.execute(params_from_iter(values))?;
        }
    }
    let (cond, values) = filter.sql(view);
    let mut stmt = conn.prepare(&format!("SELECT r.i FROM shown r WHERE {cond}"))?;
    let ids = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
    ids.collect()
}

/// `300 s` as 300, `12` as 12; a cell without a number (`(printer's)`) is NULL, which no
/// comparison keeps (as text it would sort after every number).
fn leading_number(text: &str) -> Value {
    let digits: String = text
        .trim()
        .chars()
        .enumerate()
        .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
        .map(|(_, c)| c)
        .collect();
    match digits.parse::<i64>() {
        Ok(n) => Value::Integer(n),
        Err(_) => Value::Null,
    }
}

fn no_detail(_: &Connection, _: i64) -> rusqlite::Result<Option<Detail>> {
    Ok(None)
}

/// A column of a shown list: its field name, the cell it reads, how it filters.
const fn cell(name: &'static str, sql: &'static str, filter: Match) -> crate::store::views::Column {
    col(name, sql, sql, filter, 0)
}

/// `backroom triggers list`.
pub static TRIGGERS: View = View {
    name: "triggers",
    from: "shown r",
    id: "r.i",
    columns: &[
        cell("event", "r.c0", Match::Contains),
        cell("document", "r.c1", Match::Contains),
        cell("printer", "r.c2", Match::Contains),
        cell("copies", "r.c3", Match::Exact),
        cell("enabled", "r.c4", Match::Exact),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["r.c0", "r.c1", "r.c2"],
    detail: no_detail,
};

/// `backroom operators list`.
pub static OPERATORS: View = View {
    name: "operators",
    from: "shown r",
    id: "r.i",
    columns: &[
        cell("operator", "r.c0", Match::Contains),
        cell("role", "r.c1", Match::Exact),
        cell("locked", "r.c2", Match::Contains),
        cell("created", "r.c3", Match::Exact),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["r.c0", "r.c1"],
    detail: no_detail,
};

/// `backroom tills list`.
pub static TILLS: View = View {
    name: "tills",
    from: "shown r",
    id: "r.i",
    columns: &[
        cell("folder", "r.c0", Match::Contains),
        cell("till", "r.c1", Match::Contains),
        cell("version", "r.c2", Match::Contains),
        cell("seen", "r.c3", Match::Contains),
        cell("queue", "r.c4", Match::Exact),
        cell("oldest", "r.c5", Match::Contains),
        cell("batch", "r.c6", Match::Exact),
        cell("clock", "r.c7", Match::Contains),
        cell("state", "r.c8", Match::Contains),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["r.c0", "r.c1", "r.c2", "r.c8"],
    detail: no_detail,
};

/// `backroom sync processes list FOLDER`.
pub static PROCESSES: View = View {
    name: "processes",
    from: "shown r",
    id: "r.i",
    columns: &[
        cell("process", "r.c0", Match::Contains),
        cell("side", "r.c1", Match::Contains),
        cell("every", "r.c2", Match::Exact),
        cell("state", "r.c3", Match::Exact),
        cell("confirm", "r.c4", Match::Contains),
        cell("run", "r.c5", Match::Contains),
        cell("result", "r.c6", Match::Contains),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["r.c0", "r.c1", "r.c6"],
    detail: no_detail,
};

/// `backroom pos test-history FOLDER`.
pub static TEST_HISTORY: View = View {
    name: "test_history",
    from: "shown r",
    id: "r.i",
    columns: &[
        cell("tested", "r.c0", Match::Contains),
        cell("target", "r.c1", Match::Exact),
        cell("result", "r.c2", Match::Exact),
        cell("took", "r.c3", Match::Exact),
        cell("verdict", "r.c4", Match::Contains),
    ],
    default_sort: 0,
    default_desc: true,
    search: &["r.c1", "r.c2", "r.c4"],
    detail: no_detail,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::views::Filter;

    fn rows() -> Vec<Vec<String>> {
        [
            ["order.received", "invoice", "front", "2", "yes"],
            [
                "order.shipped",
                "delivery_slip",
                "(default printer)",
                "(printer's)",
                "no",
            ],
            ["invoice.overdue", "reminder", "Façade", "1", "yes"],
        ]
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
    }

    fn kept(text: &str) -> Vec<i64> {
        let f = Filter::parse(&TRIGGERS, text).unwrap();
        let mut v: Vec<i64> = matching(&TRIGGERS, &f, rows().into_iter())
            .unwrap()
            .into_iter()
            .collect();
        v.sort();
        v
    }

    #[test]
    fn fields_words_numbers_and_negations_match_the_cells_shown() {
        assert_eq!(kept("enabled:yes"), vec![0, 2]);
        assert_eq!(kept("enabled:!yes"), vec![1]);
        assert_eq!(kept("printer:faç"), vec![2]);
        assert_eq!(kept("copies:>1"), vec![0]);
        assert_eq!(kept("invoice"), vec![0, 2]);
        assert_eq!(kept("event:=order.shipped"), vec![1]);
    }

    #[test]
    fn a_bad_value_is_explained() {
        let msg = Filter::parse(&TRIGGERS, "enabled:maybe")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("`maybe` is not one of yes, no"), "{msg}");
        let msg = Filter::parse(&OPERATORS, "role:boss")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("one of admin, staff"), "{msg}");
    }
}
