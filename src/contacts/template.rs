//! `users_template.csv` (or `.xlsx`): the file to fill in and import, documenting its columns.

use std::path::{Path, PathBuf};

/// The template's file name.
pub const FILE_NAME: &str = "users_template.csv";
/// The spreadsheet template's file name.
pub const FILE_NAME_XLSX: &str = "users_template.xlsx";

/// The example row of both templates.
const EXAMPLE: [&str; 3] = [
    "Jane Example",
    "jane.example@example.com",
    "Example Print Ltd",
];

/// The template: comment lines (ignored by the import) describing the columns, the header, an example.
pub const CONTENT: &str = "\
# backroom contacts import template. Lines starting with # before the header are ignored.
# Columns: name (required) = the contact's name; email (required) = unique, compared without case;
# company (optional). Separator: comma, semicolon, tab or |. Encoding: UTF-8, UTF-16 or Windows-1252.
# Put fields containing separators or line breaks in double quotes. Replace the example row below.
# Imported contacts are 'not registered': send each one an activation request afterwards.
name,email,company
Jane Example,jane.example@example.com,Example Print Ltd
";

/// Writes the template to `out` (a file, or a folder to put `users_template.csv` in),
/// default the downloads dir; returns the path written. A file named `*.xlsx`, or `xlsx` true
/// with a folder, gets the spreadsheet template (header and example row on one sheet).
pub fn write(out: Option<&Path>, xlsx: bool) -> std::io::Result<PathBuf> {
    let name = if xlsx { FILE_NAME_XLSX } else { FILE_NAME };
    let path = match out {
        Some(p) if p.is_dir() => p.join(name),
        Some(p) => p.to_path_buf(),
        None => crate::paths::downloads_dir().join(name),
    };
    let xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::private::create_missing_dir(dir)?;
    }
    if xlsx {
        let bytes = super::export::xlsx_bytes(&super::export::HEADER, &[EXAMPLE])
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        super::private::write(&path, &bytes)?;
    } else {
        super::private::write(&path, CONTENT.as_bytes())?;
    }
    Ok(path)
}
