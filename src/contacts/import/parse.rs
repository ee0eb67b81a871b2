//! Reading and validating the rows of an import, on its own thread.

use std::borrow::Cow;

use super::{
    BATCH, Columns, Field, Message, NextRecord, PROGRESS_EVERY, Parsed, Problem, Progress, Rows,
    echo,
};
use crate::contacts::limits::{COMPANY_MAX, EMAIL_MAX, NAME_MAX, too_long};

/// Reads and validates rows, sending the valid ones on.
pub(super) struct Parser<'a> {
    pub(super) columns: Columns,
    pub(super) separator: u8,
    pub(super) total_bytes: u64,
    pub(super) existing: &'a foldhash::HashSet<String>,
    pub(super) skip_invalid: bool,
}

impl Parser<'_> {
    pub(super) fn run(
        &self,
        next: &mut NextRecord<'_>,
        sender: std::sync::mpsc::SyncSender<Message>,
    ) -> Result<Parsed, csv::Error> {
        // About 60 bytes a row: sized once instead of growing (and rehashing) as rows come.
        let mut seen: foldhash::HashMap<Box<str>, u64> =
            foldhash::HashMap::with_capacity_and_hasher(
                (self.total_bytes / 60).min(4_000_000) as usize,
                Default::default(),
            );
        let mut key = String::new();
        let mut problems: Vec<Problem> = Vec::new();
        let mut batch = Rows::with_capacity(BATCH);
        let mut rows: u64 = 0;
        let mut record = csv::ByteRecord::new();
        // The receiver only goes away on a database error, reported by the other side.
        let send = |m: Message| sender.send(m).is_ok();
        while let Some((line, bytes)) = next(&mut record)? {
            if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            rows += 1;
            if rows.is_multiple_of(PROGRESS_EVERY) {
                let p = Progress {
                    rows,
                    bytes,
                    total_bytes: self.total_bytes,
                };
                if !send(Message::Progress(p)) {
                    break;
                }
            }
            if let Some((name, email, company)) =
                self.check(&record, line, &mut seen, &mut key, &mut problems)
            {
                // After a bad row without --skip-invalid nothing will be committed: only validate.
                if problems.is_empty() || self.skip_invalid {
                    let email_key = crate::store::collation::folded_email_key(&key);
                    batch.push(&name, &email, &company, email_key);
                }
            }
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Rows::with_capacity(BATCH));
                if !send(Message::Rows(full)) {
                    break;
                }
            }
        }
        if batch.len() > 0 {
            send(Message::Rows(batch));
        }
        Ok(Parsed { rows, problems })
    }

    /// The row's name, e-mail and company when it is valid; its problems otherwise. `key` is
    /// room for the e-mail folded to lower case, reused from row to row. A field keeps LF only
    /// where a quoted field spans lines of a Windows file (see `decode`).
    fn check<'r>(
        &self,
        record: &'r csv::ByteRecord,
        line: u64,
        seen: &mut foldhash::HashMap<Box<str>, u64>,
        key: &mut String,
        problems: &mut Vec<Problem>,
    ) -> Option<(Cow<'r, str>, Cow<'r, str>, Cow<'r, str>)> {
        let columns = &self.columns;
        let before = problems.len();
        let filled = |i: &usize| record.get(*i).is_some_and(|f| !f.trim_ascii().is_empty());
        if let Some(extra) = (columns.count..record.len()).find(filled) {
            problems.push(Problem {
                line,
                column: extra + 1,
                field: "extra".into(),
                value: echo(&String::from_utf8_lossy(&record[extra])),
                reason: format!(
                    "{} fields, the header has {} (quote fields that contain the separator {:?})",
                    record.len(),
                    columns.count,
                    self.separator as char
                ),
            });
            return None;
        }
        if let Some(&i) = columns.unnamed.iter().find(|i| filled(i)) {
            problems.push(Problem {
                line,
                column: i + 1,
                field: "unnamed".into(),
                value: echo(&String::from_utf8_lossy(&record[i])),
                reason: "this column has no name in the header (name it, or empty it)".into(),
            });
            return None;
        }
        // Fields are validated as borrowed slices of the record; only a valid row is copied. The
        // record's bytes are checked once (SIMD); a field is then a slice of them, unless its
        // edges cut a character, when it is checked alone (and reported).
        let whole = simdutf8::basic::from_utf8(record.as_slice()).ok();
        let lf = |s: &'r str| {
            if s.contains('\r') {
                Cow::Owned(s.replace("\r\n", "\n"))
            } else {
                Cow::Borrowed(s)
            }
        };
        let mut text = |index: Option<usize>, field: Field| -> Option<Cow<'r, str>> {
            let checked = whole.zip(index.and_then(|i| record.range(i)));
            if let Some(s) = checked.and_then(|(whole, range)| whole.get(range)) {
                return Some(lf(s.trim()));
            }
            let bytes = index.and_then(|i| record.get(i)).unwrap_or(b"");
            match std::str::from_utf8(bytes) {
                Ok(s) => Some(lf(s.trim())),
                Err(_) => {
                    problems.push(Problem {
                        line,
                        column: index.map(|i| i + 1).unwrap_or(0),
                        field: field.label().into(),
                        value: echo(&String::from_utf8_lossy(bytes)),
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
        let fields = (name, email, company);
        let (name, email, company) = (&*fields.0, &*fields.1, &*fields.2);
        let mut problem = |column: usize, field: Field, value: &str, reason: String| {
            problems.push(Problem {
                line,
                column: column + 1,
                field: field.label().into(),
                value: echo(value),
                reason,
            })
        };
        if name.is_empty() {
            problem(columns.name, Field::Name, name, "required".into());
        } else if let Some(reason) = too_long(name, NAME_MAX) {
            problem(columns.name, Field::Name, name, reason);
        }
        if let (Some(column), Some(reason)) = (columns.company, too_long(company, COMPANY_MAX)) {
            problem(column, Field::Company, company, reason);
        }
        // Folded as the store's addresses are (`store::contacts::fold_email`).
        crate::store::contacts::fold_email_into(email, key);
        let key = key.as_str();
        if email.is_empty() {
            problem(columns.email, Field::Email, email, "required".into());
        } else if let Some(reason) = too_long(email, EMAIL_MAX) {
            problem(columns.email, Field::Email, email, reason);
        } else if let Err(reason) = crate::contacts::email::check(email) {
            problem(
                columns.email,
                Field::Email,
                email,
                format!("not a valid e-mail address: {reason}"),
            );
        } else if let Some(first) = seen.get(key) {
            problem(
                columns.email,
                Field::Email,
                email,
                format!("duplicate of line {first} (e-mails are compared without case)"),
            );
        } else if self.existing.contains(key) {
            problem(
                columns.email,
                Field::Email,
                email,
                "already a contact".into(),
            );
        }
        if problems.len() != before {
            return None;
        }
        // Only a valid row is an e-mail's first: with --skip-invalid, a corrected row after a
        // refused one with the same e-mail was dropped as its duplicate, and imported nowhere.
        seen.insert(key.into(), line);
        Some(fields)
    }
}
