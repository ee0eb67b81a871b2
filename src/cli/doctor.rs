//! `backroom doctor` and `backroom support-bundle`: what is wrong, why, and what to do.

use std::path::PathBuf;

use crate::context::Context;
use crate::doctor::{self, Area, Report, Severity, Subject};

use super::Failure;

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Only the checks of these areas (repeatable; default: all).
    #[arg(long, value_enum)]
    pub area: Vec<Area>,
    /// Also list the checks that found nothing wrong.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, clap::Args)]
pub struct BundleArgs {
    /// Where to write the ZIP (default: backroom-support-<time>.zip in the downloads dir).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also include contacts and order references (personal data).
    #[arg(long)]
    pub include_personal: bool,
}

pub fn subject(ctx: &Context) -> Subject {
    Subject {
        db_path: ctx.db_path.clone(),
        config_path: ctx.config_path.clone(),
        config: ctx.config.clone(),
    }
}

/// Runs the checks, prints the findings; exits 0 healthy, 1 warnings, 2 problems.
pub async fn run(a: DoctorArgs, ctx: &Context) -> anyhow::Result<()> {
    // A whole run is kept for the Health pane and /metrics (the worker's, or this one).
    let report = if a.area.is_empty() && !ctx.read_only && ctx.db_path.is_file() {
        crate::worker::health::check_and_keep(subject(ctx)).await?
    } else {
        doctor::run(&subject(ctx), &a.area).await
    };
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report, a.all));
    }
    match report.exit_code() {
        0 => Ok(()),
        code => Err(Failure::silent(code).into()),
    }
}

/// The findings for people: problems first, each with its evidence and fix.
pub fn text(report: &Report, all: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        if f.severity == Severity::Ok && !all {
            continue;
        }
        let mark = match f.severity {
            Severity::Problem => "PROBLEM",
            Severity::Warning => "warning",
            Severity::Ok => "ok",
        };
        out.push_str(&format!("{mark:<8} {:<24} {}\n", f.code, f.summary));
        if !f.evidence.is_empty() {
            out.push_str(&format!("         seen: {}\n", f.evidence));
        }
        if !f.fix.is_empty() {
            out.push_str(&format!("         fix:  {}\n", f.fix));
        }
    }
    let problems = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Problem)
        .count();
    let warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let ok = report.findings.len() - problems - warnings;
    out.push_str(&format!(
        "{problems} problem(s), {warnings} warning(s), {ok} check(s) ok\n"
    ));
    out
}

pub async fn bundle(a: BundleArgs, ctx: &Context) -> anyhow::Result<()> {
    let subject = subject(ctx);
    let report = doctor::run(&subject, &[]).await;
    let out = a.out.unwrap_or_else(|| {
        crate::paths::downloads_dir().join(format!(
            "backroom-support-{}.zip",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        ))
    });
    let personal = a.include_personal;
    let written = tokio::task::spawn_blocking(move || {
        doctor::bundle::write(&subject, &report, &out, personal)
    })
    .await??;
    super::emit(ctx, &written, || {
        format!(
            "wrote {} ({} files, {} bytes, {} secret value(s) redacted{})",
            written.path.display(),
            written.files.len(),
            written.bytes,
            written.redacted,
            if written.personal {
                "; includes personal data"
            } else {
                "; no personal data"
            }
        )
    })
}
