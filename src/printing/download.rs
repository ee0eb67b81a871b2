//! "Download": writes the exact bytes that were sent (checked against the stored SHA-256).

use std::path::{Path, PathBuf};

use rusqlite::Connection;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("no print job {0} (see `backroom jobs list`)")]
    NotFound(i64),
    #[error("job {id}'s document is damaged: its SHA-256 is {actual}, {recorded} was recorded")]
    Damaged {
        id: i64,
        actual: String,
        recorded: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] rusqlite::Error),
}

/// The file name a download gets: `job-42-Invoice-SO-1042.pdf`.
pub fn file_name(id: i64, title: &str) -> String {
    let mut slug: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    format!("job-{id}-{}.pdf", slug.trim_matches('-'))
}

/// Writes job `id`'s document to `out`, or into `dir` under [`file_name`]; returns the path.
pub fn write(
    conn: &Connection,
    id: i64,
    out: Option<&Path>,
    dir: &Path,
) -> Result<PathBuf, DownloadError> {
    let (title, bytes, recorded) =
        crate::store::jobs::document_of(conn, id)?.ok_or(DownloadError::NotFound(id))?;
    let actual = super::document::sha256_hex(&bytes);
    if actual != recorded {
        return Err(DownloadError::Damaged {
            id,
            actual,
            recorded,
        });
    }
    let path = match out {
        Some(p) => p.to_path_buf(),
        None => {
            crate::private_files::create_missing_dir(dir).map_err(|source| {
                DownloadError::Write {
                    path: dir.display().to_string(),
                    source,
                }
            })?;
            dir.join(file_name(id, &title))
        }
    };
    crate::private_files::write(&path, &bytes).map_err(|source| DownloadError::Write {
        path: path.display().to_string(),
        source,
    })?;
    Ok(path)
}

/// Writes job `id`'s document into the user's downloads dir.
pub fn to_downloads(conn: &Connection, id: i64) -> Result<PathBuf, DownloadError> {
    write(conn, id, None, &crate::paths::downloads_dir())
}
