//! Free words through an FTS5 trigram index where a view has one (print jobs: schema/scale.sql),
//! so a word finds its substrings without reading every row.

use rusqlite::Connection;

use super::View;

/// A word found in at least this many rows is "common": see [`Search::plan`].
const COMMON: i64 = 2_000;

/// A view's full-text table: its name, the SQL of the row id it indexes, and the filter fields
/// that have a column of their own in it.
pub struct Search {
    pub table: &'static str,
    pub rowid: &'static str,
    /// Conditions a free word also matches whole (through an index of their own), each with one
    /// `?` for the word.
    pub whole: &'static [&'static str],
    pub fields: &'static [(&'static str, &'static str)],
}

static PRINT_JOBS: Search = Search {
    table: "print_jobs_search",
    rowid: "j.id",
    // A job's uuid (a printer's log names it), and the printer's own reference (an IPP or
    // PrintNode job id, a spool file's path), matched whole: trigrams of every reference would
    // cost the index an update on each job's acceptance.
    whole: &["j.uuid = lower(?)", "j.remote_ref = ?"],
    fields: &[
        ("printer", "printer"),
        ("document", "document"),
        ("error", "error"),
    ],
};

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
    /// `rowid IN (…MATCH ?)` for `word` in every column (`column: None`, then also the columns
    /// matched whole) or in one; the full-text query, then the values of the whole matches.
    pub fn condition(&self, column: Option<&str>, word: &str) -> (String, String, Vec<String>) {
        let phrase = format!("\"{}\"", word.replace('"', "\"\""));
        let query = match column {
            Some(c) => format!("{{{c}}} : {phrase}"),
            None => phrase,
        };
        let mut cond = format!(
            "{rowid} IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)",
            rowid = self.rowid,
            table = self.table
        );
        let mut whole = Vec::new();
        if column.is_none() {
            for w in self.whole {
                cond.push_str(&format!(" OR {w}"));
                whole.push(word.to_string());
            }
        }
        (cond, query, whole)
    }

    /// Whether the full-text `query` is found in at least [`COMMON`] rows (asked of the index
    /// through `conn`; without one, never). A rare word is read by id through the index; a common
    /// one is better looked for row by row (`LIKE`) while SQLite walks the sort order, which stops
    /// once the window is full: reading its matches from the index first (`rowid IN (…)`) lists
    /// every one of them (a third of a million ids for a printer's name, 70 ms) before the first
    /// row comes out.
    pub fn common(&self, conn: Option<&Connection>, query: &str) -> bool {
        conn.is_some_and(|c| matches!(self.found(c, query, COMMON), Ok(n) if n >= COMMON))
    }

    /// How many rows the full-text `query` finds, counting no further than `limit`.
    pub fn found(&self, conn: &Connection, query: &str, limit: i64) -> rusqlite::Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT rowid FROM {t} WHERE {t} MATCH ?1 LIMIT ?2)",
            t = self.table
        );
        conn.prepare_cached(&sql)?
            .query_row(rusqlite::params![query, limit], |r| r.get(0))
    }

    /// The column of filter field `field`, when it has one.
    pub fn column(&self, field: &str) -> Option<&'static str> {
        self.fields
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(field))
            .map(|(_, c)| *c)
    }
}
