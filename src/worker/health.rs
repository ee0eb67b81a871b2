//! The worker runs the doctor every minute and keeps its findings for the Health pane and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, params};

use super::Shared;
use crate::doctor::{self, Area, Finding, Report, Severity, Subject};

/// How often the worker runs the doctor.
pub const EVERY: Duration = Duration::from_secs(60);

fn severity(s: &str) -> Severity {
    match s {
        "problem" => Severity::Problem,
        "warning" => Severity::Warning,
        _ => Severity::Ok,
    }
}

fn area(s: &str) -> Area {
    Area::ALL
        .into_iter()
        .find(|a| a.as_str() == s)
        .unwrap_or(Area::Store)
}

/// The findings last kept, worst first; `None` before the first check.
pub fn last(conn: &Connection) -> rusqlite::Result<Option<Report>> {
    let mut stmt = conn.prepare(
        "SELECT code, severity, area, summary, evidence, fix, target FROM doctor_findings ORDER BY rank DESC, id",
    )?;
    let findings: Vec<Finding> = stmt
        .query_map([], |r| {
            Ok(Finding {
                code: r.get(0)?,
                severity: severity(&r.get::<_, String>(1)?),
                area: area(&r.get::<_, String>(2)?),
                summary: r.get(3)?,
                evidence: r.get(4)?,
                fix: r.get(5)?,
                target: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let checked: Option<String> =
        conn.query_row("SELECT max(checked_at) FROM doctor_findings", [], |r| {
            r.get(0)
        })?;
    Ok(checked.map(|_| Report { findings }))
}

/// Replaces the kept findings with `report`'s, in one transaction.
pub fn keep(conn: &mut Connection, report: &Report) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute("DELETE FROM doctor_findings", [])?;
    let now = crate::store::now();
    for f in &report.findings {
        tx.execute(
            "INSERT INTO doctor_findings (code, severity, rank, area, summary, evidence, fix, target, checked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                f.code,
                f.severity.as_str(),
                f.severity as i64,
                f.area.as_str(),
                f.summary,
                f.evidence,
                f.fix,
                f.target,
                now
            ],
        )?;
    }
    tx.commit()
}

/// Runs the doctor and keeps its findings.
pub async fn check_and_keep(subject: Subject) -> anyhow::Result<Report> {
    let report = doctor::run(&subject, &[]).await;
    let (db, kept) = (subject.db_path.clone(), report.clone());
    tokio::task::spawn_blocking(move || {
        let mut conn = crate::store::open(&db)?;
        keep(&mut conn, &kept)?;
        anyhow::Ok(())
    })
    .await??;
    Ok(report)
}

pub async fn run(shared: Arc<Shared>) {
    loop {
        if shared.lease_held() {
            let subject = Subject {
                db_path: shared.ctx.db_path.clone(),
                config_path: shared.ctx.config_path.clone(),
                config: shared.ctx.config.clone(),
            };
            if let Err(e) = check_and_keep(subject).await {
                tracing::warn!(error = %e, "keeping the doctor's findings");
            }
        }
        if !shared.idle_for(EVERY).await {
            break;
        }
    }
}
