//! The fields of a POS folder form, their tab, label and CLI flag, and the checks each value passes
//! (called by the TUI form as the user types, and by the CLI before anything is stored).

use serde::Serialize;

/// The four tabs of the POS folder form, as in the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tab {
    Server,
    DbServer,
    FtpServer,
    Till,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Server, Tab::DbServer, Tab::FtpServer, Tab::Till];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Server => "Server",
            Tab::DbServer => "DB server",
            Tab::FtpServer => "FTP server",
            Tab::Till => "Till",
        }
    }

    /// The fields of this tab, in form order.
    pub fn fields(self) -> Vec<Field> {
        Field::ALL.into_iter().filter(|f| f.tab() == self).collect()
    }
}

/// One field of a POS folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Code,
    Administrator,
    DbKind,
    DbHost,
    DbPort,
    DbName,
    DbUser,
    DbPassword,
    FtpMode,
    FtpShare,
    FtpAddress,
    FtpUser,
    FtpPassword,
    WsUrl,
    SyncWaitMs,
}

impl Field {
    pub const ALL: [Field; 15] = [
        Field::Code,
        Field::Administrator,
        Field::DbKind,
        Field::DbHost,
        Field::DbPort,
        Field::DbName,
        Field::DbUser,
        Field::DbPassword,
        Field::FtpMode,
        Field::FtpShare,
        Field::FtpAddress,
        Field::FtpUser,
        Field::FtpPassword,
        Field::WsUrl,
        Field::SyncWaitMs,
    ];

    pub fn tab(self) -> Tab {
        match self {
            Field::Code | Field::Administrator => Tab::Server,
            Field::DbKind
            | Field::DbHost
            | Field::DbPort
            | Field::DbName
            | Field::DbUser
            | Field::DbPassword => Tab::DbServer,
            Field::FtpMode
            | Field::FtpShare
            | Field::FtpAddress
            | Field::FtpUser
            | Field::FtpPassword => Tab::FtpServer,
            Field::WsUrl | Field::SyncWaitMs => Tab::Till,
        }
    }

    /// The label the form shows.
    pub fn label(self) -> &'static str {
        match self {
            Field::Code => "Folder",
            Field::Administrator => "Administrator",
            Field::DbKind => "Kind",
            Field::DbHost => "Host",
            Field::DbPort => "Port",
            Field::DbName => "Database",
            Field::DbUser => "User",
            Field::DbPassword => "Password",
            Field::FtpMode => "Mode",
            Field::FtpShare => "Share folder",
            Field::FtpAddress => "Address",
            Field::FtpUser => "User",
            Field::FtpPassword => "Password",
            Field::WsUrl => "Web service URL",
            Field::SyncWaitMs => "Wait between two synchronisations (ms)",
        }
    }

    /// The CLI flag that sets this field.
    pub fn flag(self) -> &'static str {
        match self {
            Field::Code => "CODE",
            Field::Administrator => "--administrator",
            Field::DbKind => "--db-kind",
            Field::DbHost => "--db-host",
            Field::DbPort => "--db-port",
            Field::DbName => "--db-name",
            Field::DbUser => "--db-user",
            Field::DbPassword => "--db-password",
            Field::FtpMode => "--ftp-mode",
            Field::FtpShare => "--ftp-share",
            Field::FtpAddress => "--ftp-address",
            Field::FtpUser => "--ftp-user",
            Field::FtpPassword => "--ftp-password",
            Field::WsUrl => "--ws-url",
            Field::SyncWaitMs => "--sync-wait-ms",
        }
    }

    /// A hint shown under the field while it is edited.
    pub fn hint(self) -> &'static str {
        match self {
            Field::Code => "letters, digits, - and _ (e.g. STORE12)",
            Field::Administrator => "the account that administers this folder",
            Field::DbKind => "postgresql, or sqlite (a file, for a single store)",
            Field::DbHost => "host name or IP address of the PostgreSQL server",
            Field::DbPort => "1 to 65535 (empty: 5432)",
            Field::DbName => "PostgreSQL database name, or the SQLite file's absolute path",
            Field::DbUser => "the account the server and tills log in with",
            Field::DbPassword | Field::FtpPassword => "kept masked; never shown in full",
            Field::FtpMode => "copy (into the FTP share folder) or put (FTP upload)",
            Field::FtpShare => "absolute path of the work folder (required in copy mode)",
            Field::FtpAddress => "ftp://host[:port] or ftps://host[:port], target after {}",
            Field::FtpUser => "the FTP login",
            Field::WsUrl => "http(s):// URL of backroom serve (e.g. http://server:8080)",
            Field::SyncWaitMs => "milliseconds between two pushes of the till synchroniser",
        }
    }

    pub fn is_secret(self) -> bool {
        matches!(self, Field::DbPassword | Field::FtpPassword)
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} › {} ({})",
            self.tab().label(),
            self.label(),
            self.flag()
        )
    }
}

/// A value refused for a field, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: Field,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: Field, reason: impl Into<String>) -> FieldError {
        FieldError {
            field,
            reason: reason.into(),
        }
    }
}

