//! The shape of an import file: BOM and comment lines before the header, the separator, and
//! which column holds which field.

use std::io::{BufRead, BufReader, Read};

use super::{Columns, Field};

/// Skips a UTF-8 BOM, then comment (`#`) and blank lines before the header.
/// Returns the lines and bytes skipped (BOM included in the bytes).
pub(super) fn skip_preamble<R: Read>(reader: &mut BufReader<R>) -> std::io::Result<(u64, u64)> {
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
pub(super) fn sniff(buf: &[u8]) -> u8 {
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

pub(super) fn columns(headers: &csv::ByteRecord) -> Result<Columns, String> {
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
