//! The sync tables pane: which table of which POS folder is synchronised, how, and which way.

use rusqlite::Connection;

use crate::worker::Notification;

use super::{Notice, RowAction};
use crate::tui::effect::Effect;

/// Row actions of the sync tables pane (add, remove, switch type or direction... are added here).
pub static ACTIONS: &[RowAction] = &[];

pub fn notices(_conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    Ok(Vec::new())
}

/// Sync runs reported by the worker reload the pane.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    match n {
        Notification::Sync(_) => Some(Effect::Reload),
        _ => None,
    }
}
