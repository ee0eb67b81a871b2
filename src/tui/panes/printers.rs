//! The printers pane: printer configurations, loud warnings when nothing can print, and the
//! printer actions (default, check, tray, test page, on/off, the store's printing switch).

use anyhow::anyhow;
use rusqlite::Connection;

use crate::printing::check::check_blocking;
use crate::printing::printer::{
    validate_api_key, validate_copies, validate_name, validate_target, validate_tray,
};
use crate::printing::test_page::print_blocking;
use crate::printing::{Printer, PrinterError, Provider};
use crate::store::printers::{self as store, NewPrinter, PrinterEdit};
use crate::store::views;
use crate::worker::Notification;

use super::{Access, Needs, Notice, RowAction, Selection};
use crate::tui::effect::Effect;
use crate::tui::popups::{Field, Form, FormValues};
use crate::tui::strings::printers as s;

/// Row actions of the printers pane (keys in `keymaps/*.toml`, section `[printers]`).
pub static ACTIONS: &[RowAction] = &[
    RowAction {
        name: "add",
        description: s::ADD,
        access: Access::Write,
        needs: Needs::Nothing,
        run: add_printer,
    },
    RowAction {
        name: "edit",
        description: s::EDIT,
        access: Access::Write,
        needs: Needs::Row,
        run: edit_printer,
    },
    RowAction {
        name: "remove",
        description: s::REMOVE,
        access: Access::Write,
        needs: Needs::Row,
        run: remove_printer,
    },
    RowAction {
        name: "make_default",
        description: s::MAKE_DEFAULT,
        access: Access::Write,
        needs: Needs::Row,
        run: make_default,
    },
    RowAction {
        name: "check",
        description: s::CHECK,
        access: Access::Read,
        needs: Needs::Row,
        run: check,
    },
    RowAction {
        name: "choose_tray",
        description: s::CHOOSE_TRAY,
        access: Access::Write,
        needs: Needs::Row,
        run: choose_tray,
    },
    RowAction {
        name: "test_page",
        description: s::TEST_PAGE,
        access: Access::Read,
        needs: Needs::Row,
        run: test_page,
    },
    RowAction {
        name: "toggle_enabled",
        description: s::TOGGLE_ENABLED,
        access: Access::Write,
        needs: Needs::Row,
        run: toggle_enabled,
    },
    RowAction {
        name: "toggle_printing",
        description: s::TOGGLE_PRINTING,
        access: Access::Admin,
        needs: Needs::Nothing,
        run: toggle_printing,
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

/// Why a value was refused, short enough for a form hint.
fn reason(e: PrinterError) -> String {
    match e {
        PrinterError::BadTarget { reason, .. } => format!("✗ {reason}"),
        other => format!("✗ {other}"),
    }
}

fn copies_field(value: &str) -> Field {
    Field::text("copies", s::COPIES)
        .value(value)
        .validate(|v| match v.trim().parse::<u32>() {
            Ok(n) => validate_copies(n).map_err(|e| e.to_string()),
            Err(_) => Err(s::COPIES_EXPECTED.to_string()),
        })
}

fn tray_field(value: &str) -> Field {
    Field::text("tray", s::TRAY)
        .value(value)
        .hint(s::TRAY_HINT)
        .validate(|v| match v.trim() {
            "" => Ok(()),
            t => validate_tray(t).map_err(|e| e.to_string()),
        })
}

/// The "add printer" form, filled again with `values` and `error` after a refused submit.
fn add_form(values: Option<&FormValues>, error: Option<String>) -> Form {
    let get = |k: &str| values.map(|v| v.get(k).to_string()).unwrap_or_default();
    let providers: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
    let mut provider = Field::choice("provider", s::PROVIDER, &providers);
    if values.is_some() {
        provider = provider.value(&get("provider"));
    }
    let copies = values.map_or_else(|| "1".to_string(), |v| v.get("copies").to_string());
    let default = if get("default").is_empty() {
        s::NO.to_string()
    } else {
        get("default")
    };
    Form::new(s::ADD_TITLE)
        .field(
            Field::text("name", s::NAME)
                .value(&get("name"))
                .required()
                .validate(|v| validate_name(v).map_err(|e| e.to_string())),
        )
        .field(provider)
        .field(
            Field::text("target", s::TARGET)
                .value(&get("target"))
                .required()
                .hint(&error.unwrap_or_else(|| s::TARGET_HINT.to_string())),
        )
        .field(Field::secret("api_key", s::API_KEY).hint(s::API_KEY_HINT))
        .field(tray_field(&get("tray")))
        .field(copies_field(&copies))
        .field(Field::choice("default", s::MAKE_IT_DEFAULT, &[s::NO, s::YES]).value(&default))
        .on_submit(submit_add)
}

/// Validates against the provider off the UI loop (a spool folder is looked at), then inserts;
/// a refusal reopens the form with what was typed and the reason.
fn submit_add(values: FormValues) -> Effect {
    Effect::db_then(s::ADDING, move |conn, _| {
        let provider: Provider = match values.get("provider").parse() {
            Ok(p) => p,
            Err(e) => return Ok(Effect::Form(add_form(Some(&values), Some(e)))),
        };
        let api_key = values.opt("api_key");
        let checked = validate_target(provider, values.get("target"))
            .and_then(|t| validate_api_key(provider, api_key.as_deref()).map(|_| t));
        let target = match checked {
            Ok(t) => t,
            Err(e) => return Ok(Effect::Form(add_form(Some(&values), Some(reason(e))))),
        };
        let new = NewPrinter {
            name: values.get("name").trim().to_string(),
            provider,
            target,
            api_key,
            tray: values.opt("tray"),
            copies: values.get("copies").trim().parse().unwrap_or(1),
            enabled: true,
            make_default: values.get("default") == s::YES,
        };
        match store::add(conn, &new) {
            Ok(p) => Ok(Effect::All(vec![
                Effect::info(s::added(&p.name, p.is_default)),
                Effect::Reload,
            ])),
            Err(store::ChangeError::NameTaken(_)) => Ok(Effect::Form(add_form(
                Some(&values),
                Some(s::name_taken(values.get("name"))),
            ))),
            Err(e) => Err(e.into()),
        }
    })
}

fn add_printer(_sel: &Selection<'_>) -> Effect {
    Effect::Form(add_form(None, None))
}

/// Target, API key (empty keeps it), copies; the provider and name stay.
fn edit_printer(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db_then(s::READING, move |conn, _| {
        let p = load(conn, id)?;
        Ok(Effect::Form(edit_form(&p, None)))
    })
}

fn edit_form(p: &Printer, error: Option<String>) -> Form {
    let mut form = Form::new(&s::edit_title(&p.name)).field(
        Field::text("target", s::TARGET)
            .value(&p.target)
            .required()
            .hint(&error.unwrap_or_else(|| s::TARGET_HINT.to_string())),
    );
    if p.provider == Provider::PrintNode {
        form = form.field(Field::secret("api_key", s::API_KEY).hint(s::API_KEY_KEEP));
    }
    let printer = p.clone();
    form.field(copies_field(&p.copies.to_string()))
        .on_submit(move |values| {
            Effect::db_then(s::SAVING, move |conn, _| {
                let target = match validate_target(printer.provider, values.get("target")) {
                    Ok(t) => t,
                    Err(e) => {
                        let mut shown = printer.clone();
                        shown.target = values.get("target").to_string();
                        return Ok(Effect::Form(edit_form(&shown, Some(reason(e)))));
                    }
                };
                let change = PrinterEdit {
                    target: Some(target),
                    api_key: values.opt("api_key").map(Some),
                    copies: values.get("copies").trim().parse().ok(),
                    ..PrinterEdit::default()
                };
                let p = store::edit(conn, &printer.name, &change)?;
                Ok(Effect::All(vec![
                    Effect::info(s::saved(&p.name)),
                    Effect::Reload,
                ]))
            })
        })
}

/// Removing asks first; removing the default asks which printer takes over.
fn remove_printer(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db_then(s::READING, move |conn, _| {
        let p = load(conn, id)?;
        let others: Vec<String> = store::list(conn)?
            .into_iter()
            .filter(|o| o.id != p.id)
            .map(|o| o.name)
            .collect();
        let name = p.name.clone();
        if p.is_default && !others.is_empty() {
            let options: Vec<&str> = others.iter().map(String::as_str).collect();
            let form = Form::new(&s::remove_default_title(&name))
                .field(Field::choice("successor", s::SUCCESSOR, &options).hint(s::SUCCESSOR_HINT))
                .on_submit(move |values| {
                    let successor = values.get("successor").to_string();
                    remove_effect(name, Some(successor))
                });
            return Ok(Effect::Form(form));
        }
        let mut lines = vec![s::remove_line(&name)];
        lines.push(if others.is_empty() {
            s::LAST_PRINTER.to_string()
        } else {
            s::JOBS_GO_TO_DEFAULT.to_string()
        });
        Ok(Effect::confirm(
            s::REMOVE_TITLE,
            lines,
            s::remove_button(&name),
            remove_effect(name, None),
        ))
    })
}

fn remove_effect(name: String, successor: Option<String>) -> Effect {
    Effect::db(s::REMOVING, move |conn| {
        let removed = store::remove(conn, &name, successor.as_deref())?;
        Ok(s::removed(
            &removed.removed,
            removed.new_default.as_deref(),
            removed.jobs_to_default + removed.triggers_to_default,
        ))
    })
}
