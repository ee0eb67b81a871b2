//! Send errors in words for people: which printer, what happened, what to check.
//!
//! The provider's own text (with the OS error) is kept apart as the attempt's detail.

/// A failed attempt as shown (`message`) and as recorded in full (`detail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub message: String,
    pub detail: String,
}

/// What happened and what to check, recognised from the provider's error text.
const ADVICE: &[(&[&str], &str)] = &[
    (
        &["connection refused"],
        "refused the connection: is it switched on and on the network?",
    ),
    (
        &["timed out", "timeout"],
        "did not answer in time: is it switched on, and is the address right?",
    ),
    (
        &["no route to host", "network is unreachable", "host is down"],
        "cannot be reached: check the network cable or Wi-Fi and the address",
    ),
    (
        &[
            "failed to lookup",
            "name or service not known",
            "dns error",
            "temporary failure in name resolution",
        ],
        "has a host name that does not resolve: check the address",
    ),
    (
        &["connection reset", "broken pipe", "unexpected eof"],
        "dropped the connection: it may have restarted; backroom tries again",
    ),
    (
        &["server-error-busy"],
        "is busy with other jobs: backroom tries again",
    ),
];

/// Names the printer and says what to check; unknown errors keep the provider's text.
pub fn explain(printer: &str, target: &str, error: &str) -> Explained {
    let lower = error.to_ascii_lowercase();
    let advice = ADVICE
        .iter()
        .find(|(needles, _)| needles.iter().any(|n| lower.contains(n)))
        .map(|(_, advice)| *advice);
    let message = match advice {
        Some(advice) => format!("{printer} ({target}) {advice}"),
        None if error.contains(target) => format!("{printer}: {error}"),
        None => format!("{printer} ({target}): {error}"),
    };
    Explained {
        message,
        detail: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_names_the_printer_and_keeps_the_os_error_apart() {
        let e = explain(
            "office-laser",
            "ipp://10.0.0.5:631/ipp/print",
            "ipp://10.0.0.5:631/ipp/print: cannot connect: Connection refused (os error 111)",
        );
        assert_eq!(
            e.message,
            "office-laser (ipp://10.0.0.5:631/ipp/print) refused the connection: is it switched on and on the network?"
        );
        assert!(e.detail.contains("os error 111"));
    }

    #[test]
    fn an_unknown_error_still_names_the_printer() {
        let e = explain("front", "/srv/spool", "disk full");
        assert_eq!(e.message, "front (/srv/spool): disk full");
    }
}
