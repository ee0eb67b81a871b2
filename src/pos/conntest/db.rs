//! The DB server test: logs in for real (PostgreSQL) or opens the file read-only (SQLite),
//! runs a query, and reports the server version and the round-trip time.

use std::path::PathBuf;
use std::time::Duration;

use super::{Failure, Target, Verdict};
use crate::net::dbserver::{self, DbError, PgParams};
use crate::pos::{DbKind, DbSettings};

fn params(db: &DbSettings, timeout: Duration) -> PgParams<'_> {
    PgParams {
        host: &db.host,
        port: db.port_or_default(),
        database: &db.name,
        user: &db.user,
        password: db.password.expose(),
        timeout,
    }
}

/// Runs the DB server test.
pub async fn test(db: &DbSettings, timeout: Duration) -> Verdict {
    if let Some(missing) = db.missing() {
        return Verdict::failed(
            Target::Db,
            Failure::NotConfigured,
            format!("the DB server tab is incomplete: set {missing}"),
        );
    }
    match db.kind {
        DbKind::Postgresql => {
            let p = params(db, timeout);
            match dbserver::pg_probe(&p).await {
                Ok(probe) => Verdict::ok(
                    Target::Db,
                    format!(
                        "logged in to {} as {} on {}:{}; server {}; query round trip {} ms",
                        db.name,
                        db.user,
                        db.host,
                        p.port,
                        short_version(&probe.version),
                        probe.round_trip.as_millis()
                    ),
                    Some(probe.version),
                ),
                Err(e) => failed(e),
            }
        }
        DbKind::Sqlite => {
            let path = PathBuf::from(&db.name);
            let probe = tokio::task::spawn_blocking(move || dbserver::sqlite_probe(&path)).await;
            match probe {
                Ok(Ok(probe)) => Verdict::ok(
                    Target::Db,
                    format!(
                        "opened {} read-only and ran a query; {}; round trip {} ms",
                        db.name,
                        probe.version,
                        probe.round_trip.as_millis()
                    ),
                    Some(probe.version),
                ),
                Ok(Err(e)) => failed(e),
                Err(e) => Verdict::failed(
                    Target::Db,
                    Failure::Protocol,
                    format!("the test stopped: {e}"),
                ),
            }
        }
    }
}

/// `PostgreSQL 15.14 (Debian ...) on x86_64...` → `PostgreSQL 15.14`.
fn short_version(full: &str) -> String {
    full.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn failed(e: DbError) -> Verdict {
    let (failure, advice) = match &e {
        DbError::UnknownHost { .. } => {
            (Failure::UnknownHost, "check the host on the DB server tab")
        }
        DbError::Refused { .. } => (
            Failure::Refused,
            "check the port, and that PostgreSQL runs and listens on this address (listen_addresses)",
        ),
        DbError::Timeout { .. } => (
            Failure::Timeout,
            "check the address and that a firewall does not drop the connection",
        ),
        DbError::AuthFailed { .. } => (Failure::AuthFailed, "check the user and password"),
        DbError::UnknownDatabase { .. } => (Failure::UnknownDatabase, "check the database name"),
        DbError::FileMissing { .. } => (
            Failure::UnknownDatabase,
            "check the path of the SQLite file (database field)",
        ),
        DbError::Other { .. } => (Failure::Protocol, "see the server's log"),
    };
    Verdict::failed(Target::Db, failure, format!("{e}: {advice}"))
}

/// The tables (and views) on the folder's database server, for the sync tables check.
pub async fn list_tables(db: &DbSettings, timeout: Duration) -> Result<Vec<String>, DbError> {
    match db.kind {
        DbKind::Postgresql => dbserver::pg_tables(&params(db, timeout)).await,
        DbKind::Sqlite => {
            let path = PathBuf::from(&db.name);
            tokio::task::spawn_blocking(move || dbserver::sqlite_tables(&path))
                .await
                .map_err(|e| DbError::Other {
                    step: "listing the tables".into(),
                    reason: e.to_string(),
                })?
        }
    }
}
