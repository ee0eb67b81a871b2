//! `config.toml`: the store's name, operators and roles, and the settings of each front door.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// An operator's role; unknown OS users are `staff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Staff,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub store: StoreSection,
    /// OS user name → role, admin groups and shared terminal accounts.
    pub operators: OperatorsSection,
    pub server: ServerSection,
    pub portal: PortalSection,
    pub smtp: Option<SmtpSection>,
    pub till: TillSection,
    pub ui: UiSection,
    pub tls: TlsSection,
    pub daemon: DaemonSection,
}

/// `[operators]`: roles by OS user name, the groups whose members are admins, and the shared
/// terminal accounts whose users sign in as an operator (`backroom operators add`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OperatorsSection {
    pub admin_groups: Vec<String>,
    pub shared_accounts: Vec<String>,
    #[serde(flatten)]
    pub roles: BTreeMap<String, Role>,
}

impl Default for OperatorsSection {
    fn default() -> Self {
        OperatorsSection {
            admin_groups: vec!["backroom-admin".to_string()],
            shared_accounts: Vec::new(),
            roles: BTreeMap::new(),
        }
    }
}

/// `[daemon]`: where `backroom daemon` listens for its clients.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonSection {
    /// The control socket (default `/run/backroom/backroom.sock`).
    pub socket: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// Display name in the header.
    pub name: String,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            name: "backroom".to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address `backroom serve` listens on.
    pub listen: String,
    /// Bearer token required by `POST /api/events`.
    pub api_token: Option<String>,
    /// Per-till bearer tokens for the till endpoints: till number → token.
    pub till_tokens: BTreeMap<String, String>,
    /// Code of the model customer copied when a till creates a customer.
    pub model_customer: Option<String>,
    /// The server database table that holds customers.
    pub customers_table: String,
    /// TLS certificate chain (PEM) of the web service; with `tls_key`, it serves HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) of the web service.
    pub tls_key: Option<PathBuf>,
    /// Allows plain HTTP on an address other than loopback.
    pub allow_plain_http: bool,
    /// Seconds a client has to send a request's headers (slow clients are closed after it).
    pub header_timeout_secs: u64,
    /// Seconds a request body may stay without a byte arriving.
    pub body_timeout_secs: u64,
    /// Open connections at most; beyond, idle ones are closed first, then new ones get a 503.
    pub max_connections: usize,
    /// The Ed25519 private key batches and update manifests are signed with (`backroom sync keygen`).
    pub signing_key: Option<PathBuf>,
    /// The customer columns a till may set or change (never the key, the model customer, credit or account fields).
    pub till_customer_columns: Vec<String>,
}

/// The contact fields of a customer a till may set by default.
pub const DEFAULT_TILL_CUSTOMER_COLUMNS: &[&str] = &[
    "name",
    "first_name",
    "company",
    "address",
    "address2",
    "postal_code",
    "zip",
    "city",
    "country",
    "phone",
    "mobile",
    "email",
];

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: "127.0.0.1:8080".to_string(),
            api_token: None,
            till_tokens: BTreeMap::new(),
            model_customer: None,
            customers_table: "CLI".to_string(),
            tls_cert: None,
            tls_key: None,
            allow_plain_http: false,
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            max_connections: 1024,
            signing_key: None,
            till_customer_columns: DEFAULT_TILL_CUSTOMER_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect(),
        }
    }
}

/// Trust for backroom's own HTTPS clients (PrintNode, till pushes, web service tests).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// A PEM file of CA certificates trusted in addition to the system's (a private CA, a
    /// proxy's self-signed certificate).
    pub extra_ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalSection {
    /// Base URL of the customer portal; activation and generic links are built from it.
    pub base_url: String,
    /// Lifetime of an activation link, in days.
    pub activation_days: u32,
    /// Folder where `.eml` files are written when SMTP is not configured.
    pub outbox_dir: Option<PathBuf>,
    /// Sender of portal e-mails when `[smtp]` is not configured (else `smtp.from`).
    pub mail_from: String,
    /// Jobs a contact may submit per day through the integration link.
    pub integration_jobs_per_day: u32,
    /// Size of one job through the integration link, in MB.
    pub integration_max_job_mb: u64,
    /// Size a contact may submit per day through the integration link, in MB.
    pub integration_max_day_mb: u64,
}

