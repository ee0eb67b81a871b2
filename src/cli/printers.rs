//! `backroom printers ...`: printer configurations, the default printer, checks, test pages and
//! the store's printing switch.

use anyhow::Context as _;
use serde::Serialize;
use std::io::IsTerminal as _;

use crate::cli::{Failure, emit};
use crate::context::Context;
use crate::net::print::SendError;
use crate::printing::OnUnknown;
use crate::printing::printer::{
    validate_api_key, validate_copies, validate_name, validate_target, validate_tray,
};
use crate::printing::{Printer, PrinterError, Provider};
use crate::store::printers::{self as store, ChangeError, NewPrinter, PrinterEdit};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a printer configuration (the first one becomes the default).
    Add(AddArgs),
    /// List the printer configurations (50 unless --limit or --all).
    List {
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
    /// Show one printer configuration (the API key masked).
    Show {
        #[arg(add = crate::cli::complete::printers())]
        name: String,
    },
    /// Make a printer the default (the flag moves in one transaction).
    SetDefault {
        #[arg(add = crate::cli::complete::printers())]
        name: String,
    },
    /// Remove a printer; removing the default needs --successor.
    Remove {
        #[arg(add = crate::cli::complete::printers())]
        name: String,
        /// The printer that becomes the default when NAME is the default.
        #[arg(long, value_name = "NAME")]
        successor: Option<String>,
    },
    /// Change a printer's target, API key, tray, copies or enabled flag.
    Edit(EditArgs),
    /// Ask the printer whether it is there and ready, and which trays it offers.
    Check {
        #[arg(add = crate::cli::complete::printers())]
        name: String,
    },
    /// Print a one-page test PDF straight through the printer's provider.
    TestPage {
        #[arg(add = crate::cli::complete::printers())]
        name: String,
    },
    /// Switch printing on for the store (admin).
    Enable,
    /// Switch printing off for the store: no job is sent until it is switched on (admin).
    Disable,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    pub name: String,
    /// ipp, raw, printnode or spool.
    #[arg(long)]
    pub provider: String,
    /// ipp: ipp://host[:port]/path; raw: host[:port]; printnode: printer id or
    /// https://API/printers/ID; spool: an existing folder.
    #[arg(long)]
    pub target: String,
    /// PrintNode API key (`-` reads it from stdin).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Tray (IPP media-source, e.g. main, manual, tray-2; PrintNode bin name).
    #[arg(long)]
    pub tray: Option<String>,
    #[arg(long, default_value_t = 1)]
    pub copies: u32,
    /// Make it the default printer.
    #[arg(long)]
    pub default: bool,
    /// Add it switched off (jobs are not sent to it).
    #[arg(long)]
    pub disabled: bool,
    /// A job the printer can no longer account for after a crash: ask (becomes unconfirmed, a
    /// person decides; the IPP default) or resend (flagged maybe-duplicate; the others' default).
    #[arg(long, value_name = "ask|resend")]
    pub on_unknown: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct EditArgs {
    #[arg(add = crate::cli::complete::printers())]
    pub name: String,
    #[arg(long)]
    pub target: Option<String>,
    /// PrintNode API key (`-` reads it from stdin).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    #[arg(long, conflicts_with = "no_tray")]
    pub tray: Option<String>,
    /// Use the printer's default tray.
    #[arg(long)]
    pub no_tray: bool,
    #[arg(long)]
    pub copies: Option<u32>,
    /// Switch the printer on.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Switch the printer off (jobs are not sent to it).
    #[arg(long)]
    pub disable: bool,
    /// A job the printer can no longer account for: ask (a person decides) or resend (flagged
    /// maybe-duplicate); `default` goes back to the provider's default.
    #[arg(long, value_name = "ask|resend|default")]
    pub on_unknown: Option<String>,
}

/// A printer as the CLI shows it: the API key masked.
#[derive(Debug, Serialize)]
pub struct PrinterView {
    pub id: i64,
    pub name: String,
    pub provider: Provider,
    pub target: String,
    pub api_key: Option<String>,
    pub tray: Option<String>,
    pub copies: u32,
    pub enabled: bool,
    pub default: bool,
    pub created_at: String,
    /// ask or resend: what happens to a job this printer can no longer account for.
    pub on_unknown: OnUnknown,
}

impl From<&Printer> for PrinterView {
    fn from(p: &Printer) -> Self {
        PrinterView {
            id: p.id,
            name: p.name.clone(),
            provider: p.provider,
            target: p.target.clone(),
            api_key: p.api_key_masked(),
            tray: p.tray.clone(),
            copies: p.copies,
            enabled: p.enabled,
            default: p.is_default,
            created_at: p.created_at.clone(),
            on_unknown: p.on_unknown(),
        }
    }
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Add(a) => add(a, ctx),
        Command::List { list: args } => list(ctx, &args),
        Command::Show { name } => show(&name, ctx),
        Command::SetDefault { name } => set_default(&name, ctx),
        Command::Remove { name, successor } => remove(&name, successor.as_deref(), ctx),
        Command::Edit(a) => edit(a, ctx),
        Command::Check { name } => check(&name, ctx).await,
        Command::TestPage { name } => test_page(&name, ctx).await,
        Command::Enable => switch(true, ctx),
        Command::Disable => switch(false, ctx),
    }
}

