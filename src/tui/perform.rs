//! Carrying out effects, and running a pane's row actions after their access checks.

use super::app::App;
use super::effect::Effect;
use super::loader;
use super::panes::{Needs, Pane, RowAction, Selection};
use super::popups::Popup;
use super::strings::status as s;
use crate::service::audit::{Intent, Outcome, Sink};

/// Wraps database work of a daemon-hosted session so that it is audited where it runs: when
/// it changed rows, or when it failed while carrying out a change. Named as the effect says
/// ([`Effect::audited_as`]), else by the row action that asked for it, else by its label.
fn audited(
    sink: Sink,
    label: &str,
    audit_as: Option<(String, String)>,
    work: super::effect::DbWork,
) -> super::effect::DbWork {
    let intent = audit_as.or_else(|| sink.intent());
    let label = label.to_string();
    Box::new(move |conn, progress| {
        let before = conn.total_changes();
        let result = work(conn, progress);
        let changed = conn.total_changes() != before;
        if changed || (result.is_err() && intent.is_some()) {
            let (action, target) = intent.unwrap_or((label, String::new()));
            let outcome = match &result {
                Ok(_) => Outcome::Ok,
                Err(e) => Outcome::Failed(format!("{e:#}")),
            };
            sink.record(&action, &target, &outcome);
        }
        result
    })
}

impl App {
    /// Carries out an effect.
    pub fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::None => {}
            Effect::Info(m) => self.status.info(m),
            Effect::Error(m) => self.status.error(m),
            Effect::Db {
                label,
                audit_as,
                work,
            } => {
                self.status.busy.insert(label.clone(), None);
                self.pending += 1;
                self.db_running += 1;
                let work = match &self.ctx.audit {
                    Some(sink) => audited(sink.clone(), &label, audit_as, work),
                    None => work,
                };
                loader::work(&self.ctx.db_path, label, work, &self.tx);
            }
            Effect::Busy(label) => {
                self.status.busy.insert(label, None);
            }
            Effect::Idle(label) => {
                self.status.busy.remove(&label);
            }
            Effect::Confirm(c) => self.popups.push(Popup::Confirm(c)),
            Effect::Form(f) => self.popups.push(Popup::Form(f)),
            Effect::Review(r) => self.popups.push(Popup::Review(r)),
            // "Yes" to the package-update question installs a package: only a session that may
            // run sync processes gives it (a read-only one could, until 2026-11-30), audited as
            // `sync.run`; any session may decline.
            Effect::Worker(crate::worker::Command::Sync(
                crate::worker::sync::Command::Answer { id, yes: true },
            )) if self.ctx.would_allow("sync.run").is_err() => {
                let refused = self
                    .ctx
                    .would_allow("sync.run")
                    .err()
                    .map(|r| r.to_string());
                if let Some(w) = &self.worker {
                    let no = crate::worker::sync::Command::Answer { id, yes: false };
                    let _ = w.send(crate::worker::Command::Sync(no));
                }
                if let Some(sink) = &self.ctx.audit {
                    sink.record(
                        "sync.run",
                        "package update",
                        &Outcome::Refused(refused.clone().unwrap_or_default()),
                    );
                }
                self.status.error(refused.unwrap_or_default());
            }
            Effect::Worker(cmd) => match &self.worker {
                Some(w) => {
                    // A change handed to the worker is audited as asked (a test page), and a
                    // "yes" to the update question as what it is (it was named by whatever
                    // row action came before).
                    use crate::worker::{Command::Sync, sync::Command::Answer};
                    let named = match &cmd {
                        Sync(Answer { yes: true, .. }) => {
                            Some(("sync.run".to_string(), "package update".to_string()))
                        }
                        // A "no" changes nothing (it was audited as the row action before it).
                        Sync(Answer { yes: false, .. }) => None,
                        _ => self.ctx.audit.as_ref().and_then(Sink::intent),
                    };
                    if w.send(cmd).is_err() {
                        self.status.error(s::NO_WORKER);
                    } else if let (Some(sink), Some((action, target))) = (&self.ctx.audit, named) {
                        sink.record(&action, &target, &Outcome::Ok);
                    }
                }
                _ => self.status.error(s::NO_WORKER),
            },
            Effect::Copy { text, what } => {
                use base64::Engine as _;
                let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                self.terminal_writes
                    .push(format!("\x1b]52;c;{encoded}\x07"));
                self.clipboard = Some(text);
                self.status.info(s::copied(&what));
            }
            Effect::Reload => {
                for t in self.tables.iter_mut() {
                    t.stale = true;
                }
                let req = self.table_mut().reload();
                self.load(self.active, req);
            }
            Effect::All(effects) => {
                for e in effects {
                    self.apply(e);
                }
            }
        }
    }

    /// Runs the active pane's row action `name`, after the access and selection checks.
    pub fn run_row_action(&mut self, name: &str) {
        if let Some(action) = self.active.actions().iter().find(|a| a.name == name) {
            self.run_action(action);
        }
    }

    /// Runs the row action deferred while `pane`'s rows were read, if that pane is still shown.
    pub(super) fn run_deferred(&mut self, pane: Pane) {
        let due =
            self.deferred.is_some_and(|(p, _)| p == pane) && !self.tables[pane.index()].loading;
        if due
            && let Some((p, name)) = self.deferred.take()
            && p == self.active
            && self.popups.is_empty()
        {
            self.run_row_action(name);
        }
    }

    /// Runs a row action on the active pane: refused read-only or to staff as its access says,
    /// refused without a selected row when it needs one; otherwise its effect is applied.
    pub fn run_action(&mut self, action: &RowAction) {
        let pane = self.active;
        if let Some(sink) = &self.ctx.audit {
            let table = &self.tables[pane.index()];
            let target = if table.marked.is_empty() || action.needs != Needs::Rows {
                table
                    .selected_row()
                    .and_then(|r| r.cells.first().cloned())
                    .unwrap_or_default()
            } else {
                format!("{} marked rows", table.marked.len())
            };
            sink.intend(action.access().changes().then(|| Intent {
                action: action.policy.to_string(),
                target,
                description: action.description.to_string(),
            }));
        }
        if let Err(e) = self.ctx.allowed(action.access(), action.description) {
            self.status.error(e.to_string());
            return;
        }
        let table = &self.tables[pane.index()];
        if action.needs != Needs::Nothing && table.selected_row().is_none() {
            // The pane's rows are still being read (just shown): the key runs once they arrive.
            if table.loading && table.window.rows.is_empty() {
                self.deferred = Some((pane, action.name));
                return;
            }
            self.status.error(s::NO_ROW);
            return;
        }
        let marked: Vec<i64> = if action.needs == Needs::Rows {
            table.marked.iter().copied().collect()
        } else {
            Vec::new()
        };
        self.acting = (!marked.is_empty()).then(|| (pane, marked.clone()));
        let selection = Selection {
            ctx: &self.ctx,
            view: pane.view(),
            row: table.selected_row(),
            marked,
            query: &table.query,
        };
        let effect = (action.run)(&selection);
        self.apply(effect);
    }
}
