//! CSV import of contacts: UTF-8 with or without BOM, comma or semicolon (sniffed), quoted
//! fields with separators and line breaks. Every row is validated; all or nothing unless the
//! caller skips invalid rows. One transaction, one prepared statement.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

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

/// The open import transaction, and whether the e-mail index must be rebuilt before it commits.
struct Pending {
    rebuild_index: bool,
}

impl Pending {
    fn finish(self, conn: &Connection) -> rusqlite::Result<()> {
        let done = (|| {
            if self.rebuild_index {
                conn.execute_batch(crate::store::contacts::CREATE_EMAIL_INDEX)?;
            }
            conn.execute_batch("COMMIT")
        })();
        if done.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        done
    }

    fn abandon(self, conn: &Connection) {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Inserts the rows as they arrive, in one transaction left open for the caller to settle.
fn insert_stream(
    conn: &Connection,
    receiver: std::sync::mpsc::Receiver<Message>,
    progress: &mut dyn FnMut(Progress),
    existing: usize,
    total_bytes: u64,
) -> rusqlite::Result<(u64, Pending)> {
    use crate::store::contacts as q;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    // Building the e-mail index once after a large load is much cheaper than growing it row by
    // row. The rows are checked for duplicates before they are sent here, and the index is
    // rebuilt (unique) inside the same transaction before it commits.
    let rebuild_index = total_bytes / 64 > (existing as u64).max(1_000);
    let pending = Pending { rebuild_index };
    let result = (|| {
        if rebuild_index {
            conn.execute_batch(q::DROP_EMAIL_INDEX)?;
        }
        let now = crate::store::now();
        let mut many = conn.prepare(&insert_sql(ROWS_PER_INSERT))?;
        let mut one = conn.prepare(&insert_sql(1))?;
        let mut count = 0u64;
        for message in receiver {
            match message {
                Message::Progress(p) => progress(p),
                Message::Rows(rows) => {
                    let mut chunks = rows.chunks_exact(ROWS_PER_INSERT);
                    for chunk in &mut chunks {
                        insert_chunk(&mut many, &now, chunk)?;
                    }
                    for row in chunks.remainder() {
                        insert_chunk(&mut one, &now, std::slice::from_ref(row))?;
                    }
                    count += rows.len() as u64;
                }
            }
        }
        Ok(count)
    })();
    match result {
        Ok(count) => Ok((count, pending)),
        Err(e) => {
            pending.abandon(conn);
            Err(e)
        }
    }
}

/// Rows per multi-row INSERT: fewer statement steps than one INSERT per row.
const ROWS_PER_INSERT: usize = 64;

/// `INSERT ... VALUES (?2, ?3, ?4, ?1), (?5, ?6, ?7, ?1), ...` for `rows` rows (`?1`: created_at).
fn insert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| format!("(?{}, ?{}, ?{}, ?1)", 3 * i + 2, 3 * i + 3, 3 * i + 4))
        .collect();
    format!(
        "INSERT INTO contacts (name, email, company, created_at) VALUES {}",
        values.join(", ")
    )
}

fn insert_chunk(
    stmt: &mut rusqlite::Statement<'_>,
    now: &str,
    rows: &[GoodRow],
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(1, now)?;
    for (i, (name, email, company)) in rows.iter().enumerate() {
        stmt.raw_bind_parameter(3 * i + 2, name)?;
        stmt.raw_bind_parameter(3 * i + 3, email)?;
        stmt.raw_bind_parameter(3 * i + 4, company)?;
    }
    stmt.raw_execute()?;
    Ok(())
}

/// Reads and validates rows, sending the valid ones on.
struct Parser<'a> {
    columns: Columns,
    separator: u8,
    skipped_lines: u64,
    skipped_bytes: u64,
    total_bytes: u64,
    existing: &'a std::collections::HashSet<String>,
    skip_invalid: bool,
}

