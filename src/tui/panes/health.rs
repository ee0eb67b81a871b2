//! The Health pane: the doctor's findings as the worker last checked them, the worst first, each
//! with its evidence and fix; `r` checks again now, `f` applies the fix where there is one.

use rusqlite::Connection;

use crate::doctor::Subject;
use crate::store::views::{Detail, Match, Section, View, col};
use crate::worker::Notification;

use super::{Needs, Notice, RowAction, Selection};
use crate::sync::runs::Process;
use crate::tui::effect::Effect;
use crate::tui::popups::Confirm;
use crate::tui::strings::health as s;
use crate::worker::sync::Command as SyncCommand;

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
        policy: "doctor",
        needs: Needs::Nothing,
        run: check_again,
    },
    RowAction {
        name: "apply_fix",
        description: s::APPLY_FIX,
        policy: "doctor.fix",
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
        let report = crate::tui::effect::block_on(crate::worker::health::check_and_keep(subject))??;
        let problems = report.attention().count();
        Ok(s::checked(problems))
    })
}

/// The fix of a finding, where backroom can apply it itself.
fn apply_fix(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    let till = !sel.ctx.config.till.number.trim().is_empty();
    let ctx = sel.ctx.clone();
    Effect::db_then(s::FIXING, move |conn, _| {
        let (code, target): (String, Option<String>) = conn.query_row(
            "SELECT code, target FROM doctor_findings WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(fix_of(&ctx, conn, &code, target.as_deref(), till)?)
    })
}

/// The effect that fixes finding `code`; each fix is judged as the command it is (switching
/// printing on is for administrators, as `backroom printers enable` is).
fn fix_of(
    ctx: &crate::context::Context,
    conn: &Connection,
    code: &str,
    target: Option<&str>,
    till: bool,
) -> rusqlite::Result<Effect> {
    let folder_id = |code: &str| -> rusqlite::Result<Option<i64>> {
        match conn.query_row("SELECT id FROM pos_folders WHERE code = ?1", [code], |r| {
            r.get(0)
        }) {
            Ok(id) => Ok(Some(id)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e),
        }
    };
    Ok(match (code, target) {
        ("jobs_failed", _) | ("jobs_unconfirmed", _) => {
            let state = if code == "jobs_failed" {
                "failed"
            } else {
                "unconfirmed"
            }
            .to_string();
            Effect::Confirm(Confirm::new(
                s::FIX_TITLE,
                vec![s::reschedule_lines(&state)],
                s::reschedule_all(&state),
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
        ("printing_disabled", _) => match ctx.may("printers.enable") {
            Err(refused) => Effect::error(refused.to_string()),
            Ok(()) => Effect::db(s::FIXING, |conn| {
                crate::store::printers::set_printing_enabled(conn, true)?;
                Ok(s::PRINTING_ON.to_string())
            }),
        },
        ("batch_blocked", Some(t)) if t.starts_with("folder:") => {
            let code = &t["folder:".len()..];
            match folder_id(code)? {
                // A till re-imports from the latest full batch; a server exports one.
                Some(folder_id) => {
                    let (process, what) = if till {
                        (Process::Import, s::full_reimport(code))
                    } else {
                        (Process::Export, s::full_export(code))
                    };
                    Effect::Confirm(Confirm::new(
                        s::FIX_TITLE,
                        vec![what.clone()],
                        what,
                        Effect::Worker(crate::worker::Command::Sync(SyncCommand::Run {
                            folder_id,
                            process,
                            full: true,
                        })),
                    ))
                }
                None => Effect::None,
            }
        }
        (other, _) => Effect::info(s::no_automatic_fix(other)),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(role: crate::config::Role) -> (tempfile::TempDir, crate::context::Context) {
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = crate::context::Context::for_db(dir.path().join("b.db"));
        ctx.role = role;
        (dir, ctx)
    }

    /// The fix for "printing is off" is `backroom printers enable`: staff may not run it from the
    /// Health pane either.
    #[test]
    fn only_an_administrator_switches_printing_on_from_the_health_pane() {
        let (_dir, staff) = ctx(crate::config::Role::Staff);
        let conn = crate::store::open(&staff.db_path).unwrap();
        let effect = fix_of(&staff, &conn, "printing_disabled", None, false).unwrap();
        match effect {
            Effect::Error(e) => assert!(e.contains("switching printing on"), "{e}"),
            _ => panic!("staff was not refused"),
        }
        let (_dir, admin) = ctx(crate::config::Role::Admin);
        let conn = crate::store::open(&admin.db_path).unwrap();
        let effect = fix_of(&admin, &conn, "printing_disabled", None, false).unwrap();
        assert!(matches!(effect, Effect::Db { .. }), "the admin's fix runs");
    }
}
