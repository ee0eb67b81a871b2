//! The contacts pane: print-shop customers with their state, invitation and terms acceptance,
//! and its actions. The rules are the domain's (`crate::contacts`); this file only asks, shows and
//! reviews. `a` offers just the actions valid for the selected contact.

use std::sync::atomic::Ordering;

use rusqlite::Connection;

use super::{Needs, Notice, RowAction, Selection};
use crate::contacts::links::{self, GenericLink, Limit, human_size};
use crate::contacts::mail::{Mail, Mailer};
use crate::contacts::transitions::{self, Action};
use crate::contacts::{self, ContactState};
use crate::context::Context;
use crate::tui::effect::Effect;
use crate::tui::popups::{Field, Form, Review};
use crate::worker::Notification;

/// The words of this pane.
mod s {
    pub const ACTIONS: &str = "Choose among the actions valid for the selected contact";
    pub const ADD: &str = "Add a contact (and send the invitation)";
    pub const INVITE: &str = "Send an activation request (e-mail reviewed before sending)";
    pub const ACTIVATE: &str = "Activate the contact (inactive only)";
    pub const DEACTIVATE: &str = "Deactivate the contact (active only)";
    pub const REACTIVATE: &str = "Reactivate the contact (deactivated only, administrators)";
    pub const DELETE_IDENTITIES: &str = "Delete the login identities (active only)";
    pub const DELETE: &str = "Delete the marked contacts and their jobs (confirmed)";
    pub const IMPORT: &str = "Import contacts from a CSV, XLSX or ODS file";
    pub const TEMPLATE: &str =
        "Write users_template.csv and users_template.xlsx into the downloads folder";
    pub const BACKUP: &str = "Back up the contact's data as a ZIP in the downloads folder";
    pub const COPY_LINK: &str = "Copy the integration link (OSC 52)";
    pub const COPY_GENERIC: &str = "Copy the generic link (OSC 52)";
    pub const SEND_LINK: &str = "E-mail the generic link to the selected contact";
    pub const REGENERATE: &str = "Regenerate the generic link (the old one stops working)";
    pub const LINK_SETTINGS: &str = "Edit the generic link's expiry date and limits";
    pub const NEXT_LIMIT: &str = "Choose the generic-link limit that + and - change";
    pub const MORE: &str = "Raise the chosen generic-link limit";
    pub const LESS: &str = "Lower the chosen generic-link limit";
    pub const TERMS: &str = "Upload new terms of service (resets every acceptance)";
    pub const NO_ACTION: &str = "no action is valid for this contact except delete (d)";
    pub const READING: &str = "Reading the contact";

    /// The question before a one-way action: title, lines, and the confirm button.
    pub fn one_way(
        action: super::Action,
        name: &str,
        email: &str,
    ) -> (String, Vec<String>, String) {
        let (verb, what) = match action {
            super::Action::Deactivate => (
                "Deactivate",
                "The contact can no longer sign in nor send jobs.",
            ),
            _ => (
                "Delete the login identities of",
                "The contact goes back to not registered and must be invited again.",
            ),
        };
        (
            format!("{verb} {name}?"),
            vec![format!("{verb} {name} ({email})?"), what.to_string()],
            format!("{verb} {name}"),
        )
    }

    /// The confirmation that names the contact a reactivation is for.
    pub fn reactivate_question(name: &str, email: &str) -> String {
        format!("Reactivate {name} ({email})? Their access key and jobs work again.")
    }
}

