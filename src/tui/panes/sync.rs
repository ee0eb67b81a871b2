//! The Sync pane: per POS folder, the last export and import with their batch numbers, the till
//! queue's depth and the age of its oldest item, the blocked channel and what to do, the last run;
//! row actions run export, import, push or update now through the worker, with progress.

use rusqlite::Connection;

use crate::store::views::{Detail, Match, Section, View, col};
use crate::sync::runs::Process;
use crate::worker::Notification;
use crate::worker::sync::{Command as SyncCommand, Notification as SyncNotification};

use super::{Needs, Notice, RowAction, Selection};
use crate::tui::effect::Effect;
use crate::tui::popups::Confirm;
use crate::tui::strings::sync as s;

/// The pane's view: one row per POS folder. The last export's and import's times are table
/// times (`YYYY-MM-DD HH:MM`, UTC), which the console shows in local time (`tui::time`); the
/// queue's hour is read in local time here (both were shown in UTC until 2026-11-30).
pub static VIEW: View = View {
    name: "sync",
    from: "pos_folders f",
    id: "f.id",
    columns: &[
        col("folder", "f.code", "f.code", Match::Contains, 10),
        col(
            "export",
            "coalesce((SELECT e.batch || ' ' || e.kind || ' · ' || e.rows || ' rows · ' || replace(substr(e.exported_at, 1, 16), 'T', ' ')
               FROM sync_exports e WHERE e.folder_id = f.id ORDER BY e.batch DESC LIMIT 1), '—')",
            "coalesce((SELECT max(e.batch) FROM sync_exports e WHERE e.folder_id = f.id), 0)",
            Match::None,
            30,
        ),
        col(
            "import",
            "coalesce((SELECT b.batch || ' ' || b.kind || ' · ' || b.rows || ' rows · ' || replace(substr(b.applied_at, 1, 16), 'T', ' ')
               FROM till_batches b WHERE b.folder = f.code ORDER BY b.batch DESC LIMIT 1), '—')",
            "coalesce((SELECT max(b.batch) FROM till_batches b WHERE b.folder = f.code), 0)",
            Match::None,
            30,
        ),
        col(
            "queue",
            "(SELECT CASE WHEN count(*) = 0 THEN 'empty' ELSE count(*) || ' since ' || substr(datetime(min(q.created_at), 'localtime'), 12, 5) END FROM till_queue q WHERE q.folder = f.code AND q.acked_at IS NULL)",
            "(SELECT count(*) FROM till_queue q WHERE q.folder = f.code AND q.acked_at IS NULL)",
            Match::Exact,
            16,
        ),
        col(
            "blocked",
            "coalesce((SELECT group_concat(k.channel || coalesce(' at batch ' || k.batch, '') || ': ' || k.error, '; ') FROM sync_blocks k WHERE k.folder = f.code), '')",
            "coalesce((SELECT group_concat(k.channel, ' ') FROM sync_blocks k WHERE k.folder = f.code), '')",
            Match::Contains,
            0,
        ),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["f.code"],
    detail,
};

/// Row actions of the Sync pane.
pub static ACTIONS: &[RowAction] = &[
    RowAction {
        name: "run_export",
        description: s::RUN_EXPORT,
        policy: "sync.run",
        needs: Needs::Row,
        run: |sel| run(sel, Process::Export, false),
    },
    RowAction {
        name: "run_export_full",
        description: s::RUN_EXPORT_FULL,
        policy: "sync.run",
        needs: Needs::Row,
        run: |sel| run(sel, Process::Export, true),
    },
    RowAction {
        name: "run_import",
        description: s::RUN_IMPORT,
        policy: "sync.run",
        needs: Needs::Row,
        run: |sel| run(sel, Process::Import, false),
    },
    RowAction {
        name: "run_import_full",
        description: s::RUN_IMPORT_FULL,
        policy: "sync.run",
        needs: Needs::Row,
        run: |sel| run(sel, Process::Import, true),
    },
    RowAction {
        name: "run_push",
        description: s::RUN_PUSH,
        policy: "sync.run",
        needs: Needs::Row,
        run: |sel| run(sel, Process::Push, false),
    },
    RowAction {
        name: "run_update",
        description: s::RUN_UPDATE,
        policy: "sync.run",
        needs: Needs::Row,
        run: |sel| run(sel, Process::Update, false),
    },
];

fn run(sel: &Selection<'_>, process: Process, full: bool) -> Effect {
    let Some(folder_id) = sel.id() else {
        return Effect::None;
    };
    Effect::Worker(crate::worker::Command::Sync(SyncCommand::Run {
        folder_id,
        process,
        full,
    }))
}

