//! What the sync processes read of a POS folder: its server database, FTP, web service and tables.

use serde::Serialize;

/// Which way a sync table travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ServerToTill,
    TillToServer,
}

/// A table to synchronise (`ART`, `CLI`, ...).
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub name: String,
    /// `full`: the whole table in every batch; else only the changes.
    pub full: bool,
    pub direction: Direction,
}

/// A POS folder as the sync processes see it (settings are edited by `backroom pos folders`).
#[derive(Debug, Clone)]
pub struct Folder {
    pub id: i64,
    pub code: String,
    pub db_kind: String,
    pub db_host: String,
    pub db_port: Option<u16>,
    pub db_name: String,
    pub db_user: String,
    pub db_password: Option<String>,
    pub ftp_mode: String,
    pub ftp_share: String,
    pub ftp_address: String,
    pub ftp_user: String,
    pub ftp_password: Option<String>,
    pub ws_url: String,
    pub sync_wait_ms: u64,
    pub tables: Vec<Table>,
}

impl Folder {
    /// The server → till tables, in the order they were configured.
    pub fn outgoing(&self) -> impl Iterator<Item = &Table> {
        self.tables
            .iter()
            .filter(|t| t.direction == Direction::ServerToTill)
    }

    /// Whether `name` is a till → server table of this folder.
    pub fn accepts_from_till(&self, name: &str) -> bool {
        self.tables
            .iter()
            .any(|t| t.direction == Direction::TillToServer && t.name.eq_ignore_ascii_case(name))
    }

    /// True in copy mode (files copied into the FTP share folder instead of an FTP put).
    pub fn copy_mode(&self) -> bool {
        self.ftp_mode == "copy"
    }
}
