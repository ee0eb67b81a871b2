//! The Health pane: the doctor's findings as the worker last checked them, the worst first, each
//! with its evidence and fix; `r` checks again now, `f` applies the fix where there is one.

use rusqlite::Connection;

use crate::doctor::Subject;
use crate::store::views::{Column, Detail, Match, Section, View};
use crate::worker::Notification;

use super::{Access, Needs, Notice, RowAction, Selection};
use crate::tui::effect::Effect;
use crate::tui::popups::Confirm;
use crate::tui::strings::health as s;

const fn col(
    name: &'static str,
    show: &'static str,
    value: &'static str,
    filter: Match,
    width: u16,
) -> Column {
    Column {
        name,
        show,
        value,
        filter,
        width,
    }
}

/// One row per finding.
pub static VIEW: View = View {
    name: "health",
    from: "doctor_findings d",
    id: "d.id",
    columns: &[
        col("severity", "d.severity", "d.rank", Match::Exact, 8),
        col("code", "d.code", "d.code", Match::Contains, 24),
        col("area", "d.area", "d.area", Match::Exact, 9),
        col("summary", "d.summary", "d.summary", Match::Contains, 0),
    ],
    default_sort: 0,
    default_desc: true,
    search: &["d.code", "d.summary", "d.evidence"],
    detail,
};

/// Row actions of the Health pane.
pub static ACTIONS: &[RowAction] = &[
    RowAction {
        name: "check_again",
        description: s::CHECK_AGAIN,
        access: Access::Write,
        needs: Needs::Nothing,
        run: check_again,
    },
    RowAction {
        name: "apply_fix",
        description: s::APPLY_FIX,
        access: Access::Write,
        needs: Needs::Row,
        run: apply_fix,
    },
];

fn subject(sel: &Selection<'_>) -> Subject {
    Subject {
        db_path: sel.ctx.db_path.clone(),
        config_path: sel.ctx.config_path.clone(),
        config: sel.ctx.config.clone(),
    }
}

/// Runs every check now (off the UI loop) and keeps the findings.
fn check_again(sel: &Selection<'_>) -> Effect {
    let subject = subject(sel);
    Effect::db(s::CHECKING, move |_conn| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let report = rt.block_on(crate::worker::health::check_and_keep(subject))?;
        let problems = report.attention().count();
        Ok(s::checked(problems))
    })
}

/// The fix of a finding, where backroom can apply it itself.
fn apply_fix(sel: &Selection<'_>) -> Effect {
    let code = sel.cell("code").unwrap_or("").to_string();
    match code.as_str() {
        "jobs_failed" | "jobs_unconfirmed" => {
            let state = if code == "jobs_failed" {
                "failed"
            } else {
                "unconfirmed"
            };
            let state = state.to_string();
            let label = s::reschedule_all(&state);
            Effect::Confirm(Confirm::new(
                s::FIX_TITLE,
                vec![s::reschedule_lines(&state)],
                label,
                Effect::db(s::FIXING, move |conn| {
                    let ids: Vec<i64> = conn
                        .prepare("SELECT id FROM print_jobs WHERE state = ?1")?
                        .query_map([&state], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()?;
                    let done = crate::store::jobs::reschedule(conn, &ids)?;
                    crate::worker::wake();
                    Ok(s::rescheduled(done.len()))
                }),
            ))
        }
        "printing_disabled" => Effect::db(s::FIXING, |conn| {
            crate::store::printers::set_printing_enabled(conn, true)?;
            Ok(s::PRINTING_ON.to_string())
        }),
        "" => Effect::None,
        other => {
            let fix = sel.cell("summary").unwrap_or("").to_string();
            Effect::info(s::no_automatic_fix(other, &fix))
        }
    }
}

/// When the findings were checked, and how to check again.
pub fn notices(conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    let checked: Option<String> =
        conn.query_row("SELECT max(checked_at) FROM doctor_findings", [], |r| {
            r.get(0)
        })?;
    Ok(vec![match checked {
        Some(at) => Notice::info(s::checked_at(&at)),
        None => Notice::warning(s::NEVER_CHECKED),
    }])
}

pub fn on_notification(_n: &Notification) -> Option<Effect> {
    None
}

fn detail(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let row = conn.query_row(
        "SELECT code, severity, area, summary, evidence, fix, checked_at FROM doctor_findings WHERE id = ?1",
        [id],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        },
    );
    let (code, severity, area, summary, evidence, fix, checked_at) = match row {
        Ok(r) => r,
        Err(rusqlite::Error::QueryReturnedNoRows) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut sections = Vec::new();
    if !evidence.is_empty() {
        sections.push(Section {
            title: "seen".into(),
            lines: vec![evidence],
        });
    }
    if !fix.is_empty() {
        sections.push(Section {
            title: "what to do".into(),
            lines: vec![fix],
        });
    }
    Ok(Some(Detail {
        title: format!("{severity}: {code}"),
        fields: vec![
            ("code".into(), code),
            ("severity".into(), severity),
            ("area".into(), area),
            ("summary".into(), summary),
            ("checked".into(), checked_at),
        ],
        sections,
    }))
}
