//! Import of contacts from what offices write: delimited text in UTF-8 (with or without BOM),
//! UTF-16 or Windows-1252, separated by comma, semicolon, tab or vertical bar (detected, or named
//! by an Excel `sep=` line), and `.xlsx` / `.ods` spreadsheets. Every row is validated; all or
//! nothing unless the caller skips invalid rows. One transaction, one prepared statement.

mod columns;
mod decode;
mod dialect;
mod insert;
mod parse;
mod sheet;

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

use columns::columns;
pub use dialect::separator_name;
use insert::insert_stream;
use parse::Parser;

/// Progress is reported every this many rows.
pub const PROGRESS_EVERY: u64 = 10_000;

/// Values are echoed in problems up to this many characters.
pub const ECHO_CHARS: usize = 80;

/// How far an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub rows: u64,
    pub bytes: u64,
    pub total_bytes: u64,
}

/// A bad row: where, which column, the value (at most [`ECHO_CHARS`] characters), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: u64,
    /// 1-based column number.
    pub column: usize,
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// A value as a problem echoes it: at most [`ECHO_CHARS`] characters, then `…`.
pub fn echo(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: String,
    /// `CSV`, `XLSX`, `XLS` or `ODS`.
    pub format: String,
    /// The text encoding detected (`None` for spreadsheets).
    pub encoding: Option<String>,
    /// The separator detected or declared (`None` for spreadsheets).
    pub separator: Option<char>,
    /// Data rows read (blank rows not counted).
    pub rows: u64,
    /// Rows with at least one problem.
    pub invalid_rows: u64,
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

    /// How the file was read: `CSV, windows-1252, separator semicolon` or `XLSX`.
    pub fn dialect(&self) -> String {
        let mut parts = vec![self.format.clone()];
        parts.extend(self.encoding.clone());
        parts.extend(
            self.separator
                .map(|s| format!("separator {}", separator_name(s))),
        );
        parts.join(", ")
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
    #[error(
        "{file}:{line}: a quoted field opens here and is never closed (add the closing \" or remove the opening one; nothing was imported)"
    )]
    UnclosedQuote { file: String, line: u64 },
    #[error("{file}: not a readable {format} spreadsheet: {message}")]
    Sheet {
        file: String,
        format: &'static str,
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
    /// The field a header names, in English, French or German (case, accents and spacing
    /// as offices write them).
    fn parse(header: &str) -> Option<Field> {
        let h = header
            .trim()
            .to_lowercase()
            .replace(['_', '.'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match h.as_str() {
            "name"
            | "full name"
            | "contact name"
            | "contact"
            | "nom"
            | "nom complet"
            | "nom du contact"
            | "vollständiger name"
            | "kontakt"
            | "ansprechpartner" => Some(Field::Name),
            "email"
            | "e-mail"
            | "mail"
            | "email address"
            | "e-mail address"
            | "courriel"
            | "adresse e-mail"
            | "adresse email"
            | "adresse mail"
            | "adresse électronique"
            | "e-mail-adresse"
            | "email-adresse"
            | "e-mail adresse"
            | "mailadresse" => Some(Field::Email),
            "company" | "organisation" | "organization" | "société" | "societe" | "entreprise"
            | "firma" | "unternehmen" | "firmenname" => Some(Field::Company),
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
    /// Columns read: the header's, without trailing unnamed ones.
    count: usize,
    /// Columns without a header name: ignored while they stay empty.
    unnamed: Vec<usize>,
}

/// Valid rows on their way to the database, their texts in one buffer: a few allocations a batch
/// rather than three a row (freed on the other thread, they cost more than the parsing).
#[derive(Default)]
struct Rows {
    text: String,
    /// Where each row's name, e-mail and company end in `text`.
    ends: Vec<[usize; 3]>,
    /// Each row's `email_key`, computed from the address the parser folded anyway.
    email_keys: Vec<i64>,
}

/// One row of [`Rows`].
struct Row<'a> {
    name: &'a str,
    email: &'a str,
    /// `None` when empty.
    company: Option<&'a str>,
    email_key: i64,
}

impl Rows {
    fn with_capacity(rows: usize) -> Rows {
        Rows {
            text: String::with_capacity(rows * 96),
            ends: Vec::with_capacity(rows),
            email_keys: Vec::with_capacity(rows),
        }
    }

    fn push(&mut self, name: &str, email: &str, company: &str, email_key: i64) {
        let mut end = |field: &str| {
            self.text.push_str(field);
            self.text.len()
        };
        let ends = [end(name), end(email), end(company)];
        self.ends.push(ends);
        self.email_keys.push(email_key);
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> Row<'_> {
        let start = if i == 0 { 0 } else { self.ends[i - 1][2] };
        let [name, email, company] = self.ends[i];
        let company = &self.text[email..company];
        Row {
            name: &self.text[start..name],
            email: &self.text[name..email],
            company: (!company.is_empty()).then_some(company),
            email_key: self.email_keys[i],
        }
    }
}

/// What the parsing thread hands to the inserting one.
enum Message {
    Rows(Rows),
    Progress(Progress),
}

/// Rows are sent to the inserting thread in batches of this many.
const BATCH: usize = 2_048;

/// What the parsing thread found.
struct Parsed {
    rows: u64,
    problems: Vec<Problem>,
}

/// The next record and its (line, byte offset), or `None` at the end.
type NextRecord<'a> =
    dyn FnMut(&mut csv::ByteRecord) -> Result<Option<(u64, u64)>, csv::Error> + Send + 'a;

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
    let file = path.display().to_string();
    if let Some(format) = sheet::format_of(path) {
        return import_sheet(conn, path, format, skip_invalid, progress);
    }
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        file: file.clone(),
        source,
    })?;
    let decoded = decode::decode(&bytes);
    let dialect = dialect::detect(&decoded.text);
    let body = &decoded.text[dialect.header_at..];
    let header_line = dialect.lines_before + 1;
    if let Some(line) = dialect::unclosed_quote(body, dialect.separator, header_line) {
        return Err(ImportError::UnclosedQuote { file, line });
    }
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(dialect.separator)
        .has_headers(true)
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers = csv
        .byte_headers()
        .map_err(|source| ImportError::Csv {
            file: file.clone(),
            source,
        })?
        .clone();
    let (lines_before, bytes_before) = (dialect.lines_before, dialect.header_at as u64);
    let mut next = |record: &mut csv::ByteRecord| {
        if !csv.read_byte_record(record)? {
            return Ok(None);
        }
        let (mut line, byte) = record.position().map_or((0, 0), |p| (p.line(), p.byte()));
        // The reader notes a row's position before it skips the blank lines in front of it:
        // count them, or a row after blank lines is named by the first blank line's number.
        let bytes = body.as_bytes();
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX);
        while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
            line += u64::from(bytes[at] == b'\n');
            at += 1;
        }
        Ok(Some((line + lines_before, byte + bytes_before)))
    };
    let shape = Shape {
        file,
        format: "CSV",
        encoding: Some(decoded.encoding.clone()),
        separator: Some(dialect.separator),
        header_line,
        total_bytes: decoded.text.len() as u64,
    };
    load(conn, shape, &headers, &mut next, skip_invalid, progress)
}