fn invalid(e: PrinterError) -> anyhow::Error {
    Failure::usage(e.to_string()).into()
}

fn refused(e: ChangeError) -> anyhow::Error {
    match e {
        ChangeError::NotFound(_) | ChangeError::SuccessorNotFound(_) => {
            Failure::not_found(e.to_string()).into()
        }
        ChangeError::SuccessorRequired { .. } | ChangeError::NameTaken(_) => {
            Failure::refused(e.to_string()).into()
        }
        ChangeError::SuccessorIsSelf(_) | ChangeError::SuccessorNotNeeded(_) => {
            Failure::usage(e.to_string()).into()
        }
        ChangeError::Sql(e) => anyhow::Error::new(e).context("updating the printers"),
    }
}

fn find(conn: &rusqlite::Connection, name: &str) -> anyhow::Result<Printer> {
    store::by_name(conn, name)
        .context("reading the printers")?
        .ok_or_else(|| {
            Failure::not_found(format!(
                "no printer named {name:?} (see `backroom printers list`)"
            ))
            .into()
        })
}

/// `--api-key -` reads the key from stdin, so it stays out of the shell history.
fn api_key_arg(key: Option<String>) -> anyhow::Result<Option<String>> {
    match key.as_deref() {
        Some("-") => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the API key from stdin")?;
            Ok(Some(line.trim().to_string()).filter(|k| !k.is_empty()))
        }
        Some(k) => Ok(Some(k.trim().to_string()).filter(|k| !k.is_empty())),
        None => Ok(None),
    }
}

fn add(a: AddArgs, ctx: &Context) -> anyhow::Result<()> {
    let provider: Provider = a.provider.parse().map_err(Failure::usage)?;
    validate_name(&a.name).map_err(invalid)?;
    let target = validate_target(provider, &a.target).map_err(invalid)?;
    let api_key = api_key_arg(a.api_key)?;
    validate_api_key(provider, api_key.as_deref()).map_err(invalid)?;
    validate_copies(a.copies).map_err(invalid)?;
    if let Some(t) = &a.tray {
        validate_tray(t).map_err(invalid)?;
    }
    let on_unknown = a
        .on_unknown
        .as_deref()
        .map(str::parse::<OnUnknown>)
        .transpose()
        .map_err(Failure::usage)?;
    let mut conn = ctx.open_store()?;
    let printer = store::add(
        &mut conn,
        &NewPrinter {
            name: a.name,
            provider,
            target,
            api_key,
            tray: a.tray,
            copies: a.copies,
            enabled: !a.disabled,
            make_default: a.default,
        },
    )
    .map_err(refused)?;
    if on_unknown.is_some() {
        store::set_on_unknown(&conn, printer.id, on_unknown).context("setting --on-unknown")?;
    }
    let printer = find(&conn, &printer.name)?;
    tracing::info!(printer = %printer.name, provider = %printer.provider, "printer added");
    let view = PrinterView::from(&printer);
    emit(ctx, &view, || {
        let default = if printer.is_default {
            " (the default printer)"
        } else {
            ""
        };
        format!("added printer {}{default}", printer.name)
    })
}

