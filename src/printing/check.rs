//! "Check" a printer: ask its provider whether it is there and ready, and which trays it offers.
//!
//! Front doors (CLI, TUI) call `check` from a task; it never touches the store.

use serde::Serialize;

use crate::net::print::{self, SendError};
use crate::printing::{Printer, Provider};

/// The outcome of a check, ready to show or serialise.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub printer: String,
    pub provider: Provider,
    /// The provider answered.
    pub reachable: bool,
    /// The printer would take a job now.
    pub ready: bool,
    /// idle, processing, stopped (IPP); reachable (raw); online (PrintNode); writable (spool);
    /// unreachable or error when the check failed.
    pub state: String,
    pub reasons: Vec<String>,
    /// Trays the printer offers (IPP `media-source-supported`, PrintNode bins).
    pub trays: Vec<String>,
    /// Make and model or state message; the error when the check failed.
    pub detail: String,
    pub checked_at: String,
}

impl CheckReport {
    /// One line for people: "front-desk: idle, ready (HP LaserJet) — trays: main, manual".
    pub fn summary(&self) -> String {
        let mut s = format!("{}: {}", self.printer, self.state);
        if !self.reasons.is_empty() {
            s.push_str(&format!(" [{}]", self.reasons.join(", ")));
        }
        s.push_str(if self.ready { ", ready" } else { ", NOT ready" });
        if !self.detail.is_empty() {
            s.push_str(&format!(" ({})", self.detail));
        }
        if !self.trays.is_empty() {
            s.push_str(&format!("; trays: {}", self.trays.join(", ")));
        }
        s
    }
}

/// Checks a printer through its provider; a failure is part of the report, not an error.
pub async fn check(printer: &Printer) -> CheckReport {
    let base = |state: &str, detail: String| CheckReport {
        printer: printer.name.clone(),
        provider: printer.provider,
        reachable: false,
        ready: false,
        state: state.to_string(),
        reasons: Vec::new(),
        trays: Vec::new(),
        detail,
        checked_at: crate::store::now(),
    };
    match print::check(printer).await {
        Ok(status) => CheckReport {
            reachable: true,
            ready: status.ready,
            state: status.state,
            reasons: status.reasons,
            trays: status.trays,
            ..base("", status.detail)
        },
        Err(SendError::Retryable(e)) => base("unreachable", e),
        Err(SendError::Permanent(e)) => base("error", e),
    }
}
