//! The folder's server database (PostgreSQL, or an SQLite file for a single store): connecting and
//! describing the tables that are synchronised.

pub mod ops;
pub mod postgres;
pub mod sqlite;

use std::path::PathBuf;

use serde::Serialize;

use super::{Folder, SyncError};

/// A connection to a folder's server database.
pub enum ServerDb {
    Postgres(tokio_postgres::Client),
    /// SQLite is opened per operation inside `spawn_blocking` (a connection is not `Sync`).
    Sqlite(PathBuf),
}

/// A table as the server database defines it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableInfo {
    /// The sync table's name as configured (`ART`); batches and tills use it.
    pub name: String,
    /// The name in the server database (PostgreSQL folds unquoted names to lower case).
    pub actual: String,
    pub columns: Vec<String>,
    pub pk: Vec<String>,
}

impl ServerDb {
    /// Connects with the folder's *DB server* settings.
    pub async fn connect(folder: &Folder) -> Result<ServerDb, SyncError> {
        match folder.db_kind.as_str() {
            "sqlite" => {
                if folder.db_name.trim().is_empty() {
                    return Err(SyncError::Config(format!(
                        "folder {}: the SQLite server database file is not set (backroom pos folders set {} --db-name PATH)",
                        folder.code, folder.code
                    )));
                }
                let path = PathBuf::from(folder.db_name.trim());
                if !path.exists() {
                    return Err(SyncError::db(
                        &folder.code,
                        format!("the SQLite file {} does not exist", path.display()),
                    ));
                }
                Ok(ServerDb::Sqlite(path))
            }
            _ => postgres::connect(folder).await.map(ServerDb::Postgres),
        }
    }

    /// Describes a table: its real name, columns in order and primary key.
    pub async fn describe(&self, folder: &str, table: &str) -> Result<TableInfo, SyncError> {
        match self {
            ServerDb::Postgres(c) => postgres::describe(c, folder, table).await,
            ServerDb::Sqlite(path) => {
                let (path, folder, table) = (path.clone(), folder.to_string(), table.to_string());
                blocking(move || {
                    let conn = sqlite::open(&path, &folder)?;
                    sqlite::describe(&conn, &folder, &table)
                })
                .await
            }
        }
    }
}

/// Runs blocking work (SQLite, files) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Config(format!("a background task failed: {e}")))?
}

/// The refusal for a table without a primary key.
pub fn no_pk(folder: &str, table: &str) -> SyncError {
    SyncError::db(
        folder,
        format!(
            "table {table} has no primary key; tills need one to apply updates and deletions (add a PRIMARY KEY to {table})"
        ),
    )
}

/// The refusal for a table that does not exist.
pub fn no_table(folder: &str, table: &str) -> SyncError {
    SyncError::db(
        folder,
        format!(
            "table {table} does not exist (check the sync tables: backroom sync tables list {folder})"
        ),
    )
}

/// Server database connections open at once in this process (PostgreSQL allows 100 by default).
pub const MAX_SERVER_CONNECTIONS: usize = 32;

/// Runs `work` on the folder's server database inside `spawn_blocking`, with the till tables
/// (`backroom_till_inbox`, `backroom_tickets`, ...) created if needed.
///
/// At most [`MAX_SERVER_CONNECTIONS`] run at once: a fleet of tills pushing together waits its
/// turn instead of exhausting the server database's connections ("too many clients").
pub async fn with_ops<T: Send + 'static>(
    folder: &Folder,
    work: impl FnOnce(&mut dyn ops::Ops) -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    static SLOTS: tokio::sync::Semaphore =
        tokio::sync::Semaphore::const_new(MAX_SERVER_CONNECTIONS);
    let _slot = SLOTS
        .acquire()
        .await
        .map_err(|e| SyncError::Config(e.to_string()))?;
    let code = folder.code.clone();
    let key = idle::key(folder);
    let db = match idle::take(&key) {
        Some(client) => ServerDb::Postgres(client),
        None => ServerDb::connect(folder).await?,
    };
    match db {
        ServerDb::Postgres(client) => {
            if !ensured(&code) {
                client
                    .batch_execute(ops::INBOX_PG)
                    .await
                    .map_err(|e| SyncError::db(&code, super::error::pg_message(&e)))?;
            }
            let (result, client) = blocking(move || {
                let mut o = ops::PgOps {
                    client,
                    folder: code,
                };
                let result = work(&mut o);
                Ok((result, o.client))
            })
            .await?;
            // Only a connection whose work went through goes back: after an error it may sit in
            // a failed transaction.
            if result.is_ok() {
                idle::put(key, client);
            }
            result
        }
        ServerDb::Sqlite(path) => {
            blocking(move || {
                let conn = sqlite::open(&path, &code)?;
                if !ensured(&code) {
                    conn.execute_batch(ops::INBOX_SQLITE)?;
                }
                let mut o = ops::LiteOps { conn, folder: code };
                work(&mut o)
            })
            .await
        }
    }
}

/// Server database connections kept open between two pushes of a fleet: a new PostgreSQL
/// connection is a login (scram-sha-256) and a backend process, most of a small push's time.
mod idle {
    use std::sync::Mutex;

    use super::{Folder, MAX_SERVER_CONNECTIONS};

    static IDLE: Mutex<Vec<(String, tokio_postgres::Client)>> = Mutex::new(Vec::new());

    /// What a kept connection was opened with: another host, user or password opens a new one.
    pub fn key(folder: &Folder) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&folder.db_password, &mut h);
        format!(
            "{}\u{1}{}\u{1}{:?}\u{1}{}\u{1}{}\u{1}{}",
            folder.code,
            folder.db_host,
            folder.db_port,
            folder.db_name,
            folder.db_user,
            std::hash::Hasher::finish(&h)
        )
    }

    /// An open connection opened with `key`, if one waits.
    pub fn take(key: &str) -> Option<tokio_postgres::Client> {
        let mut idle = IDLE.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(i) = idle.iter().position(|(k, _)| k == key) {
            let (_, client) = idle.swap_remove(i);
            if !client.is_closed() {
                return Some(client);
            }
        }
        None
    }

    /// Keeps `client` for the next push (at most [`MAX_SERVER_CONNECTIONS`] are kept).
    pub fn put(key: String, client: tokio_postgres::Client) {
        if client.is_closed() {
            return;
        }
        let mut idle = IDLE.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_SERVER_CONNECTIONS {
            idle.push((key, client));
        }
    }
}

/// True when this process already created the till tables for `folder` (then marks it).
fn ensured(folder: &str) -> bool {
    static DONE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        std::sync::OnceLock::new();
    let set = DONE.get_or_init(Default::default);
    match set.lock() {
        Ok(mut s) => !s.insert(folder.to_string()),
        Err(_) => false,
    }
}
