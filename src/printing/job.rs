//! The print job state machine, its retry policy (exponential backoff with jitter) and its rows.

use std::time::Duration;

use serde::Serialize;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Queued, or waiting for its next attempt after a retryable error.
    Pending,
    /// Leased by a worker that is sending it.
    Sending,
    /// The provider accepted it.
    Succeeded,
    /// Attempt limit reached, permanent error, or no default printer.
    Failed,
    /// Cancelled by an operator before it was sent.
    Cancelled,
    /// Sent before a crash, and the printer can no longer say whether it printed it: a person
    /// decides (`backroom jobs confirm --printed | --reprint`); never resent in silence.
    Unconfirmed,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Pending,
        JobState::Sending,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
        JobState::Unconfirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Sending => "sending",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Unconfirmed => "unconfirmed",
        }
    }

    /// Finished jobs are purged after [`super::PRINT_JOB_RETENTION`].
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown job state {s:?}: expected pending, sending, succeeded, failed, cancelled or unconfirmed"
                )
            })
    }
}

/// The reason a job fails when it names no printer and none is the default (the seeds' rule).
pub const NO_DEFAULT_PRINTER: &str = "no default printer: add one with `backroom printers add` (the first printer becomes the default) or pick one with `backroom printers set-default`, then `backroom jobs reschedule`";

/// A print job as listed and shown.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: i64,
    pub uuid: String,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub printer: Option<String>,
    pub printer_id: Option<i64>,
    pub event_id: Option<i64>,
    pub event: Option<String>,
    pub reference: Option<String>,
    pub document_id: i64,
    pub document: String,
    pub document_kind: String,
    pub copies: u32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub remote_ref: Option<String>,
    pub remote_state: Option<String>,
    pub maybe_duplicate: bool,
    pub reprint_of: Option<i64>,
    pub lease_holder: Option<String>,
    pub lease_expires_at: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// What its document could not print as written (characters no font has).
    pub warning: Option<String>,
}

/// One try at sending a job.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// claimed, sending, accepted, retryable, permanent, recovered, interrupted, unconfirmed,
    /// confirmed-printed, confirmed-reprint.
    pub outcome: String,
    pub error: Option<String>,
    /// The printer's job id, recorded the moment it answered.
    pub remote_ref: Option<String>,
    /// The full error behind `error` (the OS error of a refused connection, for example).
    pub detail: Option<String>,
    pub worker: String,
}

/// How often and how long jobs are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the second attempt; doubles for each further attempt.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub cap: Duration,
    /// Attempts before a job fails.
    pub max_attempts: u32,
    /// How long a worker holds a job it is sending; a crashed worker's job comes back after this.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(15 * 60),
            max_attempts: 8,
            lease: Duration::from_secs(60),
        }
    }
}

/// Settings keys (and environment variables, which win) that tune the policy.
pub const SETTING_RETRY_BASE_MS: (&str, &str) =
    ("printing.retry_base_ms", "BACKROOM_PRINT_RETRY_BASE_MS");
pub const SETTING_MAX_ATTEMPTS: (&str, &str) =
    ("printing.max_attempts", "BACKROOM_PRINT_MAX_ATTEMPTS");
pub const SETTING_JOB_LEASE_MS: (&str, &str) =
    ("printing.job_lease_ms", "BACKROOM_PRINT_JOB_LEASE_MS");

impl RetryPolicy {
    /// The policy from the settings table, overridden by environment variables.
    pub fn load(conn: &rusqlite::Connection) -> RetryPolicy {
        let read = |(key, var): (&str, &str)| -> Option<u64> {
            std::env::var(var)
                .ok()
                .or_else(|| crate::store::settings::get(conn, key).ok().flatten())
                .and_then(|v| v.trim().parse().ok())
        };
        let mut p = RetryPolicy::default();
        if let Some(ms) = read(SETTING_RETRY_BASE_MS) {
            p.base = Duration::from_millis(ms);
        }
        if let Some(n) = read(SETTING_MAX_ATTEMPTS).filter(|n| *n >= 1) {
            p.max_attempts = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(ms) = read(SETTING_JOB_LEASE_MS).filter(|ms| *ms >= 100) {
            p.lease = Duration::from_millis(ms);
        }
        p
    }

    /// The wait after failed attempt number `attempt` (1-based): half fixed, half random.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let full = self
            .base
            .saturating_mul(1_u32 << exp)
            .min(self.cap)
            .max(Duration::from_millis(1));
        let half = full / 2;
        let jitter_ms = rand::random_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
        half + Duration::from_millis(jitter_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let d1 = p.backoff(1);
            assert!(d1 >= Duration::from_secs(1) && d1 <= Duration::from_secs(2));
            let d3 = p.backoff(3);
            assert!(d3 >= Duration::from_secs(4) && d3 <= Duration::from_secs(8));
            let d20 = p.backoff(20);
            assert!(d20 >= Duration::from_secs(30) && d20 <= Duration::from_secs(60));
        }
    }
}
