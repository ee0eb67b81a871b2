//! Service checks: the daemon's socket, versions on both ends, and the web service's certificate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Area, Finding, Severity, Subject};

/// A certificate that expires sooner than this is reported.
pub const CERT_WARNING: Duration = Duration::from_secs(21 * 86_400);

/// The control socket of a system daemon, where clients look for it.
pub const DEFAULT_SOCKET: &str = "/run/backroom/backroom.sock";

pub async fn check(subject: &Subject) -> Vec<Finding> {
    let mut out = vec![daemon(&socket_path()).await];
    if let Some(cert) = tls_cert(subject) {
        out.push(certificate(&cert));
    }
    out
}

fn socket_path() -> PathBuf {
    std::env::var_os("BACKROOM_SOCKET")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET))
}

/// The certificate the web service presents, when TLS is configured.
fn tls_cert(subject: &Subject) -> Option<PathBuf> {
    subject.config.server.tls_cert.clone()
}

async fn daemon(socket: &Path) -> Finding {
    let installed = Path::new("/etc/systemd/system/backroom.service").exists()
        || Path::new("/lib/systemd/system/backroom.service").exists();
    if !socket.exists() {
        if installed || std::env::var_os("BACKROOM_SOCKET").is_some() {
            return Finding::new(
                "daemon_unreachable",
                Severity::Problem,
                Area::Service,
                "the backroom daemon is not running",
                format!("no socket at {}", socket.display()),
                "systemctl start backroom (journalctl -u backroom tells why it stopped)",
            );
        }
        return Finding::ok(
            "daemon_unreachable",
            Area::Service,
            "personal mode: no daemon on this machine",
        );
    }
    let connect = tokio::net::UnixStream::connect(socket);
    match tokio::time::timeout(Duration::from_secs(2), connect).await {
        Ok(Ok(stream)) => match tokio::time::timeout(Duration::from_secs(2), hello(stream)).await {
            Ok(Some(Ok(version))) => versions("the daemon", &version),
            Ok(Some(Err(message))) if message.contains("same backroom version") => Finding::new(
                "version_mismatch",
                Severity::Problem,
                Area::Service,
                "this client and the daemon run other backroom versions: the daemon refuses it",
                message,
                "install the same backroom version for the daemon and its clients, then systemctl restart backroom",
            ),
            _ => Finding::new(
                "daemon_unreachable",
                Severity::Problem,
                Area::Service,
                "something listens on the daemon's socket but does not answer as backroom",
                format!("{}: no Welcome to Hello within 2 s", socket.display()),
                "systemctl restart backroom",
            ),
        },
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => Finding::new(
            "daemon_unreachable",
            Severity::Problem,
            Area::Service,
            "this user may not reach the backroom daemon",
            format!("{}: {e}", socket.display()),
            "ask an admin to add you to the service's group, or run as an operator",
        ),
        Ok(Err(e)) => Finding::new(
            "daemon_unreachable",
            Severity::Problem,
            Area::Service,
            "the backroom daemon does not answer on its socket",
            format!("{}: {e}", socket.display()),
            "systemctl restart backroom (a stale socket stays after a crash)",
        ),
        Err(_) => Finding::new(
            "daemon_unreachable",
            Severity::Problem,
            Area::Service,
            "the backroom daemon does not answer on its socket",
            format!("{}: no answer within 2 s", socket.display()),
            "systemctl restart backroom",
        ),
    }
}

/// Says Hello as a client does; the daemon's version, or its refusal.
async fn hello(mut stream: tokio::net::UnixStream) -> Option<Result<String, String>> {
    use crate::service::protocol::{self, PROTOCOL, Reply, Request};
    let hello = Request::Hello {
        protocol: PROTOCOL,
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    protocol::write(&mut stream, &hello).await.ok()?;
    match protocol::read::<_, Reply>(&mut stream).await.ok()? {
        Reply::Welcome { version, .. } => Some(Ok(version)),
        Reply::Error { message, .. } => Some(Err(message)),
        _ => None,
    }
}

/// Compares a peer's version with ours.
pub fn versions(peer: &str, version: &str) -> Finding {
    let ours = env!("CARGO_PKG_VERSION");
    if version == ours {
        return Finding::ok(
            "version_mismatch",
            Area::Service,
            format!("{peer} runs backroom {version}, like this one"),
        );
    }
    Finding::new(
        "version_mismatch",
        Severity::Warning,
        Area::Service,
        format!("{peer} runs another backroom version"),
        format!("{peer}: {version}; here: {ours}"),
        "install the same backroom version on both (the server first, then its tills)",
    )
}

/// How long until a PEM certificate expires, or why it cannot be read.
pub fn expires_in(path: &Path) -> Result<chrono::Duration, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(&bytes)
        .map_err(|e| format!("{} is not a PEM certificate: {e}", path.display()))?;
    let cert = pem
        .parse_x509()
        .map_err(|e| format!("{} is not an X.509 certificate: {e}", path.display()))?;
    let not_after = cert.validity().not_after.timestamp();
    Ok(chrono::Duration::seconds(
        not_after - chrono::Utc::now().timestamp(),
    ))
}

pub fn certificate(path: &Path) -> Finding {
    match expires_in(path) {
        Err(e) => Finding::new(
            "tls_cert_expiring",
            Severity::Problem,
            Area::Service,
            "the web service's certificate cannot be read",
            e,
            "check [server] tls_cert",
        ),
        Ok(left) if left.num_seconds() < CERT_WARNING.as_secs() as i64 => Finding::new(
            "tls_cert_expiring",
            if left.num_seconds() <= 0 {
                Severity::Problem
            } else {
                Severity::Warning
            },
            Area::Service,
            if left.num_seconds() <= 0 {
                "the web service's certificate has expired: tills and webhooks are refused"
                    .to_string()
            } else {
                format!(
                    "the web service's certificate expires in {} day(s)",
                    left.num_days()
                )
            },
            format!(
                "{}: not after {} days from now",
                path.display(),
                left.num_days()
            ),
            "renew the certificate, put it at [server] tls_cert, then `systemctl reload backroom` (SIGHUP reloads it)",
        ),
        Ok(left) => Finding::ok(
            "tls_cert_expiring",
            Area::Service,
            format!("certificate valid for {} more days", left.num_days()),
        ),
    }
}
