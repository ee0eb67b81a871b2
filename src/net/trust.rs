//! Extra CA certificates trusted by backroom's HTTPS clients (PrintNode, a till's pushes to its
//! store server and the web service test) on top of the system's: `[tls] extra_ca_file` in
//! config.toml, for a private CA or a store server's self-signed certificate.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read the CA file {path} ([tls] extra_ca_file): {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the CA file {path} ([tls] extra_ca_file) holds no usable certificate: {message} (expected PEM, -----BEGIN CERTIFICATE-----)"
    )]
    Parse { path: String, message: String },
}

fn extra() -> &'static Mutex<Vec<reqwest::Certificate>> {
    static EXTRA: OnceLock<Mutex<Vec<reqwest::Certificate>>> = OnceLock::new();
    EXTRA.get_or_init(|| Mutex::new(Vec::new()))
}

/// Trusts the certificates of a PEM file from now on, in this process.
pub fn add_ca_file(path: &Path) -> Result<(), TrustError> {
    let pem = std::fs::read(path).map_err(|source| TrustError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let parse_error = |message: String| TrustError::Parse {
        path: path.display().to_string(),
        message,
    };
    let certs =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| parse_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(parse_error("no certificate in the file".to_string()));
    }
    extra()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .extend(certs);
    Ok(())
}

/// A client builder that trusts the system's CAs and the extra ones.
pub fn client_builder() -> reqwest::ClientBuilder {
    let certs = extra()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    certs
        .into_iter()
        .fold(reqwest::Client::builder(), |b, c| b.add_root_certificate(c))
}
