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
}
