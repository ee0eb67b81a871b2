//! What to do with a job the printer can no longer account for after a crash.
//!
//! `ask` (the IPP default) parks the job as `unconfirmed` for a person to decide; `resend`
//! (the default of raw, PrintNode and spool, the seeds' at-least-once) sends it again, flagged
//! maybe-duplicate.

use serde::Serialize;

use super::Provider;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnUnknown {
    Ask,
    Resend,
}

impl OnUnknown {
    pub fn as_str(self) -> &'static str {
        match self {
            OnUnknown::Ask => "ask",
            OnUnknown::Resend => "resend",
        }
    }

    /// The policy a printer follows when none is set.
    pub fn default_for(provider: Provider) -> OnUnknown {
        match provider {
            Provider::Ipp => OnUnknown::Ask,
            Provider::Raw | Provider::PrintNode | Provider::Spool => OnUnknown::Resend,
        }
    }
}

impl std::fmt::Display for OnUnknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OnUnknown {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "ask" => Ok(OnUnknown::Ask),
            "resend" => Ok(OnUnknown::Resend),
            _ => Err(format!(
                "bad --on-unknown {s:?}: expected ask (a person decides) or resend (at-least-once, flagged maybe-duplicate)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipp_asks_and_the_others_resend_by_default() {
        assert_eq!(OnUnknown::default_for(Provider::Ipp), OnUnknown::Ask);
        assert_eq!(OnUnknown::default_for(Provider::Raw), OnUnknown::Resend);
        assert_eq!(
            OnUnknown::default_for(Provider::PrintNode),
            OnUnknown::Resend
        );
        assert_eq!("ASK".parse::<OnUnknown>(), Ok(OnUnknown::Ask));
        assert!("maybe".parse::<OnUnknown>().unwrap_err().contains("ask"));
    }
}
