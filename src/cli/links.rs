//! `backroom links ...`: the integration link and the generic link (settings, regenerate, send).

use chrono::NaiveDate;

use super::contacts::{deliver, fail};
use super::{Failure, emit};
use crate::contacts::links::{self, Changes, GenericLink, human_size};
use crate::contacts::mail::Mailer;
use crate::contacts::transitions::find;
use crate::context::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The integration link and the generic link with its expiry date and limits.
    Show,
    /// Make a new generic link; the old one stops working at once (administrators only).
    Regenerate,
    /// Change the generic link's expiry date and limits.
    Set {
        /// Last day the link works (YYYY-MM-DD), or `never`.
        #[arg(long)]
        expires: Option<String>,
        /// Jobs per day through the generic link.
        #[arg(long)]
        jobs_per_day: Option<u32>,
        /// Attachment size per job (e.g. 100MB).
        #[arg(long)]
        max_job_size: Option<String>,
        /// Attachment size per day (e.g. 500MB).
        #[arg(long)]
        max_day_size: Option<String>,
    },
    /// E-mail the generic link to a contact.
    Send {
        email: String,
        /// Send it (without this, the message is shown and not sent).
        #[arg(long)]
        yes: bool,
        /// Only show the message.
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
    },
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Show => {
            let conn = ctx.open_store()?;
            let link = links::load(&conn).map_err(fail)?;
            show(ctx, &link)
        }
        Command::Regenerate => {
            let conn = ctx.open_store()?;
            let link = links::regenerate(&conn).map_err(fail)?;
            eprintln!("the previous generic link no longer works");
            show(ctx, &link)
        }
        Command::Set {
            expires,
            jobs_per_day,
            max_job_size,
            max_day_size,
        } => {
            let size = |flag: &str, v: Option<String>| -> anyhow::Result<Option<u64>> {
                v.map(|t| {
                    links::parse_size(&t).map_err(|e| Failure::usage(format!("{flag}: {e}")).into())
                })
                .transpose()
            };
            let changes = Changes {
                expires_on: expires.map(|e| parse_expiry(&e)).transpose()?,
                jobs_per_day,
                max_job_bytes: size("--max-job-size", max_job_size)?,
                max_day_bytes: size("--max-day-size", max_day_size)?,
            };
            let conn = ctx.open_store()?;
            let link = links::set(&conn, &changes).map_err(fail)?;
            show(ctx, &link)
        }
        Command::Send {
            email,
            yes,
            dry_run,
        } => send(ctx, &email, yes, dry_run).await,
    }
}

fn parse_expiry(text: &str) -> anyhow::Result<Option<NaiveDate>> {
    if text.eq_ignore_ascii_case("never") || text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            Failure::usage(format!(
                "--expires {text:?}: expected a date YYYY-MM-DD, or never"
            ))
            .into()
        })
}

fn show(ctx: &Context, link: &GenericLink) -> anyhow::Result<()> {
    let integration = links::integration_url(&ctx.config);
    let generic = link.url(&ctx.config);
    let value = serde_json::json!({
        "integration_link": integration,
        "generic_link": generic,
        "expires_on": link.expires_on,
        "jobs_per_day": link.jobs_per_day,
        "max_job_bytes": link.max_job_bytes,
        "max_day_bytes": link.max_day_bytes,
        "regenerated_at": link.regenerated_at,
    });
    emit(ctx, &value, || {
        format!(
            "integration link:      {integration}\n\
             generic link:          {generic}\n\
             link expires:          {}\n\
             jobs per day:          {}\n\
             size per job:          {}\n\
             size per day:          {}",
            link.expires_on
                .map(|d| format!("after {d}"))
                .unwrap_or_else(|| "never".into()),
            link.jobs_per_day,
            human_size(link.max_job_bytes),
            human_size(link.max_day_bytes),
        )
    })
}

async fn send(ctx: &Context, email: &str, yes: bool, dry_run: bool) -> anyhow::Result<()> {
    let mailer = Mailer::from_config(&ctx.config, &ctx.db_path);
    let mail = {
        let conn = ctx.open_store()?;
        let contact = find(&conn, email).map_err(fail)?;
        let link = links::load(&conn).map_err(fail)?;
        links::mail(&ctx.config, mailer.from_address(), &contact, &link)
    };
    if !yes {
        let value = serde_json::json!({ "sent": false, "message": mail });
        emit(ctx, &value, || mail.preview())?;
        if dry_run {
            eprintln!("dry run: nothing sent");
            return Ok(());
        }
        return Err(Failure::usage(format!(
            "not sent: review the message above, then run `backroom links send {email} --yes` to send it"
        ))
        .into());
    }
    let delivery = deliver(&mailer, &mail).await?;
    let value = serde_json::json!({ "sent": true, "to": mail.to, "delivery": delivery });
    emit(ctx, &value, || {
        format!("generic link for {}: {delivery}", mail.to)
    })
}