/// Row actions of the contacts pane.
pub static ACTIONS: &[RowAction] = &[
    action(
        "actions",
        s::ACTIONS,
        "contacts.list",
        Needs::Row,
        actions_menu,
    ),
    action("add", s::ADD, "contacts.add", Needs::Nothing, add),
    action("invite", s::INVITE, "contacts.invite", Needs::Row, invite),
    action(
        "activate",
        s::ACTIVATE,
        "contacts.activate",
        Needs::Row,
        activate,
    ),
    action(
        "deactivate",
        s::DEACTIVATE,
        "contacts.deactivate",
        Needs::Row,
        deactivate,
    ),
    action(
        "reactivate",
        s::REACTIVATE,
        "contacts.reactivate",
        Needs::Row,
        reactivate,
    ),
    action(
        "delete_identities",
        s::DELETE_IDENTITIES,
        "contacts.delete-identities",
        Needs::Row,
        delete_identities,
    ),
    action("delete", s::DELETE, "contacts.delete", Needs::Rows, delete),
    action(
        "import",
        s::IMPORT,
        "contacts.import",
        Needs::Nothing,
        import,
    ),
    action(
        "template",
        s::TEMPLATE,
        "contacts.template",
        Needs::Nothing,
        template,
    ),
    action("backup", s::BACKUP, "contacts.backup", Needs::Row, backup),
    action(
        "copy_link",
        s::COPY_LINK,
        "links.show",
        Needs::Nothing,
        copy_link,
    ),
    action(
        "copy_generic_link",
        s::COPY_GENERIC,
        "links.show",
        Needs::Nothing,
        copy_generic,
    ),
    action(
        "send_link",
        s::SEND_LINK,
        "links.send",
        Needs::Row,
        send_link,
    ),
    action(
        "regenerate_link",
        s::REGENERATE,
        "links.regenerate",
        Needs::Nothing,
        regenerate,
    ),
    action(
        "link_settings",
        s::LINK_SETTINGS,
        "links.set",
        Needs::Nothing,
        link_settings,
    ),
    action(
        "next_limit",
        s::NEXT_LIMIT,
        "links.show",
        Needs::Nothing,
        next_limit,
    ),
    action("limit_up", s::MORE, "links.set", Needs::Nothing, limit_up),
    action(
        "limit_down",
        s::LESS,
        "links.set",
        Needs::Nothing,
        limit_down,
    ),
    action(
        "upload_terms",
        s::TERMS,
        "terms.upload",
        Needs::Nothing,
        upload_terms,
    ),
];

