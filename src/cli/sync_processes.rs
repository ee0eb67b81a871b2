//! `backroom sync processes ...`: the three processes of a POS folder, their schedule and result.

use crate::cli::pos::{folder_or_not_found, table};
use crate::cli::{Failure, emit};
use crate::context::Context;
use crate::pos::process::SCHEDULE_SECS;
use crate::pos::{ConfirmMode, ProcessKind};
use crate::store::pos as store;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List a folder's processes with their schedule and last result (50 unless --limit or
    /// --all).
    List {
        /// The POS folder's code.
        #[arg(add = crate::cli::complete::folders())]
        folder: String,
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
    /// Change a process's schedule, switch, or (import_updatecaisse) confirmation mode.
    Set {
        /// The POS folder's code.
        #[arg(add = crate::cli::complete::folders())]
        folder: String,
        /// export_caisseauto, import_caisseauto or import_updatecaisse.
        kind: String,
        /// Run every N seconds.
        #[arg(long, allow_hyphen_values = true)]
        schedule_secs: Option<i64>,
        /// Switch the process on.
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Switch the process off.
        #[arg(long)]
        disable: bool,
        /// import_updatecaisse: always, once, or never (piloted).
        #[arg(long)]
        confirm: Option<String>,
    },
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::List { folder, list: args } => list(ctx, &folder, &args),
        Command::Set {
            folder,
            kind,
            schedule_secs,
            enable,
            disable,
            confirm,
        } => {
            let enabled = match (enable, disable) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            set(ctx, &folder, &kind, schedule_secs, enabled, confirm)
        }
    }
}

fn list(ctx: &Context, code: &str, args: &crate::cli::listing::ListArgs) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let folder = folder_or_not_found(&conn, code)?;
    let procs = store::processes(&conn, folder.id)?;
    let procs = crate::cli::listing::shown::keep(
        &crate::cli::listing::shown::PROCESSES,
        args,
        procs,
        cells,
    )?;
    emit(ctx, &procs, || {
        let mut rows = vec![vec![
            "PROCESS".to_string(),
            "SIDE".into(),
            "EVERY".into(),
            "STATE".into(),
            "CONFIRM".into(),
            "LAST RUN".into(),
            "RESULT".into(),
        ]];
        rows.extend(procs.iter().map(cells));
        table(&rows)
    })
}

fn cells(p: &crate::pos::process::Process) -> Vec<String> {
    vec![
        p.kind.to_string(),
        p.kind.side().into(),
        format!("{} s", p.schedule_secs),
        if p.enabled { "enabled" } else { "disabled" }.into(),
        p.confirm_mode
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into()),
        p.last_run_at
            .as_deref()
            .map_or_else(|| "never".into(), crate::cli::output::local_time),
        match (&p.last_outcome, &p.last_message) {
            (Some(o), Some(m)) => format!("{o}: {m}"),
            (Some(o), None) => o.clone(),
            _ => "-".into(),
        },
    ]
}

fn set(
    ctx: &Context,
    code: &str,
    kind: &str,
    schedule_secs: Option<i64>,
    enabled: Option<bool>,
    confirm: Option<String>,
) -> anyhow::Result<()> {
    let kind: ProcessKind = kind.parse().map_err(Failure::usage)?;
    let conn = ctx.open_store()?;
    let folder = folder_or_not_found(&conn, code)?;
    let mut p = store::process(&conn, folder.id, kind)?
        .ok_or_else(|| Failure::not_found(format!("folder {code} has no {kind} process")))?;
    if let Some(secs) = schedule_secs {
        let ok = u32::try_from(secs)
            .ok()
            .filter(|s| SCHEDULE_SECS.contains(s));
        p.schedule_secs = ok.ok_or_else(|| {
            Failure::usage(format!(
                "--schedule-secs {secs} is out of range: expected {} to {} seconds",
                SCHEDULE_SECS.start(),
                SCHEDULE_SECS.end()
            ))
        })?;
    }
    if let Some(e) = enabled {
        p.enabled = e;
    }
    if let Some(c) = confirm {
        if kind != ProcessKind::ImportUpdatecaisse {
            return Err(Failure::usage(format!(
                "--confirm applies to import_updatecaisse only (package updates), not {kind}"
            ))
            .into());
        }
        let mode: ConfirmMode = c
            .parse()
            .map_err(|e: String| Failure::usage(format!("--confirm: {e}")))?;
        p.confirm_mode = Some(mode);
    }
    store::update_process(&conn, &p)?;
    eprintln!(
        "folder {code}: {kind} every {} s, {}{}",
        p.schedule_secs,
        if p.enabled { "enabled" } else { "disabled" },
        p.confirm_mode
            .map(|c| format!(", confirm {c} ({})", c.describe()))
            .unwrap_or_default()
    );
    emit(ctx, &p, String::new)
}
