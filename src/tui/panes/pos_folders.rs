//! The POS folders pane: each folder's database, FTP and till settings, secrets masked.

use rusqlite::Connection;

use crate::worker::Notification;

use super::{Notice, RowAction};
use crate::tui::effect::Effect;

/// Row actions of the POS folders pane (edit, test connections, export... are added here).
pub static ACTIONS: &[RowAction] = &[];

pub fn notices(_conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    Ok(Vec::new())
}

/// Connection tests and exports reported by the worker reload the pane.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    match n {
        Notification::Pos(_) => Some(Effect::Reload),
        _ => None,
    }
}
