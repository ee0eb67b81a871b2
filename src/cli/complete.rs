//! Shell completion of values, read from the store as the shell asks (clap_complete's dynamic
//! completion): job states, printer names, contact e-mails and POS folder codes.
//! `source <(COMPLETE=bash backroom)` (or zsh, fish, elvish, powershell) registers it.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter, CompletionCandidate};

use crate::printing::JobState;

/// Print job states (`--state`).
pub fn job_states() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        JobState::ALL
            .iter()
            .map(|s| CompletionCandidate::new(s.as_str()))
            .collect::<Vec<_>>()
    })
}

/// Printer names.
pub fn printers() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        read(
            "SELECT name FROM printers WHERE name LIKE ?1 || '%' ORDER BY name LIMIT 200",
            current,
        )
    })
}

/// Contact e-mails (the first 200 that start with what is typed).
pub fn contacts() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        read(
            "SELECT email FROM contacts WHERE email LIKE ?1 || '%' ORDER BY email LIMIT 200",
            current,
        )
    })
}

/// POS folder codes.
pub fn folders() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        read(
            "SELECT code FROM pos_folders WHERE code LIKE ?1 || '%' ORDER BY code LIMIT 200",
            current,
        )
    })
}

/// The database the command would use: `BACKROOM_DB`, else the default one. The shell passes
/// no `--db` to completers; a database that cannot be read completes nothing.
fn db_path() -> PathBuf {
    std::env::var_os("BACKROOM_DB")
        .map(PathBuf::from)
        .unwrap_or_else(crate::paths::default_db)
}

fn read(sql: &str, current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy().replace(['%', '_'], "");
    let Ok(conn) = crate::store::open_read_only(&db_path()) else {
        return Vec::new();
    };
    let Ok(mut stmt) = conn.prepare(sql) else {
        return Vec::new();
    };
    stmt.query_map([prefix], |r| r.get::<_, String>(0))
        .map(|rows| rows.flatten().map(CompletionCandidate::new).collect())
        .unwrap_or_default()
}
