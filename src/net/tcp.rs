//! Opening a TCP connection with a deadline, telling an unknown host, a timeout and a refusal apart.

use std::time::Duration;

use tokio::net::TcpStream;

/// Why a connection could not be opened; callers turn it into their own error with its context.
#[derive(Debug)]
pub enum ConnectError {
    UnknownHost { reason: String },
    Timeout { step: &'static str },
    Refused,
    Other { reason: String },
}

/// `host:port`, with IPv6 addresses in brackets.
pub fn addr_text(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Resolves `host` and connects to its first address, each step within `timeout`.
pub async fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ConnectError> {
    let resolved: Vec<_> = tokio::time::timeout(timeout, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| ConnectError::Timeout {
            step: "resolving the host",
        })?
        .map_err(|e| ConnectError::UnknownHost {
            reason: e.to_string(),
        })?
        .collect();
    let Some(sock) = resolved.first().copied() else {
        return Err(ConnectError::UnknownHost {
            reason: "no address found".into(),
        });
    };
    tokio::time::timeout(timeout, TcpStream::connect(sock))
        .await
        .map_err(|_| ConnectError::Timeout { step: "connecting" })?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionRefused => ConnectError::Refused,
            _ => ConnectError::Other {
                reason: e.to_string(),
            },
        })
}
