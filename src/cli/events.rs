//! `backroom events ...`: ingest an event (its document and print job commit together), list events.

use std::io::Read as _;

use anyhow::Context as _;

use crate::cli::Failure;
use crate::cli::jobs::table;
use crate::cli::output::local_time;
use crate::context::Context;
use crate::printing::EventKind;
use crate::printing::outbox::{self, OutboxError};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Ingest an event: validates the payload, renders the document, queues the print job.
    Emit {
        /// order.received, order.shipped or invoice.overdue.
        kind: String,
        /// The JSON payload (`-` reads standard input); format in the README.
        #[arg(long)]
        file: String,
        /// The caller's key for this event: sent again with the same key (after a lost
        /// answer), it is recorded and printed once.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
    },
    /// The latest events, newest first (50 unless --limit or --all).
    List {
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Emit {
            kind,
            file,
            idempotency_key,
        } => emit(ctx, &kind, &file, idempotency_key.as_deref()),
        Command::List { list: args } => {
            let view = &crate::store::views::lists::EVENTS;
            let filter = args.filter(view)?;
            let conn = ctx.open_store()?;
            let mut list =
                crate::store::printing::events(&conn, &filter, args.limit().map(|l| l + 1))
                    .context("listing events")?;
            crate::cli::listing::cut_read(&conn, view, &filter, &args, &mut list)?;
            crate::cli::emit(ctx, &list, || {
                let mut rows = vec![vec![
                    "ID".to_string(),
                    "KIND".into(),
                    "REFERENCE".into(),
                    "SOURCE".into(),
                    "JOBS".into(),
                    "CREATED".into(),
                ]];
                for e in &list {
                    rows.push(vec![
                        e.id.to_string(),
                        e.kind.clone(),
                        e.reference.clone(),
                        e.source.clone(),
                        e.jobs.to_string(),
                        local_time(&e.created_at),
                    ]);
                }
                table(&rows)
            })
        }
    }
}

/// Reads a JSON payload from a file or stdin, naming the file, line and column of a syntax error.
pub fn read_payload(file: &str) -> anyhow::Result<serde_json::Value> {
    use crate::printing::payload::MAX_PAYLOAD_BYTES;
    let too_big = |name: &str| {
        Failure::usage(format!(
            "{name}: the payload is larger than {MAX_PAYLOAD_BYTES} bytes (1 MB), the limit on the CLI as on the API; nothing was written"
        ))
    };
    let (name, text) = if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(MAX_PAYLOAD_BYTES as u64 + 1)
            .read_to_string(&mut s)
            .context("reading the payload from standard input")?;
        if s.len() > MAX_PAYLOAD_BYTES {
            return Err(too_big("standard input").into());
        }
        ("standard input".to_string(), s)
    } else {
        if std::fs::metadata(file).is_ok_and(|m| m.len() > MAX_PAYLOAD_BYTES as u64) {
            return Err(too_big(file).into());
        }
        let text = std::fs::read_to_string(file).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Failure::not_found(format!("payload file {file} does not exist"))
            } else {
                Failure::usage(format!("cannot read payload file {file}: {e}"))
            }
        })?;
        (file.to_string(), text)
    };
    serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "{name}: line {}, column {}: not valid JSON: {e}",
            e.line(),
            e.column()
        ))
        .into()
    })
}

fn emit(ctx: &Context, kind: &str, file: &str, key: Option<&str>) -> anyhow::Result<()> {
    let kind: EventKind = kind.parse().map_err(Failure::usage)?;
    let payload = read_payload(file)?;
    let mut conn = ctx.open_store()?;
    let once = outbox::ingest_once(
        &mut conn,
        kind,
        &payload,
        "cli",
        &ctx.config.store.name,
        key,
    );
    let out = match once {
        Ok(outbox::Once::New(o)) => o,
        Ok(outbox::Once::Again(earlier)) => {
            return crate::cli::emit(ctx, &earlier, || {
                format!(
                    "event {} {} {} was already recorded under this key: nothing recorded or printed again (jobs {:?})",
                    earlier.event_id, earlier.kind, earlier.reference, earlier.jobs
                )
            });
        }
        Err(OutboxError::Invalid(e)) => {
            let mut msg = format!(
                "{} payload from {file} refused, nothing was written:",
                e.kind
            );
            for f in &e.errors {
                msg.push_str(&format!("\n  {}: {}", f.field, f.reason));
            }
            return Err(Failure::usage(msg).into());
        }
        Err(e) => return Err(anyhow::Error::new(e).context("recording the event")),
    };
    if !out.dropped_fields.is_empty() {
        eprintln!(
            "warning: {} unknown field(s) dropped, not stored: {}",
            out.dropped_fields.len(),
            out.dropped_fields.join(", ")
        );
    }
    if let Some(why) = &out.skipped {
        eprintln!("event {} recorded; nothing queued: {why}", out.event_id);
    }
    for j in &out.jobs {
        match &j.last_error {
            Some(err) => eprintln!("job {} failed at once: {err}", j.id),
            None => eprintln!(
                "job {} queued on {} ({} cop{})",
                j.id,
                j.printer.as_deref().unwrap_or("?"),
                j.copies,
                if j.copies == 1 { "y" } else { "ies" }
            ),
        }
    }
    crate::cli::emit(ctx, &out, || {
        let mut s = format!("event {} {} {}\n", out.event_id, out.kind, out.reference);
        for d in &out.documents {
            s.push_str(&format!(
                "document {} {} ({} bytes, sha256 {})\n",
                d.id, d.title, d.size, d.sha256
            ));
        }
        for j in &out.jobs {
            s.push_str(&format!("job {} {}\n", j.id, j.state));
        }
        s
    })
}
