//! What the customer portal does to a contact: register with the invitation token, confirm the
//! activation, authenticate with the access key, accept the terms. Tokens work once, until they expire.

use chrono::Utc;
use rusqlite::Connection;

use super::error::ContactError;
use super::invite::{self, Purpose};
use super::model::{Contact, ContactState};
use crate::config::Config;
use crate::store::contacts::{self as q, TokenRow};

/// The result of a registration: the new login identity's access key (shown once) and the
/// confirmation link's token (to be e-mailed).
#[derive(Debug, Clone)]
pub struct Registered {
    pub contact: Contact,
    pub access_key: String,
    pub confirm_token: String,
    pub confirm_expires_at: String,
}

/// A still valid, unused token of this purpose, or why not.
fn valid_token(conn: &Connection, token: &str, purpose: Purpose) -> Result<TokenRow, ContactError> {
    let row = q::token_by_hash(conn, &super::token::hash(token))?
        .filter(|r| r.purpose == purpose.as_str())
        .ok_or(ContactError::TokenUnknown)?;
    if let Some(used_at) = &row.used_at {
        return Err(ContactError::TokenUsed {
            used_at: invite::human_time(used_at),
        });
    }
    if let Some(at) = &row.revoked_at {
        return Err(ContactError::TokenRevoked {
            replaced_at: invite::human_time(at),
        });
    }
    if row.expires_at <= crate::store::now() {
        return Err(ContactError::TokenExpired {
            expired_at: invite::human_time(&row.expires_at),
        });
    }
    Ok(row)
}

fn contact_of(conn: &Connection, row: &TokenRow) -> Result<Contact, ContactError> {
    q::by_id(conn, row.contact_id)?.ok_or(ContactError::TokenUnknown)
}

fn require_state(
    contact: &Contact,
    action: &'static str,
    state: ContactState,
    allowed: &'static str,
) -> Result<(), ContactError> {
    if contact.state == state {
        return Ok(());
    }
    Err(ContactError::WrongState {
        action,
        allowed,
        email: contact.email.clone(),
        state: contact.state,
    })
}

/// Who an invitation link is for, without using it (the page a browser opens first).
pub fn inspect(
    conn: &Connection,
    token: &str,
    purpose: Purpose,
) -> Result<(Contact, String), ContactError> {
    let row = valid_token(conn, token, purpose)?;
    Ok((contact_of(conn, &row)?, row.expires_at))
}

/// Registers with the invitation token: creates the login identity, not registered → inactive.
pub fn register(
    conn: &mut Connection,
    config: &Config,
    token: &str,
) -> Result<Registered, ContactError> {
    let tx = conn.transaction()?;
    let row = valid_token(&tx, token, Purpose::Register)?;
    let contact = contact_of(&tx, &row)?;
    require_state(
        &contact,
        "register",
        ContactState::NotRegistered,
        "not registered",
    )?;
    if !q::use_token(&tx, row.id, &crate::store::now())? {
        return Err(ContactError::TokenUsed {
            used_at: "just now".into(),
        });
    }
    let access_key = super::token::generate();
    q::insert_identity(
        &tx,
        contact.id,
        "portal",
        &contact.email,
        &super::token::hash(&access_key),
    )?;
    q::set_state(&tx, contact.id, ContactState::Inactive)?;
    let (confirm_token, confirm_expires_at) =
        invite::issue(&tx, config, contact.id, Purpose::Confirm)?;
    let contact = q::by_id(&tx, contact.id)?.ok_or(ContactError::TokenUnknown)?;
    tx.commit()?;
    Ok(Registered {
        contact,
        access_key,
        confirm_token,
        confirm_expires_at,
    })
}

/// Confirms the activation with the confirmation token: inactive → active.
pub fn confirm(conn: &mut Connection, token: &str) -> Result<Contact, ContactError> {
    let tx = conn.transaction()?;
    let row = valid_token(&tx, token, Purpose::Confirm)?;
    let contact = contact_of(&tx, &row)?;
    require_state(&contact, "activation", ContactState::Inactive, "inactive")?;
    if !q::use_token(&tx, row.id, &crate::store::now())? {
        return Err(ContactError::TokenUsed {
            used_at: "just now".into(),
        });
    }
    q::set_state(&tx, contact.id, ContactState::Active)?;
    let contact = q::by_id(&tx, contact.id)?.ok_or(ContactError::TokenUnknown)?;
    tx.commit()?;
    Ok(contact)
}

/// The contact owning this access key; a deactivated contact's key is refused (every portal
/// endpoint authenticates through here).
pub fn authenticate(conn: &Connection, access_key: &str) -> Result<Contact, ContactError> {
    let id = q::contact_by_secret(conn, &super::token::hash(access_key))?
        .ok_or(ContactError::NotAuthenticated)?;
    let contact = q::by_id(conn, id)?.ok_or(ContactError::NotAuthenticated)?;
    if contact.state == ContactState::Deactivated {
        return Err(ContactError::Deactivated {
            email: contact.email,
        });
    }
    Ok(contact)
}

/// The contact owning this access key, which must be active (to submit jobs).
pub fn authenticate_active(conn: &Connection, access_key: &str) -> Result<Contact, ContactError> {
    let contact = authenticate(conn, access_key)?;
    require_state(&contact, "submitting jobs", ContactState::Active, "active")?;
    Ok(contact)
}

/// Records that the contact accepted the current terms now.
pub fn accept_terms(conn: &Connection, access_key: &str) -> Result<Contact, ContactError> {
    let contact = authenticate(conn, access_key)?;
    if contact.state == ContactState::Deactivated {
        return Err(ContactError::WrongState {
            action: "accepting the terms",
            allowed: "inactive or active",
            email: contact.email,
            state: contact.state,
        });
    }
    q::accept_terms(conn, contact.id, &crate::store::to_text(Utc::now()))?;
    q::by_id(conn, contact.id)?.ok_or(ContactError::NotAuthenticated)
}
