//! The sync area's errors: each names what failed, on what, and what to do.

/// A sync failure; `hint` (when there is one) says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("POS folder {0} does not exist (list them with `backroom pos folders list`)")]
    NoFolder(String),
    #[error("{0}")]
    Config(String),
    #[error("server database of folder {folder}: {message}")]
    ServerDb { folder: String, message: String },
    #[error("FTP {address}: {message}")]
    Ftp { address: String, message: String },
    #[error("batch {file}: {message}")]
    Batch { file: String, message: String },
    #[error("{0}")]
    Blocked(String),
    #[error("{0}")]
    Refused(String),
    #[error("web service {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("{0}")]
    Rejected(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] rusqlite::Error),
}

impl SyncError {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> SyncError {
        let context = context.into();
        move |source| SyncError::Io { context, source }
    }

    pub fn db(folder: &str, message: impl std::fmt::Display) -> SyncError {
        SyncError::ServerDb {
            folder: folder.to_string(),
            message: message.to_string(),
        }
    }

    pub fn batch(file: &str, message: impl Into<String>) -> SyncError {
        SyncError::Batch {
            file: file.to_string(),
            message: message.into(),
        }
    }
}

/// The message of a PostgreSQL error, with the server's reason (tokio-postgres hides it in `Display`).
pub fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}
