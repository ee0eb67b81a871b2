//! What every front door knows about this run: the database, the config, the operator and the modes.

use std::path::PathBuf;

use rusqlite::Connection;

use crate::config::{Config, Role};

#[derive(Debug, Clone)]
pub struct Context {
    pub db_path: PathBuf,
    pub config_path: PathBuf,
    pub config: Config,
    pub operator: String,
    pub role: Role,
    pub read_only: bool,
    pub json: bool,
    pub demo: bool,
    /// False in a TUI session the daemon hosts for a client (the header then says who, not
    /// `personal`).
    pub personal: bool,
    /// Where a daemon-hosted TUI session writes its audit entries (changes and refusals);
    /// `None` in personal mode.
    pub audit: Option<crate::service::audit::Sink>,
    /// A session the daemon hosts writes the client's downloads here; the daemon sends them
    /// over the socket into the client's own downloads folder. `None`: the user's own folder.
    pub outbox: Option<PathBuf>,
    /// Which generic-link limit the Contacts pane's `+` and `-` change (`L` cycles it): each TUI
    /// session its own ([`crate::tui::app::App::new`] gives a fresh one). It was one for the
    /// whole process, so in the daemon one operator's `L` moved another's `+`.
    pub link_focus: std::sync::Arc<std::sync::atomic::AtomicU8>,
}

pub use crate::service::Refused;

impl Context {
    /// A context for tests and tools: the given database, default config, an admin operator.
    pub fn for_db(db_path: PathBuf) -> Context {
        Context {
            db_path,
            config_path: PathBuf::from("config.toml"),
            config: Config::default(),
            operator: "test".to_string(),
            role: Role::Admin,
            read_only: false,
            json: false,
            demo: false,
            personal: true,
            audit: None,
            outbox: None,
            link_focus: Default::default(),
        }
    }

    /// Where downloads, backups and templates go: the session's outbox, else the downloads dir.
    pub fn downloads_dir(&self) -> PathBuf {
        self.outbox
            .clone()
            .unwrap_or_else(crate::paths::downloads_dir)
    }

    /// Opens (and migrates) the store.
    pub fn open_store(&self) -> anyhow::Result<Connection> {
        use anyhow::Context as _;
        if self.read_only {
            return crate::store::open_read_only(&self.db_path).map_err(|e| match e {
                crate::store::StoreError::Missing { .. } => {
                    crate::cli::Failure::not_found(e.to_string()).into()
                }
                other => anyhow::Error::from(other),
            });
        }
        crate::store::open(&self.db_path)
            .with_context(|| format!("opening the store {}", self.db_path.display()))
    }

    /// Who this run acts as, for the service's policy (personal mode, or the TUI's own run).
    pub fn identity(&self) -> crate::service::Identity {
        crate::service::Identity {
            user: self.operator.clone(),
            role: self.role,
            read_only: self.read_only,
            ..crate::service::Identity::admin(&self.operator)
        }
    }

    /// Asks the service whether this run may do an action needing `access`.
    /// A refusal is audited when the run has an audit sink (a daemon-hosted TUI session).
    pub fn allowed(&self, access: crate::service::Access, action: &str) -> Result<(), Refused> {
        let result = crate::service::policy::check(&self.identity(), access, action);
        if let (Err(refused), Some(sink)) = (&result, &self.audit) {
            sink.refused(action, refused);
        }
        result
    }

    /// Whether this session may run `action` of the service's policy table (`triggers.set`);
    /// a refusal is audited, as an attempt.
    pub fn may(&self, action: &str) -> Result<(), Refused> {
        let (access, description) = crate::service::policy::rule(action);
        self.allowed(access, &description)
    }

    /// Whether this session would be allowed `action`, asked ahead of any attempt (to say so
    /// in a popup opened to look): nothing is audited.
    pub fn would_allow(&self, action: &str) -> Result<(), Refused> {
        let (access, description) = crate::service::policy::rule(action);
        crate::service::policy::check(&self.identity(), access, &description)
    }
}
