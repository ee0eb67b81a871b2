//! Sync checks, per POS folder: the server database (reachable, password, change capture, clock),
//! the FTP server (reachable, password, test file), the till's web service (clock, version),
//! blocked channels, unsigned batches and a till queue that does not drain.

use std::time::Duration;

use super::{
    Area, CHECK_DEADLINE, Finding, PROBE_TIMEOUT, STEP_TIMEOUT, Severity, Subject, blocking,
    open_read,
};
use crate::pos::PosFolder;
use crate::pos::conntest::{self, Failure, Target, Verdict};

/// A clock further off than this is reported.
pub const MAX_SKEW: Duration = Duration::from_secs(60);

struct FolderFacts {
    pos: PosFolder,
    sync: Option<crate::sync::Folder>,
    status: crate::sync::status::FolderStatus,
}

pub async fn check(subject: &Subject) -> Vec<Finding> {
    let s = subject.clone();
    let folders = match blocking(move || read(&s)).await {
        Some(Ok(f)) => f,
        Some(Err(f)) => return vec![*f],
        None => return Vec::new(),
    };
    let till = !subject.config.till.number.trim().is_empty();
    let checks = folders.iter().map(|f| folder(f, till));
    let mut out: Vec<Finding> = futures::future::join_all(checks)
        .await
        .into_iter()
        .flatten()
        .collect();
    if till {
        out.push(unsigned(subject));
    }
    out
}

/// A till that accepts unsigned batches takes whatever anyone writes into the FTP folder.
fn unsigned(subject: &Subject) -> Finding {
    if subject.config.till.allow_unsigned {
        Finding::new(
            "unsigned_batches_allowed",
            Severity::Warning,
            Area::Sync,
            "this till accepts unsigned batches: anyone who can write to the FTP folder writes into it",
            format!(
                "[till] allow_unsigned = true in {}",
                subject.config_path.display()
            ),
            "remove allow_unsigned and set [till] server_public_key to the server's key (backroom sync keygen prints it)",
        )
    } else {
        Finding::ok(
            "unsigned_batches_allowed",
            Area::Sync,
            "only batches signed by the server's key are applied",
        )
    }
}

async fn folder(f: &FolderFacts, till: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let code = &f.pos.code;
    for b in &f.status.blocks {
        out.push(Finding::new(
            "batch_blocked",
            Severity::Problem,
            Area::Sync,
            format!("folder {code}: the {} channel is blocked", b.channel),
            format!(
                "{}{} since {}",
                b.batch.map(|n| format!("batch {n}: ")).unwrap_or_default(),
                b.error,
                b.since
            ),
            b.hint.clone(),
        ));
    }
    if till {
        out.extend(queue(f));
        out.extend(set_aside(f));
    }
    let (db, ftp, ws) = tokio::join!(
        async {
            if till || f.pos.db.host.trim().is_empty() && f.pos.db.name.trim().is_empty() {
                Vec::new()
            } else {
                database(f).await
            }
        },
        async {
            if f.pos.ftp.address.is_none() && f.pos.ftp.share.trim().is_empty() {
                Vec::new()
            } else {
                ftp_checks(&f.pos).await
            }
        },
        async {
            if till && !f.pos.till.ws_url.trim().is_empty() {
                web_service(&f.pos).await
            } else {
                Vec::new()
            }
        },
    );
    out.extend(db);
    out.extend(ftp);
    out.extend(ws);
    out.into_iter()
        .map(|f| f.about(format!("folder:{code}")))
        .collect()
}

fn queue(f: &FolderFacts) -> Vec<Finding> {
    let wait_ms = f.pos.till.sync_wait_ms.max(1);
    let age_ms = f
        .status
        .queue
        .oldest
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_milliseconds());
    match age_ms {
        Some(age) if age > 3 * wait_ms as i64 => vec![Finding::new(
            "queue_stuck",
            Severity::Problem,
            Area::Sync,
            format!(
                "folder {}: the till queue does not drain ({} item(s) wait)",
                f.pos.code, f.status.queue.waiting
            ),
            format!(
                "oldest item queued {} ago, over 3 × the {wait_ms} ms wait{}",
                crate::sync::status::age_text(age / 1000),
                f.status
                    .queue
                    .last_error
                    .as_deref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default()
            ),
            format!(
                "check the web service (backroom pos test-ws {}) and that a worker runs on this till",
                f.pos.code
            ),
        )],
        _ => Vec::new(),
    }
}

/// Items support set aside wait on this till, whole, for a decision: easy to forget.
fn set_aside(f: &FolderFacts) -> Vec<Finding> {
    let n = f.status.queue.set_aside;
    if n == 0 {
        return Vec::new();
    }
    let code = &f.pos.code;
    vec![Finding::new(
        "items_set_aside",
        Severity::Warning,
        Area::Sync,
        format!("folder {code}: {n} till queue item(s) set aside"),
        "the server refused them; they are kept here and never sent until put back",
        format!(
            "see them with backroom till queue show {code}; once the server takes them, backroom till queue put-back {code} UUID"
        ),
    )]
}

