//! The Audit pane (administrators): every change and refusal the service recorded, newest first,
//! filtered like the other panes (`user:paul action:printers outcome:refused`).

use rusqlite::Connection;

use crate::store::views::{Detail, Match, View, col};
use crate::worker::Notification;

use super::{Notice, RowAction};
use crate::tui::effect::Effect;
use crate::tui::strings::audit as s;

/// The pane's view: one row per audit entry.
pub static VIEW: View = View {
    name: "audit",
    from: "audit_log a",
    id: "a.id",
    columns: &[
        col("time", "substr(a.at, 1, 19)", "a.at", Match::Contains, 19),
        col(
            "user",
            "CASE WHEN a.operator IS NULL THEN a.os_user ELSE a.operator || ' (' || a.os_user || ')' END",
            "a.os_user || ' ' || COALESCE(a.operator, '')",
            Match::Contains,
            20,
        ),
        col("role", "a.role", "a.role", Match::Exact, 6),
        col("action", "a.action", "a.action", Match::Contains, 22),
        col("target", "a.target", "a.target", Match::Contains, 18),
        col("outcome", "a.outcome", "a.outcome", Match::Contains, 0),
    ],
    default_sort: 0,
    default_desc: true,
    search: &["a.os_user", "a.action", "a.target", "a.outcome"],
    detail,
};

/// The audit log is read, never changed from the console.
pub static ACTIONS: &[RowAction] = &[];

pub fn notices(_conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    Ok(vec![Notice::info(s::RETENTION)])
}

/// Changes made elsewhere show on the next reload (`ctrl-r`).
pub fn on_notification(_n: &Notification) -> Option<Effect> {
    None
}

fn detail(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let row = conn.query_row(
        "SELECT at, os_user, COALESCE(operator, ''), role, action, target, outcome
         FROM audit_log WHERE id = ?1",
        [id],
        |r| {
            (0..7)
                .map(|i| r.get::<_, String>(i))
                .collect::<rusqlite::Result<Vec<String>>>()
        },
    );
    let values = match row {
        Ok(v) => v,
        Err(rusqlite::Error::QueryReturnedNoRows) => return Ok(None),
        Err(e) => return Err(e),
    };
    let names = [
        "time", "OS user", "operator", "role", "action", "target", "outcome",
    ];
    Ok(Some(Detail {
        title: format!("audit entry {id}"),
        fields: names.iter().map(|n| n.to_string()).zip(values).collect(),
        sections: Vec::new(),
    }))
}
