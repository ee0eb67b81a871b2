//! `backroom audit list`: the audit log of changes and refusals (administrators).

use anyhow::Context as _;
use clap::Subcommand;

use super::output::{Failure, emit, local_time, table};
use crate::context::Context;
use crate::store::audit::{self as store, Filter};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Entries, newest first: time, user (and operator), role, action, target, outcome (50
    /// unless --limit or --all).
    List {
        /// Only entries since this date or time (`2026-11-01`, RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Only this OS user or operator.
        #[arg(long)]
        user: Option<String>,
        /// Only this action (`printers.add`), or a prefix ending in `.` (`printers.`).
        #[arg(long)]
        action: Option<String>,
        #[command(flatten)]
        list: super::listing::ListArgs,
    },
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::List {
            since,
            user,
            action,
            list: args,
        } => {
            let since = since.map(|s| parse_since(&s)).transpose()?;
            let view = &crate::store::views::lists::AUDIT;
            let query = args.filter(view)?;
            let conn = ctx.open_store()?;
            let filter = Filter {
                since,
                user,
                action,
                query,
                limit: args.limit().map_or(usize::MAX, |l| l + 1),
            };
            let mut entries = store::list(&conn, &filter).context("reading the audit log")?;
            if let Some(limit) = args.limit().filter(|l| entries.len() > *l) {
                entries.truncate(limit);
                let rest =
                    store::count_more(&conn, &filter, limit).context("counting the audit log")?;
                eprintln!("{}", super::listing::more(rest));
            }
            emit(ctx, &entries, || {
                let mut rows = vec![
                    ["time", "user", "role", "action", "target", "outcome"]
                        .map(String::from)
                        .to_vec(),
                ];
                rows.extend(entries.iter().map(|e| {
                    let user = match &e.operator {
                        Some(op) => format!("{op} ({})", e.user),
                        None => e.user.clone(),
                    };
                    vec![
                        local_time(&e.time),
                        user,
                        e.role.clone(),
                        e.action.clone(),
                        e.target.clone(),
                        e.outcome.clone(),
                    ]
                }));
                table(&rows)
            })
        }
    }
}

/// `--since`: a date (local midnight, as the list shows times) or an RFC 3339 time, as the
/// sortable text the log stores.
fn parse_since(text: &str) -> anyhow::Result<String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(crate::store::to_text(t.with_timezone(&chrono::Utc)));
    }
    if let Some((from, _)) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|_| crate::store::views::fields::local_span(text))
    {
        return Ok(from);
    }
    Err(Failure::usage(format!(
        "--since {text}: expected a date like 2026-11-01 or a time like 2026-11-01T08:00:00Z"
    ))
    .into())
}
