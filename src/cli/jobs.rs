//! `backroom jobs ...`: list, show (with attempts), reschedule, reprint, cancel, confirm,
//! download, purge.

use std::path::PathBuf;

use anyhow::Context as _;
use serde::Serialize;

use crate::cli::Failure;
use crate::cli::listing::{self, ListArgs, Stream};
use crate::cli::output::local_time;
use crate::context::Context;
use crate::printing::job::{Attempt, Job, JobState, RetryPolicy};
use crate::printing::retention;
use crate::store::jobs::{self, Filter};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// Only jobs in this state (pending, sending, succeeded, failed, cancelled, unconfirmed).
    #[arg(long, add = crate::cli::complete::job_states())]
    pub state: Option<String>,
    /// Only jobs on this printer.
    #[arg(long, add = crate::cli::complete::printers())]
    pub printer: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List jobs, newest first (50 unless --limit or --all).
    List {
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        list: ListArgs,
    },
    /// A job with its attempt history.
    Show { id: i64 },
    /// Failed jobs back to pending, attempts reset (by id, or every failed job matching a filter).
    Reschedule {
        ids: Vec<i64>,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Queue the job's document again as a new job (any state).
    Reprint { id: i64 },
    /// Decide on unconfirmed jobs (sent before a crash; the printer may have printed them):
    /// --printed (it came out) or --reprint (print it again). By id, or by filter.
    Confirm {
        ids: Vec<i64>,
        #[command(flatten)]
        filter: FilterArgs,
        /// The document came out: the job succeeded.
        #[arg(long, conflicts_with = "reprint", required_unless_present = "reprint")]
        printed: bool,
        /// It did not come out: send it again.
        #[arg(long)]
        reprint: bool,
    },
    /// Cancel pending jobs (by id, or every pending job matching a filter).
    Cancel {
        ids: Vec<i64>,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Write the exact bytes that were sent (default: the downloads dir).
    Download {
        id: i64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Delete finished jobs older than the retention, and documents no job refers to.
    Purge,
}

pub use super::output::table;

fn filter(f: &FilterArgs, limit: Option<usize>) -> Result<Filter, Failure> {
    Ok(Filter {
        state: f
            .state
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(Failure::usage)?,
        printer: f.printer.clone(),
        query: Default::default(),
        limit,
    })
}

fn not_found(id: i64) -> Failure {
    Failure::not_found(format!("no print job {id} (see `backroom jobs list`)"))
}

#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    job: &'a Job,
    attempt_history: &'a [Attempt],
}

#[derive(Serialize)]
struct Changed {
    changed: Vec<i64>,
    state: JobState,
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open_store()?;
    match args.command {
        Command::List { filter: f, list } => list_jobs(ctx, &conn, &f, &list),
        Command::Show { id } => {
            let job = jobs::get(&conn, id)?.ok_or_else(|| not_found(id))?;
            let history = jobs::attempts(&conn, id)?;
            crate::cli::emit(
                ctx,
                &Shown {
                    job: &job,
                    attempt_history: &history,
                },
                || show_text(&job, &history),
            )
        }
        Command::Reschedule { ids, filter: f } => {
            let ids = targets(&conn, ids, &f, JobState::Failed, "reschedule")?;
            let changed = jobs::reschedule(&mut conn, &ids)?;
            crate::worker::wake();
            eprintln!("{} job(s) rescheduled", changed.len());
            crate::cli::emit(
                ctx,
                &Changed {
                    changed: changed.clone(),
                    state: JobState::Pending,
                },
                || ids_text("rescheduled", &changed),
            )
        }
        Command::Cancel { ids, filter: f } => {
            let ids = targets(&conn, ids, &f, JobState::Pending, "cancel")?;
            let changed = jobs::cancel(&mut conn, &ids)?;
            eprintln!("{} job(s) cancelled", changed.len());
            crate::cli::emit(
                ctx,
                &Changed {
                    changed: changed.clone(),
                    state: JobState::Cancelled,
                },
                || ids_text("cancelled", &changed),
            )
        }
        Command::Reprint { id } => {
            let policy = RetryPolicy::load(&conn);
            let (new, _) =
                jobs::reprint(&mut conn, id, policy.max_attempts)?.ok_or_else(|| not_found(id))?;
            crate::worker::wake();
            eprintln!("job {new} queued (reprint of job {id})");
            let job = jobs::get(&conn, new)?.ok_or_else(|| not_found(new))?;
            crate::cli::emit(ctx, &job, || format!("{new}"))
        }
        Command::Confirm {
            ids,
            filter: f,
            printed,
            ..
        } => {
            let ids = targets(&conn, ids, &f, JobState::Unconfirmed, "confirm")?;
            let changed = jobs::confirm(&mut conn, &ids, printed, &ctx.operator)?;
            let (state, verb) = if printed {
                (JobState::Succeeded, "marked printed")
            } else {
                crate::worker::wake();
                (JobState::Pending, "queued to print again")
            };
            eprintln!("{} job(s) {verb}", changed.len());
            crate::cli::emit(
                ctx,
                &Changed {
                    changed: changed.clone(),
                    state,
                },
                || ids_text(verb, &changed),
            )
        }
        Command::Download { id, out } => download(ctx, &conn, id, out),
        Command::Purge => {
            let purged = retention::purge(&mut conn, chrono::Utc::now())?;
            eprintln!(
                "purged {} job(s), {} document(s), {} event(s) finished more than {} ago",
                purged.jobs,
                purged.documents,
                purged.events,
                retention::retention_text()
            );
            crate::cli::emit(ctx, &purged, String::new)
        }
    }
}

/// The past participle of an action's verb, for messages ("cancel" → "cancelled").
fn past(action: &str) -> String {
    match action {
        "cancel" => "cancelled".to_string(),
        a if a.ends_with('e') => format!("{a}d"),
        a => format!("{a}ed"),
    }
}

/// The jobs an action applies to: the ids given (all must be in `need`), or the filter's matches.
fn targets(
    conn: &rusqlite::Connection,
    ids: Vec<i64>,
    f: &FilterArgs,
    need: JobState,
    action: &str,
) -> anyhow::Result<Vec<i64>> {
    if !ids.is_empty() {
        if f.state.is_some() || f.printer.is_some() {
            return Err(Failure::usage("give job ids or --state/--printer, not both").into());
        }
        let mut wrong = Vec::new();
        for id in &ids {
            let job = jobs::get(conn, *id)?.ok_or_else(|| not_found(*id))?;
            if job.state != need {
                wrong.push(format!("job {id} is {}", job.state));
            }
        }
        if !wrong.is_empty() {
            return Err(Failure::refused(format!(
                "only {need} jobs can be {}; nothing changed: {}",
                past(action),
                wrong.join(", ")
            ))
            .into());
        }
        return Ok(ids);
    }
    if f.state.is_none() && f.printer.is_none() {
        return Err(Failure::usage(format!(
            "name the jobs to {action}: job ids, or --state {need} and/or --printer NAME"
        ))
        .into());
    }
    let mut fl = filter(f, None)?;
    match fl.state {
        Some(s) if s != need => {
            return Err(Failure::refused(format!(
                "only {need} jobs can be {}, not {s} ones",
                past(action)
            ))
            .into());
        }
        _ => fl.state = Some(need),
    }
    Ok(jobs::ids(conn, &fl)?)
}

fn ids_text(verb: &str, ids: &[i64]) -> String {
    if ids.is_empty() {
        return format!("no job {verb}");
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("{verb}: {}", list.join(" "))
}

const LIST_HEADER: [&str; 10] = [
    "ID",
    "CREATED",
    "EVENT",
    "DOCUMENT",
    "PRINTER",
    "STATE",
    "ATT",
    "NEXT ATTEMPT",
    "REMOTE",
    "LAST ERROR",
];

/// `jobs list`: at most the limit (the rest announced on stderr), or every job streamed.
fn list_jobs(
    ctx: &Context,
    conn: &rusqlite::Connection,
    f: &FilterArgs,
    args: &ListArgs,
) -> anyhow::Result<()> {
    let mut fl = filter(f, None)?;
    fl.query = args.filter(&crate::store::views::PRINT_JOBS)?;
    let limit = args.limit();
    fl.limit = limit.map(|l| l + 1);
    let mut out = Stream::new(ctx, &LIST_HEADER);
    let mut shown = 0;
    let mut cut = false;
    let mut failed = None;
    let mut unconfirmed = 0;
    jobs::each(conn, &fl, &mut |job| {
        if Some(shown) == limit {
            cut = true;
            return false;
        }
        shown += 1;
        if job.state == JobState::Unconfirmed {
            unconfirmed += 1;
        }
        match out.row(&job, || list_cells(&job)) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })
    .context("listing print jobs")?;
    if let Some(e) = failed {
        return Err(e);
    }
    let footer = format!(
        "{shown} job(s); finished jobs are purged after {} (PRINT_JOB_RETENTION, not configurable)",
        retention::retention_text()
    );
    out.finish(&footer)?;
    if unconfirmed > 0 {
        eprintln!(
            "warning: {unconfirmed} job(s) UNCONFIRMED: the printer may have printed them; \
             check the output tray, then `backroom jobs confirm ID... --printed` or `--reprint`"
        );
    }
    if cut {
        let total = jobs::count(conn, &fl).context("counting print jobs")?;
        eprintln!("{}", listing::more_after(total, shown));
    }
    Ok(())
}

fn list_cells(j: &Job) -> Vec<String> {
    let mut state = j.state.to_string();
    if j.state == JobState::Unconfirmed {
        state = "UNCONFIRMED (may have printed)".to_string();
    }
    if j.maybe_duplicate {
        state.push_str(" (maybe duplicate)");
    }
    vec![
        j.id.to_string(),
        local_time(&j.created_at),
        j.event.clone().unwrap_or_else(|| "-".into()),
        j.document.clone(),
        j.printer.clone().unwrap_or_else(|| "(none)".into()),
        state,
        format!("{}/{}", j.attempts, j.max_attempts),
        j.next_attempt_at
            .as_deref()
            .map(local_time)
            .unwrap_or_default(),
        j.remote_state.clone().unwrap_or_default(),
        j.last_error
            .as_deref()
            .map(|e| crate::printing::document::pdf::fit(e, 10.0, 300.0))
            .unwrap_or_default(),
    ]
}

fn show_text(j: &Job, history: &[Attempt]) -> String {
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let mut s = String::new();
    // Values with control characters escaped: an order reference or a printer's error may
    // hold a newline or an escape sequence.
    let mut field = |k: &str, v: String| {
        s.push_str(&format!("{k:<16}{}\n", crate::cli::output::visible(&v)));
    };
    field("job", j.id.to_string());
    field("uuid", j.uuid.clone());
    field("state", j.state.to_string());
    if j.state == JobState::Unconfirmed {
        field(
            "warning",
            format!(
                "UNCONFIRMED: sent before a crash, and the printer can no longer say whether it printed; \
                 check the output tray, then `backroom jobs confirm {} --printed` or `--reprint`",
                j.id
            ),
        );
    }
    if j.maybe_duplicate {
        field(
            "warning",
            "resent after a crash to a provider that cannot be asked: it may have printed twice"
                .into(),
        );
    }
    if let Some(w) = &j.warning {
        field("warning", w.clone());
    }
    field("attempts", format!("{} of {}", j.attempts, j.max_attempts));
    field(
        "next attempt",
        opt(&j.next_attempt_at.as_deref().map(local_time)),
    );
    field("last error", opt(&j.last_error));
    field(
        "printer",
        j.printer.clone().unwrap_or_else(|| "(none)".into()),
    );
    field("copies", j.copies.to_string());
    field(
        "event",
        match (&j.event_id, &j.event, &j.reference) {
            (Some(id), Some(k), Some(r)) => format!("{id} {k} {r}"),
            _ => "-".into(),
        },
    );
    field("document", format!("{} {}", j.document_id, j.document));
    field("remote ref", opt(&j.remote_ref));
    field("remote state", opt(&j.remote_state));
    if let Some(r) = j.reprint_of {
        field("reprint of", format!("job {r}"));
    }
    if let Some(h) = &j.lease_holder {
        field(
            "leased by",
            format!(
                "{h} until {}",
                opt(&j.lease_expires_at.as_deref().map(local_time))
            ),
        );
    }
    field("created", local_time(&j.created_at));
    field("finished", opt(&j.finished_at.as_deref().map(local_time)));
    s.push_str("\nattempts:\n");
    let mut rows = vec![vec![
        "#".to_string(),
        "STARTED".into(),
        "OUTCOME".into(),
        "WORKER".into(),
        "PRINTER JOB".into(),
        "ERROR".into(),
    ]];
    for (i, a) in history.iter().enumerate() {
        rows.push(vec![
            (i + 1).to_string(),
            local_time(&a.started_at),
            a.outcome.clone(),
            a.worker.clone(),
            opt(&a.remote_ref),
            match (&a.error, &a.detail) {
                (Some(e), Some(d)) if d != e => format!("{e} [{d}]"),
                (e, _) => opt(e),
            },
        ]);
    }
    s.push_str(&table(&rows));
    s
}

#[derive(Serialize)]
struct Downloaded {
    id: i64,
    path: String,
    bytes: usize,
    sha256: String,
}

fn download(
    ctx: &Context,
    conn: &rusqlite::Connection,
    id: i64,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    use crate::printing::download::{self, DownloadError};
    let path =
        download::write(conn, id, out.as_deref(), &crate::paths::downloads_dir()).map_err(|e| {
            match e {
                DownloadError::NotFound(id) => anyhow::Error::new(not_found(id)),
                other => anyhow::Error::new(other).context(format!("downloading job {id}")),
            }
        })?;
    let (_, bytes, sha) = jobs::document_of(conn, id)?.ok_or_else(|| not_found(id))?;
    eprintln!(
        "job {id}: {} bytes written to {}",
        bytes.len(),
        path.display()
    );
    crate::cli::emit(
        ctx,
        &Downloaded {
            id,
            path: path.display().to_string(),
            bytes: bytes.len(),
            sha256: sha.clone(),
        },
        || path.display().to_string(),
    )
}
