//! The `printnode` provider: PrintNode's public REST API (`POST /printjobs`, job states,
//! printer state), HTTP basic auth with the API key as user name.
//!
//! Target: the PrintNode printer id (`34567`, on `https://api.printnode.com`), or the printer's
//! URL on another API address (`https://printnode.example/printers/34567`), which is how tests
//! and proxies point backroom elsewhere.

use std::time::Duration;

use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::print::{Accepted, PrintRequest, PrinterStatus, RemoteState, SendError};

/// PrintNode's public API.
pub const DEFAULT_BASE: &str = "https://api.printnode.com";
const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a PrintNode printer lives: the API base URL and the printer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub base: String,
    pub printer_id: u64,
}

impl Target {
    /// Parses `ID` or `https://host[:port][/prefix]/printers/ID` (plain `http://` is refused).
    pub fn parse(target: &str) -> Result<Target, String> {
        let target = target.trim();
        if let Ok(printer_id) = target.parse::<u64>() {
            return Ok(Target {
                base: DEFAULT_BASE.to_string(),
                printer_id,
            });
        }
        let expected = "expected a PrintNode printer id (a number, e.g. 34567) or an API URL ending in /printers/ID";
        if target.starts_with("http://") {
            return Err(format!(
                "bad PrintNode target {target:?}: PrintNode targets must use https:// (the API key would travel in clear over http://)"
            ));
        }
        if !target.starts_with("https://") {
            return Err(format!("bad PrintNode target {target:?}: {expected}"));
        }
        let (base, id) = target
            .trim_end_matches('/')
            .rsplit_once("/printers/")
            .ok_or_else(|| format!("bad PrintNode target {target:?}: {expected}"))?;
        let printer_id = id.parse::<u64>().map_err(|_| {
            format!("bad PrintNode target {target:?}: printer id {id:?} is not a number")
        })?;
        Ok(Target {
            base: base.to_string(),
            printer_id,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn target_and_key<'a>(
    target: &str,
    api_key: Option<&'a str>,
) -> Result<(Target, &'a str), SendError> {
    let t = Target::parse(target).map_err(SendError::Permanent)?;
    let key = api_key.filter(|k| !k.is_empty()).ok_or_else(|| {
        SendError::Permanent(
            "the PrintNode printer has no API key (set one with `backroom printers edit NAME --api-key KEY`)"
                .to_string(),
        )
    })?;
    Ok((t, key))
}

fn client() -> Result<reqwest::Client, SendError> {
    super::trust::client_builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("backroom/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SendError::Retryable(format!("cannot build the HTTP client: {e}")))
}

fn network_error(url: &str, e: reqwest::Error) -> SendError {
    // reqwest's message may carry the URL; never the key (basic auth travels in a header).
    if is_untrusted_certificate(&e) {
        return SendError::Permanent(format!(
            "PrintNode {url}: the server's TLS certificate is not trusted (add its CA to [tls] extra_ca_file in config.toml)"
        ));
    }
    let what = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        e.without_url().to_string()
    };
    SendError::Retryable(format!("PrintNode {url}: {what}"))
}

/// True when the TLS handshake failed on the server's certificate.
fn is_untrusted_certificate(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        let text = s.to_string();
        if text.contains("invalid peer certificate") || text.contains("UnknownIssuer") {
            return true;
        }
        source = s.source();
    }
    false
}

/// Turns a non-success HTTP status into retryable (5xx, 429, 408) or permanent.
async fn status_error(url: &str, response: reqwest::Response) -> SendError {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    let text = format!("PrintNode {url} answered {status}: {message}");
    match status.as_u16() {
        401 => SendError::Permanent(format!(
            "PrintNode refused the API key (HTTP 401); check it with `backroom printers edit NAME --api-key KEY`: {message}"
        )),
        408 | 429 => SendError::Retryable(text),
        s if s >= 500 => SendError::Retryable(text),
        _ => SendError::Permanent(text),
    }
}

/// `POST /printjobs`: the PDF as `pdf_base64`, `qty` copies, the tray as the `bin` option.
///
/// The job's UUID goes as `X-Idempotency-Key`: a service that honours it answers a resend
/// after a lost reply with 409 instead of printing twice, and backroom counts that as accepted.
pub async fn send(
    target: &str,
    api_key: Option<&str>,
    tray: Option<&str>,
    req: &PrintRequest<'_>,
) -> Result<Accepted, SendError> {
    let (t, key) = target_and_key(target, api_key)?;
    let mut body = json!({
        "printerId": t.printer_id,
        "title": req.title,
        "contentType": "pdf_base64",
        "content": base64::engine::general_purpose::STANDARD.encode(req.document),
        "source": concat!("backroom ", env!("CARGO_PKG_VERSION")),
        "qty": req.copies.max(1),
    });
    if let Some(tray) = tray.filter(|t| !t.is_empty()) {
        body["options"] = json!({ "bin": tray });
    }
    let url = t.url("/printjobs");
    let response = client()?
        .post(&url)
        .basic_auth(key, Some(""))
        .header("X-Idempotency-Key", req.job_uuid)
        .json(&body)
        .send()
        .await
        .map_err(|e| network_error(&url, e))?;
    if response.status() == reqwest::StatusCode::CONFLICT {
        return Ok(Accepted {
            remote_ref: None,
            already_had: true,
        });
    }
    if !response.status().is_success() {
        return Err(status_error(&url, response).await);
    }
    let text = response.text().await.map_err(|e| network_error(&url, e))?;
    let id = text.trim().trim_matches('"').to_string();
    if id.parse::<u64>().is_err() {
        return Err(SendError::Retryable(format!(
            "PrintNode {url} accepted the job but answered {text:?} instead of a job id"
        )));
    }
    Ok(Accepted {
        remote_ref: Some(id),
        already_had: false,
    })
}

#[derive(Debug, Deserialize)]
struct JobState {
    state: String,
}

/// PrintNode job states as `RemoteState`.
pub fn job_state(state: &str) -> Option<RemoteState> {
    Some(match state {
        "new" | "sent_to_client" | "queued" | "downloading" | "downloaded"
        | "preparing_to_print" => RemoteState::Pending,
        "in_progress" => RemoteState::Processing,
        "done" => RemoteState::Completed,
        "error" => RemoteState::Aborted,
        "deleted" | "expired" | "cancelled" | "canceled" => RemoteState::Canceled,
        _ => return None,
    })
}

/// `GET /printjobs/{id}/states`: the job's latest state.
pub async fn remote_state(
    target: &str,
    api_key: Option<&str>,
    remote_ref: &str,
) -> Result<Option<RemoteState>, SendError> {
    let (t, key) = target_and_key(target, api_key)?;
    let url = t.url(&format!("/printjobs/{}/states", remote_ref.trim()));
    let response = client()?
        .get(&url)
        .basic_auth(key, Some(""))
        .send()
        .await
        .map_err(|e| network_error(&url, e))?;
    if !response.status().is_success() {
        return Err(status_error(&url, response).await);
    }
    let states: Vec<Vec<JobState>> = response.json().await.map_err(|e| {
        SendError::Retryable(format!(
            "PrintNode {url}: unexpected answer: {}",
            e.without_url()
        ))
    })?;
    Ok(states
        .iter()
        .flatten()
        .filter_map(|s| job_state(&s.state))
        .next_back())
}

#[derive(Debug, Deserialize)]
struct PrinterInfo {
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    capabilities: Option<Capabilities>,
    #[serde(default)]
    computer: Option<Computer>,
}

#[derive(Debug, Deserialize)]
struct Capabilities {
    #[serde(default)]
    bins: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Computer {
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: String,
}

/// `GET /printers/{id}`: the printer's state (and its computer's), its bins as trays.
pub async fn check(target: &str, api_key: Option<&str>) -> Result<PrinterStatus, SendError> {
    let (t, key) = target_and_key(target, api_key)?;
    let url = t.url(&format!("/printers/{}", t.printer_id));
    let response = client()?
        .get(&url)
        .basic_auth(key, Some(""))
        .send()
        .await
        .map_err(|e| network_error(&url, e))?;
    if !response.status().is_success() {
        return Err(status_error(&url, response).await);
    }
    let printers: Vec<PrinterInfo> = response.json().await.map_err(|e| {
        SendError::Retryable(format!(
            "PrintNode {url}: unexpected answer: {}",
            e.without_url()
        ))
    })?;
    let p = printers.into_iter().next().ok_or_else(|| {
        SendError::Permanent(format!(
            "PrintNode has no printer {} for this API key",
            t.printer_id
        ))
    })?;
    let mut reasons = Vec::new();
    let mut detail = p.name.clone();
    if let Some(c) = &p.computer {
        if !c.state.is_empty() && c.state != "connected" {
            reasons.push(format!("computer {}", c.state));
        }
        if !c.name.is_empty() {
            detail = format!("{} on {}", p.name, c.name);
        }
    }
    Ok(PrinterStatus {
        ready: p.state == "online" && reasons.is_empty(),
        state: if p.state.is_empty() {
            "unknown".to_string()
        } else {
            p.state
        },
        reasons,
        trays: p.capabilities.map(|c| c.bins).unwrap_or_default(),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_an_id_or_a_printer_url() {
        assert_eq!(
            Target::parse("34567").unwrap(),
            Target {
                base: DEFAULT_BASE.into(),
                printer_id: 34567
            }
        );
        assert_eq!(
            Target::parse("https://127.0.0.1:9/api/printers/12/").unwrap(),
            Target {
                base: "https://127.0.0.1:9/api".into(),
                printer_id: 12
            }
        );
        assert!(
            Target::parse("http://127.0.0.1:9/api/printers/12")
                .unwrap_err()
                .contains("must use https://")
        );
        assert!(
            Target::parse("front-desk")
                .unwrap_err()
                .contains("printer id")
        );
        assert!(
            Target::parse("https://x/printers/abc")
                .unwrap_err()
                .contains("\"abc\"")
        );
    }

    #[test]
    fn job_states_map_to_remote_states() {
        assert_eq!(job_state("done"), Some(RemoteState::Completed));
        assert_eq!(job_state("in_progress"), Some(RemoteState::Processing));
        assert_eq!(job_state("new"), Some(RemoteState::Pending));
        assert_eq!(job_state("error"), Some(RemoteState::Aborted));
    }
}
