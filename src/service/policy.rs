//! The policy table: which action reads, which changes (refused read-only), which is for
//! administrators. Every front door names its action here; an action not listed is admin-only.

use serde::{Deserialize, Serialize};

use super::Identity;
use crate::config::Role;

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// Reads only: allowed read-only and to staff.
    Read,
    /// Changes something: refused read-only.
    Write,
    /// Changes something and is for administrators.
    Admin,
    /// Reads what only administrators may see (the audit log, the operators): allowed read-only.
    AdminRead,
}

impl Access {
    /// True when the action changes something (refused read-only, audited when it succeeds).
    pub fn changes(self) -> bool {
        matches!(self, Access::Write | Access::Admin)
    }
}

/// A refusal the operator can act on: read-only mode or a missing role.
#[derive(Debug, Clone, thiserror::Error, Serialize, Deserialize)]
pub enum Refused {
    #[error(
        "{action} is refused: backroom runs read-only (started with --read-only or switched with :readonly)"
    )]
    ReadOnly { action: String },
    #[error(
        "{action} is for administrators; {operator} is staff (ask an admin: roles come from [operators] and admin_groups in the config of whoever owns the database)"
    )]
    NotAdmin { action: String, operator: String },
}

use Access::{Admin, AdminRead, Read, Write};

/// Every action of the front doors: name (`noun.verb`), access, and how a refusal names it.
pub const TABLE: &[(&str, Access, &str)] = &[
    ("printers.add", Write, "adding a printer"),
    ("printers.list", Read, "listing printers"),
    ("printers.show", Read, "showing a printer"),
    (
        "printers.set-default",
        Write,
        "changing the default printer",
    ),
    ("printers.remove", Write, "removing a printer"),
    ("printers.edit", Write, "editing a printer"),
    ("printers.check", Read, "checking a printer"),
    ("printers.test-page", Write, "printing a test page"),
    ("printers.enable", Admin, "switching printing on"),
    ("printers.disable", Admin, "switching printing off"),
    ("triggers.list", Read, "listing the print triggers"),
    ("triggers.set", Admin, "changing a print trigger"),
    ("triggers.enable", Admin, "switching a print trigger on"),
    ("triggers.disable", Admin, "switching a print trigger off"),
    ("jobs.list", Read, "listing print jobs"),
    ("jobs.show", Read, "showing a print job"),
    ("jobs.reschedule", Write, "rescheduling print jobs"),
    ("jobs.reprint", Write, "reprinting a job"),
    ("jobs.cancel", Write, "cancelling print jobs"),
    ("jobs.confirm", Write, "confirming print jobs"),
    ("jobs.download", Read, "downloading a document"),
    ("jobs.purge", Admin, "purging print jobs"),
    ("events.emit", Write, "emitting an event"),
    ("events.list", Read, "listing events"),
    ("contacts.list", Read, "listing contacts"),
    ("contacts.show", Read, "showing a contact"),
    ("contacts.add", Write, "adding a contact"),
    ("contacts.export", Read, "exporting contacts"),
    ("contacts.reactivate", Admin, "reactivating a contact"),
    ("contacts.import", Write, "importing contacts"),
    ("contacts.template", Read, "writing the import template"),
    ("contacts.invite", Write, "sending an activation request"),
    ("contacts.activate", Write, "activating a contact"),
    ("contacts.deactivate", Write, "deactivating a contact"),
    (
        "contacts.delete-identities",
        Write,
        "deleting login identities",
    ),
    ("contacts.delete", Write, "deleting contacts"),
    ("contacts.backup", Read, "backing up a contact's data"),
    ("links.show", Read, "showing the links"),
    ("links.regenerate", Admin, "regenerating the generic link"),
    ("links.set", Write, "changing the generic link settings"),
    ("links.send", Write, "sending the generic link"),
    ("terms.show", Read, "showing the terms of service"),
    ("terms.upload", Admin, "uploading terms of service"),
    ("pos.folders.add", Admin, "adding a POS folder"),
    ("pos.folders.list", Read, "listing POS folders"),
    ("pos.folders.show", Read, "showing a POS folder"),
    ("pos.folders.set", Admin, "changing a POS folder"),
    ("pos.folders.remove", Admin, "removing a POS folder"),
    ("pos.test-db", Read, "testing a DB server"),
    ("pos.test-ftp", Read, "testing an FTP server"),
    ("pos.test-ws", Read, "testing a web service"),
    ("pos.test", Read, "testing a POS folder"),
    ("pos.test-history", Read, "showing connection tests"),
    ("sync.tables.add", Admin, "adding a sync table"),
    ("sync.tables.list", Read, "listing sync tables"),
    ("sync.tables.check", Read, "checking sync tables"),
    ("sync.tables.remove", Admin, "removing a sync table"),
    (
        "sync.tables.set-type",
        Admin,
        "switching a sync table's type",
    ),
    ("sync.processes.list", Read, "listing sync processes"),
    ("sync.processes.set", Admin, "changing a sync process"),
    ("sync.run", Write, "running a sync process"),
    ("sync.capture.install", Admin, "installing change capture"),
    ("sync.capture.check", Read, "checking change capture"),
    ("sync.capture.remove", Admin, "removing change capture"),
    ("sync.keygen", Admin, "making a signing key"),
    ("sync.sign-updates", Admin, "signing an update manifest"),
    ("sync.status", Read, "showing the sync status"),
    ("sync.runs", Read, "listing sync runs"),
    ("till.ticket.add", Write, "recording a ticket"),
    ("till.ticket.list", Read, "listing tickets"),
    ("till.customer.create", Write, "creating a customer"),
    ("till.customer.update", Write, "changing a customer"),
    (
        "till.customer.abandon",
        Write,
        "abandoning a customer creation",
    ),
    ("till.param.set", Write, "setting a till parameter"),
    ("till.row", Write, "writing a till row"),
    ("till.queue.show", Read, "showing the till queue"),
    (
        "till.queue.set-aside",
        Admin,
        "setting an item of the till queue aside",
    ),
    (
        "till.queue.put-back",
        Admin,
        "putting an item back in the till queue",
    ),
    (
        "worker",
        Write,
        "running the worker (it sends print jobs and synchronises tills)",
    ),
    ("tills.list", Read, "listing the tills"),
    ("doctor", Read, "running the doctor"),
    // Actions of the TUI that no single command is (each checks its command's rule too).
    (
        "printers.toggle-printing",
        Admin,
        "switching printing on or off",
    ),
    ("doctor.fix", Write, "applying the doctor's fix"),
    ("support-bundle", AdminRead, "writing a support bundle"),
    ("setup", Admin, "setting up the store server"),
    ("serve", Read, "running the web service"),
    ("audit.list", AdminRead, "reading the audit log"),
    ("operators.list", AdminRead, "listing operators"),
    ("operators.add", Admin, "adding an operator"),
    ("operators.passwd", Admin, "changing an operator's password"),
    ("operators.remove", Admin, "removing an operator"),
    ("daemon", Admin, "running the daemon"),
    ("completions", Read, "printing shell completions"),
];

