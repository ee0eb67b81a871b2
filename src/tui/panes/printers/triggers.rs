//! The print triggers popup of the printers pane: each event kind with its document, printer (or
//! the default), copies and on/off, edited in one form and saved in one transaction through the
//! store functions behind `backroom triggers`.

use anyhow::{Context as _, anyhow};
use rusqlite::Connection;

use crate::printing::printer::validate_copies;
use crate::printing::trigger::Trigger;
use crate::store::printers as printer_store;
use crate::store::printing as trigger_store;
use crate::tui::effect::Effect;
use crate::tui::panes::Selection;
use crate::tui::popups::{Field, Form, FormValues};
use crate::tui::strings::printers as s;

/// Opens the popup with the triggers as stored now. Everyone may look; only an administrator
/// (not read-only) may save, as with `backroom triggers set`.
pub(super) fn edit_triggers(sel: &Selection<'_>) -> Effect {
    // Only a save is an attempt (audited when refused); opening the popup is a look.
    let refusal = sel
        .ctx
        .would_allow("triggers.set")
        .err()
        .map(|e| e.to_string());
    let audit = sel.ctx.audit.clone();
    Effect::db_then(s::READING_TRIGGERS, move |conn, _| {
        let triggers = trigger_store::triggers(conn).context("reading the print triggers")?;
        let printers: Vec<String> = printer_store::list(conn)
            .context("reading the printers")?
            .into_iter()
            .map(|p| p.name)
            .collect();
        Ok(Effect::Form(form(triggers, &printers, refusal, audit)))
    })
}

/// What the audit log names as the target of a save from the popup (it may change several).
const AUDIT_TARGET: &str = "print triggers";

fn key(t: &Trigger, what: &str) -> String {
    format!("{}.{what}", t.event_kind)
}

fn copies_field(t: &Trigger) -> Field {
    let current = t.copies.map(|c| c.to_string()).unwrap_or_default();
    Field::text(&key(t, "copies"), s::TRIGGER_COPIES)
        .value(&current)
        .hint(s::TRIGGER_COPIES_HINT)
        .validate(|v| match v.trim() {
            "" => Ok(()),
            n => match n.parse::<u32>() {
                Ok(n) => validate_copies(n).map_err(|e| e.to_string()),
                Err(_) => Err(s::COPIES_EXPECTED.to_string()),
            },
        })
}

/// Three fields per trigger: on/off (labelled `event → document`), printer, copies.
/// Saving is audited as `triggers.set` (refused, too) in a daemon-hosted session (`audit`).
fn form(
    triggers: Vec<Trigger>,
    printers: &[String],
    refusal: Option<String>,
    audit: Option<crate::service::audit::Sink>,
) -> Form {
    let mut form = Form::new(s::TRIGGERS_TITLE);
    for t in &triggers {
        let mut options = vec![s::TRIGGER_DEFAULT_PRINTER];
        options.extend(printers.iter().map(String::as_str));
        let printer = t.printer.as_deref().unwrap_or(s::TRIGGER_DEFAULT_PRINTER);
        if !options.contains(&printer) {
            options.push(printer);
        }
        let on = if t.enabled {
            s::TRIGGER_ON
        } else {
            s::TRIGGER_OFF
        };
        form = form
            .field(
                Field::choice(
                    &key(t, "enabled"),
                    &s::trigger_label(&t.event_kind, &t.document),
                    &[s::TRIGGER_ON, s::TRIGGER_OFF],
                )
                .value(on)
                .hint(&s::trigger_now(t.enabled, t.printer.as_deref(), t.copies)),
            )
            .field(Field::choice(&key(t, "printer"), s::TRIGGER_PRINTER, &options).value(printer))
            .field(copies_field(t));
    }
    form.on_submit(move |values| match refusal {
        Some(why) => {
            if let Some(sink) = &audit {
                let outcome = crate::service::audit::Outcome::Refused(why.clone());
                sink.record("triggers.set", AUDIT_TARGET, &outcome);
            }
            Effect::error(why)
        }
        None => Effect::db(s::SAVING_TRIGGERS, move |conn| {
            save(conn, &triggers, &values)
        })
        .audited_as("triggers.set", AUDIT_TARGET),
    })
}

/// Writes what changed, all triggers or none; says which triggers changed.
fn save(conn: &mut Connection, before: &[Trigger], values: &FormValues) -> anyhow::Result<String> {
    let tx = conn.transaction()?;
    let mut changed = Vec::new();
    for t in before {
        let kind = t.event_kind.as_str();
        let enabled = values.get(&key(t, "enabled")) == s::TRIGGER_ON;
        let printer = values
            .opt(&key(t, "printer"))
            .filter(|p| p != s::TRIGGER_DEFAULT_PRINTER);
        let copies = match values.opt(&key(t, "copies")) {
            None => None,
            Some(n) => Some(
                n.parse::<u32>()
                    .with_context(|| format!("copies of the {kind} trigger: {n:?}"))?,
            ),
        };
        let printer_id = if printer == t.printer {
            None
        } else {
            Some(match &printer {
                None => None,
                Some(name) => Some(
                    printer_store::by_name(&tx, name)?
                        .ok_or_else(|| anyhow!(s::trigger_printer_gone(name)))?
                        .id,
                ),
            })
        };
        let copies = (copies != t.copies).then_some(copies);
        let mut touched = false;
        if printer_id.is_some() || copies.is_some() {
            trigger_store::set_trigger(&tx, kind, printer_id, copies)
                .with_context(|| format!("saving the {kind} trigger"))?;
            touched = true;
        }
        if enabled != t.enabled {
            trigger_store::set_trigger_enabled(&tx, kind, enabled)
                .with_context(|| format!("switching the {kind} trigger"))?;
            touched = true;
        }
        if touched {
            changed.push(kind.to_string());
        }
    }
    tx.commit().context("saving the print triggers")?;
    tracing::info!(changed = ?changed, "print triggers changed from the TUI");
    Ok(if changed.is_empty() {
        s::TRIGGERS_UNCHANGED.to_string()
    } else {
        s::triggers_saved(&changed)
    })
}
