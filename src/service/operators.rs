//! Operators of shared terminal accounts: argon2 password hashes kept by the service, sign-in
//! with a lock of [`LOCK_MINUTES`] minutes after [`MAX_FAILURES`] failures in a row.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::Connection;

use crate::config::Role;
use crate::store::operators as store;

pub const MAX_FAILURES: u32 = 5;
pub const LOCK_MINUTES: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong operator name or password")]
    Wrong,
    #[error(
        "operator {name} is locked after {MAX_FAILURES} failed sign-ins; try again after {until}"
    )]
    Locked { name: String, until: String },
    #[error("the operators store failed: {0}")]
    Store(#[from] rusqlite::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("an operator named {0} already exists")]
    Taken(String),
    #[error("no operator named {0}")]
    Missing(String),
    #[error("the password of {0} must have at least 8 characters")]
    Weak(String),
    #[error("hashing the password failed: {0}")]
    Hash(String),
    #[error("the operators store failed: {0}")]
    Store(#[from] rusqlite::Error),
}

/// An argon2id PHC hash of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, OperatorError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| OperatorError::Hash(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| OperatorError::Hash(e.to_string()))
}

fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

pub fn add(conn: &Connection, name: &str, role: Role, password: &str) -> Result<(), OperatorError> {
    if password.chars().count() < 8 {
        return Err(OperatorError::Weak(name.to_string()));
    }
    if !store::insert(conn, name, &role.to_string(), &hash(password)?)? {
        return Err(OperatorError::Taken(name.to_string()));
    }
    Ok(())
}

pub fn passwd(conn: &Connection, name: &str, password: &str) -> Result<(), OperatorError> {
    if password.chars().count() < 8 {
        return Err(OperatorError::Weak(name.to_string()));
    }
    if !store::set_password(conn, name, &hash(password)?)? {
        return Err(OperatorError::Missing(name.to_string()));
    }
    Ok(())
}

pub fn remove(conn: &Connection, name: &str) -> Result<(), OperatorError> {
    if !store::remove(conn, name)? {
        return Err(OperatorError::Missing(name.to_string()));
    }
    Ok(())
}

/// Checks an operator's password; returns its role. Five failures in a row lock it for five
/// minutes (a locked operator is refused even with the right password).
pub fn sign_in(conn: &Connection, name: &str, password: &str) -> Result<Role, SignInError> {
    let Some(op) = store::find(conn, name)? else {
        // Same work and answer as a wrong password: names cannot be probed.
        let _ = verify(
            password,
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        );
        return Err(SignInError::Wrong);
    };
    let now = crate::store::now();
    if let Some(until) = op
        .locked_until
        .as_ref()
        .filter(|u| u.as_str() > now.as_str())
    {
        return Err(SignInError::Locked {
            name: op.name,
            until: until.clone(),
        });
    }
    if verify(password, &op.password_hash) {
        store::record_success(conn, name)?;
        return Ok(if op.role == "admin" {
            Role::Admin
        } else {
            Role::Staff
        });
    }
    let failures = op.failures + 1;
    if failures >= MAX_FAILURES {
        let until =
            crate::store::to_text(chrono::Utc::now() + chrono::Duration::minutes(LOCK_MINUTES));
        store::record_failure(conn, name, 0, Some(&until))?;
        return Err(SignInError::Locked {
            name: op.name,
            until,
        });
    }
    store::record_failure(conn, name, failures, None)?;
    Err(SignInError::Wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_passwords_lock_the_operator_even_for_the_right_one() {
        let conn = crate::store::open_in_memory().unwrap();
        add(&conn, "lea", Role::Staff, "correct horse").unwrap();
        assert_eq!(sign_in(&conn, "lea", "correct horse").unwrap(), Role::Staff);
        for _ in 0..4 {
            assert!(matches!(
                sign_in(&conn, "lea", "nope"),
                Err(SignInError::Wrong)
            ));
        }
        assert!(matches!(
            sign_in(&conn, "lea", "nope"),
            Err(SignInError::Locked { .. })
        ));
        assert!(matches!(
            sign_in(&conn, "lea", "correct horse"),
            Err(SignInError::Locked { .. })
        ));
        assert!(matches!(
            sign_in(&conn, "nobody", "x"),
            Err(SignInError::Wrong)
        ));
    }
}
