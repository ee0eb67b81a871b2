//! The Tills pane (on a server): every till that reports, when it last spoke, its queue, its last
//! applied batch and blocked channels; the silent ones (no report for over 3 × their period) first.

use rusqlite::Connection;

use crate::store::views::{Detail, Match, Section, View, col};
use crate::worker::Notification;

use super::{Notice, RowAction};
use crate::tui::effect::Effect;
use crate::tui::strings::tills as s;

/// One row per till and folder.
pub static VIEW: View = View {
    name: "tills",
    from: "till_status t",
    id: "t.rowid",
    columns: &[
        col("folder", "t.folder", "t.folder", Match::Contains, 10),
        col("till", "t.till", "t.till", Match::Exact, 6),
        col(
            "state",
            "CASE WHEN CAST((julianday('now') - julianday(t.reported_at)) * 86400000 AS INTEGER) > 3 * max(t.wait_ms, 5000) THEN 'silent'
                  WHEN t.blocked IS NOT NULL THEN 'blocked' WHEN t.waiting > 0 THEN 'sending' ELSE 'ok' END",
            "CASE WHEN CAST((julianday('now') - julianday(t.reported_at)) * 86400000 AS INTEGER) > 3 * max(t.wait_ms, 5000) THEN 'silent'
                  WHEN t.blocked IS NOT NULL THEN 'blocked' WHEN t.waiting > 0 THEN 'sending' ELSE 'ok' END",
            Match::Exact,
            8,
        ),
        col(
            "last_seen",
            "replace(substr(t.reported_at, 1, 19), 'T', ' ')",
            "t.reported_at",
            Match::None,
            19,
        ),
        col("queue", "t.waiting", "t.waiting", Match::Exact, 6),
        col(
            "batch",
            "coalesce(t.last_batch, '—')",
            "coalesce(t.last_batch, 0)",
            Match::Exact,
            6,
        ),
        col("version", "t.version", "t.version", Match::Contains, 8),
    ],
    default_sort: 3,
    default_desc: false,
    search: &["t.folder", "t.till", "t.version"],
    detail,
};

/// The Tills pane only shows: what to do lives in each till's own Sync pane.
pub static ACTIONS: &[RowAction] = &[];

/// How many tills report and how many are silent.
pub fn notices(conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    let rows = crate::sync::fleet::list(conn)?;
    let silent = rows.iter().filter(|r| r.silent).count();
    Ok(if silent > 0 {
        vec![Notice::warning(s::silent(silent, rows.len()))]
    } else {
        vec![Notice::info(s::all_speaking(rows.len()))]
    })
}

pub fn on_notification(_n: &Notification) -> Option<Effect> {
    None
}

fn detail(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let key: Option<(String, String)> = match conn.query_row(
        "SELECT folder, till FROM till_status WHERE rowid = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ) {
        Ok(k) => Some(k),
        Err(rusqlite::Error::QueryReturnedNoRows) => None,
        Err(e) => return Err(e),
    };
    let Some((folder, till)) = key else {
        return Ok(None);
    };
    let Some(r) = crate::sync::fleet::list(conn)?
        .into_iter()
        .find(|r| r.status.folder == folder && r.status.till == till)
    else {
        return Ok(None);
    };
    let age = crate::sync::status::age_text;
    let st = &r.status;

    Ok(Some(Detail {
        title: format!("till {till} of folder {folder}"),
        fields: vec![
            ("version".into(), st.version.clone()),
            (
                "last report".into(),
                format!("{} ({} ago)", r.reported_at, age(r.silent_secs.max(0))),
            ),
            (
                "state".into(),
                if r.silent {
                    s::silent_for(
                        &age(r.silent_secs),
                        &age(crate::sync::fleet::silent_after(st.wait_ms).as_secs() as i64),
                    )
                } else {
                    "speaking".into()
                },
            ),
            (
                "queue".into(),
                match st.oldest_age_secs {
                    Some(a) if st.waiting > 0 => {
                        format!("{} waiting, oldest {}", st.waiting, age(a))
                    }
                    _ => "empty".into(),
                },
            ),
            (
                "last batch".into(),
                st.last_batch.map_or("none".into(), |b| b.to_string()),
            ),
            (
                "clock".into(),
                format!(
                    "{} ({} s from this server)",
                    st.till_clock, r.clock_offset_secs
                ),
            ),
        ],
        sections: if st.blocked.is_empty() {
            Vec::new()
        } else {
            vec![Section {
                title: "blocked".into(),
                lines: st.blocked.clone(),
            }]
        },
    }))
}
