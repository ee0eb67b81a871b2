//! HTTPS for the web service: the certificate chain and key of `[server] tls_cert` / `tls_key`
//! (PEM), read again on SIGHUP so a renewed certificate is served without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "cannot read the TLS certificate {path} ([server] tls_cert): {message} (expected a PEM file with -----BEGIN CERTIFICATE-----)"
    )]
    Cert { path: String, message: String },
    #[error(
        "cannot read the TLS key {path} ([server] tls_key): {message} (expected a PEM file with -----BEGIN PRIVATE KEY-----)"
    )]
    Key { path: String, message: String },
    #[error("the TLS certificate {cert} and key {key} cannot be used together: {message}")]
    Pair {
        cert: String,
        key: String,
        message: String,
    },
}

/// Reads the certificate chain and key into a server configuration (HTTP/1.1, TLS 1.2 and 1.3).
pub fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_error = |message: String| TlsError::Cert {
        path: cert.display().to_string(),
        message,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("no certificate in the file".to_string()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.display().to_string(),
        message: e.to_string(),
    })?;
    let pair_error = |message: String| TlsError::Pair {
        cert: cert.display().to_string(),
        key: key.display().to_string(),
        message,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| pair_error(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| pair_error(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The TLS configuration in use; [`Reloadable::reload`] swaps it for what the files hold now.
#[derive(Clone)]
pub struct Reloadable {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl Reloadable {
    pub fn load(cert: &Path, key: &Path) -> Result<Reloadable, TlsError> {
        Ok(Reloadable {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: Arc::new(RwLock::new(load(cert, key)?)),
        })
    }

    /// The configuration new connections get.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the files again; on an error the configuration in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = load(&self.cert, &self.key)?;
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Reloads on every SIGHUP, for as long as the runtime runs.
    pub fn reload_on_sighup(&self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = signal(SignalKind::hangup())?;
        let this = self.clone();
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                match this.reload() {
                    Ok(()) => {
                        tracing::info!(cert = %this.cert.display(), "TLS certificate reloaded");
                        eprintln!(
                            "backroom serve: TLS certificate reloaded from {}",
                            this.cert.display()
                        );
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "TLS reload failed; the previous certificate stays");
                        eprintln!("backroom serve: {e}; the previous certificate stays in use");
                    }
                }
            }
        });
        Ok(())
    }
}