fn list(ctx: &Context, args: &crate::cli::listing::ListArgs) -> anyhow::Result<()> {
    let view = &crate::store::views::PRINTERS;
    let filter = args.filter(view)?;
    let conn = ctx.open_store()?;
    let mut printers = store::list(&conn).context("reading the printers")?;
    let none_at_all = printers.is_empty();
    if !filter.is_empty() {
        let query = crate::store::views::Query {
            filter,
            ..crate::store::views::Query::new(view)
        };
        let kept: std::collections::HashSet<i64> = crate::store::views::ids(&conn, view, &query)
            .context("filtering the printers")?
            .into_iter()
            .collect();
        printers.retain(|p| kept.contains(&p.id));
    }
    if let Some(limit) = args.limit().filter(|l| printers.len() > *l) {
        let rest = (printers.len() - limit) as u64;
        printers.truncate(limit);
        eprintln!(
            "{}",
            crate::cli::listing::more(crate::store::counts::Count::exact(rest))
        );
    }
    let enabled = store::printing_enabled(&conn).context("reading the printing switch")?;
    if !enabled {
        eprintln!(
            "printing is switched off for this store: no job is sent (switch it on with `backroom printers enable`)"
        );
    }
    if none_at_all {
        eprintln!(
            "no printer: print jobs fail with \"no default printer\" (add one with `backroom printers add`)"
        );
    }
    let views: Vec<PrinterView> = printers.iter().map(PrinterView::from).collect();
    emit(ctx, &views, || table(&printers))
}

