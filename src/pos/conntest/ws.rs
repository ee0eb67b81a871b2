//! The web service test: GET the URL's `/health` (served by `backroom serve`), check that backroom
//! answered (it names itself and its version), report the status and the time, or name what
//! answered instead.

use std::time::{Duration, Instant};

use super::{Failure, Target, Verdict};
use crate::pos::TillSettings;

/// The health URL of a web service URL: `<url>/health`.
pub fn health_url(ws_url: &str) -> Result<reqwest::Url, String> {
    let mut url = crate::pos::field::check_url(ws_url)?;
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{path}/health"));
    Ok(url)
}

/// Runs the web service test.
pub async fn test(till: &TillSettings, timeout: Duration) -> Verdict {
    if till.ws_url.is_empty() {
        return Verdict::failed(
            Target::Ws,
            Failure::NotConfigured,
            "the Till tab has no web service URL: set it (--ws-url), e.g. http://server:8080",
        );
    }
    let url = match health_url(&till.ws_url) {
        Ok(u) => u,
        Err(e) => return Verdict::failed(Target::Ws, Failure::NotConfigured, e),
    };
    let client = match crate::net::trust::client_builder().timeout(timeout).build() {
        Ok(c) => c,
        Err(e) => {
            return Verdict::failed(
                Target::Ws,
                Failure::Protocol,
                format!("cannot build an HTTP client: {e}"),
            );
        }
    };
    let started = Instant::now();
    let response = match client.get(url.clone()).send().await {
        Ok(r) => r,
        Err(e) => return failed(&url, &e),
    };
    let status = response.status();
    let server = response
        .headers()
        .get(reqwest::header::SERVER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.text().await.unwrap_or_default();
    let ms = started.elapsed().as_millis();
    let about = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let service = v["service"].as_str()?.to_string();
            let version = v["version"].as_str()?.to_string();
            (service == "backroom" && !version.is_empty()).then(|| format!("{service} {version}"))
        });
    let detail = Some(format!(
        "HTTP {status}{}",
        about.as_ref().map(|a| format!(", {a}")).unwrap_or_default()
    ));
    if !status.is_success() {
        let mut v = Verdict::failed(
            Target::Ws,
            Failure::HttpStatus,
            format!(
                "GET {url} answered {status} in {ms} ms: check the URL points at backroom serve"
            ),
        );
        v.detail = detail;
        return v;
    }
    match about {
        Some(a) => Verdict::ok(
            Target::Ws,
            format!("GET {url} answered {status} in {ms} ms ({a})"),
            detail,
        ),
        None => {
            let mut v = Verdict::failed(
                Target::Ws,
                Failure::Protocol,
                format!(
                    "GET {url} answered {status} in {ms} ms, but not as backroom serve does (it names itself and its version): \
                     what answered is {}; check the host and port of the URL",
                    what_answered(server.as_deref(), &body)
                ),
            );
            v.detail = detail;
            v
        }
    }
}

/// Names what answered instead of backroom: its `Server` header, else the start of its reply.
fn what_answered(server: Option<&str>, body: &str) -> String {
    let start: String = body.chars().filter(|c| !c.is_control()).take(60).collect();
    match server {
        Some(s) => format!("server {s:?} (reply starts {start:?})"),
        None if start.is_empty() => "a server sending an empty reply".to_string(),
        None => format!("a server whose reply starts {start:?}"),
    }
}

fn failed(url: &reqwest::Url, e: &reqwest::Error) -> Verdict {
    let chain = error_chain(e);
    let lower = chain.to_ascii_lowercase();
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or_default();
    let (failure, message) = if e.is_timeout() {
        (
            Failure::Timeout,
            format!("GET {url}: no answer in time: check the URL and the firewall"),
        )
    } else if lower.contains("dns error") || lower.contains("failed to lookup") {
        (
            Failure::UnknownHost,
            format!("GET {url}: cannot resolve the host {host}: check the host in the URL"),
        )
    } else if lower.contains("connection refused") {
        (
            Failure::Refused,
            format!(
                "GET {url}: connection to {host}:{port} refused: check the port and that backroom serve runs"
            ),
        )
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        (
            Failure::Tls,
            format!(
                "GET {url}: TLS failed ({chain}): check the server's certificate, or use http://"
            ),
        )
    } else {
        (
            Failure::Protocol,
            format!("GET {url} failed: {chain}: check the URL"),
        )
    };
    Verdict::failed(Target::Ws, failure, message)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text = format!("{text}: {s_text}");
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_health_url_is_under_the_service_url() {
        assert_eq!(
            health_url("http://srv:8080").unwrap().as_str(),
            "http://srv:8080/health"
        );
        assert_eq!(
            health_url("https://srv/api/").unwrap().as_str(),
            "https://srv/api/health"
        );
    }
}
