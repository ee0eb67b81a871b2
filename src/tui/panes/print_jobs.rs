//! The print jobs pane: every job with its state, attempts, next attempt, remote state and last
//! error; reschedule, reprint, cancel (one, marked, or everything the filter shows), download,
//! and the decision on unconfirmed jobs (it printed / print it again).
//! The detail view (enter) shows the attempt history; worker notifications refresh it live.

use rusqlite::Connection;

use crate::printing::job::{JobState, RetryPolicy};
use crate::store::{jobs, views};
use crate::worker::Notification;
use crate::worker::printing::Notification as Printing;

use super::{Needs, Notice, RowAction, Selection};
use crate::tui::effect::Effect;
use crate::tui::strings::print_jobs as s;

/// Row actions of the print jobs pane (keys in `keymaps/*.toml`, section `[print_jobs]`).
pub static ACTIONS: &[RowAction] = &[
    RowAction {
        name: "reschedule",
        description: s::RESCHEDULE,
        policy: "jobs.reschedule",
        needs: Needs::Rows,
        run: reschedule,
    },
    RowAction {
        name: "reschedule_filtered",
        description: s::RESCHEDULE_FILTERED,
        policy: "jobs.reschedule",
        needs: Needs::Nothing,
        run: reschedule_filtered,
    },
    RowAction {
        name: "reprint",
        description: s::REPRINT,
        policy: "jobs.reprint",
        needs: Needs::Row,
        run: reprint,
    },
    RowAction {
        name: "cancel",
        description: s::CANCEL,
        policy: "jobs.cancel",
        needs: Needs::Rows,
        run: cancel,
    },
    RowAction {
        name: "cancel_filtered",
        description: s::CANCEL_FILTERED,
        policy: "jobs.cancel",
        needs: Needs::Nothing,
        run: cancel_filtered,
    },
    RowAction {
        name: "confirm_printed",
        description: s::CONFIRM_PRINTED,
        policy: "jobs.confirm",
        needs: Needs::Rows,
        run: confirm_printed,
    },
    RowAction {
        name: "confirm_reprint",
        description: s::CONFIRM_REPRINT,
        policy: "jobs.confirm",
        needs: Needs::Rows,
        run: confirm_reprint,
    },
    RowAction {
        name: "download",
        description: s::DOWNLOAD,
        policy: "jobs.download",
        needs: Needs::Row,
        run: download,
    },
];

/// Failed jobs, possible duplicates, and how long finished jobs are kept.
pub fn notices(conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    let mut out = Vec::new();
    let depth = jobs::depth(conn)?;
    if depth.unconfirmed > 0 {
        out.push(Notice::warning(s::unconfirmed_count(
            depth.unconfirmed as i64,
        )));
    }
    if depth.failed > 0 {
        out.push(Notice::warning(format!(
            "{} {}",
            s::failed_count(depth.failed as i64),
            s::FAILED_JOBS_HINT
        )));
    }
    if jobs::maybe_duplicates(conn)? > 0 {
        out.push(Notice::warning(s::MAYBE_DUPLICATE));
    }
    out.push(Notice::info(s::retention(
        crate::printing::PRINT_JOB_RETENTION.as_secs() / 86_400,
    )));
    Ok(out)
}

/// Job progress reported by the worker reloads the pane; a failure is also said in the status line.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    match n {
        Notification::Printing(Printing::JobChanged {
            id,
            state: JobState::Failed,
        }) => Some(Effect::All(vec![
            Effect::error(s::job_failed(*id)),
            Effect::Reload,
        ])),
        Notification::Printing(Printing::JobChanged {
            id,
            state: JobState::Unconfirmed,
        }) => Some(Effect::All(vec![
            Effect::error(s::job_unconfirmed(*id)),
            Effect::Reload,
        ])),
        Notification::Printing(_) => Some(Effect::Reload),
        _ => None,
    }
}

/// Splits `ids` into those in `need` and a description of the others.
fn in_state(
    conn: &Connection,
    ids: &[i64],
    need: JobState,
) -> anyhow::Result<(Vec<i64>, Vec<String>)> {
    let mut ok = Vec::new();
    let mut skipped = Vec::new();
    for id in ids {
        match jobs::get(conn, *id)? {
            Some(j) if j.state == need => ok.push(*id),
            Some(j) => skipped.push(format!("job {id} is {}", j.state)),
            None => skipped.push(s::gone(*id)),
        }
    }
    Ok((ok, skipped))
}

fn reschedule_ids(conn: &mut Connection, ids: &[i64]) -> anyhow::Result<String> {
    let (ok, skipped) = in_state(conn, ids, JobState::Failed)?;
    let done = jobs::reschedule(conn, &ok)?;
    crate::worker::wake();
    Ok(s::done("rescheduled", &done, &skipped))
}

