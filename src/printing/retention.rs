//! How long finished print jobs are kept: a constant, as in the seeds ("cannot be changed").

use std::time::Duration;

/// Finished jobs (succeeded, failed, cancelled) older than this are purged with their attempts,
/// and so are documents and events no job refers to any more.
pub const PRINT_JOB_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The retention in words, for the UI and the CLI.
pub fn retention_text() -> String {
    format!("{} days", PRINT_JOB_RETENTION.as_secs() / 86_400)
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub jobs: usize,
    pub documents: usize,
    pub events: usize,
}

/// Purges what is older than the retention, as of `now`.
pub fn purge(
    conn: &mut rusqlite::Connection,
    now: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<Purged> {
    let cutoff = now - chrono::Duration::from_std(PRINT_JOB_RETENTION).unwrap_or_default();
    crate::store::jobs::purge_finished_before(conn, &crate::store::to_text(cutoff))
}
