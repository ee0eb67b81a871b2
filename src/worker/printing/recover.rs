//! What to do with a job whose earlier send may have reached the printer: ask the printer (by
//! the job id it gave, else by `job-uuid`), and when it can no longer say, follow the printer's
//! `on-unknown` policy (ask a person, or resend flagged maybe-duplicate). Never a silent resend.

use std::time::Duration;

use crate::net::print::{self, Lookup};
use crate::printing::job::RetryPolicy;
use crate::printing::{OnUnknown, Printer, Provider};
use crate::store::jobs::{Claimed, Finish};

/// How long a printer's job history is trusted to remember a job: a job sent longer ago that
/// the printer does not list may have printed and been forgotten (ippeveprinter forgets
/// finished jobs after about 60 s; CUPS keeps them much longer).
pub const HISTORY_TRUST: Duration = Duration::from_secs(30);

/// Send the job, or settle it without sending.
#[derive(Debug)]
pub enum Decision {
    Send { maybe_duplicate: bool },
    Done(Finish),
}

/// Decides whether a claimed job is sent; asks the printer first when the job is in doubt.
pub async fn decide(printer: &Printer, job: &Claimed, policy: &RetryPolicy) -> Decision {
    if !job.recovering {
        return Decision::Send {
            maybe_duplicate: false,
        };
    }
    let follow = matches!(printer.provider, Provider::Ipp | Provider::PrintNode);
    let trusted = printer.provider == Provider::Spool || history_trusted(job.sent_at.as_deref());
    match print::find_by_ref(printer, job.remote_ref.as_deref(), &job.uuid).await {
        Ok(Lookup::Found { remote_ref, state }) => Decision::Done(Finish::Accepted {
            remote_ref: Some(remote_ref),
            remote_state: Some(state.as_str().to_string()),
            follow: follow && !state.is_final(),
            maybe_duplicate: false,
            recovered: true,
        }),
        // The printer would still list the job had it received it: it did not.
        Ok(Lookup::NotFound) if trusted => Decision::Send {
            maybe_duplicate: false,
        },
        Ok(Lookup::NotFound | Lookup::Unsupported) => unknown(printer, job, "does not know"),
        // Cannot be asked: ask again later while its answer would still count.
        Err(e) if trusted => {
            let e =
                crate::printing::failure::explain(&printer.name, &printer.target, &e.to_string());
            Decision::Done(super::retry(
                job,
                policy,
                format!("asking whether job {} was printed: {}", job.id, e.message),
                Some(e.detail),
                true,
            ))
        }
        Err(_) => unknown(printer, job, "cannot be asked about"),
    }
}

/// The printer cannot account for the job: the printer's policy decides.
fn unknown(printer: &Printer, job: &Claimed, what: &str) -> Decision {
    match printer.on_unknown() {
        OnUnknown::Resend => Decision::Send {
            maybe_duplicate: true,
        },
        OnUnknown::Ask => Decision::Done(Finish::Unconfirmed {
            error: format!(
                "{} {what} job {} (sent {}): it may have printed; check the output tray, then \
                 `backroom jobs confirm {} --printed` or `--reprint`",
                printer.name,
                job.uuid,
                job.sent_at.as_deref().unwrap_or("before a crash"),
                job.id
            ),
        }),
    }
}

fn history_trusted(sent_at: Option<&str>) -> bool {
    let Some(sent) = sent_at.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
        return false;
    };
    let age = chrono::Utc::now() - sent.with_timezone(&chrono::Utc);
    age.to_std().map(|a| a < HISTORY_TRUST).unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printers_history_counts_only_for_recent_sends() {
        let recent = crate::store::to_text(chrono::Utc::now() - chrono::Duration::seconds(5));
        let old = crate::store::to_text(chrono::Utc::now() - chrono::Duration::seconds(90));
        assert!(history_trusted(Some(&recent)));
        assert!(!history_trusted(Some(&old)));
        assert!(!history_trusted(None));
    }
}
