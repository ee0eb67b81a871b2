//! Invitations and activation requests: a temporary link (128-bit token, stored only as its
//! SHA-256) composed into an e-mail that is shown for review, then delivered and recorded.

use chrono::{Duration, Utc};
use rusqlite::Connection;

use super::error::ContactError;
use super::mail::Mail;
use super::model::{Contact, ContactState};
use super::transitions::{Action, find};
use crate::config::Config;
use crate::store::contacts as q;

/// What the link lets the customer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Create the account (not registered → inactive).
    Register,
    /// Confirm the account (inactive → active).
    Confirm,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Confirm => "confirm",
        }
    }

    /// The portal page the link opens.
    fn page(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Confirm => "activate",
        }
    }

    /// The purpose an activation request has for a contact in `state`.
    pub fn for_state(state: ContactState) -> Purpose {
        if state == ContactState::Inactive {
            Purpose::Confirm
        } else {
            Purpose::Register
        }
    }
}

/// A composed activation request, not yet delivered nor recorded.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub contact: Contact,
    pub purpose: Purpose,
    pub mail: Mail,
    pub expires_at: String,
    token_hash: String,
}

/// The link to a portal page for a token.
pub fn link(config: &Config, purpose: Purpose, token: &str) -> String {
    format!(
        "{}/{}?token={token}",
        config.portal.base_url.trim_end_matches('/'),
        purpose.page()
    )
}

/// The message for review, with a placeholder where the link goes (no token is created).
pub fn preview(
    conn: &Connection,
    config: &Config,
    from: &str,
    email: &str,
) -> Result<Mail, ContactError> {
    let contact = find(conn, email)?;
    Action::SendActivationRequest.check(&contact)?;
    let purpose = Purpose::for_state(contact.state);
    let expires = expiry(config);
    let placeholder = format!(
        "{}/{}?token=<created when the message is sent>",
        config.portal.base_url.trim_end_matches('/'),
        purpose.page()
    );
    Ok(compose(
        config,
        from,
        &contact,
        purpose,
        &placeholder,
        &expires,
    ))
}

/// Creates the token and the final message; nothing is stored until [`record`].
pub fn prepare(
    conn: &Connection,
    config: &Config,
    from: &str,
    email: &str,
) -> Result<Invitation, ContactError> {
    let contact = find(conn, email)?;
    Action::SendActivationRequest.check(&contact)?;
    let purpose = Purpose::for_state(contact.state);
    let token = super::token::generate();
    let expires_at = expiry(config);
    let mail = compose(
        config,
        from,
        &contact,
        purpose,
        &link(config, purpose, &token),
        &expires_at,
    );
    Ok(Invitation {
        contact,
        purpose,
        mail,
        expires_at,
        token_hash: super::token::hash(&token),
    })
}

/// Stores the token's hash and sets the invitation flag, once the message went out.
pub fn record(conn: &Connection, invitation: &Invitation) -> Result<(), ContactError> {
    issue_hash(
        conn,
        invitation.contact.id,
        invitation.purpose,
        &invitation.token_hash,
        &invitation.expires_at,
    )?;
    q::set_invited(conn, invitation.contact.id)?;
    Ok(())
}

/// Stores a new token for a contact and returns it (the portal's confirmation link).
pub fn issue(
    conn: &Connection,
    config: &Config,
    contact_id: i64,
    purpose: Purpose,
) -> Result<(String, String), ContactError> {
    let token = super::token::generate();
    let expires_at = expiry(config);
    issue_hash(
        conn,
        contact_id,
        purpose,
        &super::token::hash(&token),
        &expires_at,
    )?;
    Ok((token, expires_at))
}

fn issue_hash(
    conn: &Connection,
    contact_id: i64,
    purpose: Purpose,
    hash: &str,
    expires_at: &str,
) -> Result<(), ContactError> {
    q::insert_token(conn, contact_id, purpose.as_str(), hash, expires_at)?;
    Ok(())
}

fn expiry(config: &Config) -> String {
    let days = i64::from(config.portal.activation_days.max(1));
    crate::store::to_text(Utc::now() + Duration::days(days))
}

/// The activation e-mail for `contact`.
pub fn compose(
    config: &Config,
    from: &str,
    contact: &Contact,
    purpose: Purpose,
    link: &str,
    expires_at: &str,
) -> Mail {
    let store = &config.store.name;
    let until = human_time(expires_at);
    let (subject, intro, ask) = match purpose {
        Purpose::Register => (
            format!("{store} invites you to its print portal"),
            format!(
                "{store} has opened a customer account for you on its print portal, where you can submit print jobs and follow their progress."
            ),
            "Create your account with this link",
        ),
        Purpose::Confirm => (
            format!("Activate your {store} print portal account"),
            "Your account on the print portal is created but not yet activated.".to_string(),
            "Activate it with this link",
        ),
    };
    let body = format!(
        "Hello {name},\n\n{intro}\n\n{ask} (valid until {until}):\n\n{link}\n\n\
         The link works once. If it has expired, ask {store} for a new one.\n\
         If you did not expect this message, you can ignore it.\n",
        name = contact.name,
    );
    Mail {
        from: from.to_string(),
        to_name: contact.name.clone(),
        to: contact.email.clone(),
        subject,
        body,
    }
}

/// `2026-11-30 10:00 UTC` from the stored RFC 3339 text.
pub fn human_time(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| {
            t.with_timezone(&Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_else(|_| text.to_string())
}