/// Checks a host name, IPv4 or IPv6 address.
pub fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if host.len() > 253 {
        return Err(format!(
            "the host name is {} characters long: at most 253",
            host.len()
        ));
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.' || *c == '_'))
    {
        return Err(format!(
            "{host:?} is not a host name: {c:?} is not allowed (letters, digits, - and . only)"
        ));
    }
    if host.split('.').any(|label| label.is_empty()) {
        return Err(format!(
            "{host:?} is not a host name: empty label between dots"
        ));
    }
    if host
        .split('.')
        .any(|l| l.starts_with('-') || l.ends_with('-'))
    {
        return Err(format!(
            "{host:?} is not a host name: a label cannot start or end with -"
        ));
    }
    Ok(())
}

/// Parses a TCP port: a whole number from 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    let t = text.trim();
    let n: i64 = t.parse().map_err(|_| {
        format!("{t:?} is not a port number: expected a whole number from 1 to 65535")
    })?;
    if !(1..=65535).contains(&n) {
        return Err(format!("port {n} is out of range: expected 1 to 65535"));
    }
    Ok(n as u16)
}

/// Checks a login name (DB or FTP user, administrator): no spaces or control characters.
pub fn check_login(text: &str, max: usize) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("too long: at most {max} characters"));
    }
    if let Some(c) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{c:?} is not allowed: no spaces or control characters"
        ));
    }
    Ok(())
}

/// Checks a password: anything printable (a line break usually means a pasted mistake).
pub fn check_password(text: &str) -> Result<(), String> {
    if text.chars().any(|c| c.is_control()) {
        return Err("a password cannot hold a line break or another control character".into());
    }
    if text.chars().count() > 256 {
        return Err("too long: at most 256 characters".into());
    }
    Ok(())
}

/// Checks an absolute filesystem path.
pub fn check_absolute_path(text: &str) -> Result<(), String> {
    if text.chars().any(|c| c.is_control()) {
        return Err("the path holds a control character".into());
    }
    if !std::path::Path::new(text).is_absolute() {
        return Err(format!(
            "{text:?} is relative: expected an absolute path (starting with /)"
        ));
    }
    Ok(())
}

/// Checks the web service URL: `http(s)://host[:port][/path]`.
pub fn check_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| {
        format!("{text:?} is not a URL ({e}): expected http(s)://host[:port][/path]")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "unsupported scheme {:?}: expected http:// or https://",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host: expected http(s)://host[:port]".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the URL holds a user or password: tills authenticate with their token, not in the URL"
                .into(),
        );
    }
    Ok(url)
}

/// Parses the wait between two synchronisations, in milliseconds (0 to one day).
pub fn parse_wait_ms(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(
            "the wait is empty: expected a whole number of milliseconds (e.g. 5000)".into(),
        );
    }
    let n: i128 = t
        .parse()
        .map_err(|_| format!("{t:?} is not a whole number of milliseconds (e.g. 5000)"))?;
    if n < 0 {
        return Err(format!(
            "negative wait ({n} ms): expected 0 or more milliseconds"
        ));
    }
    if n > MAX_WAIT_MS as i128 {
        return Err(format!(
            "{n} ms is more than a day: expected at most {MAX_WAIT_MS} ms"
        ));
    }
    Ok(n as u64)
}

/// The longest wait between two synchronisations: one day.
pub const MAX_WAIT_MS: u64 = 86_400_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_tab_label_and_flag() {
        for f in Field::ALL {
            assert!(!f.label().is_empty() && !f.flag().is_empty() && !f.hint().is_empty());
            assert!(Tab::ALL.contains(&f.tab()));
        }
        assert_eq!(Tab::FtpServer.fields().len(), 5);
    }

    #[test]
    fn ports_urls_and_waits_say_what_is_wrong() {
        assert_eq!(parse_port("5432").unwrap(), 5432);
        assert!(parse_port("0").unwrap_err().contains("out of range"));
        assert!(parse_port("65536").unwrap_err().contains("out of range"));
        assert!(parse_port("x").unwrap_err().contains("not a port"));
        assert!(check_url("http://srv:8080").is_ok());
        assert!(check_url("ftp://srv").unwrap_err().contains("scheme"));
        assert!(check_url("not a url").unwrap_err().contains("not a URL"));
        assert!(
            check_url("http://u:p@srv")
                .unwrap_err()
                .contains("password")
        );
        assert_eq!(parse_wait_ms("0").unwrap(), 0);
        assert!(parse_wait_ms("-5").unwrap_err().contains("negative wait"));
        assert!(parse_wait_ms("1.5").unwrap_err().contains("whole number"));
        assert!(
            parse_wait_ms("999999999999")
                .unwrap_err()
                .contains("more than a day")
        );
    }

    #[test]
    fn hosts_and_logins() {
        assert!(check_host("db.store-12.example").is_ok());
        assert!(check_host("10.0.0.5").is_ok());
        assert!(check_host("bad host").is_err());
        assert!(check_host("a..b").is_err());
        assert!(check_login("caisse", 63).is_ok());
        assert!(check_login("two words", 63).is_err());
        assert!(check_password("pa ss").is_ok());
        assert!(check_password("pass\n").is_err());
    }
}
