//! Adding contacts and moving them between states; every refusal says why.

use rusqlite::Connection;

use super::error::ContactError;
use super::limits::{COMPANY_MAX, EMAIL_MAX, NAME_MAX, too_long};
use super::model::{Contact, ContactState};
use crate::store::contacts as q;

/// The contact with this e-mail (case-insensitive), or `NotFound`.
pub fn find(conn: &Connection, email: &str) -> Result<Contact, ContactError> {
    q::by_email(conn, email.trim())?.ok_or_else(|| ContactError::NotFound {
        email: email.trim().to_string(),
    })
}

/// Validates and adds a `not registered` contact.
pub fn add(
    conn: &Connection,
    name: &str,
    email: &str,
    company: Option<&str>,
) -> Result<Contact, ContactError> {
    let name = name.trim();
    let email = email.trim();
    if name.is_empty() {
        return Err(ContactError::Required { field: "name" });
    }
    if email.is_empty() {
        return Err(ContactError::Required { field: "e-mail" });
    }
    let company = company.map(str::trim).filter(|c| !c.is_empty());
    let fields = [
        ("name", Some(name), NAME_MAX),
        ("e-mail", Some(email), EMAIL_MAX),
        ("company", company, COMPANY_MAX),
    ];
    for (field, value, max) in fields {
        if let Some(reason) = value.and_then(|v| too_long(v, max)) {
            return Err(ContactError::TooLong { field, reason });
        }
    }
    super::email::check(email).map_err(|reason| ContactError::InvalidEmail {
        value: email.to_string(),
        reason,
    })?;
    if let Some(existing) = q::by_email(conn, email)? {
        return Err(ContactError::Duplicate {
            email: email.to_string(),
            existing: format!("{} <{}>", existing.name, existing.email),
        });
    }
    let id = q::insert(conn, name, email, company)?;
    q::by_id(conn, id)?.ok_or_else(|| ContactError::NotFound {
        email: email.to_string(),
    })
}

/// A staff action on one contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// inactive → active.
    Activate,
    /// active → deactivated.
    Deactivate,
    /// deactivated → active (administrators only).
    Reactivate,
    /// active → not registered; the login identities are removed, the account stays.
    DeleteIdentities,
    /// not registered (invitation) or inactive (new confirmation link).
    SendActivationRequest,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::SendActivationRequest,
        Action::Activate,
        Action::Deactivate,
        Action::Reactivate,
        Action::DeleteIdentities,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Activate => "activate",
            Action::Deactivate => "deactivate",
            Action::Reactivate => "reactivate",
            Action::DeleteIdentities => "delete identities",
            Action::SendActivationRequest => "send activation request",
        }
    }

    /// The states this action is for, as a phrase.
    fn allowed(self) -> &'static str {
        match self {
            Action::Activate => "inactive",
            Action::Deactivate | Action::DeleteIdentities => "active",
            Action::Reactivate => "deactivated",
            Action::SendActivationRequest => "not registered or inactive",
        }
    }

    /// Whether the action is valid for a contact in `state` (the TUI offers only these).
    pub fn allowed_for(self, state: ContactState) -> bool {
        match self {
            Action::Activate => state == ContactState::Inactive,
            Action::Deactivate | Action::DeleteIdentities => state == ContactState::Active,
            Action::Reactivate => state == ContactState::Deactivated,
            Action::SendActivationRequest => {
                matches!(state, ContactState::NotRegistered | ContactState::Inactive)
            }
        }
    }

    /// Refuses the action for this contact, naming the allowed state and the current one.
    pub fn check(self, contact: &Contact) -> Result<(), ContactError> {
        if self.allowed_for(contact.state) {
            return Ok(());
        }
        Err(ContactError::WrongState {
            action: self.name(),
            allowed: self.allowed(),
            email: contact.email.clone(),
            state: contact.state,
        })
    }
}

/// The actions valid for a contact in `state`.
pub fn actions_for(state: ContactState) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| a.allowed_for(state))
        .collect()
}

/// inactive → active.
pub fn activate(conn: &Connection, email: &str) -> Result<Contact, ContactError> {
    apply(conn, email, Action::Activate, |conn, c| {
        q::set_state(conn, c.id, ContactState::Active)
    })
}

/// active → deactivated.
pub fn deactivate(conn: &Connection, email: &str) -> Result<Contact, ContactError> {
    apply(conn, email, Action::Deactivate, |conn, c| {
        q::set_state(conn, c.id, ContactState::Deactivated)
    })
}

/// deactivated → active: the contact's login identities and jobs work again.
pub fn reactivate(conn: &Connection, email: &str) -> Result<Contact, ContactError> {
    apply(conn, email, Action::Reactivate, |conn, c| {
        q::set_state(conn, c.id, ContactState::Active)
    })
}

/// active → not registered, removing the login identities (the contact and its jobs stay).
pub fn delete_identities(conn: &mut Connection, email: &str) -> Result<Contact, ContactError> {
    let tx = conn.transaction()?;
    let contact = apply(&tx, email, Action::DeleteIdentities, |conn, c| {
        q::delete_identities(conn, c.id)?;
        q::set_state(conn, c.id, ContactState::NotRegistered)
    })?;
    tx.commit()?;
    Ok(contact)
}

fn apply(
    conn: &Connection,
    email: &str,
    action: Action,
    change: impl FnOnce(&Connection, &Contact) -> rusqlite::Result<()>,
) -> Result<Contact, ContactError> {
    let contact = find(conn, email)?;
    action.check(&contact)?;
    change(conn, &contact)?;
    find(conn, &contact.email)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        crate::store::open_in_memory().unwrap()
    }

    #[test]
    fn refusals_name_the_action_the_allowed_state_and_the_contact() {
        let conn = store();
        add(&conn, "Alice", "alice@x.org", None).unwrap();
        let err = activate(&conn, "ALICE@x.org").unwrap_err().to_string();
        assert_eq!(
            err,
            "activate is only for inactive contacts; alice@x.org is not registered"
        );
        let err = deactivate(&conn, "alice@x.org").unwrap_err().to_string();
        assert!(err.contains("only for active contacts"), "{err}");
    }

    #[test]
    fn emails_are_unique_case_insensitively() {
        let conn = store();
        add(&conn, "Alice", "alice@x.org", None).unwrap();
        let err = add(&conn, "Alice 2", "Alice@X.org", None).unwrap_err();
        assert!(matches!(err, ContactError::Duplicate { .. }), "{err}");
        assert!(add(&conn, "Bob", "bob@", None).is_err());
    }

    #[test]
    fn the_valid_actions_follow_the_state() {
        assert_eq!(
            actions_for(ContactState::Inactive),
            vec![Action::SendActivationRequest, Action::Activate]
        );
        assert_eq!(
            actions_for(ContactState::Active),
            vec![Action::Deactivate, Action::DeleteIdentities]
        );
        assert_eq!(
            actions_for(ContactState::Deactivated),
            vec![Action::Reactivate]
        );
    }
}
