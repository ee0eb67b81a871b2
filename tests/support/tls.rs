//! Self-signed certificates made by `openssl` (Debian's openssl) for TLS peers and servers.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A server certificate and its key, and the self-signed CA that signed it (PEM files).
pub struct SelfSigned {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// What a client must trust.
    pub ca: PathBuf,
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes a self-signed CA and a certificate it signs for `localhost` and 127.0.0.1, in `dir`
/// (`NAME-ca.crt`, `NAME.crt`, `NAME.key`). TLS clients (rustls) refuse a CA certificate used
/// as the server's own, hence the two.
pub fn self_signed(dir: &Path, name: &str) -> SelfSigned {
    super::require_program("openssl", "openssl");
    let p = |suffix: &str| dir.join(format!("{name}{suffix}"));
    let s = |path: &PathBuf| path.to_str().expect("utf-8 path").to_string();
    let (ca, ca_key, cert, key, csr, ext) = (
        p("-ca.crt"),
        p("-ca.key"),
        p(".crt"),
        p(".key"),
        p(".csr"),
        p(".ext"),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN={name} test CA"),
        "-keyout",
        &s(&ca_key),
        "-out",
        &s(&ca),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &s(&key),
        "-out",
        &s(&csr),
    ]);
    std::fs::write(
        &ext,
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(&csr),
        "-CA",
        &s(&ca),
        "-CAkey",
        &s(&ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &s(&ext),
        "-out",
        &s(&cert),
    ]);
    SelfSigned { cert, key, ca }
}

/// The SHA-256 fingerprint of the certificate a TLS server on 127.0.0.1:`port` presents.
pub fn served_fingerprint(port: u16) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl s_client -connect 127.0.0.1:{port} -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256"
        ))
        .output()
        .expect("run openssl s_client");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The SHA-256 fingerprint of a certificate file.
pub fn file_fingerprint(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(cert)
        .output()
        .expect("run openssl x509");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
