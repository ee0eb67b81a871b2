//! The print jobs pane: every job with its state, attempts, next attempt and last error.

use rusqlite::Connection;

use crate::worker::Notification;

use super::{Notice, RowAction};
use crate::tui::effect::Effect;

/// Row actions of the print jobs pane (reschedule, reprint, download... are added here).
pub static ACTIONS: &[RowAction] = &[];

pub fn notices(_conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    Ok(Vec::new())
}

/// Job progress reported by the worker reloads the pane.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    match n {
        Notification::Printing(_) => Some(Effect::Reload),
        _ => None,
    }
}
