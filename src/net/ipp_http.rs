//! IPP over HTTP with one pooled HTTP client per printer URL, so that job after job reuses the
//! printer's keep-alive connection instead of a new TCP (and TLS) handshake each time.
//!
//! The `ipp` crate's own client builds a new HTTP client for every request and streams the body
//! chunked; here the request (IPP header, attributes and document) goes as one sized body.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use ipp::parser::IppParser;
use ipp::prelude::*;

/// How long connecting to a printer may take (as the `ipp` crate's client).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USER_AGENT: &str = concat!("backroom/", env!("CARGO_PKG_VERSION"));

/// A client's runtime (none outside one) and printer URL.
type ClientKey = (Option<tokio::runtime::Id>, String);

/// Clients kept at most; beyond, the cache starts afresh (clients are cheap to rebuild).
const MAX_CLIENTS: usize = 64;

/// The HTTP clients, one per printer URL and tokio runtime: a connection lives on the runtime
/// that opened it, and the TUI's checks each run on a short-lived runtime of their own.
static CLIENTS: LazyLock<Mutex<HashMap<ClientKey, reqwest::Client>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// What went wrong with an exchange.
#[derive(Debug)]
pub enum HttpError {
    /// Connecting, sending or reading failed (timeouts included).
    Network(reqwest::Error),
    /// The printer answered with an HTTP error status.
    Status(u16),
    /// The answer is not a valid IPP response.
    Parse(String),
}

/// `ipp://host/path` → `http://host:631/path`, `ipps://` → `https://host:443`.
pub fn http_url(uri: &Uri) -> String {
    let (scheme, default_port) = match uri.scheme_str() {
        Some("ipps") => ("https", 443),
        Some("ipp") => ("http", 631),
        _ => return uri.to_string(),
    };
    let Some(authority) = uri.authority() else {
        return uri.to_string();
    };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or_default();
    match authority.port_u16() {
        Some(_) => format!("{scheme}://{authority}{path}"),
        None => format!("{scheme}://{authority}:{default_port}{path}"),
    }
}

/// The cached client for `url` on the current runtime, built on first use.
fn client(url: &str) -> Result<reqwest::Client, reqwest::Error> {
    let runtime = tokio::runtime::Handle::try_current().ok().map(|h| h.id());
    let key = (runtime, url.to_string());
    let mut clients = CLIENTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(c) = clients.get(&key) {
        return Ok(c.clone());
    }
    let c = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(USER_AGENT)
        .tcp_nodelay(true)
        .build()?;
    if clients.len() >= MAX_CLIENTS {
        clients.clear();
    }
    clients.insert(key, c.clone());
    Ok(c)
}

/// Sends `request` followed by `document` to the printer at `uri` and parses its answer;
/// `timeout` covers the whole exchange.
pub async fn post(
    uri: &Uri,
    request: IppRequestResponse,
    document: Option<&[u8]>,
    timeout: Duration,
) -> Result<IppRequestResponse, HttpError> {
    let url = http_url(uri);
    let head = request.to_bytes();
    drop(request);
    let mut body = Vec::with_capacity(head.len() + document.map_or(0, <[u8]>::len));
    body.extend_from_slice(&head);
    if let Some(d) = document {
        body.extend_from_slice(d);
    }
    let response = client(&url)
        .map_err(HttpError::Network)?
        .post(&url)
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/ipp")
        .body(body)
        .send()
        .await
        .map_err(HttpError::Network)?;
    let status = response.status();
    if !status.is_success() {
        return Err(HttpError::Status(status.as_u16()));
    }
    let bytes = response.bytes().await.map_err(HttpError::Network)?;
    IppParser::new(Cursor::new(bytes))
        .parse()
        .map_err(|e| HttpError::Parse(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipp_urls_become_http_urls_with_the_default_ports() {
        let u = |s: &str| http_url(&s.parse::<Uri>().unwrap());
        assert_eq!(u("ipp://p.local/ipp/print"), "http://p.local:631/ipp/print");
        assert_eq!(
            u("ipps://p.local/ipp/print"),
            "https://p.local:443/ipp/print"
        );
        assert_eq!(
            u("ipp://127.0.0.1:8631/printers/q"),
            "http://127.0.0.1:8631/printers/q"
        );
    }

    #[tokio::test]
    async fn one_client_per_printer_url() {
        let a = "http://cache-test.invalid:1/ipp/print";
        client(a).unwrap();
        client(a).unwrap();
        client("http://cache-test.invalid:2/ipp/print").unwrap();
        let clients = CLIENTS.lock().unwrap();
        let ours = clients
            .keys()
            .filter(|(_, url)| url.contains("cache-test.invalid"));
        assert_eq!(ours.count(), 2);
    }
}
