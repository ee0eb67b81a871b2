//! `backroom doctor`: every check of a store or till, each finding with a stable code, the evidence
//! and what to do. Checks probe for real with short timeouts and run in parallel.

pub mod bundle;
mod printing;
mod service;
mod store;
mod sync;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// How long one probe (a printer, a web service, a query) may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long each step of a connection test (connect, log in, each command) may take. FTP servers
/// delay their answer to a wrong password (pyftpdlib by 3 s) to slow down guessing.
pub const STEP_TIMEOUT: Duration = Duration::from_millis(3500);

/// How long a whole check of one peer may take: the doctor answers within 5 s whatever hangs.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(4);

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Problem,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Problem => "problem",
        }
    }
}

/// The part of backroom a check looks at (`--area`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    Printing,
    Sync,
    Contacts,
    Store,
    Service,
}

impl Area {
    pub const ALL: [Area; 5] = [
        Area::Printing,
        Area::Sync,
        Area::Contacts,
        Area::Store,
        Area::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Printing => "printing",
            Area::Sync => "sync",
            Area::Contacts => "contacts",
            Area::Store => "store",
            Area::Service => "service",
        }
    }
}

/// One finding: a stable code, what was seen and what to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub area: Area,
    pub summary: String,
    pub evidence: String,
    pub fix: String,
    /// What the finding is about, when it is one thing: `printer:NAME`, `folder:CODE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl Finding {
    pub fn new(
        code: &str,
        severity: Severity,
        area: Area,
        summary: impl Into<String>,
        evidence: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            code: code.to_string(),
            severity,
            area,
            summary: summary.into(),
            evidence: evidence.into(),
            fix: fix.into(),
            target: None,
        }
    }

    /// Names what the finding is about (`printer:NAME`, `folder:CODE`).
    pub fn about(mut self, target: String) -> Finding {
        self.target = Some(target);
        self
    }

    /// A check that found nothing wrong.
    pub fn ok(code: &str, area: Area, summary: impl Into<String>) -> Finding {
        Finding::new(code, Severity::Ok, area, summary, "", "")
    }
}

/// What the checks look at.
#[derive(Debug, Clone)]
pub struct Subject {
    pub db_path: PathBuf,
    pub config_path: PathBuf,
    pub config: Config,
}

impl Subject {
    /// The folder that holds the database (and its WAL files).
    pub fn data_dir(&self) -> PathBuf {
        self.db_path
            .parent()
            .map(std::path::Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// The doctor's whole report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// The worst severity found (`Ok` when there is nothing to report).
    pub fn worst(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Ok)
    }

    /// Exit status: 0 healthy, 1 warnings, 2 problems.
    pub fn exit_code(&self) -> u8 {
        match self.worst() {
            Severity::Ok => 0,
            Severity::Warning => 1,
            Severity::Problem => 2,
        }
    }

    /// Findings that need attention, worst first.
    pub fn attention(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity != Severity::Ok)
    }
}

/// Runs every check of the chosen areas (all when `areas` is empty), in parallel.
pub async fn run(subject: &Subject, areas: &[Area]) -> Report {
    let wanted = |a: Area| areas.is_empty() || areas.contains(&a);
    let (s, p, y, v, c) = tokio::join!(
        async {
            if wanted(Area::Store) {
                store::check(subject).await
            } else {
                Vec::new()
            }
        },
        async {
            if wanted(Area::Printing) {
                printing::check(subject).await
            } else {
                Vec::new()
            }
        },
        async {
            if wanted(Area::Sync) {
                sync::check(subject).await
            } else {
                Vec::new()
            }
        },
        async {
            if wanted(Area::Service) {
                service::check(subject).await
            } else {
                Vec::new()
            }
        },
        async {
            if wanted(Area::Contacts) {
                let s = subject.clone();
                Vec::from_iter(blocking(move || store::duplicate_emails(&s)).await)
            } else {
                Vec::new()
            }
        },
    );
    let mut findings: Vec<Finding> = [s, p, y, v, c].into_iter().flatten().collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.area.as_str().cmp(b.area.as_str()))
            .then(a.code.cmp(&b.code))
    });
    Report { findings }
}

/// Opens the store read-only for a check, as a finding when it cannot be opened.
fn open_read(subject: &Subject, area: Area) -> Result<rusqlite::Connection, Box<Finding>> {
    crate::store::open_read_only(&subject.db_path).map_err(|e| {
        Box::new(Finding::new(
            "database_unreadable",
            Severity::Problem,
            area,
            "the database cannot be opened",
            e.to_string(),
            "check --db / BACKROOM_DB and the file's owner and mode",
        ))
    })
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}
