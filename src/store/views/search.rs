//! Free words through an FTS5 trigram index where a view has one (print jobs: schema/scale.sql),
//! so a word finds its substrings without reading every row.

use super::View;

/// A view's full-text table: its name, the SQL of the row id it indexes, and the filter fields
/// that have a column of their own in it.
pub struct Search {
    pub table: &'static str,
    pub rowid: &'static str,
    pub fields: &'static [(&'static str, &'static str)],
}

static PRINT_JOBS: Search = Search {
    table: "print_jobs_search",
    rowid: "j.id",
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
    /// `rowid IN (…MATCH ?)` for `word` in every column (`column: None`) or in one, and its value.
    pub fn condition(&self, column: Option<&str>, word: &str) -> (String, String) {
        let phrase = format!("\"{}\"", word.replace('"', "\"\""));
        let query = match column {
            Some(c) => format!("{{{c}}} : {phrase}"),
            None => phrase,
        };
        (
            format!(
                "{rowid} IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)",
                rowid = self.rowid,
                table = self.table
            ),
            query,
        )
    }

    /// The column of filter field `field`, when it has one.
    pub fn column(&self, field: &str) -> Option<&'static str> {
        self.fields
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(field))
            .map(|(_, c)| *c)
    }
}
