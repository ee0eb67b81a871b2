//! A printer configuration: a print service provider, its target, tray, copies and the default flag.

use serde::Serialize;

/// The print service a printer configuration goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// IPP/IPPS to a printer or a CUPS queue (`ipp://host:631/ipp/print`).
    Ipp,
    /// AppSocket/JetDirect: raw bytes to TCP port 9100 (`host:port`).
    Raw,
    /// PrintNode's REST API over HTTPS (target: printer id; api key).
    #[serde(rename = "printnode")]
    PrintNode,
    /// Files written into a folder.
    Spool,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Ipp,
        Provider::Raw,
        Provider::PrintNode,
        Provider::Spool,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Ipp => "ipp",
            Provider::Raw => "raw",
            Provider::PrintNode => "printnode",
            Provider::Spool => "spool",
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Provider {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown provider {s:?}: expected ipp, raw, printnode or spool"))
    }
}

/// A printer configuration as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Printer {
    pub id: i64,
    pub name: String,
    pub provider: Provider,
    pub target: String,
    /// PrintNode API key; a secret, never serialised.
    #[serde(skip)]
    pub api_key: Option<String>,
    pub tray: Option<String>,
    pub copies: u32,
    pub enabled: bool,
    pub is_default: bool,
    pub created_at: String,
    /// What to do with a job this printer can no longer account for (None: the provider's default).
    pub on_unknown: Option<super::OnUnknown>,
}

/// What is wrong with a printer configuration (names the field and what was expected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrinterError {
    #[error(
        "bad printer name {0:?}: expected 1 to 64 characters, no control characters, no leading or trailing spaces"
    )]
    BadName(String),
    #[error("bad --target for the {provider} provider: {reason}")]
    BadTarget { provider: Provider, reason: String },
    #[error("the printnode provider needs --api-key (the PrintNode API key of the account)")]
    MissingApiKey,
    #[error("--api-key is only for the printnode provider, not {0}")]
    UnusedApiKey(Provider),
    #[error("bad --copies {0}: expected 1 to 999")]
    BadCopies(u32),
    #[error(
        "bad --tray {0:?}: expected an IPP media-source keyword such as main, manual or tray-1"
    )]
    BadTray(String),
}

/// The most copies a printer configuration may ask for.
pub const MAX_COPIES: u32 = 999;

pub fn validate_name(name: &str) -> Result<(), PrinterError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name.trim() == name
        && !name.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(PrinterError::BadName(name.to_string()))
    }
}

pub fn validate_copies(copies: u32) -> Result<(), PrinterError> {
    if (1..=MAX_COPIES).contains(&copies) {
        Ok(())
    } else {
        Err(PrinterError::BadCopies(copies))
    }
}

pub fn validate_tray(tray: &str) -> Result<(), PrinterError> {
    let ok = !tray.is_empty()
        && tray.len() <= 64
        && tray
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if ok {
        Ok(())
    } else {
        Err(PrinterError::BadTray(tray.to_string()))
    }
}