fn verdict_finding(code: &str, folder: &str, v: &Verdict, what: &str, fix: String) -> Finding {
    Finding::new(
        code,
        Severity::Problem,
        Area::Sync,
        format!("folder {folder}: {what}"),
        v.summary(),
        fix,
    )
}

/// A check that did not finish within [`CHECK_DEADLINE`].
fn hung(code: &str, folder: &str, what: &str) -> Finding {
    Finding::new(
        code,
        Severity::Problem,
        Area::Sync,
        format!("folder {folder}: {what} does not answer"),
        format!("no complete answer within {} s", CHECK_DEADLINE.as_secs()),
        format!(
            "is it up and reachable from here? Check the address (backroom pos folders show {folder})"
        ),
    )
}

async fn database(f: &FolderFacts) -> Vec<Finding> {
    tokio::time::timeout(CHECK_DEADLINE, database_checks(f))
        .await
        .unwrap_or_else(|_| vec![hung("db_unreachable", &f.pos.code, "the server database")])
}

async fn database_checks(f: &FolderFacts) -> Vec<Finding> {
    let code = &f.pos.code;
    let v = conntest::run(&f.pos, Target::Db, STEP_TIMEOUT).await;
    let mut out = Vec::new();
    match v.failure {
        None => {
            out.push(Finding::ok(
                "db_unreachable",
                Area::Sync,
                format!("folder {code}: {}", v.message),
            ));
            if let Some(sync) = &f.sync {
                let (c, k) = tokio::join!(capture(sync), db_clock(sync));
                out.extend(c);
                out.extend(k);
            }
        }
        Some(Failure::NotConfigured) => {}
        Some(Failure::AuthFailed) => out.push(verdict_finding(
            "db_auth_failed",
            code,
            &v,
            "the server database refuses the user or password",
            format!("set the right user and password: backroom pos folders set {code} --db-user USER --db-password -"),
        )),
        Some(_) => out.push(verdict_finding(
            "db_unreachable",
            code,
            &v,
            "the server database does not answer",
            format!("is the database server up and reachable from here? Check host and port (backroom pos folders show {code})"),
        )),
    }
    out
}

async fn capture(folder: &crate::sync::Folder) -> Vec<Finding> {
    if folder.outgoing().next().is_none() {
        return Vec::new();
    }
    match tokio::time::timeout(PROBE_TIMEOUT, crate::sync::capture::check(folder)).await {
        Ok(Ok(report)) if report.all_installed() => vec![Finding::ok(
            "capture_trigger_missing",
            Area::Sync,
            format!("folder {}: change capture in place", folder.code),
        )],
        Ok(Ok(report)) => {
            let bad: Vec<String> = report
                .tables
                .iter()
                .filter(|t| t.state != crate::sync::capture::State::Installed)
                .map(|t| format!("{}: {}", t.table, t.detail))
                .collect();
            vec![Finding::new(
                "capture_trigger_missing",
                Severity::Problem,
                Area::Sync,
                format!(
                    "folder {}: changes on the server database are not captured: exports miss them",
                    folder.code
                ),
                bad.join("; "),
                format!("backroom sync capture install {}", folder.code),
            )]
        }
        Ok(Err(e)) => vec![Finding::new(
            "capture_trigger_missing",
            Severity::Warning,
            Area::Sync,
            format!(
                "folder {}: change capture could not be checked",
                folder.code
            ),
            e.to_string(),
            format!("backroom sync capture check {}", folder.code),
        )],
        Err(_) => Vec::new(),
    }
}

/// The server database's clock against ours.
async fn db_clock(folder: &crate::sync::Folder) -> Vec<Finding> {
    if folder.db_kind == "sqlite" {
        return Vec::new();
    }
    let probe = async {
        let db = crate::sync::serverdb::ServerDb::connect(folder)
            .await
            .ok()?;
        let crate::sync::serverdb::ServerDb::Postgres(client) = db else {
            return None;
        };
        let row = client
            .query_one("SELECT extract(epoch FROM now())::float8", &[])
            .await
            .ok()?;
        row.try_get::<_, f64>(0).ok()
    };
    let Ok(Some(theirs)) = tokio::time::timeout(PROBE_TIMEOUT, probe).await else {
        return Vec::new();
    };
    let ours = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    vec![skew(
        &folder.code,
        "the server database's now()",
        theirs - ours,
    )]
}

fn skew(folder: &str, peer: &str, offset_secs: f64) -> Finding {
    if offset_secs.abs() > MAX_SKEW.as_secs_f64() {
        Finding::new(
            "clock_skew",
            Severity::Problem,
            Area::Sync,
            format!(
                "folder {folder}: this machine's clock and {peer} differ by {:.0} s",
                offset_secs.abs()
            ),
            format!(
                "{peer} is {:.0} s {} this machine",
                offset_secs.abs(),
                if offset_secs > 0.0 {
                    "ahead of"
                } else {
                    "behind"
                }
            ),
            "synchronise both clocks with NTP (timedatectl set-ntp true); batches and queue ages are judged by time",
        )
    } else {
        Finding::ok(
            "clock_skew",
            Area::Sync,
            format!("folder {folder}: {peer} within {:.0} s", offset_secs.abs()),
        )
    }
}

