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

/// Imports `path`; `progress` is called every [`PROGRESS_EVERY`] rows and at the end.
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
    let header_line = skipped_lines + 1;
    let headers = csv.byte_headers().map_err(|source| ImportError::Csv {
        file: file_label.clone(),
        source,
    })?;
    let columns = columns(headers).map_err(|message| ImportError::Header {
        file: file_label.clone(),
        line: header_line,
        message,
    })?;

    let existing =
        crate::store::contacts::lowercase_emails(conn).map_err(|source| ImportError::Store {
            file: file_label.clone(),
            source,
        })?;
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut good: Vec<(String, String, Option<String>)> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut rows: u64 = 0;
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(source) => {
                return Err(ImportError::Csv {
                    file: file_label.clone(),
                    source,
                });
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0) + skipped_lines;
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY) {
            let bytes = record.position().map(|p| p.byte()).unwrap_or(0) + skipped_bytes;
            progress(Progress {
                rows,
                bytes,
                total_bytes,
            });
        }
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
                    separator as char
                ),
            });
            continue;
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
            continue;
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
        } else if existing.contains(&key) {
            problem(
                columns.email,
                Field::Email,
                &email,
                "already a contact".into(),
            );
        }
        if problems.len() == before {
            seen.insert(key, line);
            let company = Some(company).filter(|c| !c.is_empty());
            good.push((name, email, company));
        } else if !seen.contains_key(&key) && !key.is_empty() {
            seen.insert(key, line);
        }
    }
    progress(Progress {
        rows,
        bytes: total_bytes,
        total_bytes,
    });
    let commit = problems.is_empty() || skip_invalid;
    let imported = if commit {
        insert_all(conn, &good).map_err(|source| ImportError::Store {
            file: file_label.clone(),
            source,
        })?
    } else {
        0
    };
    Ok(Report {
        file: file_label,
        separator: separator as char,
        rows,
        imported,
        problems,
        committed: commit,
    })
}

fn insert_all(
    conn: &mut Connection,
    rows: &[(String, String, Option<String>)],
) -> rusqlite::Result<u64> {
    let tx = conn.transaction()?;
    let now = crate::store::now();
    {
        let mut stmt = tx.prepare(
            "INSERT INTO contacts (name, email, company, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (name, email, company) in rows {
            stmt.execute(rusqlite::params![name, email, company, now])?;
        }
    }
    tx.commit()?;
    Ok(rows.len() as u64)
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
}
