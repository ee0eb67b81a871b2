//! A POS folder ("Dossier TPV") with its four tabs, and the form that edits it field by field.

use serde::Serialize;

use super::field::{self, Field, FieldError};
use super::{FtpAddress, Password};

/// The kind of database server the folder's tills and server use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DbKind {
    Postgresql,
    /// An SQLite file, for a single store: the database field is the file's path.
    Sqlite,
}

impl DbKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DbKind::Postgresql => "postgresql",
            DbKind::Sqlite => "sqlite",
        }
    }
}

impl std::fmt::Display for DbKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DbKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" | "pg" => Ok(DbKind::Postgresql),
            "sqlite" | "sqlite3" => Ok(DbKind::Sqlite),
            other => Err(format!(
                "unknown database kind {other:?}: expected postgresql or sqlite"
            )),
        }
    }
}

/// How export files reach the FTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FtpMode {
    /// Copy the files into the FTP server's share folder (FTP server on the same machine).
    Copy,
    /// Upload with FTP put (FTP server elsewhere).
    Put,
}

impl FtpMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FtpMode::Copy => "copy",
            FtpMode::Put => "put",
        }
    }

    /// The words the form shows.
    pub fn describe(self) -> &'static str {
        match self {
            FtpMode::Copy => "copy the files into the FTP share folder",
            FtpMode::Put => "send the files with FTP put",
        }
    }
}

impl std::fmt::Display for FtpMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for FtpMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "copy" | "copy-to-share" | "copy_to_share" => Ok(FtpMode::Copy),
            "put" => Ok(FtpMode::Put),
            other => Err(format!(
                "unknown FTP mode {other:?}: expected copy (copy-to-share) or put"
            )),
        }
    }
}

/// The *DB server* tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbSettings {
    pub kind: DbKind,
    pub host: String,
    /// `None`: the default port (5432).
    pub port: Option<u16>,
    /// PostgreSQL database name, or the SQLite file's absolute path.
    pub name: String,
    pub user: String,
    pub password: Password,
}

/// The default PostgreSQL port.
pub const DEFAULT_DB_PORT: u16 = 5432;

impl DbSettings {
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_DB_PORT)
    }

    /// What is missing before a connection test can run, if anything.
    pub fn missing(&self) -> Option<&'static str> {
        match self.kind {
            DbKind::Sqlite if self.name.is_empty() => Some("the SQLite file path (--db-name)"),
            DbKind::Sqlite => None,
            DbKind::Postgresql if self.host.is_empty() => Some("the host (--db-host)"),
            DbKind::Postgresql if self.name.is_empty() => Some("the database (--db-name)"),
            DbKind::Postgresql if self.user.is_empty() => Some("the user (--db-user)"),
            DbKind::Postgresql => None,
        }
    }
}

/// The *FTP server* tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FtpSettings {
    pub mode: FtpMode,
    /// The work folder files are written to before they reach the FTP server.
    pub share: String,
    pub address: Option<FtpAddress>,
    pub user: String,
    pub password: Password,
}

impl FtpSettings {
    /// What [`crate::net::ftp::FtpSession::connect`] needs, or `None` without an address.
    pub fn params(&self, timeout: std::time::Duration) -> Option<crate::net::ftp::FtpParams<'_>> {
        let address = self.address.as_ref()?;
        Some(crate::net::ftp::FtpParams {
            host: &address.host,
            port: address.port,
            tls: address.tls,
            user: &self.user,
            password: self.password.expose(),
            target: address.target.as_deref(),
            timeout,
        })
    }

    /// Opens a session (TLS for ftps, binary, passive) in the target folder.
    pub async fn connect(
        &self,
        timeout: std::time::Duration,
    ) -> Result<crate::net::ftp::FtpSession, crate::net::ftp::FtpError> {
        let params = self.params(timeout).ok_or_else(|| {
            crate::net::ftp::FtpError::NotConfigured(
                "set the address on the FTP server tab (--ftp-address)".into(),
            )
        })?;
        crate::net::ftp::FtpSession::connect(&params).await
    }
}

/// The *Till* tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TillSettings {
    pub ws_url: String,
    pub sync_wait_ms: u64,
}

/// The default wait between two synchronisations.
pub const DEFAULT_SYNC_WAIT_MS: u64 = 5000;

/// A POS folder as stored. Passwords serialise masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PosFolder {
    pub id: i64,
    /// *Server* tab: the folder the configuration applies to.
    pub code: String,
    /// *Server* tab: the account that administers the folder.
    pub administrator: String,
    pub db: DbSettings,
    pub ftp: FtpSettings,
    pub till: TillSettings,
    pub created_at: String,
}

/// The form: every field as typed, checked one at a time or all at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderForm {
    values: [String; Field::ALL.len()],
}

impl Default for FolderForm {
    fn default() -> Self {
        let mut form = FolderForm {
            values: Default::default(),
        };
        form.set(Field::DbKind, DbKind::Postgresql.as_str());
        form.set(Field::FtpMode, FtpMode::Put.as_str());
        form.set(Field::SyncWaitMs, &DEFAULT_SYNC_WAIT_MS.to_string());
        form
    }
}