/// Checks a target for its provider and returns it normalised (`host` → `host:9100` for raw).
pub fn validate_target(provider: Provider, target: &str) -> Result<String, PrinterError> {
    let bad = |reason: String| PrinterError::BadTarget { provider, reason };
    let target = target.trim();
    if target.is_empty() {
        return Err(bad("the target is empty".to_string()));
    }
    match provider {
        Provider::Ipp => {
            let url = reqwest::Url::parse(target).map_err(|e| {
                bad(format!(
                    "{target:?} is not a URL ({e}); expected ipp://host[:port]/ipp/print or ipps://host/printers/QUEUE"
                ))
            })?;
            if !matches!(url.scheme(), "ipp" | "ipps" | "http" | "https") {
                return Err(bad(format!(
                    "{target:?} has scheme {:?}; expected ipp, ipps, http or https",
                    url.scheme()
                )));
            }
            if url.host_str().is_none_or(str::is_empty) {
                return Err(bad(format!("{target:?} has no host")));
            }
            Ok(target.to_string())
        }
        Provider::Raw => {
            let (host, port) = match target.rsplit_once(':') {
                Some((h, p)) if !h.ends_with(':') => (h, p),
                _ => (target, "9100"),
            };
            let port: u16 = port.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                bad(format!(
                    "{target:?}: port {port:?} is not a number from 1 to 65535; expected host:port, e.g. 192.168.1.50:9100"
                ))
            })?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() || host.contains(['/', ' ']) {
                return Err(bad(format!(
                    "{target:?}: expected host:port, e.g. 192.168.1.50:9100"
                )));
            }
            if host.contains(':') {
                Ok(format!("[{host}]:{port}"))
            } else {
                Ok(format!("{host}:{port}"))
            }
        }
        Provider::PrintNode => {
            crate::net::printnode::Target::parse(target).map_err(bad)?;
            Ok(target.to_string())
        }
        Provider::Spool => {
            let path = std::path::Path::new(target);
            if !path.is_absolute() {
                return Err(bad(format!(
                    "{target:?} is not an absolute path; expected the spool folder, e.g. /var/spool/backroom"
                )));
            }
            if !path.is_dir() {
                return Err(bad(format!(
                    "folder {target} does not exist (create it first)"
                )));
            }
            Ok(target.to_string())
        }
    }
}

/// Checks the API key against the provider: PrintNode needs one, the others take none.
pub fn validate_api_key(provider: Provider, api_key: Option<&str>) -> Result<(), PrinterError> {
    match (provider, api_key.filter(|k| !k.trim().is_empty())) {
        (Provider::PrintNode, None) => Err(PrinterError::MissingApiKey),
        (Provider::PrintNode, Some(_)) | (_, None) => Ok(()),
        (other, Some(_)) => Err(PrinterError::UnusedApiKey(other)),
    }
}

impl Printer {
    /// The policy this printer follows for jobs it can no longer account for.
    pub fn on_unknown(&self) -> super::OnUnknown {
        self.on_unknown
            .unwrap_or_else(|| super::OnUnknown::default_for(self.provider))
    }

    /// The API key for display: masked, or `(not set)`.
    pub fn api_key_masked(&self) -> Option<String> {
        self.api_key
            .as_deref()
            .map(|k| crate::secret::mask_opt(Some(k)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked_per_provider() {
        assert!(validate_target(Provider::Ipp, "ipp://printer.local/ipp/print").is_ok());
        let e = validate_target(Provider::Ipp, "printer.local").unwrap_err();
        assert!(e.to_string().contains("ipp://host"), "{e}");
        assert!(validate_target(Provider::Ipp, "ftp://x/y").is_err());
        assert_eq!(
            validate_target(Provider::Raw, "10.0.0.5").unwrap(),
            "10.0.0.5:9100"
        );
        assert_eq!(
            validate_target(Provider::Raw, "10.0.0.5:9101").unwrap(),
            "10.0.0.5:9101"
        );
        let e = validate_target(Provider::Raw, "10.0.0.5:abc").unwrap_err();
        assert!(e.to_string().contains("host:port"), "{e}");
        assert!(validate_target(Provider::PrintNode, "34567").is_ok());
        assert!(validate_target(Provider::PrintNode, "front").is_err());
        assert!(validate_target(Provider::Spool, "relative/dir").is_err());
        assert!(validate_target(Provider::Spool, "/no/such/dir/backroom").is_err());
        assert!(validate_target(Provider::Spool, "/tmp").is_ok());
    }

    #[test]
    fn api_keys_belong_to_printnode_only() {
        assert_eq!(
            validate_api_key(Provider::PrintNode, None),
            Err(PrinterError::MissingApiKey)
        );
        assert!(validate_api_key(Provider::PrintNode, Some("k")).is_ok());
        assert!(validate_api_key(Provider::Ipp, Some("k")).is_err());
    }

    #[test]
    fn names_copies_and_trays() {
        assert!(validate_name("front desk").is_ok());
        assert!(validate_name(" front").is_err());
        assert!(validate_name("").is_err());
        assert!(validate_copies(0).is_err());
        assert!(validate_copies(1000).is_err());
        assert!(validate_tray("by-pass-tray").is_ok());
        assert!(validate_tray("").is_err());
    }
}
