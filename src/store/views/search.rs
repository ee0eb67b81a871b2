//! Free words through an FTS5 trigram index where a view has one (print jobs: schema/scale.sql,
//! `detail = none` since schema/search_rowids.sql), so a word finds its substrings without
//! reading every row.

use rusqlite::Connection;
use rusqlite::types::Value;

use super::View;
use super::filter::{case_folded, like_pattern};

/// A word found in at least this many rows is "common": see [`Search::common`].
const COMMON: i64 = 2_000;

/// A view's full-text table: its name, the SQL of the row id it indexes, and the filter fields
/// whose text it holds, each with its column in the table and the SQL of that text in a row.
pub struct Search {
    pub table: &'static str,
    pub rowid: &'static str,
    /// Conditions a free word also matches whole (through an index of their own), each with one
    /// `?` for the word.
    pub whole: &'static [&'static str],
    pub fields: &'static [Field],
}

static PRINT_JOBS: Search = Search {
    table: "print_jobs_search",
    rowid: "j.id",
    // A job's uuid (a printer's log names it), and the printer's own reference (an IPP or
    // PrintNode job id, a spool file's path), matched whole: trigrams of every reference would
    // cost the index an update on each job's acceptance.
    whole: &["j.uuid = lower(?)", "j.remote_ref = ?"],
    fields: &[
        Field {
            name: "printer",
            column: "printer",
            text: "COALESCE(p.name, '')",
        },
        Field {
            name: "document",
            column: "document",
            text: "COALESCE(d.title, '')",
        },
        Field {
            name: "error",
            column: "error",
            text: "COALESCE(j.last_error, '')",
        },
    ],
};

/// A filter field whose text the full-text table holds.
pub struct Field {
    pub name: &'static str,
    /// Its column in the full-text table.
    column: &'static str,
    /// Its text in a row of the view.
    text: &'static str,
}

/// The full-text table of `view`, if it has one.
pub fn of(view: &View) -> Option<&'static Search> {
    match view.name {
        "print_jobs" => Some(&PRINT_JOBS),
        _ => None,
    }
}

/// Trigrams need three characters; shorter words are looked for row by row.
pub fn indexable(word: &str) -> bool {
    word.chars().count() >= 3
}

impl Search {
    /// The condition on a row that `word` is in the text of `field` (or of any field the index
    /// holds, `None`, and then also the conditions matched whole), with its bound values in
    /// order.
    pub fn condition(&self, field: Option<&str>, word: &str) -> (String, Vec<Value>) {
        let (mut cond, mut values) = self.holds(field, word);
        if field.is_none() {
            for w in self.whole {
                cond.push_str(&format!(" OR {w}"));
                values.push(Value::Text(word.to_string()));
            }
        }
        (cond, values)
    }

    /// `(rowid IN (…MATCH ?) AND (text LIKE ? OR …))`: the index lists, for each trigram, the
    /// rows that hold it and nothing more (`detail = none`, schema/search_rowids.sql), so the
    /// rows holding every trigram of the word are read through it, then kept where the text of
    /// the field (or of any) holds the word itself. The text is the row's own, which the view
    /// reads anyway: checked inside the `IN (…)`, every row the index lists (20,000 for
    /// `connection`) was read once more from the index's copy before the first row came out.
    fn holds(&self, field: Option<&str>, word: &str) -> (String, Vec<Value>) {
        let mut values = vec![Value::Text(trigrams(word))];
        let like = self.like(field, word, |f| f.text, &mut values);
        let sql = format!(
            "({rowid} IN (SELECT rowid FROM {t} WHERE {t} MATCH ?) AND ({like}))",
            rowid = self.rowid,
            t = self.table
        );
        (sql, values)
    }

    /// `text LIKE ? OR …` for the text of `field` (or of every field) as `text` gives it, with
    /// `word` case folded as the index folds it (by Unicode's rules) pushed on `values`.
    fn like(
        &self,
        field: Option<&str>,
        word: &str,
        text: impl Fn(&Field) -> &'static str,
        values: &mut Vec<Value>,
    ) -> String {
        let mut like = Vec::new();
        for f in self
            .fields
            .iter()
            .filter(|f| field.is_none_or(|n| n == f.name))
        {
            let (expr, folded) = case_folded(text(f), word);
            like.push(format!("{expr} LIKE ? ESCAPE '\\'"));
            values.push(Value::Text(like_pattern(&folded)));
        }
        like.join(" OR ")
    }

    /// Whether at least [`COMMON`] rows hold every trigram of `word` (asked of the index through
    /// `conn`; without one, never). A rare word is read by id through the index; a common one is
    /// better looked for row by row (`LIKE`) while SQLite walks the sort order, which stops once
    /// the window is full: reading its matches from the index first (`rowid IN (…)`) lists every
    /// one of them (a third of a million ids for a printer's name, 70 ms) before the first row
    /// comes out. The rows are counted as the index lists them, not checked one by one against
    /// the text (2,000 of them cost 10-15 ms): a word whose trigrams are scattered over many rows
    /// is only looked for row by row, and the rows shown are the same.
    pub fn common(&self, conn: Option<&Connection>, word: &str) -> bool {
        let listed = |c: &Connection| -> rusqlite::Result<i64> {
            let sql = format!(
                "SELECT COUNT(*) FROM (SELECT rowid FROM {t} WHERE {t} MATCH ?1 LIMIT ?2)",
                t = self.table
            );
            c.prepare_cached(&sql)?
                .query_row(rusqlite::params![trigrams(word), COMMON], |r| r.get(0))
        };
        conn.is_some_and(|c| matches!(listed(c), Ok(n) if n >= COMMON))
    }

    /// How many rows hold `word` (in `field`, or in any), counting no further than `limit`: read
    /// from the index as it lists them, the word checked against the index's own copy of the
    /// text, so that a common word stops at `limit` instead of listing every row first.
    pub fn found(
        &self,
        conn: &Connection,
        field: Option<&str>,
        word: &str,
        limit: i64,
    ) -> rusqlite::Result<i64> {
        let mut values = vec![Value::Text(trigrams(word))];
        let like = self.like(field, word, |f| f.column, &mut values);
        values.push(Value::Integer(limit));
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT rowid FROM {t} WHERE {t} MATCH ? AND ({like}) LIMIT ?)",
            t = self.table
        );
        conn.prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(values), |r| r.get(0))
    }

    /// The name of filter field `field` (as the index spells it), when the index holds its text.
    pub fn field(&self, field: &str) -> Option<&'static str> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(field))
            .map(|f| f.name)
    }
}

/// The full-text query for `word`: each of its trigrams (once), all of them required. FTS5
/// folds their case as it folded the text's.
fn trigrams(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut quoted: Vec<String> = Vec::new();
    for three in chars.windows(3) {
        let t: String = three.iter().collect();
        let q = format!("\"{}\"", t.replace('"', "\"\""));
        if !quoted.contains(&q) {
            quoted.push(q);
        }
    }
    quoted.join(" AND ")
}
