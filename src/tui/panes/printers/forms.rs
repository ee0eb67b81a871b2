//! The printers pane's configuration forms: add, edit and remove (with a successor for the default).

use crate::printing::printer::{
    validate_api_key, validate_copies, validate_name, validate_target, validate_tray,
};
use crate::printing::{Printer, PrinterError, Provider};
use crate::store::printers::{self as store, NewPrinter, PrinterEdit};
use crate::tui::effect::Effect;
use crate::tui::panes::Selection;
use crate::tui::popups::{Field, Form, FormValues};
use crate::tui::strings::printers as s;

use super::load;

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

pub(super) fn add_printer(_sel: &Selection<'_>) -> Effect {
    Effect::Form(add_form(None, None))
}

/// Target, API key (empty keeps it), copies; the provider and name stay.
pub(super) fn edit_printer(sel: &Selection<'_>) -> Effect {
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
pub(super) fn remove_printer(sel: &Selection<'_>) -> Effect {
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
