//! Terms of service: uploading a new document resets every contact's acceptance date.

use std::path::Path;

use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::error::ContactError;
use crate::store::contacts::{self as q, Terms};

/// The largest terms document accepted (it is stored in the database).
pub const MAX_BYTES: u64 = 20_000_000;

/// What an upload did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Uploaded {
    pub terms: Terms,
    /// Contacts whose acceptance date was cleared.
    pub reset: usize,
}

/// Stores `file` as the current terms and clears every acceptance date, in one transaction.
pub fn upload(
    conn: &mut Connection,
    file: &Path,
    operator: &str,
) -> Result<Uploaded, ContactError> {
    let meta = std::fs::metadata(file).map_err(|e| ContactError::io(file, e))?;
    if meta.len() > MAX_BYTES {
        return Err(ContactError::BadInput(format!(
            "{}: {} bytes is more than the {} accepted for terms of service",
            file.display(),
            meta.len(),
            MAX_BYTES
        )));
    }
    let content = std::fs::read(file).map_err(|e| ContactError::io(file, e))?;
    if content.is_empty() {
        return Err(ContactError::BadInput(format!(
            "{}: the file is empty",
            file.display()
        )));
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "terms".into());
    let sha = hex::encode(Sha256::digest(&content));
    let tx = conn.transaction()?;
    q::insert_terms(&tx, &name, &content, &sha, operator)?;
    let reset = q::reset_terms_acceptances(&tx)?;
    let terms =
        q::current_terms(&tx)?.ok_or_else(|| ContactError::BadInput("terms vanished".into()))?;
    tx.commit()?;
    Ok(Uploaded { terms, reset })
}
