//! The `spool` provider: each job becomes `<uuid>.pdf` in a folder, written atomically.

use std::path::Path;

use super::print::{Accepted, Lookup, PrintRequest, PrinterStatus, RemoteState, SendError};

fn file_name(job_uuid: &str) -> String {
    format!("{job_uuid}.pdf")
}

/// Writes the document under a temporary name, then renames it into place.
pub async fn send(folder: &str, req: &PrintRequest<'_>) -> Result<Accepted, SendError> {
    let dir = Path::new(folder);
    if !dir.is_dir() {
        return Err(SendError::Retryable(format!(
            "spool folder {folder} does not exist (create it, or fix the printer's target)"
        )));
    }
    let path = dir.join(file_name(req.job_uuid));
    let tmp = dir.join(format!(".{}.part", req.job_uuid));
    let bytes = req.document.to_vec();
    let target = path.clone();
    // One blocking task per file (open, write, rename), not one per system call.
    let written = tokio::task::spawn_blocking(move || {
        write_private(&tmp, &bytes)?;
        std::fs::rename(&tmp, &target)
    })
    .await
    .map_err(|e| SendError::Retryable(format!("writing {}: {e}", path.display())))?;
    written.map_err(|e| SendError::Retryable(format!("writing {}: {e}", path.display())))?;
    Ok(Accepted {
        remote_ref: Some(path.display().to_string()),
        already_had: false,
    })
}

/// Writes a spool file 0600: invoices carry customers' names and addresses.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(crate::private_files::FILE_MODE)
        .open(path)?;
    file.write_all(bytes)
}

/// A spooled file with this UUID means the job was already delivered.
pub async fn find_by_uuid(folder: &str, job_uuid: &str) -> Result<Lookup, SendError> {
    let path = Path::new(folder).join(file_name(job_uuid));
    Ok(match tokio::fs::try_exists(&path).await {
        Ok(true) => Lookup::Found {
            remote_ref: path.display().to_string(),
            state: RemoteState::Completed,
        },
        _ => Lookup::NotFound,
    })
}

/// The folder exists and backroom can write into it (a probe file is created and removed).
pub async fn check(folder: &str) -> Result<PrinterStatus, SendError> {
    let dir = Path::new(folder);
    if !dir.is_dir() {
        return Err(SendError::Permanent(format!(
            "spool folder {folder} does not exist (create it, or fix the printer's target)"
        )));
    }
    let probe = dir.join(format!(".backroom-check-{}", std::process::id()));
    tokio::fs::write(&probe, b"")
        .await
        .map_err(|e| SendError::Permanent(format!("spool folder {folder} is not writable: {e}")))?;
    let _ = tokio::fs::remove_file(&probe).await;
    Ok(PrinterStatus {
        ready: true,
        state: "writable".to_string(),
        reasons: Vec::new(),
        trays: Vec::new(),
        detail: format!("folder {folder} exists and is writable"),
    })
}
