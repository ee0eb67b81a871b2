//! Effects: what an action asks the app to do, so that actions stay plain functions.
//!
//! Database work runs in `spawn_blocking` on its own connection, never on the UI loop; its result
//! (a message, an error, or a next effect such as a form filled from the row) comes back as an event.

use rusqlite::Connection;
use tokio::sync::mpsc::UnboundedSender;

use super::event::Event;
use super::popups::{Confirm, Form, Review};

/// Database work: runs off the UI loop with its own connection and may report progress.
pub type DbWork = Box<dyn FnOnce(&mut Connection, &Progress) -> anyhow::Result<Effect> + Send>;

pub enum Effect {
    None,
    /// A result for the status line.
    Info(String),
    /// An error for the status line.
    Error(String),
    /// Work on the database (see [`Effect::db`]).
    Db {
        label: String,
        /// The policy action and target the audit log names this work by, when it is not the
        /// row action that led here (see [`Effect::audited_as`]).
        audit_as: Option<(String, String)>,
        work: DbWork,
    },
    /// Ask before doing something that cannot be undone.
    Confirm(Confirm),
    /// Ask for values (labelled fields, tabs, secrets, validation).
    Form(Form),
    /// Show a text to read before confirming (an e-mail before sending it).
    Review(Review),
    /// Send a command to the worker; its notifications come back to the panes.
    Worker(crate::worker::Command),
    /// Put text on the operator's clipboard (OSC 52: works over SSH and in tmux).
    Copy {
        text: String,
        what: String,
    },
    /// Worker work a pane started: the status line spins with `label` until [`Effect::Idle`].
    Busy(String),
    /// The worker work called `label` ended (its notification came back).
    Idle(String),
    /// Reload the panes (the active one now, the others when shown).
    Reload,
    /// Several effects in order.
    All(Vec<Effect>),
}

/// Waits for `future` on the runtime the TUI runs on, from the blocking thread a database effect
/// runs on (network work inside one: a health check, sending an e-mail).
pub fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    Ok(tokio::runtime::Handle::try_current()?.block_on(future))
}

impl Effect {
    /// Runs `f` on the database off the UI loop, shows its message and reloads the panes.
    /// An error is shown in the status line with its context chain.
    pub fn db<F>(label: impl Into<String>, f: F) -> Effect
    where
        F: FnOnce(&mut Connection) -> anyhow::Result<String> + Send + 'static,
    {
        Effect::db_with_progress(label, move |conn, _| f(conn))
    }

    /// Like [`Effect::db`], for long work that reports progress (`progress.set(done, total)`).
    pub fn db_with_progress<F>(label: impl Into<String>, f: F) -> Effect
    where
        F: FnOnce(&mut Connection, &Progress) -> anyhow::Result<String> + Send + 'static,
    {
        Effect::Db {
            label: label.into(),
            audit_as: None,
            work: Box::new(move |conn, progress| {
                let message = f(conn, progress)?;
                Ok(Effect::All(vec![Effect::Info(message), Effect::Reload]))
            }),
        }
    }

    /// Reads or writes the database off the UI loop, then goes on with the effect `f` returns
    /// (e.g. a form filled from the row, or a review of a rendered e-mail).
    pub fn db_then<F>(label: impl Into<String>, f: F) -> Effect
    where
        F: FnOnce(&mut Connection, &Progress) -> anyhow::Result<Effect> + Send + 'static,
    {
        Effect::Db {
            label: label.into(),
            audit_as: None,
            work: Box::new(f),
        }
    }

    /// Has a daemon-hosted session audit this database work as `action` (a policy action, as
    /// the CLI twin is audited) on `target`: work asked for from a form that a read opened (the
    /// print triggers) was named by its label, since the row action that led to it changed
    /// nothing.
    pub fn audited_as(self, action: &str, target: impl Into<String>) -> Effect {
        match self {
            Effect::Db { label, work, .. } => Effect::Db {
                label,
                audit_as: Some((action.to_string(), target.into())),
                work,
            },
            other => other,
        }
    }

    /// Asks "really?" with `lines` of explanation; `confirm` names the action (`Delete 3 contacts`).
    pub fn confirm(
        title: impl Into<String>,
        lines: Vec<String>,
        confirm: impl Into<String>,
        then: Effect,
    ) -> Effect {
        Effect::Confirm(Confirm::new(title, lines, confirm, then))
    }

    pub fn info(message: impl Into<String>) -> Effect {
        Effect::Info(message.into())
    }

    pub fn error(message: impl Into<String>) -> Effect {
        Effect::Error(message.into())
    }
}

/// How far long work got; shown as a gauge in the status line.
#[derive(Clone)]
pub struct Progress {
    pub(super) label: String,
    pub(super) tx: UnboundedSender<Event>,
}

impl Progress {
    /// Reports `done` of `total` steps.
    pub fn set(&self, done: u64, total: u64) {
        let _ = self.tx.send(Event::Progress {
            label: self.label.clone(),
            done,
            total,
        });
    }
}
