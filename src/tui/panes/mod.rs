//! The panes (tabs): one table each, read from SQLite a window at a time, and their row actions.
//!
//! # Adding an action to a pane (the recipe)
//!
//! Everything about a pane's rows lives in its file, `panes/<pane>.rs`:
//!
//! 1. Declare the action in the pane's `ACTIONS`:
//!    ```text
//!    RowAction {
//!        name: "make_default",               // the keymap's `run = "make_default"`, and `:make_default`
//!        description: s::MAKE_DEFAULT,       // help text, in strings.rs
//!        policy: "printers.set-default",     // its CLI twin in the service's policy table: who may run it
//!        needs: Needs::Row,                  // Nothing, Row (the selected row) or Rows (marked, else selected)
//!        run: make_default,
//!    }
//!    ```
//! 2. Write `fn make_default(sel: &Selection) -> Effect`. It runs on the UI loop: do no I/O
//!    there, return an [`Effect`](super::effect::Effect) instead:
//!    - `Effect::db("Making default", move |conn| { domain::f(conn, id)?; Ok(format!("...")) })`
//!      runs the domain function in `spawn_blocking`, shows the message (or the error with its
//!      context) in the status line and reloads the panes. `Effect::db_with_progress` gives the
//!      closure a `&Progress` (`progress.set(done, total)` draws a gauge) for long work;
//!      `Effect::db_then` returns the next effect (e.g. a form filled from the row).
//!    - Destructive: wrap it, `Effect::confirm("Delete contacts", lines, "Delete 3 contacts", effect)`.
//!    - The worker: `Effect::Worker(crate::worker::Command::Printing(...))`; its notifications come to
//!      the pane's `on_notification`, which returns an effect (a message, `Effect::Reload`).
//!    - Ask for values: `Effect::Form(Form::new("Add printer").tab("Printer")
//!      .field(Field::text("name", "Name").required()).field(Field::choice("provider", "Provider",
//!      &["ipp", "raw"])).tab("Login").field(Field::secret("key", "API key").validate(f))
//!      .on_submit(|v| Effect::db(...)))`: `.tab(name)` starts a tab for the fields after it (no
//!      call, no tab bar); validators return `Err(reason)`, shown under the field as it is typed;
//!      `v.get("name")` / `v.opt("key")` read the values. Build it in `db_then` to prefill a row.
//!    - Review a text before an irreversible send: `Effect::Review(Review::new(title, text, "Send", effect))`.
//!    - Copy to the clipboard (OSC 52, works over SSH): `Effect::Copy { text, what: "the link".into() }`.
//!    - Several at once: `Effect::All(vec![...])`; messages: `Effect::info(..)`, `Effect::error(..)`.
//!    - Bulk: `sel.ids()` are the marked rows (space marks, ctrl-a marks the window), else the
//!      selected one; `sel.filtered()` gives the view and filter to read every filtered id in the
//!      closure with `crate::store::views::ids(conn, view, &query)`.
//! 3. Bind a key in `keymaps/default.toml` (and `emacs.toml`) under the pane's section:
//!    `[printers] keymap = [{ on = ["d"], run = "make_default" }]`. Unbound actions still run from
//!    the command palette (`:make_default`), and `?` lists them.
//! 4. Test it in `tests/tui_render.rs` with the `Harness` (seed rows, press keys, assert lines).

pub mod audit;
pub mod contacts;
pub mod health;
pub mod pos_folders;
pub mod print_jobs;
pub mod printers;
pub mod sync;
pub mod sync_tables;
pub mod table;
pub mod tills;

use rusqlite::Connection;

use crate::context::Context;
use crate::store::views::{self, Query, Row, View};
use crate::worker::Notification;

use super::effect::Effect;
use super::strings;

/// Actions that read a file the operator names (imports, uploads) run only in personal mode:
/// in a session the daemon hosts, the path would be the service account's. They name their
/// CLI twin, which carries the file over the socket. (Downloads go through the session's
/// outbox to the client's own folder.)
pub fn own_files(ctx: &Context, twin: &str) -> Result<(), Effect> {
    if ctx.personal {
        Ok(())
    } else {
        Err(Effect::error(strings::status::through_daemon_files(twin)))
    }
}