const fn action(
    name: &'static str,
    description: &'static str,
    policy: &'static str,
    needs: Needs,
    run: fn(&Selection<'_>) -> Effect,
) -> RowAction {
    RowAction {
        name,
        description,
        policy,
        needs,
        run,
    }
}

/// The generic-link limit `+` and `-` change, from the session's focus (cycled with
/// `next_limit`, kept in [`crate::context::Context::link_focus`]).
fn focused_limit(focus: u8) -> Limit {
    match focus {
        1 => Limit::MaxJobSize,
        2 => Limit::MaxDaySize,
        _ => Limit::JobsPerDay,
    }
}

fn session_limit(ctx: &crate::context::Context) -> Limit {
    focused_limit(ctx.link_focus.load(Ordering::Relaxed))
}

/// The links above the table; the limit `+`/`-` change is in brackets.
pub fn notices(conn: &Connection, link_focus: u8) -> rusqlite::Result<Vec<Notice>> {
    let link = match links::load(conn) {
        Ok(l) => l,
        Err(contacts::ContactError::Store(e)) => return Err(e),
        Err(e) => return Ok(vec![Notice::warning(e.to_string())]),
    };
    Ok(vec![Notice::info(link_line(
        &link,
        focused_limit(link_focus),
    ))])
}

/// `Generic link …/g/1a2b… · expires never · [5 jobs/day] · 100 MB/job · 500 MB/day`.
pub fn link_line(link: &GenericLink, focus: Limit) -> String {
    let mark = |limit: Limit, text: String| {
        if limit == focus {
            format!("[{text}]")
        } else {
            text
        }
    };
    let token: String = link.token.chars().take(6).collect();
    format!(
        "Generic link …/g/{token}… · expires {} · {} · {} · {} (L chooses, + / - change)",
        link.expires_on
            .map(|d| format!("after {d}"))
            .unwrap_or_else(|| "never".into()),
        mark(Limit::JobsPerDay, format!("{} jobs/day", link.jobs_per_day)),
        mark(
            Limit::MaxJobSize,
            format!("{}/job", human_size(link.max_job_bytes))
        ),
        mark(
            Limit::MaxDaySize,
            format!("{}/day", human_size(link.max_day_bytes))
        ),
    )
}

pub fn on_notification(_n: &Notification) -> Option<Effect> {
    None
}

/// The selected contact's e-mail and state.
fn selected(sel: &Selection<'_>) -> Option<(String, Option<ContactState>)> {
    let email = sel.cell("email")?.to_string();
    let state = sel
        .cell("state")
        .and_then(|t| ContactState::parse(&t.replace(' ', "_")));
    Some((email, state))
}

fn actions_menu(sel: &Selection<'_>) -> Effect {
    let Some((email, Some(state))) = selected(sel) else {
        return Effect::None;
    };
    let valid = transitions::actions_for(state);
    if valid.is_empty() {
        return Effect::info(s::NO_ACTION);
    }
    let names: Vec<&str> = valid.iter().map(|a| a.name()).collect();
    let ctx = sel.ctx.clone();
    let title = format!("Actions for {email} ({state})");
    Effect::Form(
        Form::new(&title)
            .field(
                Field::choice("action", "Action", &names)
                    .hint("left/right to choose, enter to run"),
            )
            .on_submit(move |v| {
                let chosen = Action::ALL
                    .into_iter()
                    .find(|a| a.name() == v.get("action"));
                match chosen {
                    Some(Action::SendActivationRequest) => invite_email(ctx, email),
                    Some(Action::Activate) => change(&ctx, email, Action::Activate),
                    Some(Action::Deactivate) => change(&ctx, email, Action::Deactivate),
                    Some(Action::Reactivate) => confirm_reactivate(&ctx, email),
                    Some(Action::DeleteIdentities) => change(&ctx, email, Action::DeleteIdentities),
                    None => Effect::None,
                }
            }),
    )
}

fn change(ctx: &Context, email: String, action: Action) -> Effect {
    let policy = match action {
        Action::Activate => "contacts.activate",
        Action::Deactivate => "contacts.deactivate",
        Action::Reactivate => "contacts.reactivate",
        Action::DeleteIdentities => "contacts.delete-identities",
        Action::SendActivationRequest => "contacts.invite",
    };
    if let Err(e) = ctx.may(policy) {
        return Effect::error(e.to_string());
    }
    if one_way(action) {
        // Asked first, naming the contact: "Deactivate Clara Weber (clara.weber@…)?"
        return Effect::db_then(s::READING, move |conn, _| {
            let c = transitions::find(conn, &email)?;
            let (title, lines, button) = s::one_way(action, &c.name, &c.email);
            Ok(Effect::confirm(title, lines, button, apply(email, action)))
        });
    }
    apply(email, action)
}

/// Actions with no way back from the console: they are confirmed first.
fn one_way(action: Action) -> bool {
    matches!(action, Action::Deactivate | Action::DeleteIdentities)
}

fn apply(email: String, action: Action) -> Effect {
    Effect::db(format!("{} {email}", action.name()), move |conn| {
        let contact = match action {
            Action::Activate => transitions::activate(conn, &email)?,
            Action::Deactivate => transitions::deactivate(conn, &email)?,
            Action::Reactivate => transitions::reactivate(conn, &email)?,
            Action::DeleteIdentities => transitions::delete_identities(conn, &email)?,
            Action::SendActivationRequest => transitions::find(conn, &email)?,
        };
        Ok(format!("{} is now {}", contact.email, contact.state))
    })
}

fn activate(sel: &Selection<'_>) -> Effect {
    with_email(sel, |email| change(sel.ctx, email, Action::Activate))
}

fn deactivate(sel: &Selection<'_>) -> Effect {
    with_email(sel, |email| change(sel.ctx, email, Action::Deactivate))
}

fn reactivate(sel: &Selection<'_>) -> Effect {
    with_email(sel, |email| confirm_reactivate(sel.ctx, email))
}

/// Asks, naming the contact, then reactivates (administrators only).
fn confirm_reactivate(ctx: &Context, email: String) -> Effect {
    if let Err(e) = ctx.may("contacts.reactivate") {
        return Effect::error(e.to_string());
    }
    let ctx = ctx.clone();
    Effect::db_then("Reading the contact", move |conn, _| {
        let contact = transitions::find(conn, &email)?;
        Action::Reactivate.check(&contact)?;
        Ok(Effect::confirm(
            "Reactivate contact",
            vec![s::reactivate_question(&contact.name, &contact.email)],
            "Reactivate",
            change(&ctx, contact.email, Action::Reactivate),
        ))
    })
}

fn delete_identities(sel: &Selection<'_>) -> Effect {
    with_email(sel, |email| {
        change(sel.ctx, email, Action::DeleteIdentities)
    })
}

fn with_email(sel: &Selection<'_>, f: impl FnOnce(String) -> Effect) -> Effect {
    match selected(sel) {
        Some((email, _)) => f(email),
        None => Effect::None,
    }
}

fn add(sel: &Selection<'_>) -> Effect {
    let ctx = sel.ctx.clone();
    Effect::Form(
        Form::new("Add contact")
            .field(Field::text("name", "Name").required())
            .field(
                Field::text("email", "E-mail")
                    .required()
                    .validate(|v| contacts::email::check(v.trim())),
            )
            .field(Field::text("company", "Company").hint("optional"))
            .field(Field::choice(
                "invite",
                "Send the invitation",
                &["yes", "no"],
            ))
            .on_submit(move |v| {
                let (name, email, company) = (
                    v.get("name").to_string(),
                    v.get("email").trim().to_string(),
                    v.opt("company"),
                );
                let then_invite = v.get("invite") == "yes";
                Effect::db_then("Adding the contact", move |conn, _| {
                    let c = transitions::add(conn, &name, &email, company.as_deref())?;
                    let added =
                        Effect::info(format!("added {} <{}> (not registered)", c.name, c.email));
                    Ok(if then_invite {
                        Effect::All(vec![
                            added,
                            Effect::Reload,
                            invitation_review(conn, ctx, &c.email)?,
                        ])
                    } else {
                        Effect::All(vec![added, Effect::Reload])
                    })
                })
            }),
    )
}

fn invite(sel: &Selection<'_>) -> Effect {
    let ctx = sel.ctx.clone();
    with_email(sel, |email| invite_email(ctx, email))
}

fn invite_email(ctx: Context, email: String) -> Effect {
    Effect::db_then("Composing the activation request", move |conn, _| {
        invitation_review(conn, ctx, &email)
    })
}

/// Shows the activation request for review, its link with a placeholder for the token (as the
/// CLI's review: whoever sees the screen could otherwise register as the customer); confirming
/// creates the token, sends and records it.
fn invitation_review(conn: &Connection, ctx: Context, email: &str) -> anyhow::Result<Effect> {
    let mailer = Mailer::from_config(&ctx.config, &ctx.db_path);
    let text =
        contacts::invite::preview(conn, &ctx.config, mailer.from_address(), email)?.preview();
    let email = email.to_string();
    let send = Effect::db("Sending the activation request", move |conn| {
        let invitation =
            contacts::invite::prepare(conn, &ctx.config, mailer.from_address(), &email)?;
        let delivery = deliver(&mailer, &invitation.mail)?;
        contacts::invite::record(conn, &invitation)?;
        Ok(format!(
            "activation request for {}: {delivery}",
            invitation.contact.email
        ))
    });
    Ok(Effect::Review(Review::new(
        "Review the activation request",
        &text,
        "Send",
        send,
    )))
}

/// Delivers from the blocking thread the effect runs on.
fn deliver(mailer: &Mailer, mail: &Mail) -> anyhow::Result<contacts::mail::Delivery> {
    Ok(crate::tui::effect::block_on(mailer.deliver(mail))??)
}

fn delete(sel: &Selection<'_>) -> Effect {
    let ids = sel.ids();
    let db_path = sel.ctx.db_path.clone();
    Effect::db_then("Checking the contacts to delete", move |conn, _| {
        let mut emails = Vec::new();
        for id in &ids {
            if let Some(c) = crate::store::contacts::by_id(conn, *id)? {
                emails.push(c.email);
            }
        }
        let plan = match contacts::delete::plan(conn, &emails) {
            Ok(p) => p,
            Err(e) => return Ok(Effect::error(e.to_string())),
        };
        let mut lines =
            vec!["This cannot be undone. These contacts and their jobs go:".to_string()];
        for c in &plan {
            let jobs = crate::store::contacts::jobs_of(conn, c.id)?.len();
            lines.push(format!("  {} <{}>, {jobs} job(s)", c.name, c.email));
        }
        let n = plan.len();
        let confirm = format!("Delete {n} contact{}", if n == 1 { "" } else { "s" });
        let work = Effect::db("Deleting contacts", move |conn| {
            let d = contacts::delete::delete(conn, &db_path, &emails)?;
            let mut done = format!(
                "deleted {} contact(s) and {} job(s)",
                d.contacts.len(),
                d.jobs
            );
            // What could not be removed from the disk is said, as the CLI says it.
            for warning in &d.warnings {
                done.push_str("; ");
                done.push_str(warning);
            }
            Ok(done)
        });
        Ok(Effect::confirm("Delete contacts", lines, confirm, work))
    })
}

fn import(sel: &Selection<'_>) -> Effect {
    if let Err(e) = super::own_files(sel.ctx, "backroom contacts import FILE") {
        return e;
    }
    Effect::Form(
        Form::new("Import contacts")
            .field(
                Field::text("file", "CSV, XLSX or ODS file")
                    .required()
                    .validate(|v| {
                        if std::path::Path::new(v.trim()).is_file() {
                            Ok(())
                        } else {
                            Err("no such file".into())
                        }
                    })
                    .hint("columns name, email, company (see users_template.csv)"),
            )
            .field(Field::choice(
                "mode",
                "Bad rows",
                &["import nothing", "skip them"],
            ))
            .on_submit(|v| {
                let file = std::path::PathBuf::from(v.get("file").trim());
                let skip = v.get("mode") == "skip them";
                Effect::db_then("Importing contacts", move |conn, progress| {
                    let mut on =
                        |p: contacts::import::Progress| progress.set(p.bytes, p.total_bytes);
                    let report = contacts::import::import(conn, &file, skip, &mut on)?;
                    let summary = if report.committed {
                        format!(
                            "imported {} of {} rows as not registered ({})",
                            report.imported,
                            report.rows,
                            report.dialect()
                        )
                    } else {
                        format!(
                            "nothing imported: {} of {} rows are invalid ({})",
                            report.invalid_rows,
                            report.rows,
                            report.dialect()
                        )
                    };
                    if report.problems.is_empty() {
                        return Ok(Effect::All(vec![Effect::info(summary), Effect::Reload]));
                    }
                    let text = format!("{summary}\n\n{}", report.describe_problems());
                    let status = if report.committed {
                        Effect::info(summary)
                    } else {
                        Effect::error(summary)
                    };
                    Ok(Effect::All(vec![
                        status,
                        Effect::Reload,
                        Effect::Review(Review::new("Import report", &text, "OK", Effect::None)),
                    ]))
                })
            }),
    )
}

fn template(sel: &Selection<'_>) -> Effect {
    let dir = sel.ctx.downloads_dir();
    Effect::db("Writing the template", move |_| {
        crate::private_files::create_missing_dir(&dir)?;
        let csv = contacts::template::write(Some(&dir), false)?;
        let xlsx = contacts::template::write(Some(&dir), true)?;
        Ok(format!("wrote {} and {}", csv.display(), xlsx.display()))
    })
}

fn backup(sel: &Selection<'_>) -> Effect {
    let dir = sel.ctx.downloads_dir();
    with_email(sel, move |email| {
        Effect::db_with_progress(format!("Backing up {email}"), move |conn, progress| {
            let w = contacts::backup::backup(conn, &email, &dir, &mut |done, total| {
                progress.set(done, total)
            })?;
            Ok(format!("wrote {} ({} jobs)", w.path.display(), w.jobs))
        })
    })
}

/// Puts `text` on the clipboard of the terminal the TUI runs in (OSC 52, works over SSH).
fn copy(what: &'static str, text: String) -> Effect {
    Effect::db(format!("Copying the {what}"), move |_| {
        use std::io::Write;
        let sequence = contacts::osc52::copy_sequence(&text);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/tty")
            .and_then(|mut tty| tty.write_all(sequence.as_bytes()));
        Ok(match written {
            Ok(()) => format!("copied the {what}: {text}"),
            Err(_) => format!("no terminal to copy to; the {what} is {text}"),
        })
    })
}

fn copy_link(sel: &Selection<'_>) -> Effect {
    copy("integration link", links::integration_url(&sel.ctx.config))
}

fn copy_generic(sel: &Selection<'_>) -> Effect {
    let config = sel.ctx.config.clone();
    Effect::db_then("Reading the generic link", move |conn, _| {
        let link = links::load(conn)?;
        Ok(copy("generic link", link.url(&config)))
    })
}

fn send_link(sel: &Selection<'_>) -> Effect {
    let ctx = sel.ctx.clone();
    with_email(sel, |email| {
        Effect::db_then("Composing the generic link e-mail", move |conn, _| {
            let contact = transitions::find(conn, &email)?;
            let link = links::load(conn)?;
            let mailer = Mailer::from_config(&ctx.config, &ctx.db_path);
            let mail = links::mail(&ctx.config, mailer.from_address(), &contact, &link);
            let text = mail.preview();
            let send = Effect::db("Sending the generic link", move |_| {
                let delivery = deliver(&mailer, &mail)?;
                Ok(format!("generic link for {}: {delivery}", mail.to))
            });
            Ok(Effect::Review(Review::new(
                "Review the e-mail",
                &text,
                "Send",
                send,
            )))
        })
    })
}

fn regenerate(_sel: &Selection<'_>) -> Effect {
    let work = Effect::db("Regenerating the generic link", |conn| {
        links::regenerate(conn)?;
        Ok("new generic link made; the previous one no longer works".to_string())
    });
    Effect::confirm(
        "Regenerate the generic link",
        vec!["The current generic link stops working at once.".into()],
        "Regenerate",
        work,
    )
}

fn link_settings(sel: &Selection<'_>) -> Effect {
    let focused = session_limit(sel.ctx);
    Effect::db_then("Reading the link settings", move |conn, _| {
        let link = links::load(conn)?;
        let size_ok = |v: &str| links::parse_size(v).map(|_| ());
        Ok(Effect::Form(
            Form::new("Generic link settings")
                .field(
                    Field::text("expires", "Last valid day")
                        .value(
                            &link
                                .expires_on
                                .map(|d| d.to_string())
                                .unwrap_or_else(|| "never".into()),
                        )
                        .hint("YYYY-MM-DD, or never")
                        .validate(|v| parse_expiry(v).map(|_| ())),
                )
                .field(
                    Field::text("jobs", "Jobs per day")
                        .value(&link.jobs_per_day.to_string())
                        .validate(|v| {
                            v.trim()
                                .parse::<u32>()
                                .map(|_| ())
                                .map_err(|_| "a whole number".into())
                        }),
                )
                .field(
                    Field::text("job_size", "Size per job")
                        .value(&human_size(link.max_job_bytes))
                        .validate(size_ok),
                )
                .field(
                    Field::text("day_size", "Size per day")
                        .value(&human_size(link.max_day_bytes))
                        .validate(size_ok),
                )
                .on_submit(move |v| {
                    let changes = links::Changes {
                        expires_on: parse_expiry(v.get("expires")).ok(),
                        jobs_per_day: v.get("jobs").trim().parse().ok(),
                        max_job_bytes: links::parse_size(v.get("job_size")).ok(),
                        max_day_bytes: links::parse_size(v.get("day_size")).ok(),
                    };
                    Effect::db("Saving the link settings", move |conn| {
                        let link = links::set(conn, &changes)?;
                        Ok(link_line(&link, focused))
                    })
                }),
        ))
    })
}

fn parse_expiry(text: &str) -> Result<Option<chrono::NaiveDate>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| "a date YYYY-MM-DD, or never".into())
}

