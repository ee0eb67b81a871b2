//! `backroom triggers ...`: which event prints which document, on which printer, how many copies.

use anyhow::Context as _;

use crate::cli::Failure;
use crate::cli::jobs::table;
use crate::context::Context;
use crate::printing::EventKind;
use crate::printing::trigger::Trigger;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the triggers (50 unless --limit or --all).
    List {
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
    /// Change a trigger's printer or copies.
    Set {
        /// order.received, order.shipped or invoice.overdue.
        kind: String,
        /// Print on this printer.
        #[arg(long, conflicts_with = "default_printer")]
        printer: Option<String>,
        /// Print on whichever printer is the default.
        #[arg(long)]
        default_printer: bool,
        /// Copies to print (at least 1).
        #[arg(long, conflicts_with = "printer_copies")]
        copies: Option<u32>,
        /// Use the printer's own number of copies.
        #[arg(long)]
        printer_copies: bool,
    },
    /// Switch a trigger on.
    Enable { kind: String },
    /// Switch a trigger off (its events are still recorded, nothing prints).
    Disable { kind: String },
}

fn kind(s: &str) -> Result<EventKind, Failure> {
    s.parse().map_err(Failure::usage)
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    match args.command {
        Command::List { list: args } => {
            let list = crate::store::printing::triggers(&conn).context("listing triggers")?;
            let list = crate::cli::listing::shown::keep(
                &crate::cli::listing::shown::TRIGGERS,
                &args,
                list,
                cells,
            )?;
            emit_list(ctx, &list)
        }
        Command::Set {
            kind: k,
            printer,
            default_printer,
            copies,
            printer_copies,
        } => {
            let k = kind(&k)?;
            let printer_id = match (printer, default_printer) {
                (Some(name), _) => {
                    let p = crate::store::printers::by_name(&conn, &name)?.ok_or_else(|| {
                        Failure::not_found(format!(
                            "no printer named {name:?} (see `backroom printers list`)"
                        ))
                    })?;
                    Some(Some(p.id))
                }
                (None, true) => Some(None),
                (None, false) => None,
            };
            let copies = match (copies, printer_copies) {
                (Some(0), _) => return Err(Failure::usage("--copies must be at least 1").into()),
                (Some(n), _) => Some(Some(n)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            if printer_id.is_none() && copies.is_none() {
                return Err(Failure::usage(
                    "nothing to change: give --printer NAME, --default-printer, --copies N or --printer-copies",
                )
                .into());
            }
            crate::store::printing::set_trigger(&conn, k.as_str(), printer_id, copies)?;
            show_one(ctx, &conn, k)
        }
        Command::Enable { kind: k } => switch(ctx, &conn, &k, true),
        Command::Disable { kind: k } => switch(ctx, &conn, &k, false),
    }
}

fn switch(ctx: &Context, conn: &rusqlite::Connection, k: &str, on: bool) -> anyhow::Result<()> {
    let k = kind(k)?;
    crate::store::printing::set_trigger_enabled(conn, k.as_str(), on)?;
    show_one(ctx, conn, k)
}

fn show_one(ctx: &Context, conn: &rusqlite::Connection, k: EventKind) -> anyhow::Result<()> {
    let t = crate::store::printing::trigger(conn, k.as_str())?
        .ok_or_else(|| Failure::not_found(format!("no trigger for {k}")))?;
    eprintln!("trigger {k} saved");
    emit_list(ctx, std::slice::from_ref(&t))
}

fn emit_list(ctx: &Context, list: &[Trigger]) -> anyhow::Result<()> {
    crate::cli::emit(ctx, &list, || {
        let mut rows = vec![vec![
            "EVENT".to_string(),
            "DOCUMENT".into(),
            "PRINTER".into(),
            "COPIES".into(),
            "ENABLED".into(),
        ]];
        rows.extend(list.iter().map(cells));
        table(&rows)
    })
}

fn cells(t: &Trigger) -> Vec<String> {
    vec![
        t.event_kind.clone(),
        t.document.clone(),
        t.printer
            .clone()
            .unwrap_or_else(|| "(default printer)".into()),
        t.copies
            .map(|c| c.to_string())
            .unwrap_or_else(|| "(printer's)".into()),
        if t.enabled { "yes" } else { "no" }.into(),
    ]
}