fn table(printers: &[Printer]) -> String {
    let rows: Vec<[String; 6]> = printers
        .iter()
        .map(|p| {
            [
                format!("{}{}", if p.is_default { "* " } else { "  " }, p.name),
                p.provider.to_string(),
                p.target.clone(),
                p.tray.clone().unwrap_or_else(|| "-".into()),
                p.copies.to_string(),
                if p.enabled { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect();
    let header = ["  NAME", "PROVIDER", "TARGET", "TRAY", "COPIES", "ENABLED"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    std::iter::once(&header)
        .chain(rows.iter())
        .map(|r| {
            r.iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn details(p: &Printer) -> String {
    let mut lines = vec![
        format!("name:      {}", p.name),
        format!("provider:  {}", p.provider),
        format!("target:    {}", p.target),
    ];
    if p.provider == Provider::PrintNode {
        lines.push(format!(
            "api key:   {}",
            crate::secret::mask_opt(p.api_key.as_deref())
        ));
    }
    lines.extend([
        format!(
            "tray:      {}",
            p.tray.as_deref().unwrap_or("(printer default)")
        ),
        format!("copies:    {}", p.copies),
        format!("enabled:   {}", if p.enabled { "yes" } else { "no" }),
        format!(
            "on unknown: {} ({})",
            p.on_unknown(),
            match p.on_unknown() {
                OnUnknown::Ask => "a job it cannot account for waits for a person",
                OnUnknown::Resend =>
                    "a job it cannot account for is resent, flagged maybe-duplicate",
            }
        ),
        format!("default:   {}", if p.is_default { "yes" } else { "no" }),
        format!(
            "created:   {}",
            crate::cli::output::local_time(&p.created_at)
        ),
    ]);
    lines.join("\n")
}

fn show(name: &str, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let p = find(&conn, name)?;
    emit(ctx, &PrinterView::from(&p), || details(&p))
}

fn set_default(name: &str, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open_store()?;
    let p = store::set_default(&mut conn, name).map_err(refused)?;
    tracing::info!(printer = %p.name, "default printer set");
    if !p.enabled {
        eprintln!(
            "note: {} is switched off; jobs for the default printer wait until it is switched on (`backroom printers edit {} --enable`)",
            p.name, p.name
        );
    }
    emit(ctx, &PrinterView::from(&p), || {
        format!("{} is now the default printer", p.name)
    })
}

fn remove(name: &str, successor: Option<&str>, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open_store()?;
    // A printer with a long history lets its finished jobs go in batches first (seconds for
    // hundreds of thousands): say how far, as the backup and the import do.
    let show = std::io::stderr().is_terminal() && !ctx.json;
    let mut last = 0u64;
    let mut progress = |done: u64, total: u64| {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        if show && total >= PROGRESS_FROM && pct >= last + 10 {
            last = pct;
            eprintln!("removing {name}: {done} of its {total} finished print jobs let go ({pct}%)");
        }
    };
    let removed = store::remove_with(&mut conn, name, successor, &mut progress).map_err(refused)?;
    tracing::info!(printer = %name, "printer removed");
    if removed.jobs_to_default > 0 || removed.triggers_to_default > 0 {
        eprintln!(
            "{} unfinished print job(s) and {} trigger(s) that used {name} now use the default printer",
            removed.jobs_to_default, removed.triggers_to_default
        );
    }
    if removed.none_left {
        eprintln!(
            "no printer left: print jobs will fail with \"no default printer\" until one is added"
        );
    }
    emit(ctx, &removed, || match &removed.new_default {
        Some(next) => format!("removed printer {name}; {next} is now the default printer"),
        None => format!("removed printer {name}"),
    })
}

/// Finished jobs from which the removal of a printer reports its progress.
const PROGRESS_FROM: u64 = 10_000;

fn edit(a: EditArgs, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let p = find(&conn, &a.name)?;
    let target = a
        .target
        .as_deref()
        .map(|t| validate_target(p.provider, t))
        .transpose()
        .map_err(invalid)?;
    let api_key = api_key_arg(a.api_key)?;
    if api_key.is_some() {
        validate_api_key(p.provider, api_key.as_deref()).map_err(invalid)?;
    }
    if let Some(c) = a.copies {
        validate_copies(c).map_err(invalid)?;
    }
    if let Some(t) = &a.tray {
        validate_tray(t).map_err(invalid)?;
    }
    let change = PrinterEdit {
        target,
        api_key: api_key.map(Some),
        tray: if a.no_tray {
            Some(None)
        } else {
            a.tray.map(Some)
        },
        copies: a.copies,
        enabled: match (a.enable, a.disable) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    };
    let on_unknown = match a.on_unknown.as_deref() {
        None => None,
        Some("default") => Some(None),
        Some(v) => Some(Some(v.parse::<OnUnknown>().map_err(Failure::usage)?)),
    };
    let fields = change.target.is_some()
        || change.api_key.is_some()
        || change.tray.is_some()
        || change.copies.is_some()
        || change.enabled.is_some();
    if !fields && on_unknown.is_none() {
        return Err(Failure::usage(
            "nothing to change: give --target, --api-key, --tray/--no-tray, --copies, --enable, --disable or --on-unknown",
        )
        .into());
    }
    if fields {
        store::edit(&conn, &a.name, &change).map_err(refused)?;
    }
    if let Some(policy) = on_unknown {
        store::set_on_unknown(&conn, p.id, policy).context("setting --on-unknown")?;
    }
    let p = find(&conn, &a.name)?;
    tracing::info!(printer = %p.name, "printer edited");
    emit(ctx, &PrinterView::from(&p), || details(&p))
}

async fn check(name: &str, ctx: &Context) -> anyhow::Result<()> {
    let printer = {
        let conn = ctx.open_store()?;
        find(&conn, name)?
    };
    let report = crate::printing::check::check(&printer).await;
    emit(ctx, &report, || report.summary())?;
    if !report.reachable {
        return Err(Failure::unreachable(format!(
            "check of {} failed: {}",
            printer.name, report.detail
        ))
        .into());
    }
    if !report.ready {
        return Err(Failure::unreachable(format!(
            "{} answers but is not ready: {}",
            printer.name,
            report.summary()
        ))
        .into());
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct TestPageSent {
    printer: String,
    remote_ref: Option<String>,
}

async fn test_page(name: &str, ctx: &Context) -> anyhow::Result<()> {
    // Paper comes out of a real printer: a change to the world, refused read-only.
    let printer = {
        let conn = ctx.open_store()?;
        find(&conn, name)?
    };
    if !printer.enabled {
        eprintln!(
            "note: {} is switched off for print jobs; the test page is sent anyway",
            printer.name
        );
    }
    match crate::printing::test_page::print(&printer).await {
        Ok(accepted) => {
            tracing::info!(printer = %printer.name, "test page sent");
            let sent = TestPageSent {
                printer: printer.name.clone(),
                remote_ref: accepted.remote_ref,
            };
            emit(ctx, &sent, || match &sent.remote_ref {
                Some(r) => format!("test page sent to {} (remote job {r})", sent.printer),
                None => format!("test page sent to {}", sent.printer),
            })
        }
        Err(SendError::Retryable(e)) => Err(Failure::unreachable(format!(
            "test page to {} not sent (try again later): {e}",
            printer.name
        ))
        .into()),
        Err(SendError::InDoubt(e)) => Err(Failure::unreachable(format!(
            "test page to {}: no answer, it may have printed (check the tray before trying again): {e}",
            printer.name
        ))
        .into()),
        Err(SendError::Permanent(e)) => {
            Err(Failure::unreachable(format!("test page to {} refused: {e}", printer.name)).into())
        }
    }
}

#[derive(Debug, Serialize)]
struct PrintingSwitch {
    printing_enabled: bool,
}

fn switch(on: bool, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    store::set_printing_enabled(&conn, on).context("saving the printing switch")?;
    tracing::info!(enabled = on, operator = %ctx.operator, "printing switched");
    emit(
        ctx,
        &PrintingSwitch {
            printing_enabled: on,
        },
        || {
            if on {
                "printing is switched on".to_string()
            } else {
                "printing is switched off: no job is sent until `backroom printers enable`"
                    .to_string()
            }
        },
    )
}
