//! `backroom contacts ...`: list, show, add, import, export, template, invite, activate,
//! deactivate, reactivate, delete-identities, delete, backup.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context as _;

use super::listing::{self, ListArgs, Stream};
use super::{Failure, emit};
use crate::contacts::mail::{Delivery, Mail, Mailer};
use crate::contacts::{self, ContactError, ContactState, invite};
use crate::context::Context;
use crate::store::contacts as q;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List contacts (name, e-mail, state with ✉ when invited, company, terms accepted).
    List {
        /// Only contacts in this state: not_registered, inactive, active, deactivated.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// One contact with its login identities and jobs.
    Show {
        #[arg(add = crate::cli::complete::contacts())]
        email: String,
    },
    /// Add a contact (not registered).
    Add {
        name: String,
        email: String,
        #[arg(long)]
        company: Option<String>,
        /// Also send the invitation (needs --yes, or --dry-run to only show it).
        #[arg(long)]
        invite: bool,
        /// Send the invitation without asking.
        #[arg(long, requires = "invite")]
        yes: bool,
        /// Show the invitation without sending it.
        #[arg(long, requires = "invite", conflicts_with = "yes")]
        dry_run: bool,
    },
    /// Import contacts from CSV (any encoding and separator offices write), XLSX or ODS (all or
    /// nothing unless --skip-invalid).
    Import {
        file: PathBuf,
        /// Import the valid rows and report the others.
        #[arg(long)]
        skip_invalid: bool,
        /// Report progress on stderr every 10,000 rows (default: only when stderr is a terminal).
        #[arg(long)]
        progress: bool,
    },
    /// Write the contacts to a CSV or XLSX file that `contacts import` reads back.
    Export {
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// csv or xlsx (default: xlsx when the file ends in .xlsx, else csv).
        #[arg(long)]
        format: Option<contacts::export::Format>,
        /// CSV separator: comma, semicolon, tab or pipe.
        #[arg(long, default_value = "comma", value_parser = contacts::export::parse_separator)]
        separator: u8,
        /// CSV encoding: utf-8, utf-8-bom, windows-1252 or utf-16le.
        #[arg(long, default_value = "utf-8")]
        encoding: contacts::export::TextEncoding,
        /// Only contacts in this state: not_registered, inactive, active, deactivated.
        #[arg(long)]
        state: Option<String>,
    },
    /// Write users_template.csv (default: into the downloads dir).
    Template {
        /// A file or a folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// csv or xlsx (default: xlsx when --out ends in .xlsx, else csv).
        #[arg(long)]
        format: Option<contacts::export::Format>,
    },
    /// Send an activation request (invitation, or a new confirmation link to an inactive contact).
    Invite {
        #[arg(add = crate::cli::complete::contacts())]
        email: String,
        /// Send it (without this, the message is shown and not sent).
        #[arg(long)]
        yes: bool,
        /// Only show the message.
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
    },
    /// Allow an inactive contact to log in.
    Activate {
        #[arg(add = crate::cli::complete::contacts())]
        email: String,
    },
    /// Forbid an active contact to log in.
    Deactivate {
        #[arg(add = crate::cli::complete::contacts())]
        email: String,
    },
    /// Allow a deactivated contact to log in again (administrators only).
    Reactivate {
        #[arg(add = crate::cli::complete::contacts())]
        email: String,
    },
    /// Remove an active contact's login identities (the contact becomes not registered).
    DeleteIdentities {
        #[arg(add = crate::cli::complete::contacts())]
        email: String,
    },
    /// Delete contacts and their jobs (irreversible; refused when a job is being processed).
    Delete {
        #[arg(required = true, add = crate::cli::complete::contacts())]
        emails: Vec<String>,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
    /// Back up a contact's data as <name>.zip (default: into the downloads dir).
    Backup {
        #[arg(add = crate::cli::complete::contacts())]
        email: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Maps a domain error to the CLI's exit codes.
pub(crate) fn fail(e: ContactError) -> anyhow::Error {
    let code = match &e {
        ContactError::NotFound { .. } => super::output::NOT_FOUND,
        ContactError::WrongState { .. }
        | ContactError::DeleteBlocked(_)
        | ContactError::TokenUnknown
        | ContactError::TokenExpired { .. }
        | ContactError::TokenUsed { .. }
        | ContactError::TokenRevoked { .. }
        | ContactError::Deactivated { .. }
        | ContactError::NotAuthenticated
        | ContactError::LinkExpired { .. }
        | ContactError::LinkReplaced
        | ContactError::Limit(_) => super::output::REFUSED,
        ContactError::Duplicate { .. }
        | ContactError::InvalidEmail { .. }
        | ContactError::Required { .. }
        | ContactError::TooLong { .. }
        | ContactError::BadInput(_) => super::output::USAGE,
        ContactError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            return Failure::not_found(format!("{path}: no such file")).into();
        }
        ContactError::Store(_) | ContactError::Io { .. } => return anyhow::Error::new(e),
    };
    Failure::new(code, e.to_string()).into()
}

/// Delivers a reviewed message; an unreachable SMTP server exits 5.
pub(crate) async fn deliver(mailer: &Mailer, mail: &Mail) -> anyhow::Result<Delivery> {
    use crate::contacts::mail::MailError;
    mailer.deliver(mail).await.map_err(|e| match e {
        MailError::Smtp { .. } => Failure::unreachable(e.to_string()).into(),
        MailError::Address { .. } | MailError::BadTls(_) => Failure::usage(e.to_string()).into(),
        other => anyhow::Error::new(other),
    })
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::List { state, list: args } => list(ctx, state.as_deref(), &args),
        Command::Show { email } => show(ctx, &email),
        Command::Add {
            name,
            email,
            company,
            invite,
            yes,
            dry_run,
        } => add(ctx, &name, &email, company.as_deref(), invite, yes, dry_run).await,
        Command::Import {
            file,
            skip_invalid,
            progress,
        } => import(ctx, &file, skip_invalid, progress),
        Command::Export {
            out,
            format,
            separator,
            encoding,
            state,
        } => export(ctx, &out, format, separator, encoding, state.as_deref()),
        Command::Template { out, format } => template(ctx, out, format),
        Command::Invite {
            email,
            yes,
            dry_run,
        } => send_invitation(ctx, &email, yes, dry_run).await,
        Command::Activate { email } => transition(ctx, "activate", &email, |c, e| {
            contacts::transitions::activate(c, e)
        }),
        Command::Deactivate { email } => transition(ctx, "deactivate", &email, |c, e| {
            contacts::transitions::deactivate(c, e)
        }),
        Command::Reactivate { email } => transition(ctx, "reactivate", &email, |c, e| {
            contacts::transitions::reactivate(c, e)
        }),
        Command::DeleteIdentities { email } => {
            transition(ctx, "delete identities", &email, |c, e| {
                contacts::transitions::delete_identities(c, e)
            })
        }
        Command::Delete { emails, yes } => delete(ctx, &emails, yes),
        Command::Backup { email, out } => backup(ctx, &email, out),
    }
}

/// The contacts, only those in `state` when given.
/// `--state`, as stored or as lists print it; anything else is a usage error.
fn state_arg(state: Option<&str>) -> Result<Option<ContactState>, Failure> {
    state
        .map(|s| {
            ContactState::parse(s).ok_or_else(|| {
                Failure::usage(format!(
                    "--state {s:?} is not one of not_registered (or \"not registered\"), inactive, active, deactivated"
                ))
            })
        })
        .transpose()
}

fn contacts_in(ctx: &Context, state: Option<&str>) -> anyhow::Result<Vec<contacts::Contact>> {
    let filter = state_arg(state)?;
    let conn = ctx.open_store()?;
    Ok(q::list(&conn)?
        .into_iter()
        .filter(|c| filter.is_none_or(|f| c.state == f))
        .collect())
}

fn list(ctx: &Context, state: Option<&str>, args: &ListArgs) -> anyhow::Result<()> {
    let state = state_arg(state)?;
    let query = args.filter(&crate::store::views::CONTACTS)?;
    let conn = ctx.open_store()?;
    let limit = args.limit();
    let mut out = Stream::new(
        ctx,
        &["NAME", "E-MAIL", "STATE", "COMPANY", "TERMS ACCEPTED"],
    );
    let (mut shown, mut cut, mut failed) = (0, false, None);
    q::each(&conn, state, &query, limit.map(|l| l + 1), &mut |c| {
        if Some(shown) == limit {
            cut = true;
            return false;
        }
        shown += 1;
        let cells = || {
            vec![
                c.name.clone(),
                c.email.clone(),
                c.state_label(),
                c.company.clone().unwrap_or_default(),
                c.terms_accepted_at
                    .as_deref()
                    .map(crate::cli::output::local_time)
                    .unwrap_or_else(|| "-".into()),
            ]
        };
        match out.row(&c, cells) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if shown == 0 && !ctx.json {
        drop(out);
        println!("no contacts (add one with `backroom contacts add NAME EMAIL`, or import a CSV)");
        return Ok(());
    }
    out.finish("")?;
    if cut {
        let total = q::count_listed(&conn, state, &query)?;
        eprintln!("{}", listing::more_after(total, shown));
    }
    Ok(())
}

/// `Name <e-mail>` for a message, the name's control characters escaped (an escape sequence in a
/// name reached the terminal through every message that named the contact).
fn named(c: &contacts::Contact) -> String {
    format!("{} <{}>", super::output::visible(&c.name), c.email)
}

fn show(ctx: &Context, email: &str) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let contact = contacts::transitions::find(&conn, email).map_err(fail)?;
    let identities = q::identities(&conn, contact.id)?;
    let jobs = q::jobs_of(&conn, contact.id)?;
    let actions: Vec<&str> = contacts::transitions::actions_for(contact.state)
        .into_iter()
        .map(|a| a.name())
        .collect();
    let value = serde_json::json!({
        "contact": contact,
        "identities": identities,
        "jobs": jobs,
        "actions": actions,
    });
    emit(ctx, &value, || {
        let mut out = vec![
            format!("{} <{}>", contact.name, contact.email),
            format!(
                "company:        {}",
                contact.company.as_deref().unwrap_or("-")
            ),
            format!("state:          {}", contact.state_label()),
            format!(
                "terms accepted: {}",
                contact
                    .terms_accepted_at
                    .as_deref()
                    .map(crate::cli::output::local_time)
                    .unwrap_or_else(|| "-".into())
            ),
            format!("actions:        {}", actions.join(", ")),
            format!("identities:     {}", identities.len()),
        ];
        for i in &identities {
            out.push(format!(
                "  {} {} since {}",
                i.provider,
                i.subject,
                crate::cli::output::local_time(&i.created_at)
            ));
        }
        out.push(format!("jobs:           {}", jobs.len()));
        for j in &jobs {
            out.push(format!(
                "  #{} {:<24} {:<22} {}",
                j.id,
                j.title,
                j.state,
                contacts::links::human_size(u64::try_from(j.size_bytes).unwrap_or(0))
            ));
        }
        // One line each, control characters escaped (a name or company may hold them).
        out.iter()
            .map(|line| crate::cli::output::visible(line))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

async fn add(
    ctx: &Context,
    name: &str,
    email: &str,
    company: Option<&str>,
    with_invite: bool,
    yes: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    if with_invite && !yes && !dry_run {
        return Err(Failure::usage(
            "--invite sends an e-mail: add --yes to send it, or --dry-run to only show it (nothing was added)",
        )
        .into());
    }
    let conn = ctx.open_store()?;
    let contact = contacts::transitions::add(&conn, name, email, company).map_err(fail)?;
    drop(conn);
    if !with_invite {
        return emit(ctx, &contact, || {
            format!(
                "added {} (not registered); send the invitation with `backroom contacts invite {}`",
                named(&contact),
                contact.email
            )
        });
    }
    eprintln!("added {} (not registered)", named(&contact));
    send_invitation(ctx, &contact.email, yes, dry_run).await
}

async fn send_invitation(
    ctx: &Context,
    email: &str,
    yes: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    let mailer = Mailer::from_config(&ctx.config, &ctx.db_path);
    let conn = ctx.open_store()?;
    if !yes {
        let mail =
            invite::preview(&conn, &ctx.config, mailer.from_address(), email).map_err(fail)?;
        let value = serde_json::json!({ "sent": false, "message": mail });
        emit(ctx, &value, || {
            super::output::visible_lines(&mail.preview())
        })?;
        if dry_run {
            eprintln!("dry run: nothing sent");
            return Ok(());
        }
        return Err(Failure::usage(format!(
            "not sent: review the message above, then run `backroom contacts invite {email} --yes` to send it"
        ))
        .into());
    }
    let invitation =
        invite::prepare(&conn, &ctx.config, mailer.from_address(), email).map_err(fail)?;
    drop(conn);
    let delivery = deliver(&mailer, &invitation.mail).await?;
    let conn = ctx.open_store()?;
    invite::record(&conn, &invitation).map_err(fail)?;
    let masked = invitation.mail.body.clone();
    let value = serde_json::json!({
        "sent": true,
        "to": invitation.contact.email,
        "purpose": invitation.purpose,
        "expires_at": invitation.expires_at,
        "delivery": delivery,
    });
    emit(ctx, &value, || {
        format!(
            "{}\n\nactivation request for {} ({}): {delivery}",
            super::output::visible_lines(&redact_token(&masked)),
            invitation.contact.email,
            invitation.purpose.as_str()
        )
    })
}

/// The body with the token masked (the token is a secret once sent).
fn redact_token(body: &str) -> String {
    body.lines()
        .map(|l| match l.split_once("token=") {
            Some((head, token)) => format!("{head}token={}", crate::secret::mask(token)),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn transition(
    ctx: &Context,
    action: &str,
    email: &str,
    change: impl FnOnce(&mut rusqlite::Connection, &str) -> Result<contacts::Contact, ContactError>,
) -> anyhow::Result<()> {
    let mut conn = ctx.open_store()?;
    let contact = change(&mut conn, email).map_err(fail)?;
    emit(ctx, &contact, || {
        format!("{action}: {} is now {}", named(&contact), contact.state)
    })
}

fn import(
    ctx: &Context,
    file: &std::path::Path,
    skip_invalid: bool,
    progress: bool,
) -> anyhow::Result<()> {
    let mut conn = ctx.open_store()?;
    let show_progress = progress || std::io::stderr().is_terminal();
    let mut on_progress = |p: contacts::import::Progress| {
        if show_progress && p.rows > 0 {
            let pct = (p.bytes * 100).checked_div(p.total_bytes).unwrap_or(100);
            eprintln!("import: {} rows read ({pct}%)", p.rows);
        }
    };
    let report = contacts::import::import(&mut conn, file, skip_invalid, &mut on_progress)
        .map_err(|e| match e {
            contacts::import::ImportError::Store { .. } => anyhow::Error::new(e),
            contacts::import::ImportError::Io { file, source }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Failure::not_found(format!("{file}: no such file")).into()
            }
            other => Failure::usage(other.to_string()).into(),
        })?;
    emit(ctx, &report, || {
        if report.committed {
            let mut text = format!(
                "imported {} of {} rows from {} as not registered ({})",
                report.imported,
                report.rows,
                report.file,
                report.dialect()
            );
            if report.invalid_rows > 0 {
                text.push_str(&format!("\nskipped {} invalid rows", report.invalid_rows));
            }
            text
        } else {
            String::new()
        }
    })?;
    if report.committed {
        if !report.problems.is_empty() {
            eprintln!("{}", report.describe_problems());
        }
        return Ok(());
    }
    let mut message = format!(
        "nothing imported: {} of {} rows are invalid (read as {}; fix them, or import the others with --skip-invalid)",
        report.invalid_rows,
        report.rows,
        report.dialect()
    );
    // With --json stderr holds one JSON error: the problems go into its message.
    if ctx.json {
        message = format!("{}\n{message}", report.describe_problems());
    } else {
        eprintln!("{}", report.describe_problems());
    }
    Err(Failure::usage(message).into())
}

fn export(
    ctx: &Context,
    out: &std::path::Path,
    format: Option<contacts::export::Format>,
    separator: u8,
    encoding: contacts::export::TextEncoding,
    state: Option<&str>,
) -> anyhow::Result<()> {
    let rows = contacts_in(ctx, state)?;
    let format = format.unwrap_or_else(|| contacts::export::Format::of(out));
    let written =
        contacts::export::export(&rows, out, format, separator, encoding).map_err(fail)?;
    emit(ctx, &written, || {
        format!(
            "exported {} contacts to {}",
            written.rows,
            written.path.display()
        )
    })
}

fn template(
    ctx: &Context,
    out: Option<PathBuf>,
    format: Option<contacts::export::Format>,
) -> anyhow::Result<()> {
    let xlsx = format == Some(contacts::export::Format::Xlsx);
    let path = contacts::template::write(out.as_deref(), xlsx)
        .with_context(|| format!("writing {}", contacts::template::FILE_NAME))?;
    let value = serde_json::json!({ "path": path });
    emit(ctx, &value, || format!("wrote {}", path.display()))
}

fn delete(ctx: &Context, emails: &[String], yes: bool) -> anyhow::Result<()> {
    let mut conn = ctx.open_store()?;
    if !yes {
        let plan = contacts::delete::plan(&conn, emails).map_err(fail)?;
        let mut lines = vec!["would delete (irreversible):".to_string()];
        for c in &plan {
            let jobs = q::jobs_of(&conn, c.id)?.len();
            lines.push(format!("  {} and {jobs} job(s)", named(c)));
        }
        let refusal = "nothing deleted: add --yes to confirm";
        // With --json stderr holds one JSON error: the plan goes into its message.
        if ctx.json {
            lines.push(refusal.to_string());
            return Err(Failure::usage(lines.join("\n")).into());
        }
        eprintln!("{}", lines.join("\n"));
        return Err(Failure::usage(refusal).into());
    }
    let deleted = contacts::delete::delete(&mut conn, &ctx.db_path, emails).map_err(fail)?;
    for w in &deleted.warnings {
        eprintln!("warning: {w}");
    }
    emit(ctx, &deleted, || {
        format!(
            "deleted {} contact(s) ({}) and {} job(s)",
            deleted.contacts.len(),
            deleted.contacts.join(", "),
            deleted.jobs
        )
    })
}

fn backup(ctx: &Context, email: &str, out: Option<PathBuf>) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let dir = out.unwrap_or_else(crate::paths::downloads_dir);
    let show = std::io::stderr().is_terminal() && !ctx.json;
    let mut last = 0u64;
    let mut progress = |done: u64, total: u64| {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        if show && pct >= last + 10 {
            last = pct;
            eprintln!("backup: {pct}%");
        }
    };
    let written = contacts::backup::backup(&conn, email, &dir, &mut progress).map_err(fail)?;
    for m in &written.missing {
        eprintln!("warning: {m} is missing on disk (listed in jobs.json)");
    }
    emit(ctx, &written, || {
        format!(
            "wrote {} ({} jobs, {} entries, {})",
            written.path.display(),
            written.jobs,
            written.entries,
            contacts::links::human_size(written.file_bytes)
        )
    })
}
