//! `contacts export`: the contacts as CSV in the dialect a spreadsheet expects (separator,
//! encoding) or as XLSX, with the columns the import reads back (name, email, company).

use std::path::{Path, PathBuf};

use encoding_rs::WINDOWS_1252;
use serde::Serialize;

use super::error::ContactError;
use super::model::Contact;

/// The header every export starts with: the import's own column names.
pub const HEADER: [&str; 3] = ["name", "email", "company"];

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
}

/// The text encoding of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with a BOM (what Excel needs to read accents in a double-clicked CSV).
    Utf8Bom,
    /// Windows-1252 (older Excel in Western Europe); refused when a contact has a character it lacks.
    Windows1252,
    /// UTF-16 little endian with BOM (Excel's "Unicode text").
    Utf16le,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(format!("{s:?} is not a format: csv or xlsx")),
        }
    }
}

impl Format {
    /// The format a file name implies (`.xlsx`), else CSV.
    pub fn of(path: &Path) -> Format {
        let xlsx = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        if xlsx { Format::Xlsx } else { Format::Csv }
    }
}

impl std::str::FromStr for TextEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<TextEncoding, String> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "utf-8-bom" | "utf8-bom" => Ok(TextEncoding::Utf8Bom),
            "windows-1252" | "cp1252" | "latin-1" | "latin1" => Ok(TextEncoding::Windows1252),
            "utf-16le" | "utf16le" | "utf-16" => Ok(TextEncoding::Utf16le),
            _ => Err(format!(
                "{s:?} is not an encoding: utf-8, utf-8-bom, windows-1252 or utf-16le"
            )),
        }
    }
}

/// The separator a name or character stands for: `,` `;` `tab` `|`.
pub fn parse_separator(s: &str) -> Result<u8, String> {
    match s.to_ascii_lowercase().as_str() {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" => Ok(b'\t'),
        "|" | "bar" | "pipe" => Ok(b'|'),
        _ => Err(format!(
            "{s:?} is not a separator: comma, semicolon, tab or pipe (or , ; |)"
        )),
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub path: PathBuf,
    pub format: Format,
    pub rows: usize,
}

/// Writes `contacts` to `path` (through a temporary file renamed at the end: a failed export
/// leaves no half-written file).
pub fn export(
    contacts: &[Contact],
    path: &Path,
    format: Format,
    separator: u8,
    encoding: TextEncoding,
) -> Result<Exported, ContactError> {
    let bytes = match format {
        Format::Csv => csv_bytes(contacts, separator, encoding)?,
        Format::Xlsx => xlsx_bytes(&HEADER, &rows(contacts))?,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    super::private::write(&tmp, &bytes).map_err(|e| ContactError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ContactError::io(path, e)
    })?;
    Ok(Exported {
        path: path.to_path_buf(),
        format,
        rows: contacts.len(),
    })
}

fn rows(contacts: &[Contact]) -> Vec<[&str; 3]> {
    contacts
        .iter()
        .map(|c| {
            [
                c.name.as_str(),
                c.email.as_str(),
                c.company.as_deref().unwrap_or(""),
            ]
        })
        .collect()
}

fn csv_bytes(
    contacts: &[Contact],
    separator: u8,
    encoding: TextEncoding,
) -> Result<Vec<u8>, ContactError> {
    let bad = |e: csv::Error| ContactError::BadInput(format!("writing the CSV: {e}"));
    let mut writer = csv::WriterBuilder::new()
        .delimiter(separator)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(HEADER).map_err(bad)?;
    for row in rows(contacts) {
        writer.write_record(row).map_err(bad)?;
    }
    let text = writer
        .into_inner()
        .map_err(|e| ContactError::BadInput(format!("writing the CSV: {e}")))?;
    let text = String::from_utf8(text)
        .map_err(|e| ContactError::BadInput(format!("writing the CSV: {e}")))?;
    Ok(match encoding {
        TextEncoding::Utf8 => text.into_bytes(),
        TextEncoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        TextEncoding::Utf16le => {
            let mut out = vec![0xFF, 0xFE];
            out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            out
        }
        TextEncoding::Windows1252 => {
            let (bytes, _, lossy) = WINDOWS_1252.encode(&text);
            if lossy {
                return Err(unencodable(contacts));
            }
            bytes.into_owned()
        }
    })
}

/// Names the first contact with a character windows-1252 lacks.
fn unencodable(contacts: &[Contact]) -> ContactError {
    let culprit = contacts.iter().find_map(|c| {
        rows(std::slice::from_ref(c))[0]
            .into_iter()
            .flat_map(str::chars)
            .find(|ch| WINDOWS_1252.encode(&ch.to_string()).2)
            .map(|ch| format!("{:?} in {} <{}>", ch, c.name, c.email))
    });
    ContactError::BadInput(format!(
        "windows-1252 cannot hold {} (export as utf-8-bom or utf16le, or as xlsx)",
        culprit.unwrap_or_else(|| "every character".into())
    ))
}

/// One sheet, a bold header and the rows, as XLSX bytes.
pub fn xlsx_bytes<const N: usize>(
    header: &[&str; N],
    rows: &[[&str; N]],
) -> Result<Vec<u8>, ContactError> {
    let bad =
        |e: rust_xlsxwriter::XlsxError| ContactError::BadInput(format!("writing the XLSX: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Contacts").map_err(bad)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, title) in (0u16..).zip(header) {
        sheet
            .write_string_with_format(0, col, *title, &bold)
            .map_err(bad)?;
        sheet.set_column_width(col, 30).map_err(bad)?;
    }
    for (row, cells) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(cells) {
            if !cell.is_empty() {
                sheet.write_string(row, col, *cell).map_err(bad)?;
            }
        }
    }
    book.save_to_buffer().map_err(bad)
}
