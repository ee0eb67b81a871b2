//! The printers pane: printer configurations, loud warnings when nothing can print, and the
//! printer actions (default, check, tray, test page, on/off, the store's printing switch, the
//! print triggers).

mod forms;
mod triggers;

use anyhow::anyhow;
use rusqlite::Connection;

use crate::printing::Printer;
use crate::printing::check::check_blocking;
use crate::printing::printer::validate_tray;
use crate::printing::test_page::print_blocking;
use crate::store::printers::{self as store, PrinterEdit};
use crate::store::views;
use crate::worker::Notification;

use super::{Needs, Notice, RowAction, Selection};
use crate::tui::effect::Effect;
use crate::tui::popups::{Field, Form};
use crate::tui::strings::printers as s;

/// Row actions of the printers pane (keys in `keymaps/*.toml`, section `[printers]`).
pub static ACTIONS: &[RowAction] = &[
    RowAction {
        name: "add",
        description: s::ADD,
        policy: "printers.add",
        needs: Needs::Nothing,
        run: forms::add_printer,
    },
    RowAction {
        name: "edit",
        description: s::EDIT,
        policy: "printers.edit",
        needs: Needs::Row,
        run: forms::edit_printer,
    },
    RowAction {
        name: "remove",
        description: s::REMOVE,
        policy: "printers.remove",
        needs: Needs::Row,
        run: forms::remove_printer,
    },
    RowAction {
        name: "make_default",
        description: s::MAKE_DEFAULT,
        policy: "printers.set-default",
        needs: Needs::Row,
        run: make_default,
    },
    RowAction {
        name: "check",
        description: s::CHECK,
        policy: "printers.check",
        needs: Needs::Row,
        run: check,
    },
    RowAction {
        name: "choose_tray",
        description: s::CHOOSE_TRAY,
        policy: "printers.edit",
        needs: Needs::Row,
        run: choose_tray,
    },
    RowAction {
        name: "test_page",
        description: s::TEST_PAGE,
        policy: "printers.test-page",
        needs: Needs::Row,
        run: test_page,
    },
    RowAction {
        name: "toggle_enabled",
        description: s::TOGGLE_ENABLED,
        policy: "printers.edit",
        needs: Needs::Row,
        run: toggle_enabled,
    },
    RowAction {
        name: "toggle_printing",
        description: s::TOGGLE_PRINTING,
        policy: "printers.toggle-printing",
        needs: Needs::Nothing,
        run: toggle_printing,
    },
    RowAction {
        name: "triggers",
        description: s::TRIGGERS,
        policy: "triggers.list",
        needs: Needs::Nothing,
        run: triggers::edit_triggers,
    },
];

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

/// How long finished print jobs are kept (`PRINT_JOB_RETENTION`, not configurable).
fn retention() -> Option<String> {
    Some(s::retention(crate::printing::retention::retention_text()))
}

/// Printing notifications that change printers (connection tests, remote states) land here.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    match n {
        Notification::Printing(_) => Some(Effect::Reload),
        _ => None,
    }
}

/// The selected printer, read again off the UI loop (it may have changed meanwhile).
fn load(conn: &Connection, id: i64) -> anyhow::Result<Printer> {
    store::by_id(conn, id)?.ok_or_else(|| anyhow!(s::gone(id)))
}

fn make_default(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db(s::MAKING_DEFAULT, move |conn| {
        let p = load(conn, id)?;
        let p = store::set_default(conn, &p.name)?;
        Ok(s::now_default(&p.name))
    })
}

/// Asks the printer (network, off the UI loop); a printer that is not ready is an error line.
fn check(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db_then(s::CHECKING, move |conn, _| {
        let p = load(conn, id)?;
        let report = check_blocking(&p);
        Ok(if report.ready {
            Effect::info(report.summary())
        } else {
            Effect::error(report.summary())
        })
    })
}

/// Checks the printer for its trays, then offers them in a form (free text when it lists none).
fn choose_tray(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db_then(s::READING_TRAYS, move |conn, _| {
        let p = load(conn, id)?;
        let report = check_blocking(&p);
        let current = p.tray.clone().unwrap_or_default();
        let field = if report.trays.is_empty() {
            let why = if report.reachable {
                report.state.clone()
            } else {
                report.detail.clone()
            };
            Field::text("tray", s::TRAY)
                .value(&current)
                .hint(&s::no_trays(&why))
                .validate(|v| match v.trim() {
                    "" => Ok(()),
                    t => validate_tray(t).map_err(|e| e.to_string()),
                })
        } else {
            let mut options = vec![s::PRINTER_DEFAULT_TRAY];
            if !current.is_empty() && !report.trays.contains(&current) {
                options.push(&current);
            }
            options.extend(report.trays.iter().map(String::as_str));
            let chosen = if current.is_empty() {
                s::PRINTER_DEFAULT_TRAY
            } else {
                &current
            };
            Field::choice("tray", s::TRAY, &options)
                .value(chosen)
                .hint(s::TRAY_CHOICE_HINT)
        };
        let name = p.name.clone();
        let form = Form::new(&s::tray_title(&p.name))
            .field(field)
            .on_submit(move |values| {
                let tray = values.opt("tray").filter(|t| t != s::PRINTER_DEFAULT_TRAY);
                Effect::db(s::SAVING_TRAY, move |conn| {
                    let change = PrinterEdit {
                        tray: Some(tray.clone()),
                        ..PrinterEdit::default()
                    };
                    store::edit(conn, &name, &change)?;
                    Ok(s::tray_saved(&name, tray.as_deref()))
                })
            });
        Ok(Effect::Form(form))
    })
}

fn test_page(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db_then(s::SENDING_TEST_PAGE, move |conn, _| {
        let p = load(conn, id)?;
        Ok(match print_blocking(&p) {
            Ok(accepted) => {
                Effect::info(s::test_page_sent(&p.name, accepted.remote_ref.as_deref()))
            }
            Err(e) => Effect::error(s::test_page_failed(&p.name, &e.to_string())),
        })
    })
}

fn toggle_enabled(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db(s::SWITCHING, move |conn| {
        let p = load(conn, id)?;
        let change = PrinterEdit {
            enabled: Some(!p.enabled),
            ..PrinterEdit::default()
        };
        let p = store::edit(conn, &p.name, &change)?;
        Ok(s::switched(&p.name, p.enabled))
    })
}

fn toggle_printing(_sel: &Selection<'_>) -> Effect {
    Effect::db(s::SWITCHING, |conn| {
        let on = !store::printing_enabled(conn)?;
        store::set_printing_enabled(conn, on)?;
        tracing::info!(enabled = on, "printing switched from the TUI");
        Ok(s::printing_switched(on))
    })
}
