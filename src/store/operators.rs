//! Queries of the operators who sign in on shared terminal accounts (hashes, failures, locks).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// An operator as stored; the hash never leaves the service.
#[derive(Debug, Clone)]
pub struct Operator {
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub failures: u32,
    pub locked_until: Option<String>,
}

/// What `operators list` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub name: String,
    pub role: String,
    pub locked_until: Option<String>,
    pub created_at: String,
}

pub fn find(conn: &Connection, name: &str) -> rusqlite::Result<Option<Operator>> {
    conn.query_row(
        "SELECT name, role, password_hash, failures, locked_until FROM operators WHERE name = ?1",
        [name],
        |r| {
            Ok(Operator {
                name: r.get(0)?,
                role: r.get(1)?,
                password_hash: r.get(2)?,
                failures: r.get(3)?,
                locked_until: r.get(4)?,
            })
        },
    )
    .optional()
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Listed>> {
    let mut stmt =
        conn.prepare("SELECT name, role, locked_until, created_at FROM operators ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok(Listed {
            name: r.get(0)?,
            role: r.get(1)?,
            locked_until: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// Adds an operator; false when the name is taken.
pub fn insert(conn: &Connection, name: &str, role: &str, hash: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "INSERT INTO operators (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO NOTHING",
        params![name, role, hash, super::now()],
    )?;
    Ok(n == 1)
}

/// Sets a new password (and clears failures and lock); false when there is no such operator.
pub fn set_password(conn: &Connection, name: &str, hash: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE operators SET password_hash = ?2, failures = 0, locked_until = NULL WHERE name = ?1",
        params![name, hash],
    )?;
    Ok(n == 1)
}

pub fn remove(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM operators WHERE name = ?1", [name])? == 1)
}

/// Records a failed sign-in; locks until `lock_until` when given.
pub fn record_failure(
    conn: &Connection,
    name: &str,
    failures: u32,
    lock_until: Option<&str>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE operators SET failures = ?2, locked_until = ?3 WHERE name = ?1",
        params![name, failures, lock_until],
    )?;
    Ok(())
}

pub fn record_success(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE operators SET failures = 0, locked_until = NULL WHERE name = ?1",
        [name],
    )?;
    Ok(())
}
