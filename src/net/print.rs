//! Sending a document to a print service provider, and asking it about a job.
//!
//! Every provider answers the same way: accepted (with the provider's reference), a retryable
//! error (try again later) or a permanent error (retrying cannot help).

use serde::Serialize;

use crate::printing::{Printer, Provider};

/// One document to print.
#[derive(Debug, Clone)]
pub struct PrintRequest<'a> {
    /// The job's UUID (IPP `job-uuid`, spool file name).
    pub job_uuid: &'a str,
    /// Job name shown by the printer.
    pub title: &'a str,
    /// The PDF bytes.
    pub document: &'a [u8],
    pub copies: u32,
}

/// The provider took the job.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// The provider's job reference (IPP job-id, PrintNode job id, spool path).
    pub remote_ref: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Worth another attempt later (unreachable, busy, timeout).
    #[error("{0}")]
    Retryable(String),
    /// Retrying cannot help (bad target, refused document, bad credentials).
    #[error("{0}")]
    Permanent(String),
}

/// A job's state on the remote side (IPP `job-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RemoteState {
    Pending,
    Held,
    Processing,
    Stopped,
    Completed,
    Aborted,
    Canceled,
}

impl RemoteState {
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteState::Pending => "pending",
            RemoteState::Held => "held",
            RemoteState::Processing => "processing",
            RemoteState::Stopped => "stopped",
            RemoteState::Completed => "completed",
            RemoteState::Aborted => "aborted",
            RemoteState::Canceled => "canceled",
        }
    }

    /// True once the remote job can no longer change.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RemoteState::Completed | RemoteState::Aborted | RemoteState::Canceled
        )
    }
}

/// What a provider knows of a job looked up by its UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found {
        remote_ref: String,
        state: RemoteState,
    },
    NotFound,
    /// The provider cannot look jobs up: a resend may print twice.
    Unsupported,
}

/// Sends a document to the printer's provider.
pub async fn send(printer: &Printer, req: &PrintRequest<'_>) -> Result<Accepted, SendError> {
    match printer.provider {
        Provider::Spool => crate::net::spool::send(&printer.target, req).await,
        other => Err(SendError::Permanent(format!(
            "the {other} provider is not available in this build"
        ))),
    }
}

/// Looks a job up by its UUID (after a crash, before sending again).
pub async fn find_by_uuid(printer: &Printer, job_uuid: &str) -> Result<Lookup, SendError> {
    match printer.provider {
        Provider::Spool => crate::net::spool::find_by_uuid(&printer.target, job_uuid).await,
        _ => Ok(Lookup::Unsupported),
    }
}

/// The remote state of an accepted job, where the provider can tell.
pub async fn remote_state(
    printer: &Printer,
    remote_ref: &str,
) -> Result<Option<RemoteState>, SendError> {
    let _ = (printer, remote_ref);
    Ok(None)
}
