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
    /// The provider says it already had this job (PrintNode's 409 to a resend with the same
    /// idempotency key): proof of one print, not a duplicate.
    pub already_had: bool,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Worth another attempt later (unreachable, busy, timeout).
    #[error("{0}")]
    Retryable(String),
    /// Retrying cannot help (bad target, refused document, bad credentials).
    #[error("{0}")]
    Permanent(String),
    /// Worth another attempt, but the document (or a copy of it) may have reached the printer:
    /// the exchange broke after the request left (no answer in time, connection dropped, an
    /// unreadable answer, a later copy of a raw job refused). The next attempt asks the printer
    /// first, or follows its `on-unknown` policy: never a silent resend.
    #[error("{0}")]
    InDoubt(String),
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

/// What a printer (or its provider) says about itself when checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrinterStatus {
    /// True when the printer would take a job now.
    pub ready: bool,
    /// The provider's word for the state (IPP: idle, processing, stopped; PrintNode: online...).
    pub state: String,
    /// IPP `printer-state-reasons` (without `none`), or the provider's equivalent.
    pub reasons: Vec<String>,
    /// Trays the printer offers (IPP `media-source-supported`); empty when unknown.
    pub trays: Vec<String>,
    /// Make and model, state message, or what was checked.
    pub detail: String,
}

/// Sends a document to the printer's provider.
pub async fn send(printer: &Printer, req: &PrintRequest<'_>) -> Result<Accepted, SendError> {
    match printer.provider {
        Provider::Spool => crate::net::spool::send(&printer.target, req).await,
        Provider::Ipp => crate::net::ipp::send(&printer.target, printer.tray.as_deref(), req).await,
        Provider::Raw => crate::net::raw::send(&printer.target, req).await,
        Provider::PrintNode => {
            crate::net::printnode::send(
                &printer.target,
                printer.api_key.as_deref(),
                printer.tray.as_deref(),
                req,
            )
            .await
        }
    }
}

/// Looks a job up by its UUID (after a crash, before sending again).
///
/// IPP asks the printer (Get-Jobs); spool looks for the file; raw and PrintNode cannot tell.
pub async fn find_by_uuid(printer: &Printer, job_uuid: &str) -> Result<Lookup, SendError> {
    match printer.provider {
        Provider::Spool => crate::net::spool::find_by_uuid(&printer.target, job_uuid).await,
        Provider::Ipp => crate::net::ipp::find_by_uuid(&printer.target, job_uuid).await,
        Provider::Raw | Provider::PrintNode => Ok(Lookup::Unsupported),
    }
}

/// Looks a job up by the provider's job id recorded earlier (IPP Get-Job-Attributes), else by
/// its UUID.
pub async fn find_by_ref(
    printer: &Printer,
    remote_ref: Option<&str>,
    job_uuid: &str,
) -> Result<Lookup, SendError> {
    match (printer.provider, remote_ref) {
        (Provider::Ipp, Some(r)) => {
            match crate::net::ipp::remote_state(&printer.target, r).await {
                Ok(Some(state)) => Ok(Lookup::Found {
                    remote_ref: r.to_string(),
                    state,
                }),
                // Gone from the printer's history by id: ask by UUID (the id may be reused).
                Ok(None) => find_by_uuid(printer, job_uuid).await,
                Err(SendError::Permanent(e)) if e.contains("client-error-not-found") => {
                    find_by_uuid(printer, job_uuid).await
                }
                Err(e) => Err(e),
            }
        }
        _ => find_by_uuid(printer, job_uuid).await,
    }
}

/// The remote state of an accepted job, where the provider can tell (IPP, PrintNode).
pub async fn remote_state(
    printer: &Printer,
    remote_ref: &str,
) -> Result<Option<RemoteState>, SendError> {
    match printer.provider {
        Provider::Ipp => crate::net::ipp::remote_state(&printer.target, remote_ref).await,
        Provider::PrintNode => {
            crate::net::printnode::remote_state(
                &printer.target,
                printer.api_key.as_deref(),
                remote_ref,
            )
            .await
        }
        Provider::Spool | Provider::Raw => Ok(None),
    }
}

/// Asks the printer about itself: IPP Get-Printer-Attributes, a TCP connect for raw,
/// PrintNode's printer state, or the spool folder's existence and writability.
pub async fn check(printer: &Printer) -> Result<PrinterStatus, SendError> {
    match printer.provider {
        Provider::Ipp => crate::net::ipp::check(&printer.target).await,
        Provider::Raw => crate::net::raw::check(&printer.target).await,
        Provider::PrintNode => {
            crate::net::printnode::check(&printer.target, printer.api_key.as_deref()).await
        }
        Provider::Spool => crate::net::spool::check(&printer.target).await,
    }
}