fn cancel_ids(conn: &mut Connection, ids: &[i64]) -> anyhow::Result<String> {
    let (ok, skipped) = in_state(conn, ids, JobState::Pending)?;
    let done = jobs::cancel(conn, &ok)?;
    Ok(s::done("cancelled", &done, &skipped))
}

/// A person's decision on unconfirmed jobs (the others among the ids are left alone).
fn confirm_ids(
    conn: &mut Connection,
    ids: &[i64],
    printed: bool,
    who: &str,
) -> anyhow::Result<String> {
    let (ok, skipped) = in_state(conn, ids, JobState::Unconfirmed)?;
    let done = jobs::confirm(conn, &ok, printed, who)?;
    if printed {
        Ok(s::done("marked printed", &done, &skipped))
    } else {
        crate::worker::wake();
        Ok(s::done("queued to print again", &done, &skipped))
    }
}

fn confirm_printed(sel: &Selection<'_>) -> Effect {
    let ids = sel.ids();
    let who = sel.ctx.operator.clone();
    Effect::db(s::CONFIRMING, move |conn| {
        confirm_ids(conn, &ids, true, &who)
    })
}

fn confirm_reprint(sel: &Selection<'_>) -> Effect {
    let ids = sel.ids();
    let who = sel.ctx.operator.clone();
    Effect::db(s::CONFIRMING, move |conn| {
        confirm_ids(conn, &ids, false, &who)
    })
}

fn reschedule(sel: &Selection<'_>) -> Effect {
    let ids = sel.ids();
    Effect::db(s::RESCHEDULING, move |conn| reschedule_ids(conn, &ids))
}

fn cancel(sel: &Selection<'_>) -> Effect {
    let ids = sel.ids();
    // The dialog names the job: `Cancel print job 1000000 (Invoice … on front-desk)?`.
    let question = match (ids.as_slice(), sel.id()) {
        ([one], Some(row)) if *one == row => s::cancel_one(
            row,
            sel.cell("document").unwrap_or(""),
            sel.cell("printer").unwrap_or(""),
        ),
        _ => s::cancel_many(&ids),
    };
    let lines = vec![
        question,
        "Pending jobs among them will not print; others are left alone.".to_string(),
    ];
    Effect::confirm(
        s::CANCEL,
        lines,
        s::confirm_bulk("Cancel", ids.len()),
        Effect::db(s::CANCELLING, move |conn| cancel_ids(conn, &ids)),
    )
}

/// Every job the filter shows that is in `need`, then a confirmation, then `apply`.
fn filtered(
    sel: &Selection<'_>,
    need: JobState,
    verb: &'static str,
    label: &'static str,
    apply: fn(&mut Connection, &[i64]) -> anyhow::Result<String>,
) -> Effect {
    let (view, query) = sel.filtered();
    Effect::db_then(s::COUNTING, move |conn, _| {
        let ids = views::ids(conn, view, &query)?;
        let (ok, _) = in_state(conn, &ids, need)?;
        if ok.is_empty() {
            return Ok(Effect::info(format!("No {need} job in the filtered list.")));
        }
        let lines = vec![format!(
            "{} of the {} filtered jobs are {need}.",
            ok.len(),
            ids.len()
        )];
        Ok(Effect::confirm(
            format!("{verb} the filtered jobs"),
            lines,
            s::confirm_bulk(verb, ok.len()),
            Effect::db(label, move |conn| apply(conn, &ok)),
        ))
    })
}

fn reschedule_filtered(sel: &Selection<'_>) -> Effect {
    filtered(
        sel,
        JobState::Failed,
        "Reschedule",
        s::RESCHEDULING,
        reschedule_ids,
    )
}

fn cancel_filtered(sel: &Selection<'_>) -> Effect {
    filtered(sel, JobState::Pending, "Cancel", s::CANCELLING, cancel_ids)
}

fn reprint(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db(s::REPRINTING, move |conn| {
        let policy = RetryPolicy::load(conn);
        let (new, _) = jobs::reprint(conn, id, policy.max_attempts)?
            .ok_or_else(|| anyhow::anyhow!(s::gone(id)))?;
        crate::worker::wake();
        Ok(s::reprinted(new, id))
    })
}

fn download(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    let dir = sel.ctx.downloads_dir();
    Effect::db(s::DOWNLOADING, move |conn| {
        let path = crate::printing::download::write(conn, id, None, &dir)?;
        let bytes = std::fs::metadata(&path)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        Ok(s::downloaded(id, bytes, &path))
    })
}