impl Parser<'_> {
    fn run<R: Read>(
        &self,
        csv: &mut csv::Reader<R>,
        sender: std::sync::mpsc::SyncSender<Message>,
    ) -> Result<Parsed, csv::Error> {
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut problems: Vec<Problem> = Vec::new();
        let mut batch: Vec<GoodRow> = Vec::with_capacity(BATCH);
        let mut rows: u64 = 0;
        let mut record = csv::ByteRecord::new();
        // The receiver only goes away on a database error, reported by the other side.
        let send = |m: Message| sender.send(m).is_ok();
        while csv.read_byte_record(&mut record)? {
            if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            rows += 1;
            if rows.is_multiple_of(PROGRESS_EVERY) {
                let bytes = record.position().map(|p| p.byte()).unwrap_or(0) + self.skipped_bytes;
                let p = Progress {
                    rows,
                    bytes,
                    total_bytes: self.total_bytes,
                };
                if !send(Message::Progress(p)) {
                    break;
                }
            }
            let line = record.position().map(|p| p.line()).unwrap_or(0) + self.skipped_lines;
            if let Some(row) = self.check(&record, line, &mut seen, &mut problems) {
                // After a bad row without --skip-invalid nothing will be committed: only validate.
                if problems.is_empty() || self.skip_invalid {
                    batch.push(row);
                }
            }
            if batch.len() == BATCH && !send(Message::Rows(std::mem::take(&mut batch))) {
                break;
            }
        }
        if !batch.is_empty() {
            send(Message::Rows(batch));
        }
        Ok(Parsed { rows, problems })
    }

    /// The row when it is valid; its problems otherwise.
    fn check(
        &self,
        record: &csv::ByteRecord,
        line: u64,
        seen: &mut HashMap<String, u64>,
        problems: &mut Vec<Problem>,
    ) -> Option<GoodRow> {
        let columns = &self.columns;
        let before = problems.len();
        if record.len() > columns.count {
            problems.push(Problem {
                line,
                column: columns.count + 1,
                field: "(extra)".into(),
                value: String::from_utf8_lossy(&record[columns.count]).into_owned(),
                reason: format!(
                    "{} fields, the header has {} (quote fields that contain the separator {:?})",
                    record.len(),
                    columns.count,
                    self.separator as char
                ),
            });
            return None;
        }
        let mut text = |index: Option<usize>, field: Field| -> Option<String> {
            let bytes = index.and_then(|i| record.get(i)).unwrap_or(b"");
            match std::str::from_utf8(bytes) {
                Ok(s) => Some(s.trim().to_string()),
                Err(_) => {
                    problems.push(Problem {
                        line,
                        column: index.map(|i| i + 1).unwrap_or(0),
                        field: field.label().into(),
                        value: String::from_utf8_lossy(bytes).into_owned(),
                        reason: "not valid UTF-8 (save the file as UTF-8)".into(),
                    });
                    None
                }
            }
        };
        let name = text(Some(columns.name), Field::Name);
        let email = text(Some(columns.email), Field::Email);
        let company = text(columns.company, Field::Company);
        let (Some(name), Some(email), Some(company)) = (name, email, company) else {
            return None;
        };
        let mut problem = |column: usize, field: Field, value: &str, reason: String| {
            problems.push(Problem {
                line,
                column: column + 1,
                field: field.label().into(),
                value: value.to_string(),
                reason,
            })
        };
        if name.is_empty() {
            problem(columns.name, Field::Name, &name, "required".into());
        } else if name.chars().count() > 200 {
            problem(
                columns.name,
                Field::Name,
                &name,
                "longer than 200 characters".into(),
            );
        }
        let key = email.to_lowercase();
        if email.is_empty() {
            problem(columns.email, Field::Email, &email, "required".into());
        } else if let Err(reason) = super::email::check(&email) {
            problem(
                columns.email,
                Field::Email,
                &email,
                format!("not a valid e-mail address: {reason}"),
            );
        } else if let Some(first) = seen.get(&key) {
            problem(
                columns.email,
                Field::Email,
                &email,
                format!("duplicate of line {first} (e-mails are compared without case)"),
            );
        } else if self.existing.contains(&key) {
            problem(
                columns.email,
                Field::Email,
                &email,
                "already a contact".into(),
            );
        }
        if !key.is_empty() {
            seen.entry(key).or_insert(line);
        }
        if problems.len() != before {
            return None;
        }
        Some((name, email, Some(company).filter(|c| !c.is_empty())))
    }
}

/// Skips a UTF-8 BOM, then comment (`#`) and blank lines before the header.
/// Returns the lines and bytes skipped (BOM included in the bytes).
fn skip_preamble<R: Read>(reader: &mut BufReader<R>) -> std::io::Result<(u64, u64)> {
    let mut bytes = 0;
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
        bytes += 3;
    }
    let mut lines = 0;
    loop {
        let buf = reader.fill_buf()?;
        let first = buf.iter().position(|b| !matches!(b, b' ' | b'\t'));
        let is_preamble = matches!(first.map(|i| buf[i]), Some(b'#' | b'\n' | b'\r'));
        if !is_preamble {
            return Ok((lines, bytes));
        }
        let mut skipped = Vec::new();
        let n = reader.read_until(b'\n', &mut skipped)?;
        if n == 0 {
            return Ok((lines, bytes));
        }
        bytes += n as u64;
        lines += 1;
    }
}

/// Semicolon when the header line has more semicolons than commas (outside quotes), else comma.
fn sniff(buf: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for &b in buf {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

fn columns(headers: &csv::ByteRecord) -> Result<Columns, String> {
    let (mut name, mut email, mut company) = (None, None, None);
    for (i, raw) in headers.iter().enumerate() {
        let header = String::from_utf8_lossy(raw);
        let slot = match Field::parse(&header) {
            Some(Field::Name) => &mut name,
            Some(Field::Email) => &mut email,
            Some(Field::Company) => &mut company,
            None => {
                return Err(format!(
                    "column {} {header:?} is not one of name, email, company (see users_template.csv)",
                    i + 1
                ));
            }
        };
        if slot.is_some() {
            return Err(format!("column {} {header:?} appears twice", i + 1));
        }
        *slot = Some(i);
    }
    match (name, email) {
        (Some(name), Some(email)) => Ok(Columns {
            name,
            email,
            company,
            count: headers.len(),
        }),
        _ => Err("the header must name the columns name and email (company is optional); see users_template.csv".into()),
    }
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