impl Default for PortalSection {
    fn default() -> Self {
        PortalSection {
            base_url: "http://127.0.0.1:8080/portal".to_string(),
            activation_days: 7,
            outbox_dir: None,
            mail_from: "backroom <noreply@localhost>".to_string(),
            integration_jobs_per_day: 20,
            integration_max_job_mb: 100,
            integration_max_day_mb: 1_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSection {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    pub from: String,
    /// `none`, `starttls` or `tls`.
    #[serde(default = "default_smtp_tls")]
    pub tls: String,
}

fn default_smtp_port() -> u16 {
    25
}

fn default_smtp_tls() -> String {
    "none".to_string()
}

/// The TUI's look and keys: a theme and a keymap by name (`themes/`, `keymaps/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiSection {
    pub theme: String,
    pub keymap: String,
    /// A shared terminal account's TUI session signs out after this many minutes without a key
    /// (read by the daemon; fractions allowed, e.g. `0.5`); unset: never.
    #[serde(deserialize_with = "positive_minutes")]
    pub idle_sign_out_minutes: Option<f64>,
}

impl Default for UiSection {
    fn default() -> Self {
        UiSection {
            theme: "dark".to_string(),
            keymap: "default".to_string(),
            idle_sign_out_minutes: None,
        }
    }
}

impl UiSection {
    /// How long a shared account's TUI session may go without a key.
    pub fn idle_sign_out(&self) -> Option<std::time::Duration> {
        self.idle_sign_out_minutes
            .map(|m| std::time::Duration::from_secs_f64(m * 60.0))
    }
}

fn positive_minutes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let minutes = f64::deserialize(d)?;
    if minutes.is_finite() && minutes > 0.0 && minutes <= 7.0 * 24.0 * 60.0 {
        Ok(Some(minutes))
    } else {
        Err(serde::de::Error::custom(format!(
            "idle_sign_out_minutes must be a number of minutes above 0 and at most a week (10080), not {minutes}"
        )))
    }
}

/// Settings of a till-side backroom (the till synchroniser).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TillSection {
    /// This till's number; empty on a server.
    pub number: String,
    /// Bearer token this till presents to the server.
    pub token: Option<String>,
    /// Folder where update packages are installed.
    pub install_dir: Option<PathBuf>,
    /// The synchronised table that holds customers on the till.
    pub customers_table: String,
    /// The synchronised table of user accounts; after an import only this till's users are kept.
    pub users_table: String,
    /// The column of `users_table` that holds the till number a user is attached to.
    pub users_till_column: String,
    /// Queued items sent per request to the server.
    pub push_batch: usize,
    /// The server's Ed25519 public key (base64, as `backroom sync keygen` prints it): batches and
    /// update manifests must carry its signature.
    pub server_public_key: Option<String>,
    /// A test lab's switch: accept unsigned batches and manifests (shown as a warning in `sync status`).
    pub allow_unsigned: bool,
}

impl Default for TillSection {
    fn default() -> Self {
        TillSection {
            number: String::new(),
            token: None,
            install_dir: None,
            customers_table: "CLI".to_string(),
            users_table: "USERS".to_string(),
            users_till_column: "till".to_string(),
            push_batch: 500,
            server_public_key: None,
            allow_unsigned: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Configuration file error: cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("Configuration file error in {path}: {message}")]
    Parse { path: String, message: String },
}

impl Config {
    /// Loads `path` (a missing file gives the defaults), then lays the secrets file next to it
    /// over it (see [`crate::config_secrets`]).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        let config = Self::parse(&text, path)?;
        let Some((secrets_path, secrets)) = crate::config_secrets::read(path)? else {
            return Ok(config);
        };
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        crate::config_secrets::lay_over(&mut table, secrets);
        Config::deserialize(table).map_err(|e| ConfigError::Parse {
            path: secrets_path.display().to_string(),
            message: e.to_string(),
        })
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// The role of an OS user: as listed in `[operators]`, else `staff`.
    pub fn role_of(&self, user: &str) -> Role {
        self.operators
            .roles
            .get(user)
            .copied()
            .unwrap_or(Role::Staff)
    }

    /// The role of an OS user who belongs to `groups`: by name, else admin through an
    /// `admin_groups` group, else staff.
    pub fn role_of_member(&self, user: &str, groups: &[String]) -> Role {
        if let Some(role) = self.operators.roles.get(user) {
            return *role;
        }
        if groups
            .iter()
            .any(|g| self.operators.admin_groups.contains(g))
        {
            return Role::Admin;
        }
        Role::Staff
    }
}

/// The default config file.
pub fn default_path() -> PathBuf {
    crate::paths::config_dir().join("config.toml")
}

/// The OS user running backroom (`USER`, then `LOGNAME`).
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_users_are_staff_and_listed_admins_are_admin() {
        let cfg = Config::parse("[operators]\nmarie = \"admin\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(cfg.role_of("marie"), Role::Admin);
        assert_eq!(cfg.role_of("paul"), Role::Staff);
    }

    #[test]
    fn admin_groups_and_shared_accounts_sit_beside_the_roles() {
        let text = "[operators]\nmarie = \"admin\"\nadmin_groups = [\"office\"]\nshared_accounts = [\"till1\"]\n";
        let cfg = Config::parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(cfg.role_of("marie"), Role::Admin);
        assert_eq!(
            cfg.role_of_member("paul", &["office".to_string()]),
            Role::Admin
        );
        assert_eq!(
            cfg.role_of_member("paul", &["staff".to_string()]),
            Role::Staff
        );
        assert_eq!(cfg.operators.shared_accounts, vec!["till1".to_string()]);
    }

    #[test]
    fn idle_sign_out_takes_minutes_above_zero_and_says_so_otherwise() {
        let cfg = Config::parse("[ui]\nidle_sign_out_minutes = 10\n", Path::new("c.toml")).unwrap();
        assert_eq!(
            cfg.ui.idle_sign_out(),
            Some(std::time::Duration::from_secs(600))
        );
        let cfg =
            Config::parse("[ui]\nidle_sign_out_minutes = 0.05\n", Path::new("c.toml")).unwrap();
        assert_eq!(
            cfg.ui.idle_sign_out(),
            Some(std::time::Duration::from_secs(3))
        );
        assert_eq!(Config::default().ui.idle_sign_out(), None);
        for bad in ["0", "-5", "\"ten\""] {
            let text = format!("[ui]\nidle_sign_out_minutes = {bad}\n");
            let err = Config::parse(&text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("c.toml") && err.contains("idle_sign_out_minutes"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_bad_role_names_the_file_and_the_key() {
        let err =
            Config::parse("[operators]\nmarie = \"boss\"\n", Path::new("c.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("c.toml"), "{msg}");
        assert!(msg.contains("marie") || msg.contains("boss"), "{msg}");
    }
}
