//! The sync tables pane: which table of which POS folder is synchronised, how, and which way;
//! warns about tables the last check did not find on the folder's DB server.

use rusqlite::Connection;

use crate::pos::sync_table::check_table_name;
use crate::pos::{Direction, SyncType};
use crate::store::pos as store;
use crate::worker::Notification;
use crate::worker::pos::{Command as PosCommand, Notification as PosNotification};

use super::{Needs, Notice, RowAction, Selection};
use crate::tui::effect::Effect;
use crate::tui::popups::{Field, Form};
use crate::tui::strings::pos::tables as s;

/// Row actions of the sync tables pane.
pub static ACTIONS: &[RowAction] = &[
    RowAction {
        name: "add",
        description: s::ADD,
        policy: "sync.tables.add",
        needs: Needs::Nothing,
        run: add,
    },
    RowAction {
        name: "remove",
        description: s::REMOVE,
        policy: "sync.tables.remove",
        needs: Needs::Rows,
        run: remove,
    },
    RowAction {
        name: "toggle_type",
        description: s::TOGGLE_TYPE,
        policy: "sync.tables.set-type",
        needs: Needs::Row,
        run: toggle_type,
    },
    RowAction {
        name: "check",
        description: s::CHECK,
        policy: "sync.tables.check",
        needs: Needs::Row,
        run: check,
    },
];

/// Tables the last check did not find on their folder's DB server.
pub fn notices(conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    Ok(store::missing_tables(conn)?
        .iter()
        .map(|(folder, t)| Notice::warning(s::missing(folder, t)))
        .collect())
}

/// Sync runs and table checks reported by the worker reload the pane.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    match n {
        Notification::Sync(_) => Some(Effect::Reload),
        Notification::Pos(PosNotification::TablesChecked { missing, error, .. }) => {
            let shown = match error {
                Some(e) => Effect::error(s::check_failed(e)),
                None if missing.is_empty() => Effect::info(s::checked(missing)),
                None => Effect::error(s::checked(missing)),
            };
            Some(Effect::All(vec![shown, Effect::Reload]))
        }
        _ => None,
    }
}

fn add(sel: &Selection<'_>) -> Effect {
    let folder = sel.cell("folder").unwrap_or_default();
    let form = Form::new(s::ADD_TITLE)
        .field(
            Field::text("folder", s::FOLDER)
                .value(folder)
                .hint(s::FOLDER_HINT)
                .required(),
        )
        .field(
            Field::text("table", s::TABLE)
                .hint(s::TABLE_HINT)
                .required()
                .validate(check_table_name),
        )
        .field(Field::choice("type", s::TYPE, &["incremental", "full"]))
        .field(Field::choice(
            "direction",
            s::DIRECTION,
            &["server-to-till", "till-to-server"],
        ))
        .on_submit(|v| {
            let (code, table) = (
                v.get("folder").trim().to_string(),
                v.get("table").trim().to_string(),
            );
            let (ty, dir) = (v.get("type").to_string(), v.get("direction").to_string());
            Effect::db(s::ADD, move |conn| {
                let sync_type: SyncType = ty.parse().map_err(anyhow::Error::msg)?;
                let direction: Direction = dir.parse().map_err(anyhow::Error::msg)?;
                let folder = store::folder_by_code(conn, &code)?
                    .ok_or_else(|| anyhow::anyhow!("no POS folder {code:?}"))?;
                store::add_table(conn, &folder, &table, sync_type, direction)?;
                Ok(s::added(&folder.code, &table, direction.arrow()))
            })
        });
    Effect::Form(form)
}

fn remove(sel: &Selection<'_>) -> Effect {
    let ids = sel.ids();
    let n = ids.len();
    // The question names the tables (`ART (server → till)`), read off the loop.
    Effect::db_then(s::REMOVE, move |conn, _| {
        let mut names = Vec::new();
        for id in &ids {
            if let Some(t) = store::table_by_id(conn, *id)? {
                names.push(format!("{} ({})", t.table_name, t.direction.arrow()));
            }
        }
        let mut lines = s::remove_lines(n);
        lines.insert(1, names.join(", "));
        Ok(Effect::confirm(
            s::REMOVE,
            lines,
            s::remove_confirm(n),
            Effect::db(s::REMOVE, move |conn| {
                let tx = conn.transaction()?;
                for id in &ids {
                    tx.execute("DELETE FROM sync_tables WHERE id = ?1", [id])?;
                }
                tx.commit()?;
                Ok(s::removed(n))
            }),
        ))
    })
}

fn toggle_type(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db(s::TOGGLE_TYPE, move |conn| {
        let t = store::table_by_id(conn, id)?
            .ok_or_else(|| anyhow::anyhow!("sync table #{id} was removed meanwhile"))?;
        let other = match t.sync_type {
            SyncType::Full => SyncType::Incremental,
            SyncType::Incremental => SyncType::Full,
        };
        store::set_table_type(conn, id, other)?;
        let t = store::table_by_id(conn, id)?
            .ok_or_else(|| anyhow::anyhow!("sync table #{id} was removed meanwhile"))?;
        Ok(s::switched(&t))
    })
}

fn check(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db_then(s::CHECKING, move |conn, _| {
        let t = store::table_by_id(conn, id)?
            .ok_or_else(|| anyhow::anyhow!("sync table #{id} was removed meanwhile"))?;
        Ok(Effect::Worker(crate::worker::Command::Pos(
            PosCommand::CheckTables {
                folder_id: t.folder_id,
            },
        )))
    })
}
