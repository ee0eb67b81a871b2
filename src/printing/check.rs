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
    /// A configured tray the printer does not offer makes the printer not ready.
    pub fn check_tray(&mut self, tray: Option<&str>) {
        if let Some(tray) = tray
            && !self.trays.is_empty()
            && !self.trays.iter().any(|t| t == tray)
        {
            self.reasons.push(format!("tray {tray} is not offered"));
            self.ready = false;
        }
    }

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
        Ok(status) => {
            let mut report = CheckReport {
                reachable: true,
                ready: status.ready,
                state: status.state,
                reasons: status.reasons,
                trays: status.trays,
                ..base("", status.detail)
            };
            report.check_tray(printer.tray.as_deref());
            report
        }
        Err(SendError::Retryable(e) | SendError::InDoubt(e)) => base("unreachable", e),
        Err(SendError::Permanent(e)) => base("error", e),
    }
}

/// `check` for synchronous callers (a TUI action's work in `spawn_blocking`): runs it on a
/// small runtime of its own, whatever runtime (if any) the caller is on.
pub fn check_blocking(printer: &Printer) -> CheckReport {
    match blocking_runtime() {
        Ok(rt) => rt.block_on(check(printer)),
        Err(e) => CheckReport {
            printer: printer.name.clone(),
            provider: printer.provider,
            reachable: false,
            ready: false,
            state: "error".to_string(),
            reasons: Vec::new(),
            trays: Vec::new(),
            detail: format!("cannot start the check: {e}"),
            checked_at: crate::store::now(),
        },
    }
}

/// A single-threaded runtime for one provider call from synchronous code.
pub(crate) fn blocking_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(trays: &[&str]) -> CheckReport {
        CheckReport {
            printer: "front".into(),
            provider: Provider::Ipp,
            reachable: true,
            ready: true,
            state: "idle".into(),
            reasons: Vec::new(),
            trays: trays.iter().map(|t| t.to_string()).collect(),
            detail: String::new(),
            checked_at: String::new(),
        }
    }

    #[test]
    fn a_tray_the_printer_does_not_offer_is_not_ready() {
        let mut r = report(&["main", "manual"]);
        r.check_tray(Some("main"));
        assert!(r.ready);
        r.check_tray(Some("tray-9"));
        assert!(!r.ready);
        assert!(
            r.summary().contains("tray tray-9 is not offered"),
            "{}",
            r.summary()
        );
        let mut unknown = report(&[]);
        unknown.check_tray(Some("tray-9"));
        assert!(unknown.ready, "no tray list: nothing to say");
    }
}
