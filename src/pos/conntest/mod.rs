//! Connection tests of a POS folder: the DB server, the FTP server and the web service.
//! Each gives a [`Verdict`] a support engineer can act on; the worker and the CLI store it.

pub mod db;
pub mod ftp;
pub mod ws;

use std::time::Duration;

use serde::Serialize;

use super::PosFolder;

/// How long one connection test may take before it reports a timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What was tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Db,
    Ftp,
    Ws,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Db, Target::Ftp, Target::Ws];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Db => "db",
            Target::Ftp => "ftp",
            Target::Ws => "ws",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Target::Db => "DB server",
            Target::Ftp => "FTP server",
            Target::Ws => "Web service",
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown connection test target {s:?}: expected db, ftp or ws"))
    }
}

/// Why a test failed, as a stable code (JSON, stored, and matched by tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    NotConfigured,
    UnknownHost,
    Refused,
    Timeout,
    Tls,
    AuthFailed,
    UnknownDatabase,
    TargetMissing,
    TestFileMissing,
    ShareMissing,
    ShareNotWritable,
    HttpStatus,
    Protocol,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::NotConfigured => "not_configured",
            Failure::UnknownHost => "unknown_host",
            Failure::Refused => "refused",
            Failure::Timeout => "timeout",
            Failure::Tls => "tls",
            Failure::AuthFailed => "auth_failed",
            Failure::UnknownDatabase => "unknown_database",
            Failure::TargetMissing => "target_missing",
            Failure::TestFileMissing => "test_file_missing",
            Failure::ShareMissing => "share_missing",
            Failure::ShareNotWritable => "share_not_writable",
            Failure::HttpStatus => "http_status",
            Failure::Protocol => "protocol",
        }
    }

    pub const ALL: [Failure; 13] = [
        Failure::NotConfigured,
        Failure::UnknownHost,
        Failure::Refused,
        Failure::Timeout,
        Failure::Tls,
        Failure::AuthFailed,
        Failure::UnknownDatabase,
        Failure::TargetMissing,
        Failure::TestFileMissing,
        Failure::ShareMissing,
        Failure::ShareNotWritable,
        Failure::HttpStatus,
        Failure::Protocol,
    ];
}

impl std::str::FromStr for Failure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Failure::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown failure code {s:?}"))
    }
}

/// The outcome of one connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub target: Target,
    pub ok: bool,
    /// Set when `ok` is false.
    pub failure: Option<Failure>,
    /// One sentence for people: what worked, or what failed and what to do.
    pub message: String,
    /// Extra facts: the server version, the HTTP status, the file downloaded.
    pub detail: Option<String>,
    pub elapsed_ms: u64,
}

impl Verdict {
    pub fn ok(target: Target, message: impl Into<String>, detail: Option<String>) -> Verdict {
        Verdict {
            target,
            ok: true,
            failure: None,
            message: message.into(),
            detail,
            elapsed_ms: 0,
        }
    }

    pub fn failed(target: Target, failure: Failure, message: impl Into<String>) -> Verdict {
        Verdict {
            target,
            ok: false,
            failure: Some(failure),
            message: message.into(),
            detail: None,
            elapsed_ms: 0,
        }
    }

    fn timed(mut self, started: std::time::Instant) -> Verdict {
        self.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// One line: `ok` or `FAILED (code)`, the message and the time.
    pub fn summary(&self) -> String {
        let head = match self.failure {
            None => "ok".to_string(),
            Some(f) => format!("FAILED ({})", f.as_str()),
        };
        format!("{head}: {} [{} ms]", self.message, self.elapsed_ms)
    }
}

/// Runs one test of `folder`: each step (resolve, connect, log in, each command) may take up to
/// `timeout` and names itself when it does not answer; the whole test gets a little more.
pub async fn run(folder: &PosFolder, target: Target, timeout: Duration) -> Verdict {
    let started = std::time::Instant::now();
    let overall = timeout * 2 + Duration::from_secs(1);
    let test = async {
        match target {
            Target::Db => db::test(&folder.db, timeout).await,
            Target::Ftp => ftp::test(&folder.ftp, timeout).await,
            Target::Ws => ws::test(&folder.till, timeout).await,
        }
    };
    let verdict = match tokio::time::timeout(overall, test).await {
        Ok(v) => v,
        Err(_) => Verdict::failed(
            target,
            Failure::Timeout,
            format!(
                "no complete answer within {} s: check the address, the firewall and that the server is up",
                overall.as_secs()
            ),
        ),
    };
    let verdict = verdict.timed(started);
    tracing::info!(
        folder = %folder.code,
        target = target.as_str(),
        ok = verdict.ok,
        failure = ?verdict.failure,
        elapsed_ms = verdict.elapsed_ms,
        "connection test"
    );
    verdict
}

/// A verdict as kept in the store, with its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionTest {
    pub id: i64,
    pub folder_id: i64,
    #[serde(flatten)]
    pub verdict: Verdict,
    pub tested_at: String,
}

/// Why a test could not even start (the folder is gone, the store failed).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("POS folder #{0} does not exist (removed meanwhile?)")]
    FolderGone(i64),
    #[error("store error: {0}")]
    Store(String),
}

/// Loads the folder, runs the test and keeps the verdict with its time (unless `keep` is false,
/// e.g. read-only). Opens the store only inside blocking sections, never across an await.
pub async fn run_and_keep(
    db_path: &std::path::Path,
    folder_id: i64,
    target: Target,
    timeout: Duration,
    keep: bool,
) -> Result<(PosFolder, ConnectionTest), RunError> {
    let path = db_path.to_path_buf();
    let folder = tokio::task::spawn_blocking(move || {
        let conn = crate::store::open(&path).map_err(|e| RunError::Store(e.to_string()))?;
        crate::store::pos::folder_by_id(&conn, folder_id)
            .map_err(|e| RunError::Store(e.to_string()))?
            .ok_or(RunError::FolderGone(folder_id))
    })
    .await
    .map_err(|e| RunError::Store(e.to_string()))??;
    let verdict = run(&folder, target, timeout).await;
    let tested_at = crate::store::now();
    let mut test = ConnectionTest {
        id: 0,
        folder_id,
        verdict,
        tested_at,
    };
    if keep {
        let path = db_path.to_path_buf();
        let to_store = test.clone();
        test.id = tokio::task::spawn_blocking(move || {
            let conn = crate::store::open(&path).map_err(|e| RunError::Store(e.to_string()))?;
            crate::store::pos::record_test(&conn, folder_id, &to_store.verdict, &to_store.tested_at)
                .map_err(|e| RunError::Store(e.to_string()))
        })
        .await
        .map_err(|e| RunError::Store(e.to_string()))??;
    }
    Ok((folder, test))
}