fn index(field: Field) -> usize {
    Field::ALL
        .iter()
        .position(|f| *f == field)
        .unwrap_or_default()
}

impl FolderForm {
    /// A form for a new folder, with defaults.
    pub fn new(code: &str) -> FolderForm {
        let mut form = FolderForm::default();
        form.set(Field::Code, code);
        form
    }

    /// A form holding a stored folder's values (passwords included, for saving back).
    pub fn from_folder(f: &PosFolder) -> FolderForm {
        let mut form = FolderForm::default();
        form.set(Field::Code, &f.code);
        form.set(Field::Administrator, &f.administrator);
        form.set(Field::DbKind, f.db.kind.as_str());
        form.set(Field::DbHost, &f.db.host);
        form.set(
            Field::DbPort,
            &f.db.port.map(|p| p.to_string()).unwrap_or_default(),
        );
        form.set(Field::DbName, &f.db.name);
        form.set(Field::DbUser, &f.db.user);
        form.set(Field::DbPassword, f.db.password.expose());
        form.set(Field::FtpMode, f.ftp.mode.as_str());
        form.set(Field::FtpShare, &f.ftp.share);
        form.set(
            Field::FtpAddress,
            &f.ftp
                .address
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
        form.set(Field::FtpUser, &f.ftp.user);
        form.set(Field::FtpPassword, f.ftp.password.expose());
        form.set(Field::WsUrl, &f.till.ws_url);
        form.set(Field::SyncWaitMs, &f.till.sync_wait_ms.to_string());
        form
    }

    pub fn value(&self, field: Field) -> &str {
        &self.values[index(field)]
    }

    pub fn set(&mut self, field: Field, value: &str) {
        self.values[index(field)] = value.to_string();
    }

    /// What the form displays for a field: secrets masked.
    pub fn display(&self, field: Field) -> String {
        if field.is_secret() {
            crate::secret::mask_opt(Some(self.value(field)))
        } else {
            self.value(field).to_string()
        }
    }

    fn db_kind(&self) -> Option<DbKind> {
        self.value(Field::DbKind).parse().ok()
    }

    fn ftp_mode(&self) -> Option<FtpMode> {
        self.value(Field::FtpMode).parse().ok()
    }

    /// Checks one field as typed (the other fields give the context: kind, mode).
    pub fn check(&self, field: Field) -> Result<(), FieldError> {
        let v = self.value(field);
        let t = v.trim();
        let result: Result<(), String> = match field {
            Field::Code => check_code(t),
            Field::Administrator => field::check_login(t, 64),
            Field::DbKind => t.parse::<DbKind>().map(drop),
            Field::DbHost => match self.db_kind() {
                Some(DbKind::Postgresql) if !t.is_empty() => field::check_host(t),
                _ => Ok(()),
            },
            Field::DbPort => match self.db_kind() {
                Some(DbKind::Postgresql) if !t.is_empty() => field::parse_port(t).map(drop),
                _ => Ok(()),
            },
            Field::DbName => match self.db_kind() {
                Some(DbKind::Sqlite) if t.is_empty() => {
                    Err("required for an SQLite database: the file's absolute path".into())
                }
                Some(DbKind::Sqlite) => field::check_absolute_path(t),
                _ => check_pg_name(t),
            },
            Field::DbUser => field::check_login(t, 63),
            Field::DbPassword | Field::FtpPassword => field::check_password(v),
            Field::FtpMode => t.parse::<FtpMode>().map(drop),
            Field::FtpShare => match self.ftp_mode() {
                Some(FtpMode::Copy) if t.is_empty() => Err(
                    "required in copy mode: the FTP server's share folder the files are copied into"
                        .into(),
                ),
                _ if t.is_empty() => Ok(()),
                _ => field::check_absolute_path(t),
            },
            Field::FtpAddress if t.is_empty() => Ok(()),
            Field::FtpAddress => FtpAddress::parse(t).map(drop),
            Field::FtpUser => field::check_login(t, 128),
            Field::WsUrl if t.is_empty() => Ok(()),
            Field::WsUrl => field::check_url(t).map(drop),
            Field::SyncWaitMs => field::parse_wait_ms(t).map(drop),
        };
        result.map_err(|reason| FieldError::new(field, reason))
    }

    /// Every field's error, in form order.
    pub fn errors(&self) -> Vec<FieldError> {
        Field::ALL
            .into_iter()
            .filter_map(|f| self.check(f).err())
            .collect()
    }

    /// The folder these values describe (id 0, not stored), or every field's error.
    pub fn to_folder(&self) -> Result<PosFolder, Vec<FieldError>> {
        let errors = self.errors();
        if !errors.is_empty() {
            return Err(errors);
        }
        let t = |f: Field| self.value(f).trim().to_string();
        let one = |f: Field, e: String| vec![FieldError::new(f, e)];
        let kind: DbKind = t(Field::DbKind)
            .parse()
            .map_err(|e| one(Field::DbKind, e))?;
        let mode: FtpMode = t(Field::FtpMode)
            .parse()
            .map_err(|e| one(Field::FtpMode, e))?;
        let (host, port) = match kind {
            DbKind::Postgresql => {
                let port = match t(Field::DbPort) {
                    p if p.is_empty() => None,
                    p => Some(field::parse_port(&p).map_err(|e| one(Field::DbPort, e))?),
                };
                (t(Field::DbHost), port)
            }
            DbKind::Sqlite => (String::new(), None),
        };
        let address = match t(Field::FtpAddress) {
            a if a.is_empty() => None,
            a => Some(FtpAddress::parse(&a).map_err(|e| one(Field::FtpAddress, e))?),
        };
        let wait =
            field::parse_wait_ms(&t(Field::SyncWaitMs)).map_err(|e| one(Field::SyncWaitMs, e))?;
        Ok(PosFolder {
            id: 0,
            code: t(Field::Code),
            administrator: t(Field::Administrator),
            db: DbSettings {
                kind,
                host,
                port,
                name: t(Field::DbName),
                user: t(Field::DbUser),
                password: Password::new(self.value(Field::DbPassword)),
            },
            ftp: FtpSettings {
                mode,
                share: t(Field::FtpShare),
                address,
                user: t(Field::FtpUser),
                password: Password::new(self.value(Field::FtpPassword)),
            },
            till: TillSettings {
                ws_url: t(Field::WsUrl),
                sync_wait_ms: wait,
            },
            created_at: String::new(),
        })
    }
}

/// Checks a folder code: 1 to 32 letters, digits, `-`, `_` or `.`.
pub fn check_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err(
            "the folder code is empty: expected letters, digits, - or _ (e.g. STORE12)".into(),
        );
    }
    if code.chars().count() > 32 {
        return Err("too long: at most 32 characters".into());
    }
    if let Some(c) = code
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "{c:?} is not allowed in a folder code: letters, digits, -, _ and . only"
        ));
    }
    Ok(())
}