/// The panes, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pane {
    Printers,
    PrintJobs,
    Contacts,
    PosFolders,
    SyncTables,
    Sync,
    Tills,
    Health,
    Audit,
}

impl Pane {
    pub const ALL: [Pane; 9] = [
        Pane::Printers,
        Pane::PrintJobs,
        Pane::Contacts,
        Pane::PosFolders,
        Pane::SyncTables,
        Pane::Sync,
        Pane::Tills,
        Pane::Health,
        Pane::Audit,
    ];

    /// The pane's position in `ALL` (and in the tab bar).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The pane's one noun: keymap section, theme section, action and palette command.
    pub fn name(self) -> &'static str {
        self.view().name
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Printers => strings::panes::PRINTERS,
            Pane::PrintJobs => strings::panes::PRINT_JOBS,
            Pane::Contacts => strings::panes::CONTACTS,
            Pane::PosFolders => strings::panes::POS_FOLDERS,
            Pane::SyncTables => strings::panes::SYNC_TABLES,
            Pane::Sync => strings::panes::SYNC,
            Pane::Tills => strings::panes::TILLS,
            Pane::Health => strings::panes::HEALTH,
            Pane::Audit => strings::panes::AUDIT,
        }
    }

    /// Short palette names (`:jobs`, `:pos`, `:sync`) besides the full one.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Pane::Printers => &["printers"],
            Pane::PrintJobs => &["jobs", "print_jobs"],
            Pane::Contacts => &["contacts"],
            Pane::PosFolders => &["pos", "pos_folders"],
            Pane::SyncTables => &["tables", "sync_tables"],
            Pane::Sync => &["sync", "status"],
            Pane::Tills => &["tills"],
            Pane::Health => &["health", "doctor"],
            Pane::Audit => &["audit"],
        }
    }

    pub fn view(self) -> &'static View {
        match self {
            Pane::Printers => &views::PRINTERS,
            Pane::PrintJobs => &views::PRINT_JOBS,
            Pane::Contacts => &views::CONTACTS,
            Pane::PosFolders => &views::POS_FOLDERS,
            Pane::SyncTables => &views::SYNC_TABLES,
            Pane::Sync => &sync::VIEW,
            Pane::Tills => &tills::VIEW,
            Pane::Health => &health::VIEW,
            Pane::Audit => &audit::VIEW,
        }
    }

    /// The row actions the pane declares.
    pub fn actions(self) -> &'static [RowAction] {
        match self {
            Pane::Printers => printers::ACTIONS,
            Pane::PrintJobs => print_jobs::ACTIONS,
            Pane::Contacts => contacts::ACTIONS,
            Pane::PosFolders => pos_folders::ACTIONS,
            Pane::SyncTables => sync_tables::ACTIONS,
            Pane::Sync => sync::ACTIONS,
            Pane::Tills => tills::ACTIONS,
            Pane::Health => health::ACTIONS,
            Pane::Audit => audit::ACTIONS,
        }
    }

    /// What the pane says above its table (read with each load, off the UI loop);
    /// `link_focus`: the session's focused generic-link limit (Contacts).
    pub fn notices(self, conn: &Connection, link_focus: u8) -> rusqlite::Result<Vec<Notice>> {
        match self {
            Pane::Printers => printers::notices(conn),
            Pane::PrintJobs => print_jobs::notices(conn),
            Pane::Contacts => contacts::notices(conn, link_focus),
            Pane::PosFolders => pos_folders::notices(conn),
            Pane::SyncTables => sync_tables::notices(conn),
            Pane::Sync => sync::notices(conn),
            Pane::Tills => tills::notices(conn),
            Pane::Health => health::notices(conn),
            Pane::Audit => audit::notices(conn),
        }
    }

    /// What the pane says when it has no rows at all.
    pub fn empty(self) -> &'static str {
        match self {
            Pane::Printers => strings::panes::PRINTERS_EMPTY,
            Pane::PrintJobs => strings::panes::PRINT_JOBS_EMPTY,
            Pane::Contacts => strings::panes::CONTACTS_EMPTY,
            Pane::PosFolders => strings::panes::POS_FOLDERS_EMPTY,
            Pane::SyncTables => strings::panes::SYNC_TABLES_EMPTY,
            Pane::Sync => strings::panes::SYNC_EMPTY,
            Pane::Tills => strings::panes::TILLS_EMPTY,
            Pane::Health => strings::panes::HEALTH_EMPTY,
            Pane::Audit => strings::panes::AUDIT_EMPTY,
        }
    }

    /// The pane's reaction to a worker notification, if it cares.
    pub fn on_notification(self, n: &Notification) -> Option<Effect> {
        match self {
            Pane::Printers => printers::on_notification(n),
            Pane::PrintJobs => print_jobs::on_notification(n),
            Pane::Contacts => contacts::on_notification(n),
            Pane::PosFolders => pos_folders::on_notification(n),
            Pane::SyncTables => sync_tables::on_notification(n),
            Pane::Sync => sync::on_notification(n),
            Pane::Tills => tills::on_notification(n),
            Pane::Health => health::on_notification(n),
            Pane::Audit => audit::on_notification(n),
        }
    }

    pub fn from_name(name: &str) -> Option<Pane> {
        Pane::ALL
            .into_iter()
            .find(|p| p.name() == name || p.aliases().contains(&name))
    }
}