/// Blocked channels first (with what to do), then queues waiting for the server.
pub fn notices(conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    let mut out = Vec::new();
    let mut stmt = conn
        .prepare("SELECT folder, channel, error, hint FROM sync_blocks ORDER BY folder, channel")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (folder, channel, error, hint) = row?;
        out.push(Notice::warning(s::blocked(
            &folder, &channel, &error, &hint,
        )));
    }
    let mut stmt = conn.prepare(
        "SELECT folder, count(*), min(created_at) FROM till_queue WHERE acked_at IS NULL
         GROUP BY folder ORDER BY folder",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (folder, n, oldest) = row?;
        let age = chrono::DateTime::parse_from_rfc3339(&oldest)
            .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds())
            .unwrap_or(0);
        out.push(Notice::info(s::waiting(
            &folder,
            n,
            &crate::sync::status::age_text(age),
        )));
    }
    out.push(Notice::info(s::KEYS_NOTICE));
    Ok(out)
}

/// Runs report start, progress and result in the status line, and reload the pane.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    let Notification::Sync(n) = n else {
        return None;
    };
    match n {
        SyncNotification::Started { folder, process } => {
            Some(Effect::info(s::started(folder, process.as_str())))
        }
        SyncNotification::Progress(p) => Some(Effect::info(s::progress(
            &p.folder,
            p.process.as_str(),
            p.done,
            p.total,
        ))),
        SyncNotification::Ask {
            id,
            folder,
            version,
            file,
            timeout_secs,
        } => {
            let answer = |yes| {
                Effect::Worker(crate::worker::Command::Sync(SyncCommand::Answer {
                    id: *id,
                    yes,
                }))
            };
            Some(Effect::Confirm(
                Confirm::new(
                    s::ASK_TITLE,
                    s::ask_lines(folder, version, file, *timeout_secs),
                    s::ask_button(version),
                    answer(true),
                )
                .on_cancel(answer(false)),
            ))
        }
        SyncNotification::AskExpired {
            folder,
            version,
            timeout_secs,
            ..
        } => Some(Effect::error(s::ask_expired(
            folder,
            version,
            *timeout_secs,
        ))),
        SyncNotification::Finished { ok, message, .. } => {
            let shown = if *ok {
                Effect::info(message.clone())
            } else {
                Effect::error(message.clone())
            };
            Some(Effect::All(vec![shown, Effect::Reload]))
        }
    }
}

/// The folder's full status, blocked channels with what to do, and its latest runs.
fn detail(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let Some(code) = conn
        .query_row("SELECT code FROM pos_folders WHERE id = ?1", [id], |r| {
            r.get::<_, String>(0)
        })
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })?
    else {
        return Ok(None);
    };
    let st = crate::sync::status::of(conn, id, &code)?;
    let mut fields = vec![("folder".to_string(), code.clone())];
    fields.push((
        "last export".into(),
        st.last_export.as_ref().map_or("none".into(), |e| {
            format!(
                "batch {} ({}) at {}: {} rows, {} bytes",
                e.batch, e.kind, e.exported_at, e.rows, e.bytes
            )
        }),
    ));
    fields.push((
        "last import".into(),
        st.last_import.as_ref().map_or("none".into(), |a| {
            format!(
                "batch {} ({}) at {}: {} rows",
                a.batch, a.kind, a.applied_at, a.rows
            )
        }),
    ));
    let mut queue = if st.queue.waiting == 0 {
        format!("empty ({} sent)", st.queue.sent)
    } else {
        format!(
            "{} waiting, oldest {} ago",
            st.queue.waiting,
            crate::sync::status::age_text(st.oldest_age_secs.unwrap_or(0))
        )
    };
    if st.queue.set_aside > 0 {
        queue.push_str(&format!(
            "; {} set aside (backroom till queue show)",
            st.queue.set_aside
        ));
    }
    fields.push(("till queue".into(), queue));
    let mut sections = Vec::new();
    if !st.warnings.is_empty() {
        sections.push(Section {
            title: "warning".into(),
            lines: st.warnings.clone(),
        });
    }
    if !st.blocks.is_empty() {
        sections.push(Section {
            title: "blocked".into(),
            lines: st
                .blocks
                .iter()
                .flat_map(|b| {
                    [
                        format!("{} since {}: {}", b.channel, b.since, b.error),
                        format!("  what to do: {}", b.hint),
                    ]
                })
                .collect(),
        });
    }
    let runs = crate::store::sync::runs(conn, Some(&code), &Default::default(), Some(10))?;
    sections.push(Section {
        title: "latest runs".into(),
        lines: runs
            .iter()
            .map(|r| {
                format!(
                    "{}  {}  {}  {} rows  {} batches  {} bytes  {}",
                    r.process,
                    r.started_at,
                    r.outcome.as_deref().unwrap_or("running"),
                    r.rows,
                    r.batches,
                    r.bytes,
                    r.message.as_deref().unwrap_or("")
                )
            })
            .collect(),
    });
    Ok(Some(Detail {
        title: format!("sync of folder {code}"),
        fields,
        sections,
    }))
}