fn check_pg_name(name: &str) -> Result<(), String> {
    if name.len() > 63 {
        return Err(format!(
            "{} bytes long: a PostgreSQL database name has at most 63",
            name.len()
        ));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("the database name holds a control character".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FolderForm {
        let mut f = FolderForm::new("STORE12");
        f.set(Field::DbHost, "db.example");
        f.set(Field::DbName, "erp");
        f.set(Field::DbUser, "caisse");
        f.set(Field::DbPassword, "correct-horse");
        f.set(Field::FtpAddress, "ftp://files.example{}store12/outbox");
        f
    }

    #[test]
    fn a_complete_form_gives_a_folder() {
        let folder = form().to_folder().unwrap();
        assert_eq!(folder.code, "STORE12");
        assert_eq!(folder.db.port_or_default(), 5432);
        assert_eq!(
            folder.ftp.address.unwrap().target.as_deref(),
            Some("store12/outbox")
        );
        assert_eq!(folder.till.sync_wait_ms, DEFAULT_SYNC_WAIT_MS);
    }

    #[test]
    fn each_field_is_checked_with_its_reason() {
        let mut f = form();
        f.set(Field::DbPort, "70000");
        let e = f.check(Field::DbPort).unwrap_err();
        assert!(e.to_string().contains("--db-port"), "{e}");
        assert!(e.reason.contains("out of range"));
        f.set(Field::FtpAddress, "ftp://host{}");
        assert!(
            f.check(Field::FtpAddress)
                .unwrap_err()
                .reason
                .contains("empty target")
        );
        f.set(Field::SyncWaitMs, "-1");
        assert!(
            f.check(Field::SyncWaitMs)
                .unwrap_err()
                .reason
                .contains("negative")
        );
        f.set(Field::WsUrl, "htp:/x");
        assert!(f.check(Field::WsUrl).is_err());
        f.set(Field::Code, "bad code");
        assert_eq!(f.errors().len(), 5);
        assert_eq!(f.to_folder().unwrap_err().len(), 5);
    }

    #[test]
    fn context_decides_what_is_required() {
        let mut f = form();
        f.set(Field::FtpMode, "copy");
        assert!(
            f.check(Field::FtpShare)
                .unwrap_err()
                .reason
                .contains("copy mode")
        );
        f.set(Field::FtpShare, "/srv/ftp/share");
        assert!(f.check(Field::FtpShare).is_ok());
        f.set(Field::DbKind, "sqlite");
        f.set(Field::DbName, "store.db");
        assert!(
            f.check(Field::DbName)
                .unwrap_err()
                .reason
                .contains("absolute")
        );
        f.set(Field::DbName, "/var/lib/store.db");
        let folder = f.to_folder().unwrap();
        assert_eq!(folder.db.host, "");
    }

    #[test]
    fn the_form_masks_secrets_and_round_trips_a_folder() {
        let f = form();
        assert!(!f.display(Field::DbPassword).contains("correct"));
        let folder = f.to_folder().unwrap();
        assert_eq!(FolderForm::from_folder(&folder), f);
        let json = serde_json::to_string(&folder).unwrap();
        assert!(!json.contains("correct-horse"), "{json}");
    }
}