async fn ftp_checks(pos: &PosFolder) -> Vec<Finding> {
    let code = &pos.code;
    let Ok(v) = tokio::time::timeout(
        CHECK_DEADLINE,
        conntest::run(pos, Target::Ftp, STEP_TIMEOUT),
    )
    .await
    else {
        return vec![hung("ftp_unreachable", code, "the FTP server")];
    };
    match v.failure {
        None => {
            let mut out = vec![Finding::ok(
                "ftp_unreachable",
                Area::Sync,
                format!("folder {code}: {}", v.message),
            )];
            if let Ok(Some(offset)) =
                tokio::time::timeout(CHECK_DEADLINE, ftp_clock(&pos.ftp)).await
            {
                out.push(skew(code, "the FTP server's time of a probe file", offset));
            }
            out
        }
        Some(Failure::NotConfigured) => Vec::new(),
        Some(Failure::AuthFailed) => vec![verdict_finding(
            "ftp_auth_failed",
            code,
            &v,
            "the FTP server refuses the user or password",
            format!(
                "set the right user and password: backroom pos folders set {code} --ftp-user USER --ftp-password -"
            ),
        )],
        Some(Failure::TestFileMissing) => vec![verdict_finding(
            "test_file_missing",
            code,
            &v,
            "the FTP target folder has no test.txt",
            "put a test.txt file in the FTP target folder (it proves the folder is the right one)"
                .to_string(),
        )],
        Some(_) => vec![verdict_finding(
            "ftp_unreachable",
            code,
            &v,
            "the FTP server does not answer as expected",
            format!(
                "is the FTP server up and reachable from here? Check the address (backroom pos folders show {code})"
            ),
        )],
    }
}

/// Writes a probe file in the FTP target folder and reads its time back (MDTM): the FTP
/// server's clock against ours, in seconds (positive when the server is ahead).
async fn ftp_clock(ftp: &crate::pos::FtpSettings) -> Option<f64> {
    const PROBE: &str = ".backroom-clock-probe";
    let mut session = ftp.connect(STEP_TIMEOUT).await.ok()?;
    session.put(PROBE, b"backroom clock probe\n").await.ok()?;
    let ours = chrono::Utc::now();
    let theirs = session.modified(PROBE).await;
    let _ = session.delete(PROBE).await;
    session.quit().await;
    let theirs = theirs.ok()?.and_utc();
    Some((theirs - ours).num_milliseconds() as f64 / 1000.0)
}

/// The till's web service: its clock (HTTP `Date`) and version against ours.
async fn web_service(pos: &PosFolder) -> Vec<Finding> {
    let Ok(url) = conntest::ws::health_url(&pos.till.ws_url) else {
        return Vec::new();
    };
    let Ok(client) = reqwest::Client::builder().timeout(PROBE_TIMEOUT).build() else {
        return Vec::new();
    };
    let Ok(resp) = client.get(url.clone()).send().await else {
        return vec![Finding::new(
            "ws_unreachable",
            Severity::Problem,
            Area::Sync,
            format!(
                "folder {}: the server's web service does not answer",
                pos.code
            ),
            format!("GET {url} failed"),
            format!(
                "is backroom running on the server? backroom pos folders test {} --target ws",
                pos.code
            ),
        )];
    };
    let mut out = Vec::new();
    let date = resp
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok());
    if let Some(d) = date {
        let offset = (d.timestamp_millis() - chrono::Utc::now().timestamp_millis()) as f64 / 1000.0;
        out.push(skew(
            &pos.code,
            "the server's web service (HTTP Date)",
            offset,
        ));
    }
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    if let Some(version) = body["version"].as_str() {
        out.push(super::service::versions(
            &format!("folder {}: the server", pos.code),
            version,
        ));
    }
    out
}

fn read(subject: &Subject) -> Result<Vec<FolderFacts>, Box<Finding>> {
    let conn = open_read(subject, Area::Sync)?;
    let fail = |e: rusqlite::Error| {
        Box::new(Finding::new(
            "database_unreadable",
            Severity::Problem,
            Area::Sync,
            "the POS folders cannot be read",
            e.to_string(),
            "run backroom doctor --area store",
        ))
    };
    let folders = crate::store::pos::list_folders(&conn).map_err(fail)?;
    let mut out = Vec::new();
    for pos in folders {
        let status = crate::sync::status::of(&conn, pos.id, &pos.code).map_err(fail)?;
        let sync = crate::store::sync::folder(&conn, &pos.code).map_err(fail)?;
        out.push(FolderFacts { pos, sync, status });
    }
    Ok(out)
}
