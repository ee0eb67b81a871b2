//! Plain HTTP only on loopback: tokens, access keys and customers' files must not cross a
//! network in clear unless the operator says a TLS proxy sits in front (`allow_plain_http`).

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
#[error(
    "refusing plain HTTP on {addr}: it is not a loopback address, so bearer tokens and customers' files would cross the network in clear. Set tls_cert and tls_key under [server] to serve HTTPS, listen on 127.0.0.1, or set allow_plain_http = true under [server] when a TLS proxy sits in front"
)]
pub struct PlainHttpRefused {
    pub addr: SocketAddr,
}

/// Whether the web service may listen on `addr`.
pub fn allowed(
    addr: SocketAddr,
    tls: bool,
    allow_plain_http: bool,
) -> Result<(), PlainHttpRefused> {
    if tls || allow_plain_http || addr.ip().is_loopback() {
        return Ok(());
    }
    Err(PlainHttpRefused { addr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_serves_plain_http_by_default() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let lan: SocketAddr = "192.168.1.10:8080".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let local6: SocketAddr = "[::1]:8080".parse().unwrap();
        assert!(allowed(any, false, false).is_err());
        assert!(allowed(lan, false, false).is_err());
        assert!(allowed(local, false, false).is_ok() && allowed(local6, false, false).is_ok());
        assert!(allowed(any, true, false).is_ok() && allowed(lan, false, true).is_ok());
    }
}
