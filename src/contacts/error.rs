//! Why a contacts action was refused or failed, in words an operator or a customer can act on.

use super::model::ContactState;

/// A job that blocks a delete: its owner, id, title and state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlockingJob {
    pub email: String,
    pub job_id: i64,
    pub title: String,
    pub state: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("no contact with e-mail {email}")]
    NotFound { email: String },
    #[error("{action} is only for {allowed} contacts; {email} is {state}")]
    WrongState {
        action: &'static str,
        allowed: &'static str,
        email: String,
        state: ContactState,
    },
    #[error("a contact with e-mail {email} already exists ({existing})")]
    Duplicate { email: String, existing: String },
    #[error("{value:?} is not a valid e-mail address: {reason}")]
    InvalidEmail { value: String, reason: String },
    #[error("{field} is too long: {reason}")]
    TooLong { field: &'static str, reason: String },
    #[error("{field} is required")]
    Required { field: &'static str },
    #[error("nothing deleted: {}", describe_blockers(.0))]
    DeleteBlocked(Vec<BlockingJob>),
    #[error("this link is not valid (unknown token); ask the print shop for a new one")]
    TokenUnknown,
    #[error("this link expired on {expired_at}; ask the print shop for a new one")]
    TokenExpired { expired_at: String },
    #[error("this link was already used on {used_at}; ask the print shop for a new one")]
    TokenUsed { used_at: String },
    #[error(
        "this link was replaced by a newer one sent on {replaced_at}; use the link in the latest e-mail"
    )]
    TokenRevoked { replaced_at: String },
    #[error("the account {email} is deactivated; ask the print shop to reactivate it")]
    Deactivated { email: String },
    #[error("missing or unknown access key; register with your invitation link first")]
    NotAuthenticated,
    #[error("the generic link expired on {date}")]
    LinkExpired { date: String },
    #[error(
        "this generic link was regenerated while the file was arriving; ask the print shop for the current one"
    )]
    LinkReplaced,
    #[error("limit hit: {0}")]
    Limit(#[from] super::links::LimitHit),
    #[error("{0}")]
    BadInput(String),
    #[error("database error: {0}")]
    Store(#[from] rusqlite::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl ContactError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> ContactError {
        ContactError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

fn describe_blockers(jobs: &[BlockingJob]) -> String {
    let parts: Vec<String> = jobs
        .iter()
        .map(|j| {
            format!(
                "{} has job #{} \"{}\" in {}",
                j.email, j.job_id, j.title, j.state
            )
        })
        .collect();
    format!(
        "{} (only jobs in new, incoming or done can be deleted with their contact)",
        parts.join("; ")
    )
}
