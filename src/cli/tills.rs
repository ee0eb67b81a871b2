//! `backroom tills list`: every till that reports to this server, when it last spoke, what it
//! waits for, and the silent ones first.

use crate::context::Context;
use crate::sync::fleet;
use crate::sync::status::age_text;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List every till that reported to this server, silent ones first (50 unless --limit or
    /// --all).
    List {
        #[command(flatten)]
        list: super::listing::ListArgs,
    },
}

pub async fn run(a: Args, ctx: &Context) -> anyhow::Result<()> {
    match a.command {
        Command::List { list: args } => list(ctx, &args),
    }
}

fn list(ctx: &Context, args: &super::listing::ListArgs) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let all = fleet::list(&conn)?;
    let none_at_all = all.is_empty();
    let rows = super::listing::shown::keep(&super::listing::shown::TILLS, args, all, cells)?;
    super::emit(ctx, &rows, || {
        if none_at_all {
            return "no till has reported to this server yet (tills report when they push)"
                .to_string();
        }
        let mut t = vec![
            [
                "FOLDER",
                "TILL",
                "VERSION",
                "LAST SEEN",
                "QUEUE",
                "OLDEST",
                "BATCH",
                "CLOCK",
                "STATE",
            ]
            .map(String::from)
            .to_vec(),
        ];
        t.extend(rows.iter().map(cells));
        super::output::table(&t)
    })
}

fn cells(r: &fleet::TillRow) -> Vec<String> {
    let s = &r.status;
    let state = if r.silent {
        format!(
            "SILENT (no report for {}, over 3 × {})",
            age_text(r.silent_secs),
            age_text(fleet::silent_after(s.wait_ms).as_secs() as i64 / 3)
        )
    } else if !s.blocked.is_empty() {
        format!("blocked: {}", s.blocked.join("; "))
    } else if s.waiting > 0 {
        "sending".to_string()
    } else {
        "ok".to_string()
    };
    vec![
        s.folder.clone(),
        s.till.clone(),
        s.version.clone(),
        format!("{} ago", age_text(r.silent_secs.max(0))),
        s.waiting.to_string(),
        s.oldest_age_secs
            .map(age_text)
            .unwrap_or_else(|| "-".into()),
        s.last_batch
            .map(|b| b.to_string())
            .unwrap_or_else(|| "-".into()),
        if r.clock_offset_secs.abs() > 60 {
            format!("off by {} s", r.clock_offset_secs)
        } else {
            "ok".to_string()
        },
        state,
    ]
}