/// The access an action needs and how a refusal names it; unknown actions are admin-only.
pub fn rule(action: &str) -> (Access, String) {
    match TABLE.iter().find(|(name, _, _)| *name == action) {
        Some((_, access, description)) => (*access, (*description).to_string()),
        None => (Admin, action.to_string()),
    }
}

/// Decides whether `who` may run `action` (described as `description` in a refusal).
pub fn check(who: &Identity, access: Access, description: &str) -> Result<(), Refused> {
    if access == Read {
        return Ok(());
    }
    if who.read_only && access.changes() {
        return Err(Refused::ReadOnly {
            action: description.to_string(),
        });
    }
    if matches!(access, Admin | AdminRead) && who.role != Role::Admin {
        return Err(Refused::NotAdmin {
            action: description.to_string(),
            operator: who.who(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Identity {
        Identity {
            role: Role::Staff,
            ..Identity::admin("paul")
        }
    }

    #[test]
    fn staff_may_change_but_not_administer_and_read_only_refuses_every_change() {
        assert!(check(&staff(), Write, "adding a printer").is_ok());
        let e = check(&staff(), Admin, "switching printing off").unwrap_err();
        assert_eq!(
            e.to_string().split(';').next(),
            Some("switching printing off is for administrators")
        );
        let ro = Identity {
            read_only: true,
            ..Identity::admin("marie")
        };
        assert!(matches!(
            check(&ro, Write, "x"),
            Err(Refused::ReadOnly { .. })
        ));
        assert!(check(&ro, Read, "x").is_ok());
        assert!(check(&ro, AdminRead, "reading the audit log").is_ok());
        assert!(check(&staff(), AdminRead, "reading the audit log").is_err());
    }

    #[test]
    fn an_action_missing_from_the_table_is_for_administrators() {
        assert_eq!(rule("printers.explode").0, Admin);
        assert_eq!(rule("jobs.list").0, Read);
    }
}
