//! Deleting contacts (one or many): all or nothing, with their jobs in new, incoming or done.

use std::path::Path;

use rusqlite::Connection;

use super::error::{BlockingJob, ContactError};
use super::model::Contact;
use crate::store::contacts as q;

/// What a delete removed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Deleted {
    pub contacts: Vec<String>,
    pub jobs: usize,
    /// Job folders that could not be removed from disk (the rows are gone).
    pub warnings: Vec<String>,
}

/// The contacts a delete would remove, or why nothing can be deleted.
pub fn plan(conn: &Connection, emails: &[String]) -> Result<Vec<Contact>, ContactError> {
    let mut contacts: Vec<Contact> = Vec::new();
    for email in emails {
        let c = super::transitions::find(conn, email)?;
        if !contacts.iter().any(|k| k.id == c.id) {
            contacts.push(c);
        }
    }
    let mut blockers = Vec::new();
    for c in &contacts {
        for job in q::jobs_of(conn, c.id)? {
            if !job.deletable() {
                blockers.push(BlockingJob {
                    email: c.email.clone(),
                    job_id: job.id,
                    title: job.title.clone(),
                    state: job.state.clone(),
                });
            }
        }
    }
    if !blockers.is_empty() {
        return Err(ContactError::DeleteBlocked(blockers));
    }
    Ok(contacts)
}

/// Deletes the contacts and their jobs in one transaction, then the jobs' files.
pub fn delete(
    conn: &mut Connection,
    db_path: &Path,
    emails: &[String],
) -> Result<Deleted, ContactError> {
    if emails.is_empty() {
        return Err(ContactError::BadInput("no contact to delete".into()));
    }
    let tx = conn.transaction()?;
    let contacts = plan(&tx, emails)?;
    let mut job_ids = Vec::new();
    for c in &contacts {
        job_ids.extend(q::jobs_of(&tx, c.id)?.into_iter().map(|j| j.id));
        q::delete_jobs_of(&tx, c.id)?;
        q::delete_contact(&tx, c.id)?;
    }
    tx.commit()?;
    let warnings = job_ids
        .iter()
        .filter_map(|id| {
            super::files::remove_job_dir(db_path, *id)
                .err()
                .map(|e| format!("job #{id}: cannot remove its files: {e}"))
        })
        .collect();
    Ok(Deleted {
        contacts: contacts.into_iter().map(|c| c.email).collect(),
        jobs: job_ids.len(),
        warnings,
    })
}
