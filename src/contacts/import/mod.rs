//! CSV import of contacts: UTF-8 with or without BOM, comma or semicolon (sniffed), quoted
//! fields with separators and line breaks. Every row is validated; all or nothing unless the
//! caller skips invalid rows. One transaction, one prepared statement.

mod columns;
mod insert;
mod parse;

use std::io::{BufRead, BufReader};
use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

use columns::{columns, skip_preamble, sniff};
use insert::insert_stream;
use parse::Parser;

/// Progress is reported every this many rows.
pub const PROGRESS_EVERY: u64 = 10_000;

/// How far an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub rows: u64,
    pub bytes: u64,
    pub total_bytes: u64,
}

/// A bad row: where, which column, the value, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: u64,
    /// 1-based column number.
    pub column: usize,
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: String,
    pub separator: char,
    /// Data rows read (blank rows not counted).
    pub rows: u64,
    pub imported: u64,
    pub problems: Vec<Problem>,
    /// False when bad rows stopped the import (nothing written).
    pub committed: bool,
}

impl Report {
    /// `file:line: column N (field): "value": reason`, one per line.
    pub fn describe_problems(&self) -> String {
        self.problems
            .iter()
            .map(|p| {
                format!(
                    "{}:{}: column {} ({}): {:?}: {}",
                    self.file, p.line, p.column, p.field, p.value, p.reason
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A problem with the whole file (nothing is imported).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Header {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: {source}")]
    Csv { file: String, source: csv::Error },
    #[error("{file}: database error: {source}")]
    Store {
        file: String,
        source: rusqlite::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Email,
    Company,
}

impl Field {
    fn parse(header: &str) -> Option<Field> {
        let h = header.trim().to_lowercase();
        match h.as_str() {
            "name" | "contact name" | "nom" | "nom du contact" => Some(Field::Name),
            "email" | "e-mail" | "mail" | "adresse électronique" => Some(Field::Email),
            "company" | "société" | "societe" | "firma" => Some(Field::Company),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Email => "email",
            Field::Company => "company",
        }
    }
}

struct Columns {
    name: usize,
    email: usize,
    company: Option<usize>,
    count: usize,
}

/// A valid row on its way to the database.
type GoodRow = (String, String, Option<String>);

/// What the parsing thread hands to the inserting one.
enum Message {
    Rows(Vec<GoodRow>),
    Progress(Progress),
}

/// Rows are sent to the inserting thread in batches of this many.
const BATCH: usize = 2_048;

/// What the parsing thread found.
struct Parsed {
    rows: u64,
    problems: Vec<Problem>,
}

/// Imports `path`; `progress` is called every [`PROGRESS_EVERY`] rows and at the end.
///
/// One thread parses and validates while the caller's thread inserts the valid rows into one
/// transaction; the transaction commits only when every row was valid (or `skip_invalid`).
pub fn import(
    conn: &mut Connection,
    path: &Path,
    skip_invalid: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, ImportError> {
    let file_label = path.display().to_string();
    let io = |source| ImportError::Io {
        file: file_label.clone(),
        source,
    };
    let store = |source| ImportError::Store {
        file: file_label.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let (skipped_lines, skipped_bytes) = skip_preamble(&mut reader).map_err(io)?;
    let separator = sniff(reader.fill_buf().map_err(io)?);
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers = csv.byte_headers().map_err(|source| ImportError::Csv {
        file: file_label.clone(),
        source,
    })?;
    let columns = columns(headers).map_err(|message| ImportError::Header {
        file: file_label.clone(),
        line: skipped_lines + 1,
        message,
    })?;
    let existing = crate::store::contacts::lowercase_emails(conn).map_err(store)?;
    let parser = Parser {
        columns,
        separator,
        skipped_lines,
        skipped_bytes,
        total_bytes,
        existing: &existing,
        skip_invalid,
    };

    let cache: i64 = conn
        .pragma_query_value(None, "cache_size", |r| r.get(0))
        .map_err(store)?;
    conn.pragma_update(None, "cache_size", -65_536)
        .map_err(store)?;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Message>(8);
    let outcome = std::thread::scope(|scope| {
        let parsing = scope.spawn(move || parser.run(&mut csv, sender));
        let inserted = insert_stream(conn, receiver, progress, existing.len(), total_bytes);
        let parsed = parsing.join().unwrap_or_else(|_| {
            Err(csv::Error::from(std::io::Error::other(
                "the CSV parser stopped unexpectedly",
            )))
        });
        (inserted, parsed)
    });
    let _ = conn.pragma_update(None, "cache_size", cache);
    let (inserted, parsed) = outcome;
    let (tx_rows, transaction) = inserted.map_err(store)?;
    let parsed = parsed.map_err(|source| ImportError::Csv {
        file: file_label.clone(),
        source,
    })?;
    progress(Progress {
        rows: parsed.rows,
        bytes: total_bytes,
        total_bytes,
    });
    let commit = parsed.problems.is_empty() || skip_invalid;
    let imported = if commit {
        transaction.finish(conn).map_err(store)?;
        tx_rows
    } else {
        transaction.abandon(conn);
        0
    };
    Ok(Report {
        file: file_label,
        separator: separator as char,
        rows: parsed.rows,
        imported,
        problems: parsed.problems,
        committed: commit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(content: &[u8], skip: bool) -> (Connection, Report) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, content).unwrap();
        let mut conn = crate::store::open_in_memory().unwrap();
        let report = import(&mut conn, &path, skip, &mut |_| {}).unwrap();
        (conn, report)
    }

    #[test]
    fn bom_semicolons_and_quoted_multiline_fields() {
        let csv = "\u{FEFF}name;email;company\n\"Dupont; Jean\";jean@x.fr;\"Imprimerie\nLyon\"\nAnna;anna@x.de;\n";
        let (conn, report) = run(csv.as_bytes(), false);
        assert_eq!((report.separator, report.imported), (';', 2), "{report:?}");
        let c = crate::store::contacts::by_email(&conn, "JEAN@x.fr")
            .unwrap()
            .unwrap();
        assert_eq!(c.name, "Dupont; Jean");
        assert_eq!(c.company.as_deref(), Some("Imprimerie\nLyon"));
    }

    #[test]
    fn bad_rows_are_all_reported_with_line_and_column_and_nothing_is_written() {
        let csv = "name,email\nA,a@x.org\n,b@x.org\nC,c@\nD,A@X.org\n";
        let (conn, report) = run(csv.as_bytes(), false);
        assert!(!report.committed);
        let lines: Vec<(u64, usize)> = report.problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(lines, vec![(3, 1), (4, 2), (5, 2)]);
        assert!(report.problems[2].reason.contains("duplicate of line 2"));
        assert!(crate::store::contacts::list(&conn).unwrap().is_empty());
    }

    #[test]
    fn the_template_imports_its_example() {
        let (_, report) = run(CONTENT_FOR_TEST.as_bytes(), false);
        assert_eq!(report.imported, 1, "{report:?}");
    }

    const CONTENT_FOR_TEST: &str = super::super::template::CONTENT;

    #[test]
    fn a_large_import_rebuilds_the_same_unique_email_index() {
        let mut csv = String::from("name,email\n");
        for i in 0..5000 {
            csv.push_str(&format!("N{i},n{i}@x.org\n"));
        }
        let (conn, report) = run(csv.as_bytes(), false);
        assert_eq!(report.imported, 5000);
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'contacts_email'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let fresh = crate::store::open_in_memory().unwrap();
        let original: String = fresh
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'contacts_email'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sql, original);
        assert!(crate::store::contacts::insert(&conn, "Dup", "N1@X.org", None).is_err());
    }
}
