//! `backroom sync ...`: sync tables and processes (POS settings), and the till synchronisation
//! itself: runs, change capture, status and the run log.

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::output::local_time;
use crate::cli::{Failure, emit};
use crate::context::Context;
use crate::sync::SyncError;
use crate::sync::runs::Process;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Tables to synchronise, per POS folder.
    Tables(super::sync_tables::Args),
    /// Processes per POS folder: schedule, confirmation mode, last result.
    Processes(super::sync_processes::Args),
    /// Run a process now: export (server), import, push, update (till).
    Run {
        #[arg(value_enum)]
        process: RunProcess,
        #[arg(add = crate::cli::complete::folders())]
        folder: String,
        /// export: a full batch (every table whole); import: a full re-import from the latest full batch.
        #[arg(long)]
        full: bool,
        /// update: answer yes to every confirmation question (as if typed in the terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Change capture on the folder's server database: install, check or remove the triggers.
    Capture {
        #[arg(value_enum)]
        action: CaptureAction,
        /// The POS folder whose server database is concerned.
        #[arg(add = crate::cli::complete::folders())]
        folder: String,
        /// remove: confirm that the recorded changes and the log tables are dropped.
        #[arg(long)]
        yes: bool,
    },
    /// Last export and import, queue depth and age, blocked channels and what to do.
    Status { folder: Option<String> },
    /// Create the server's Ed25519 signing key (mode 0600); prints the public key tills need, last.
    Keygen {
        /// Where to write the private key (never over an existing file).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Sign an update manifest (updates/manifest.json) with [server] signing_key, in place.
    SignUpdates {
        /// The manifest file to sign.
        file: std::path::PathBuf,
    },
    /// The run log, newest first (50 unless --limit or --all).
    Runs {
        folder: Option<String>,
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RunProcess {
    Export,
    Import,
    Push,
    Update,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CaptureAction {
    Install,
    Check,
    Remove,
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Tables(a) => super::sync_tables::run(a, ctx).await,
        Command::Processes(a) => super::sync_processes::run(a, ctx).await,
        Command::Run {
            process,
            folder,
            full,
            yes,
        } => run_process(ctx, process, &folder, full, yes).await,
        Command::Capture {
            action,
            folder,
            yes,
        } => capture(ctx, action, &folder, yes).await,
        Command::Status { folder } => status(ctx, folder.as_deref()),
        Command::Runs { folder, list } => runs(ctx, folder.as_deref(), &list),
        Command::Keygen { out } => {
            let public = crate::sync::sign::keygen(&out).map_err(|e| failure(e.into()))?;
            let value = serde_json::json!({"private_key": out, "public_key": public});
            emit(ctx, &value, || {
                format!(
                    "private key written to {} (mode 0600): set signing_key = \"{}\" under [server] in the server's config.toml\n\
                     public key: set server_public_key under [till] in each till's config.toml to\n{public}",
                    out.display(),
                    out.display()
                )
            })
        }
        Command::SignUpdates { file } => {
            let signer = crate::worker::sync::signer(ctx).map_err(|e| failure(e.into()))?;
            crate::sync::updates::sign_manifest(&file, &signer).map_err(|e| failure(e.into()))?;
            let value = serde_json::json!({"signed": file});
            emit(ctx, &value, || format!("{} signed", file.display()))
        }
    }
}

async fn run_process(
    ctx: &Context,
    process: RunProcess,
    folder: &str,
    full: bool,
    yes: bool,
) -> anyhow::Result<()> {
    let process = match process {
        RunProcess::Export => Process::Export,
        RunProcess::Import => Process::Import,
        RunProcess::Push => Process::Push,
        RunProcess::Update => Process::Update,
    };
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let mut ask = |p: &crate::sync::updates::Package| -> bool {
        if yes {
            return true;
        }
        eprint!("install update package {} ({})? [y/N] ", p.version, p.file);
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes" | "o" | "oui"
        )
    };
    let confirm: crate::sync::updates::Confirmer<'_> = if yes || interactive {
        Some(crate::sync::updates::Answerer::Local(&mut ask))
    } else {
        None
    };
    let outcome = crate::worker::sync::run_once(
        ctx,
        folder,
        process,
        full,
        confirm,
        crate::sync::runs::quiet(),
    )
    .await
    .map_err(failure)?;
    emit(ctx, &outcome, || outcome.summary())
}

/// Maps the sync error under an error's context to the CLI's exit codes.
pub fn failure(e: anyhow::Error) -> anyhow::Error {
    let code = e
        .chain()
        .find_map(|c| c.downcast_ref::<SyncError>())
        .map(|s| match s {
            SyncError::NoFolder(_) => crate::cli::output::NOT_FOUND,
            SyncError::Config(_) => crate::cli::output::USAGE,
            SyncError::ServerDb { .. } | SyncError::Ftp { .. } | SyncError::Unreachable { .. } => {
                crate::cli::output::UNREACHABLE
            }
            SyncError::Blocked(_)
            | SyncError::Refused(_)
            | SyncError::Rejected(_)
            | SyncError::Batch { .. } => crate::cli::output::REFUSED,
            _ => 1,
        });
    match code {
        Some(code) if code != 1 => anyhow::Error::new(Failure::new(code, format!("{e:#}"))),
        _ => e,
    }
}

async fn capture(
    ctx: &Context,
    action: CaptureAction,
    code: &str,
    yes: bool,
) -> anyhow::Result<()> {
    let folder = crate::worker::sync::load_folder(ctx, code).map_err(|e| failure(e.into()))?;
    match action {
        CaptureAction::Install => {
            let watermark = {
                let conn = ctx.open_store()?;
                crate::store::sync::last_export(&conn, folder.id)?.map_or(0, |e| e.to_seq)
            };
            let report = crate::sync::capture::install(&folder, watermark)
                .await
                .map_err(|e| failure(e.into()))?;
            eprintln!(
                "change capture installed on {} table(s) of folder {code}",
                report.tables.len()
            );
            if report.full_next {
                crate::store::sync::set_full_next(&ctx.open_store()?, folder.id)?;
                eprintln!(
                    "the next export of folder {code} is full: changes made while capture was off, or the rows of a table newly captured or changed, reach the tills only whole"
                );
            }
            emit(ctx, &report, || capture_text(&report))
        }
        CaptureAction::Check => {
            let report = crate::sync::capture::check(&folder)
                .await
                .map_err(|e| failure(e.into()))?;
            emit(ctx, &report, || capture_text(&report))?;
            if !report.all_installed() {
                return Err(Failure::refused(format!(
                    "change capture is not complete on folder {code}: run backroom sync capture install {code}"
                ))
                .into());
            }
            Ok(())
        }
        CaptureAction::Remove => {
            if !yes {
                return Err(Failure::usage(format!(
                    "removing change capture of folder {code} drops its triggers and the changes recorded and not yet exported \
                     (and the tables backroom_sync_log and backroom_sync_capture when no other table uses them); \
                     the next export of an incremental table then has nothing to send until capture is reinstalled: \
                     confirm with backroom sync capture remove {code} --yes"
                ))
                .into());
            }
            let r = crate::sync::capture::remove(&folder)
                .await
                .map_err(|e| failure(e.into()))?;
            let value = serde_json::json!({
                "folder": code,
                "removed": r.tables,
                "dropped_log_tables": r.dropped_log,
            });
            emit(ctx, &value, || {
                let tables = if r.dropped_log {
                    "; backroom_sync_log and backroom_sync_capture were dropped"
                } else {
                    "; backroom_sync_log and backroom_sync_capture are kept (other tables are still captured)"
                };
                format!(
                    "change capture removed from {} table(s) of folder {code}; their recorded changes are forgotten{tables}",
                    r.tables
                )
            })
        }
    }
}

fn capture_text(r: &crate::sync::capture::Report) -> String {
    let mut out = format!(
        "folder {} ({}): {} change(s) recorded, last sequence {}\n",
        r.folder, r.db_kind, r.logged_changes, r.last_seq
    );
    for t in &r.tables {
        let state = match t.state {
            crate::sync::capture::State::Installed => "installed",
            crate::sync::capture::State::Missing => "MISSING",
            crate::sync::capture::State::Stale => "STALE",
        };
        out.push_str(&format!("  {:<12} {:<10} {}\n", t.table, state, t.detail));
    }
    out
}

fn status(ctx: &Context, folder: Option<&str>) -> anyhow::Result<()> {
    crate::sync::status::set_allow_unsigned(ctx.config.till.allow_unsigned);
    let conn = ctx.open_store()?;
    let folders = match folder {
        Some(code) => {
            let f = crate::store::sync::folder(&conn, code)?
                .ok_or_else(|| Failure::not_found(format!("POS folder {code} does not exist")))?;
            vec![(f.id, f.code)]
        }
        None => crate::store::pos::list_folders(&conn)?
            .into_iter()
            .map(|f| (f.id, f.code))
            .collect(),
    };
    let mut all = Vec::new();
    for (id, code) in folders {
        all.push(crate::sync::status::of(&conn, id, &code)?);
    }
    emit(ctx, &all, || {
        if all.is_empty() {
            return "no POS folder (add one: backroom pos folders add CODE ...)".to_string();
        }
        all.iter()
            .map(crate::sync::status::text)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn runs(
    ctx: &Context,
    folder: Option<&str>,
    args: &crate::cli::listing::ListArgs,
) -> anyhow::Result<()> {
    let view = &crate::store::views::lists::SYNC_RUNS;
    let filter = args.filter(view)?;
    let conn = ctx.open_store()?;
    let mut runs = crate::store::sync::runs(&conn, folder, &filter, args.limit().map(|l| l + 1))?;
    crate::cli::listing::cut_counted(args, &mut runs, || {
        Ok(crate::store::sync::runs_count(&conn, folder, &filter)?)
    })?;
    emit(ctx, &runs, || {
        if runs.is_empty() {
            return "no sync run yet".into();
        }
        // A table with its header, as every list (the lines were padded by hand, headerless).
        let mut rows = vec![
            [
                "ID", "FOLDER", "PROCESS", "STARTED", "FINISHED", "ROWS", "BATCHES", "BYTES",
                "OUTCOME",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for r in &runs {
            rows.push(vec![
                r.id.to_string(),
                r.folder.clone().unwrap_or_else(|| "-".into()),
                r.process.clone(),
                local_time(&r.started_at),
                r.finished_at.as_deref().map_or("…".into(), local_time),
                r.rows.to_string(),
                r.batches.to_string(),
                r.bytes.to_string(),
                {
                    let outcome = r.outcome.as_deref().unwrap_or("running");
                    r.message
                        .as_deref()
                        .map_or(outcome.to_string(), |m| format!("{outcome}: {m}"))
                },
            ]);
        }
        crate::cli::output::table(&rows)
    })
}