fn next_limit(sel: &Selection<'_>) -> Effect {
    let focus = &sel.ctx.link_focus;
    focus.store((focus.load(Ordering::Relaxed) + 1) % 3, Ordering::Relaxed);
    Effect::Reload
}

fn limit_up(sel: &Selection<'_>) -> Effect {
    adjust(sel, 1)
}

fn limit_down(sel: &Selection<'_>) -> Effect {
    adjust(sel, -1)
}

fn adjust(sel: &Selection<'_>, steps: i64) -> Effect {
    let limit = session_limit(sel.ctx);
    Effect::db("Changing the generic link limit", move |conn| {
        let link = links::adjust(conn, limit, steps)?;
        Ok(link_line(&link, limit))
    })
}

fn upload_terms(sel: &Selection<'_>) -> Effect {
    if let Err(e) = super::own_files(sel.ctx, "backroom terms upload FILE") {
        return e;
    }
    let operator = sel.ctx.operator.clone();
    Effect::Form(
        Form::new("Upload terms of service")
            .field(
                Field::text("file", "File")
                    .required()
                    .validate(|v| {
                        if std::path::Path::new(v.trim()).is_file() {
                            Ok(())
                        } else {
                            Err("no such file".into())
                        }
                    })
                    .hint("every contact will have to accept the new terms"),
            )
            .on_submit(move |v| {
                let file = std::path::PathBuf::from(v.get("file").trim());
                Effect::db("Uploading the terms", move |conn| {
                    let up = contacts::terms::upload(conn, &file, &operator)?;
                    Ok(format!(
                        "new terms {}; {} acceptance date(s) reset",
                        up.terms.file_name, up.reset
                    ))
                })
            }),
    )
}