/// Imports the first sheet of a spreadsheet; line numbers are its row numbers.
fn import_sheet(
    conn: &mut Connection,
    path: &Path,
    format: &'static str,
    skip_invalid: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, ImportError> {
    let file = path.display().to_string();
    let rows = sheet::rows(path).map_err(|message| ImportError::Sheet {
        file: file.clone(),
        format,
        message,
    })?;
    let mut rows = rows.into_iter().skip_while(|(_, cells)| {
        cells
            .first()
            .is_some_and(|c| c.trim_start().starts_with('#'))
    });
    let (header_line, headers) = rows.next().unwrap_or((1, Vec::new()));
    let headers = csv::ByteRecord::from(headers);
    let mut next = move |record: &mut csv::ByteRecord| {
        Ok(rows.next().map(|(line, cells)| {
            record.clear();
            for cell in &cells {
                record.push_field(cell.as_bytes());
            }
            (line, 0)
        }))
    };
    let shape = Shape {
        file,
        format,
        encoding: None,
        separator: None,
        header_line,
        total_bytes: 0,
    };
    load(conn, shape, &headers, &mut next, skip_invalid, progress)
}

/// What the file is, as the report names it.
struct Shape {
    file: String,
    format: &'static str,
    encoding: Option<String>,
    separator: Option<u8>,
    header_line: u64,
    total_bytes: u64,
}

/// A 64 MB page cache for an import, until dropped: the rows go in and the indexes are built
/// again before the transaction commits (in a small cache their sorts spill to temporary files),
/// so it is dropped only once the transaction is settled.
struct LargeCache<'c> {
    conn: &'c Connection,
    before: i64,
}

