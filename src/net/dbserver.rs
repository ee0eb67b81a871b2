//! Database servers of POS folders: log in to PostgreSQL (tokio-postgres) or open an SQLite file,
//! with every failure classified (unknown host, refused, timeout, authentication, unknown database).

use std::path::Path;
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;

use super::tcp::{self, ConnectError};

/// How to reach a PostgreSQL server. The password is only sent to the server.
#[derive(Clone)]
pub struct PgParams<'a> {
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    /// Limit for resolving, connecting and logging in, and for each query.
    pub timeout: Duration,
}

/// Why a database could not be reached or used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot resolve the host {host}: {reason}")]
    UnknownHost { host: String, reason: String },
    #[error(
        "connection to {addr} refused: no PostgreSQL server listens there (check host, port and listen_addresses)"
    )]
    Refused { addr: String },
    #[error("no answer from {addr} within {secs} s while {step}")]
    Timeout {
        addr: String,
        step: &'static str,
        secs: u64,
    },
    #[error("authentication of {user} failed: {detail}")]
    AuthFailed { user: String, detail: String },
    #[error("the database {name} does not exist on the server ({detail})")]
    UnknownDatabase { name: String, detail: String },
    #[error("the SQLite file {path} does not exist")]
    FileMissing { path: String },
    #[error("{step} failed: {reason}")]
    Other { step: String, reason: String },
}

/// What a successful probe learnt.
#[derive(Debug, Clone)]
pub struct Probe {
    /// `SELECT version()` (PostgreSQL) or `sqlite_version()`.
    pub version: String,
    /// Time of the query's round trip.
    pub round_trip: Duration,
}

/// Logs in; the connection task is spawned on the current runtime and ends with the client.
pub async fn pg_connect(p: &PgParams<'_>) -> Result<tokio_postgres::Client, DbError> {
    let addr = tcp::addr_text(p.host, p.port);
    let secs = p.timeout.as_secs().max(1);
    let timeout = |step| DbError::Timeout {
        addr: addr.clone(),
        step,
        secs,
    };
    let stream = tcp::connect(p.host, p.port, p.timeout)
        .await
        .map_err(|e| match e {
            ConnectError::UnknownHost { reason } => DbError::UnknownHost {
                host: p.host.to_string(),
                reason,
            },
            ConnectError::Timeout { step } => timeout(step),
            ConnectError::Refused => DbError::Refused { addr: addr.clone() },
            ConnectError::Other { reason } => DbError::Other {
                step: format!("connecting to {addr}"),
                reason,
            },
        })?;
    let mut config = tokio_postgres::Config::new();
    config
        .user(p.user)
        .password(p.password)
        .dbname(p.database)
        .application_name("backroom")
        .ssl_mode(tokio_postgres::config::SslMode::Disable);
    let (client, connection) =
        tokio::time::timeout(p.timeout, config.connect_raw(stream, tokio_postgres::NoTls))
            .await
            .map_err(|_| timeout("logging in"))?
            .map_err(|e| classify(&e, p, "logging in"))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "postgres connection closed");
        }
    });
    Ok(client)
}

/// Maps a tokio-postgres error to what the support engineer needs (the reason sits in `as_db_error`).
fn classify(e: &tokio_postgres::Error, p: &PgParams<'_>, step: &str) -> DbError {
    if let Some(db) = e.as_db_error() {
        let detail = format!("{} ({})", db.message(), db.code().code());
        if *db.code() == SqlState::INVALID_PASSWORD
            || *db.code() == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            return DbError::AuthFailed {
                user: p.user.to_string(),
                detail,
            };
        }
        if *db.code() == SqlState::INVALID_CATALOG_NAME {
            return DbError::UnknownDatabase {
                name: p.database.to_string(),
                detail,
            };
        }
        return DbError::Other {
            step: step.to_string(),
            reason: detail,
        };
    }
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    DbError::Other {
        step: step.to_string(),
        reason,
    }
}

/// Logs in and runs `SELECT version()`.
pub async fn pg_probe(p: &PgParams<'_>) -> Result<Probe, DbError> {
    let client = pg_connect(p).await?;
    let started = Instant::now();
    let row = tokio::time::timeout(p.timeout, client.query_one("SELECT version()", &[]))
        .await
        .map_err(|_| DbError::Timeout {
            addr: tcp::addr_text(p.host, p.port),
            step: "running SELECT version()",
            secs: p.timeout.as_secs().max(1),
        })?
        .map_err(|e| classify(&e, p, "SELECT version()"))?;
    let round_trip = started.elapsed();
    let version: String = row
        .try_get(0)
        .map_err(|e| classify(&e, p, "reading the version"))?;
    Ok(Probe {
        version,
        round_trip,
    })
}

/// The user tables and views of a PostgreSQL database (as named in the catalog).
pub async fn pg_tables(p: &PgParams<'_>) -> Result<Vec<String>, DbError> {
    let client = pg_connect(p).await?;
    let rows = tokio::time::timeout(
        p.timeout,
        client.query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
            &[],
        ),
    )
    .await
    .map_err(|_| DbError::Timeout {
        addr: tcp::addr_text(p.host, p.port),
        step: "listing the tables",
        secs: p.timeout.as_secs().max(1),
    })?
    .map_err(|e| classify(&e, p, "listing the tables"))?;
    rows.iter()
        .map(|r| {
            r.try_get::<_, String>(0)
                .map_err(|e| classify(&e, p, "reading a table name"))
        })
        .collect()
}

fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, DbError> {
    if !path.exists() {
        return Err(DbError::FileMissing {
            path: path.display().to_string(),
        });
    }
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(|e| DbError::Other {
        step: format!("opening {} read-only", path.display()),
        reason: e.to_string(),
    })?;
    let _ = conn.busy_timeout(Duration::from_secs(2));
    Ok(conn)
}

/// Opens an SQLite file read-only and runs a query (blocking: call from `spawn_blocking`).
pub fn sqlite_probe(path: &Path) -> Result<Probe, DbError> {
    let conn = open_sqlite(path)?;
    let started = Instant::now();
    let (version, _tables): (String, i64) = conn
        .query_row(
            "SELECT sqlite_version(), (SELECT count(*) FROM sqlite_master)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| DbError::Other {
            step: format!("querying {}", path.display()),
            reason: e.to_string(),
        })?;
    Ok(Probe {
        version: format!("SQLite {version}"),
        round_trip: started.elapsed(),
    })
}

/// The tables and views of an SQLite file (blocking).
pub fn sqlite_tables(path: &Path) -> Result<Vec<String>, DbError> {
    let conn = open_sqlite(path)?;
    let step = || format!("listing the tables of {}", path.display());
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY 1")
        .map_err(|e| DbError::Other {
            step: step(),
            reason: e.to_string(),
        })?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| DbError::Other {
            step: step(),
            reason: e.to_string(),
        })?;
    Ok(names)
}
