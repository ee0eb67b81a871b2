//! A table to synchronise for a POS folder: name, full or incremental, and direction.
//! A table that goes both ways is two rows, one per direction.

use serde::Serialize;

/// Full copy of the table, or only the rows changed since the last export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncType {
    Full,
    Incremental,
}

impl SyncType {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncType::Full => "full",
            SyncType::Incremental => "incremental",
        }
    }
}

impl std::fmt::Display for SyncType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SyncType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(SyncType::Full),
            "incremental" | "incr" => Ok(SyncType::Incremental),
            other => Err(format!(
                "unknown sync type {other:?}: expected full or incremental"
            )),
        }
    }
}

/// Which way the rows travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ServerToTill,
    TillToServer,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::ServerToTill, Direction::TillToServer];

    /// The stored (and JSON) form.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ServerToTill => "server_to_till",
            Direction::TillToServer => "till_to_server",
        }
    }

    /// The CLI's and the screens' form.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ServerToTill => "server → till",
            Direction::TillToServer => "till → server",
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.arrow())
    }
}

impl std::str::FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "server-to-till" | "down" => Ok(Direction::ServerToTill),
            "till-to-server" | "up" => Ok(Direction::TillToServer),
            other => Err(format!(
                "unknown direction {other:?}: expected server-to-till or till-to-server"
            )),
        }
    }
}

/// A sync table row as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncTable {
    pub id: i64,
    pub folder_id: i64,
    pub table_name: String,
    pub sync_type: SyncType,
    pub direction: Direction,
    /// Whether the DB server had this table at the last check (`None`: never checked).
    pub exists_on_server: Option<bool>,
    pub checked_at: Option<String>,
}

/// Checks a table name: an SQL identifier (letter or `_` first, then letters, digits, `_`; ≤ 63).
pub fn check_table_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err(
            "the table name is empty: expected an identifier such as ART, CLI or T012".into(),
        );
    };
    if name.len() > 63 {
        return Err(format!("{name:?} is longer than 63 characters"));
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Err(format!(
            "{name:?} is not a table name: it must start with a letter or _ (e.g. T012)"
        ));
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(format!(
            "{name:?} is not a table name: {c:?} is not allowed (letters, digits and _ only)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_identifiers() {
        for ok in ["ART", "CLI", "T012", "_tmp", "ticket_lines"] {
            assert!(check_table_name(ok).is_ok(), "{ok}");
        }
        assert!(check_table_name("").is_err());
        assert!(
            check_table_name("12T")
                .unwrap_err()
                .contains("start with a letter")
        );
        assert!(
            check_table_name("ART; DROP")
                .unwrap_err()
                .contains("not allowed")
        );
    }

    #[test]
    fn directions_parse_from_the_cli_words() {
        assert_eq!(
            "server-to-till".parse::<Direction>().unwrap(),
            Direction::ServerToTill
        );
        assert_eq!(
            "till_to_server".parse::<Direction>().unwrap(),
            Direction::TillToServer
        );
        assert!("sideways".parse::<Direction>().is_err());
    }
}
