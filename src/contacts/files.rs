//! Where print-shop job files live: `shop-jobs/<job id>/` next to the database, in the data dir.

use std::path::{Path, PathBuf};

/// The folder holding every job's files for the database at `db_path`.
pub fn root(db_path: &Path) -> PathBuf {
    // Next to the database, always (a bare `x.db` is in the current folder, not the data folder).
    db_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("shop-jobs")
}

/// The folder of one job.
pub fn job_dir(db_path: &Path, job_id: i64) -> PathBuf {
    root(db_path).join(job_id.to_string())
}

/// Removes a job's folder; a folder that is already gone is fine.
pub fn remove_job_dir(db_path: &Path, job_id: i64) -> std::io::Result<()> {
    match std::fs::remove_dir_all(job_dir(db_path, job_id)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