/// A line a pane shows above its table: a warning (`no default printer`) or an information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub warning: bool,
    pub text: String,
}

impl Notice {
    pub fn warning(text: impl Into<String>) -> Notice {
        Notice {
            warning: true,
            text: text.into(),
        }
    }

    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            warning: false,
            text: text.into(),
        }
    }
}

/// Who may run an action: the service's access levels, judged by its policy.
pub use crate::service::Access;

/// What an action needs selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    /// The selected row.
    Row,
    /// The marked rows, else the selected one.
    Rows,
}

/// An action on a pane's row(s), declared in the pane's file.
pub struct RowAction {
    pub name: &'static str,
    pub description: &'static str,
    /// The action of the service's policy table it is (its CLI twin's, `printers.set-default`):
    /// the table alone says who may run it, and the audit log names it so.
    pub policy: &'static str,
    pub needs: Needs,
    pub run: fn(&Selection<'_>) -> Effect,
}

impl RowAction {
    /// Who may run it, as the service's policy table says.
    pub fn access(&self) -> Access {
        crate::service::policy::rule(self.policy).0
    }
}

/// What an action sees: the context, the selected row, the marked rows and the pane's query.
pub struct Selection<'a> {
    pub ctx: &'a Context,
    pub view: &'static View,
    pub row: Option<&'a Row>,
    pub marked: Vec<i64>,
    pub query: &'a Query,
}

impl Selection<'_> {
    /// The selected row's id.
    pub fn id(&self) -> Option<i64> {
        self.row.map(|r| r.id)
    }

    /// The marked rows' ids, or the selected row's when none is marked.
    pub fn ids(&self) -> Vec<i64> {
        if self.marked.is_empty() {
            self.id().into_iter().collect()
        } else {
            self.marked.clone()
        }
    }

    /// The selected row's text in the column called `name`.
    pub fn cell(&self, name: &str) -> Option<&str> {
        let (i, _) = self.view.column(name)?;
        self.row.and_then(|r| r.cells.get(i)).map(String::as_str)
    }

    /// The view and filter of the pane, to read every filtered id off the UI loop.
    pub fn filtered(&self) -> (&'static View, Query) {
        (self.view, self.query.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A typo in an action's policy name would make it admin-only without a word: every action
    /// names a rule of the service's table.
    #[test]
    fn every_row_action_names_a_rule_of_the_policy_table() {
        let unknown: Vec<String> = Pane::ALL
            .into_iter()
            .flat_map(|p| p.actions().iter().map(move |a| (p, a)))
            .filter(|(_, a)| {
                !crate::service::policy::TABLE
                    .iter()
                    .any(|(n, _, _)| *n == a.policy)
            })
            .map(|(p, a)| format!("{}.{} → {}", p.name(), a.name, a.policy))
            .collect();
        assert!(unknown.is_empty(), "unknown policy actions: {unknown:?}");
    }
}