impl<'c> LargeCache<'c> {
    fn set(conn: &'c Connection) -> rusqlite::Result<LargeCache<'c>> {
        let before = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        Ok(LargeCache { conn, before })
    }
}

impl Drop for LargeCache<'_> {
    fn drop(&mut self) {
        let _ = self.conn.pragma_update(None, "cache_size", self.before);
    }
}

/// Files of these sizes (about 13,000 to 200,000 contacts, whose pages take some 40 MB) are
/// imported through a rollback journal when the import is alone on the store
/// ([`crate::store::RollbackJournal`]). Below, WAL costs a few milliseconds. Above, the import
/// takes longer and its pages come near the 64 MB page cache: a process that opens the store
/// meanwhile would wait in its switch to WAL for the whole import (and fail after 5 s), and
/// spilled pages would lock readers out. WAL keeps both free.
const JOURNAL_SIZES: std::ops::RangeInclusive<u64> = (1 << 20)..=(16 << 20);

/// Validates the records `next` gives and inserts the valid ones, all or nothing.
fn load(
    conn: &mut Connection,
    shape: Shape,
    headers: &csv::ByteRecord,
    next: &mut NextRecord<'_>,
    skip_invalid: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, ImportError> {
    let file_label = shape.file.clone();
    let store = |source| ImportError::Store {
        file: file_label.clone(),
        source,
    };
    let columns = columns(headers).map_err(|message| ImportError::Header {
        file: file_label.clone(),
        line: shape.header_line,
        message,
    })?;
    let total_bytes = shape.total_bytes;
    // A large file is loaded with the store's pages written once, when nothing else has it open.
    let _journal = JOURNAL_SIZES
        .contains(&total_bytes)
        .then(|| crate::store::RollbackJournal::when_alone(conn))
        .flatten();
    let _cache = LargeCache::set(conn).map_err(store)?;
    // The stored addresses are read inside the import's transaction: the rows are checked
    // against them, and no other writer can add one before the import commits.
    conn.execute_batch("BEGIN IMMEDIATE").map_err(store)?;
    let existing = match crate::store::contacts::lowercase_emails(conn) {
        Ok(existing) => existing,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(store(e));
        }
    };
    let parser = Parser {
        columns,
        separator: shape.separator.unwrap_or(b','),
        total_bytes,
        existing: &existing,
        skip_invalid,
    };
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Message>(8);
    let outcome = std::thread::scope(|scope| {
        let parsing = scope.spawn(move || parser.run(next, sender));
        let inserted = insert_stream(conn, receiver, progress, existing.len(), total_bytes);
        let parsed = parsing.join().unwrap_or_else(|_| {
            Err(csv::Error::from(std::io::Error::other(
                "the CSV parser stopped unexpectedly",
            )))
        });
        (inserted, parsed)
    });
    let (inserted, parsed) = outcome;
    let (tx_rows, transaction) = inserted.map_err(store)?;
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(source) => {
            transaction.abandon(conn);
            return Err(ImportError::Csv {
                file: file_label.clone(),
                source,
            });
        }
    };
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
    let invalid_rows = parsed
        .problems
        .iter()
        .map(|p| p.line)
        .collect::<BTreeSet<_>>()
        .len() as u64;
    Ok(Report {
        file: shape.file,
        format: shape.format.to_string(),
        encoding: shape.encoding,
        separator: shape.separator.map(char::from),
        rows: parsed.rows,
        invalid_rows,
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
        assert_eq!(
            (report.separator, report.imported),
            (Some(';'), 2),
            "{report:?}"
        );
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
    fn an_empty_file_or_a_huge_header_is_refused_briefly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        let mut conn = crate::store::open_in_memory().unwrap();
        for content in [
            String::new(),
            format!("name,email,{}\n", "h".repeat(100_000)),
        ] {
            std::fs::write(&path, &content).unwrap();
            let err = import(&mut conn, &path, false, &mut |_| {}).unwrap_err();
            assert!(matches!(err, ImportError::Header { line: 1, .. }), "{err}");
            assert!(err.to_string().len() < 400, "{err}");
        }
    }

    #[test]
    fn a_large_import_rebuilds_the_same_email_index_and_keeps_addresses_unique() {
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

    #[test]
    fn a_large_import_into_a_store_with_contacts_keeps_indexes_counts_and_order_right() {
        let mut conn = crate::store::open_in_memory().unwrap();
        for (name, email) in [("Zoë Weber", "zoe@x.org"), ("Ana María", "ana@x.org")] {
            crate::store::contacts::insert(&conn, name, email, None).unwrap();
        }
        crate::store::contacts::set_state(&conn, 1, crate::contacts::ContactState::Active).unwrap();
        // Accented names in no order, some the same as the stored ones: large enough for the
        // indexes to be built again.
        let first = ["Élodie", "Zoë", "Jürgen", "Ana", "Øystein", "anaïs"];
        let last = ["Weber", "María", "Ødegård", "Müller", "Dupont"];
        let mut csv = String::from("name,email\n");
        for i in 0..5000 {
            let name = format!("{} {}", first[i * 7 % 6], last[i * 11 % 5]);
            csv.push_str(&format!("{name},p{i}@x.org\n"));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, csv).unwrap();
        let report = import(&mut conn, &path, false, &mut |_| {}).unwrap();
        assert_eq!(report.imported, 5000);

        // Every index entry is the one SQLite computes from its row again (the name keys were
        // computed on another thread), and the state index kept its contact.
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let by_state: Vec<String> = conn
            .prepare(
                "SELECT name FROM contacts INDEXED BY contacts_state_name
                 WHERE state = 'active' ORDER BY unicode_key(name)",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(by_state, ["Zoë Weber"]);
        let counts = |name: &str| crate::store::counts::kept(&conn, name).unwrap();
        assert_eq!(counts("contacts"), Some(5002));
        assert_eq!(counts("contacts.not_registered"), Some(5001));
        assert_eq!(counts("contacts.active"), Some(1));

        // The name index gives the collator's order.
        let names: Vec<String> = conn
            .prepare(
                "SELECT name FROM contacts INDEXED BY contacts_name ORDER BY unicode_key(name), id",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(names.len(), 5002);
        assert!(
            names
                .windows(2)
                .all(|w| crate::store::collation::compare(&w[0], &w[1]).is_le()),
            "not in the collator's order"
        );
        // The usual key function is back on the connection.
        let key: String = conn
            .query_row("SELECT unicode_key('Ana')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(key, crate::store::collation::sort_key("Ana"));
    }
}
