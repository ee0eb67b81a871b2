//! `users_template.csv`: the file to fill in and import, documenting its columns.

use std::path::{Path, PathBuf};

/// The template's file name.
pub const FILE_NAME: &str = "users_template.csv";

/// The template: comment lines (ignored by the import) describing the columns, the header, an example.
pub const CONTENT: &str = "\
# backroom contacts import template. Lines starting with # before the header are ignored.
# Columns: name (required) = the contact's name; email (required) = unique, compared without case;
# company (optional). Separator: comma or semicolon. Encoding: UTF-8, with or without BOM.
# Put fields containing separators or line breaks in double quotes. Replace the example row below.
# Imported contacts are 'not registered': send each one an activation request afterwards.
name,email,company
Jane Example,jane.example@example.com,Example Print Ltd
";

/// Writes the template to `out` (a file, or a folder to put `users_template.csv` in),
/// default the downloads dir; returns the path written.
pub fn write(out: Option<&Path>) -> std::io::Result<PathBuf> {
    let path = match out {
        Some(p) if p.is_dir() => p.join(FILE_NAME),
        Some(p) => p.to_path_buf(),
        None => crate::paths::downloads_dir().join(FILE_NAME),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::private::create_missing_dir(dir)?;
    }
    super::private::write(&path, CONTENT.as_bytes())?;
    Ok(path)
}
