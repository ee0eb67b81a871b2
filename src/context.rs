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
}

/// A refusal the operator can act on: read-only mode or a missing role.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(
        "{action} is refused: backroom runs read-only (started with --read-only or switched with :readonly)"
    )]
    ReadOnly { action: String },
    #[error(
        "{action} is for administrators; {operator} is staff (ask an admin, or add `{operator} = \"admin\"` under [operators] in config.toml)"
    )]
    NotAdmin { action: String, operator: String },
}

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
        }
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

    /// Refuses a change when running read-only.
    pub fn require_writable(&self, action: &str) -> Result<(), Refused> {
        if self.read_only {
            return Err(Refused::ReadOnly {
                action: action.to_string(),
            });
        }
        Ok(())
    }

    /// Refuses an admin-only action (and any change when read-only).
    pub fn require_admin(&self, action: &str) -> Result<(), Refused> {
        self.require_writable(action)?;
        if self.role != Role::Admin {
            return Err(Refused::NotAdmin {
                action: action.to_string(),
                operator: self.operator.clone(),
            });
        }
        Ok(())
    }
}
