//! Till synchronisation: change capture, export/import batches, the till synchroniser, updates.
//!
//! Server → till data travels as batch files over FTP (`export`, `import`); till → server data
//! travels through the till's tracking queue to `backroom serve` (`queue`, `push`, `inbox`).

pub mod apply;
pub mod batch;
pub mod capture;
pub mod customers;
pub mod error;
pub mod export;
pub mod fleet;
pub mod folder;
pub mod import;
pub mod inbox;
pub mod print;
pub mod push;
pub mod queue;
pub mod runs;
pub mod serverdb;
pub mod sign;
pub mod status;
pub mod till_customers;
pub mod transport;
pub mod updates;
pub mod value;

pub use error::SyncError;
pub use folder::Folder;

/// Quotes an SQL identifier (table or column name) for PostgreSQL and SQLite alike.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
