//! The contacts pane: print-shop customers with their state, invitation and terms acceptance.

use rusqlite::Connection;

use crate::worker::Notification;

use super::{Notice, RowAction};
use crate::tui::effect::Effect;

/// Row actions of the contacts pane (activate, deactivate, delete, back up... are added here).
pub static ACTIONS: &[RowAction] = &[];

pub fn notices(_conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    Ok(Vec::new())
}

pub fn on_notification(_n: &Notification) -> Option<Effect> {
    None
}
