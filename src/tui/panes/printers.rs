//! The printers pane: printer configurations, and loud warnings when nothing can print.

use rusqlite::Connection;

use crate::store::views;
use crate::worker::Notification;

use super::{Notice, RowAction};
use crate::tui::effect::Effect;
use crate::tui::strings::printers as s;

/// Row actions of the printers pane (the printing engineers add theirs here; see `panes/mod.rs`).
pub static ACTIONS: &[RowAction] = &[];

/// No printer, no default printer, printing switched off; and how long finished jobs are kept.
pub fn notices(conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    let health = views::printer_health(conn)?;
    let mut out = Vec::new();
    if !health.printing_enabled {
        out.push(Notice::warning(s::PRINTING_OFF));
    }
    if health.printers == 0 {
        out.push(Notice::warning(s::NO_PRINTER));
    } else if !health.has_default {
        out.push(Notice::warning(s::NO_DEFAULT));
    }
    if let Some(retention) = retention() {
        out.push(Notice::info(retention));
    }
    Ok(out)
}

/// How long finished print jobs are kept.
// The printing helper fills this in from `PRINT_JOB_RETENTION` once it exists, e.g.
// `Some(s::retention(crate::printing::PRINT_JOB_RETENTION))`.
fn retention() -> Option<String> {
    None
}

/// Printing notifications that change printers (connection tests, remote states) land here.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    match n {
        Notification::Printing(_) => Some(Effect::Reload),
        _ => None,
    }
}
