//! FTP client for POS folders: connect, explicit TLS (`AUTH TLS`) for ftps, login, binary mode,
//! passive data connections, change to the target folder, and the transfers batches need.
//!
//! Binary mode is set right after login, always: suppaftp's default ASCII type would turn LF into
//! CRLF and corrupt CSV, ZIP and batch files.

use std::sync::Arc;
use std::time::Duration;

use suppaftp::FtpError as RawError;
use suppaftp::tokio::{AsyncFtpStream, AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::tokio_rustls::TlsConnector;
use suppaftp::tokio_rustls::rustls;
use suppaftp::types::FileType;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::tcp::{self, ConnectError};

/// Where and how to connect. The password is only sent to the server.
#[derive(Clone)]
pub struct FtpParams<'a> {
    pub host: &'a str,
    pub port: u16,
    /// Explicit TLS (`ftps://`): `AUTH TLS` on the control connection, protected data connections.
    pub tls: bool,
    pub user: &'a str,
    pub password: &'a str,
    /// Folder to change to after login (`None`: stay in the login folder).
    pub target: Option<&'a str>,
    /// Limit for each step (connect, each command, each transfer).
    pub timeout: Duration,
}

/// Why an FTP step failed, as a support engineer needs to know it.
#[derive(Debug, thiserror::Error)]
pub enum FtpError {
    #[error("cannot resolve the host {host}: {reason}")]
    UnknownHost { host: String, reason: String },
    #[error("connection to {addr} refused: no FTP server listens there")]
    Refused { addr: String },
    #[error("no answer from {addr} within {secs} s while {step}")]
    Timeout {
        addr: String,
        step: &'static str,
        secs: u64,
    },
    #[error("TLS with {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("the server refused the login of {user}: {reply}")]
    LoginFailed { user: String, reply: String },
    #[error("the folder {path} does not exist on the server (or is not readable): {reply}")]
    FolderMissing { path: String, reply: String },
    #[error("the file {path} does not exist on the server: {reply}")]
    FileMissing { path: String, reply: String },
    #[error("{step} failed: the server answered {reply}")]
    Reply { step: String, reply: String },
    #[error("{step} failed: {reason}")]
    Connection { step: String, reason: String },
    #[error("the FTP server is not configured: {0}")]
    NotConfigured(String),
}

enum Stream {
    Plain(AsyncFtpStream),
    Tls(AsyncRustlsFtpStream),
}

/// Runs the same call on either kind of stream.
macro_rules! on_stream {
    ($self:ident, $s:ident => $call:expr) => {
        match &mut $self.stream {
            Stream::Plain($s) => $call,
            Stream::Tls($s) => $call,
        }
    };
}

/// A logged-in FTP session in binary mode, passive data connections.
pub struct FtpSession {
    stream: Stream,
    addr: String,
    timeout: Duration,
    /// The folder the session is in, as the server reports it.
    cwd: String,
}

/// Why a transfer stopped.
#[derive(Debug)]
enum Moved {
    /// The server answered an error.
    Ftp(RawError),
    /// Nothing moved for the session's timeout while doing this.
    Stalled(&'static str),
    /// Reading or writing the local side failed.
    Local(std::io::Error),
    /// The data connection failed.
    Remote(std::io::Error),
}

impl From<RawError> for Moved {
    fn from(e: RawError) -> Moved {
        Moved::Ftp(e)
    }
}

/// Which end `pump` reads from: its errors are named by the side they come from.
#[derive(Clone, Copy)]
enum Side {
    Local,
    Remote,
}

/// `step` within `idle`, else [`Moved::Stalled`] with `doing`.
async fn within<T, E: Into<Moved>>(
    idle: Duration,
    doing: &'static str,
    step: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, Moved> {
    match tokio::time::timeout(idle, step).await {
        Ok(done) => done.map_err(Into::into),
        Err(_) => Err(Moved::Stalled(doing)),
    }
}

/// Copies `from` into `to` in chunks until the end, each read and write within `idle` (else
/// [`Moved::Stalled`] with `doing`); the whole copy takes as long as it keeps moving. Returns
/// the bytes copied.
async fn pump(
    from: &mut (impl tokio::io::AsyncRead + Unpin),
    to: &mut (impl tokio::io::AsyncWrite + Unpin),
    idle: Duration,
    reads: Side,
    doing: &'static str,
) -> Result<u64, Moved> {
    type Named = fn(std::io::Error) -> Moved;
    let (read_err, write_err): (Named, Named) = match reads {
        Side::Local => (Moved::Local, Moved::Remote),
        Side::Remote => (Moved::Remote, Moved::Local),
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = within(idle, doing, async {
            from.read(&mut buf).await.map_err(read_err)
        })
        .await?;
        if n == 0 {
            break;
        }
        within(idle, doing, async {
            to.write_all(&buf[..n]).await.map_err(write_err)
        })
        .await?;
        total += n as u64;
    }
    within(idle, doing, async { to.flush().await.map_err(write_err) }).await?;
    Ok(total)
}

/// A server reply as text: `550 No such file or directory.`
fn reply_text(e: &RawError) -> String {
    match e {
        RawError::UnexpectedResponse(r) => {
            let body = String::from_utf8_lossy(&r.body).trim().to_string();
            let code = r.status.code().to_string();
            if body.starts_with(&code) {
                body
            } else {
                format!("{code} {body}")
            }
        }
        other => other.to_string(),
    }
}

fn status_of(e: &RawError) -> Option<u32> {
    match e {
        RawError::UnexpectedResponse(r) => Some(r.status.code()),
        _ => None,
    }
}

impl FtpSession {
    /// Connects, secures (ftps), logs in, switches to binary and changes to the target folder.
    pub async fn connect(p: &FtpParams<'_>) -> Result<FtpSession, FtpError> {
        let addr = tcp::addr_text(p.host, p.port);
        let secs = p.timeout.as_secs().max(1);
        let timeout_err = |step: &'static str| FtpError::Timeout {
            addr: addr.clone(),
            step,
            secs,
        };
        let tcp = tcp::connect(p.host, p.port, p.timeout)
            .await
            .map_err(|e| match e {
                ConnectError::UnknownHost { reason } => FtpError::UnknownHost {
                    host: p.host.to_string(),
                    reason,
                },
                ConnectError::Timeout { step } => timeout_err(step),
                ConnectError::Refused => FtpError::Refused { addr: addr.clone() },
                ConnectError::Other { reason } => FtpError::Connection {
                    step: format!("connecting to {addr}"),
                    reason,
                },
            })?;
        let welcome = |e: RawError| FtpError::Connection {
            step: format!("reading the welcome message of {addr}"),
            reason: reply_text(&e),
        };
        let stream = if p.tls {
            let ftp =
                tokio::time::timeout(p.timeout, AsyncRustlsFtpStream::connect_with_stream(tcp))
                    .await
                    .map_err(|_| timeout_err("waiting for the welcome message"))?
                    .map_err(welcome)?;
            let connector = tls_connector().map_err(|reason| FtpError::Tls {
                host: p.host.to_string(),
                reason,
            })?;
            let secured = tokio::time::timeout(p.timeout, ftp.into_secure(connector, p.host))
                .await
                .map_err(|_| timeout_err("negotiating TLS"))?
                .map_err(|e| FtpError::Tls {
                    host: p.host.to_string(),
                    reason: match &e {
                        RawError::UnexpectedResponse(_) => format!(
                            "the server does not offer explicit TLS (AUTH TLS answered {}); use ftp:// or enable TLS on the server",
                            reply_text(&e)
                        ),
                        RawError::SecureError(s) => s.clone(),
                        other => other.to_string(),
                    },
                })?;
            Stream::Tls(secured)
        } else {
            let ftp = tokio::time::timeout(p.timeout, AsyncFtpStream::connect_with_stream(tcp))
                .await
                .map_err(|_| timeout_err("waiting for the welcome message"))?
                .map_err(welcome)?;
            Stream::Plain(ftp)
        };
        let mut session = FtpSession {
            stream,
            addr,
            timeout: p.timeout,
            cwd: String::new(),
        };
        session.login(p.user, p.password).await?;
        if let Some(target) = p.target {
            session.cwd(target).await?;
        }
        session.cwd = session.pwd().await.unwrap_or_else(|_| "/".to_string());
        Ok(session)
    }

    async fn login(&mut self, user: &str, password: &str) -> Result<(), FtpError> {
        let t = self.timeout;
        // PASV only speaks IPv4; an IPv6 server needs EPSV.
        let mode = if self.addr.starts_with('[') {
            suppaftp::Mode::ExtendedPassive
        } else {
            suppaftp::Mode::Passive
        };
        let result = on_stream!(self, s => {
            s.set_mode(mode);
            s.set_passive_nat_workaround(true);
            tokio::time::timeout(t, s.login(user, password)).await
        });
        match result.map_err(|_| self.timeout_err("logging in"))? {
            Ok(()) => {}
            Err(e) if matches!(status_of(&e), Some(530 | 331 | 332 | 421 | 430)) => {
                return Err(FtpError::LoginFailed {
                    user: user.to_string(),
                    reply: reply_text(&e),
                });
            }
            Err(e) => return Err(self.reply_err("logging in", e)),
        }
        let result =
            on_stream!(self, s => tokio::time::timeout(t, s.transfer_type(FileType::Binary)).await);
        result
            .map_err(|_| self.timeout_err("switching to binary mode"))?
            .map_err(|e| self.reply_err("switching to binary mode (TYPE I)", e))
    }

    fn timeout_err(&self, step: &'static str) -> FtpError {
        FtpError::Timeout {
            addr: self.addr.clone(),
            step,
            secs: self.timeout.as_secs().max(1),
        }
    }

    fn reply_err(&self, step: &str, e: RawError) -> FtpError {
        match e {
            RawError::UnexpectedResponse(_) => FtpError::Reply {
                step: step.to_string(),
                reply: reply_text(&e),
            },
            RawError::SecureError(reason) => FtpError::Tls {
                host: self.addr.clone(),
                reason,
            },
            other => FtpError::Connection {
                step: step.to_string(),
                reason: other.to_string(),
            },
        }
    }

    /// The folder the session is in (as reported after connecting or the last `cwd`).
    pub fn current_dir(&self) -> &str {
        &self.cwd
    }

    /// The server's path of `name` in the current folder, for messages.
    pub fn path_of(&self, name: &str) -> String {
        if self.cwd.ends_with('/') {
            format!("{}{name}", self.cwd)
        } else {
            format!("{}/{name}", self.cwd)
        }
    }

    /// Changes folder; a missing folder is [`FtpError::FolderMissing`].
    pub async fn cwd(&mut self, dir: &str) -> Result<(), FtpError> {
        let t = self.timeout;
        let result = on_stream!(self, s => tokio::time::timeout(t, s.cwd(dir)).await);
        match result.map_err(|_| self.timeout_err("changing folder"))? {
            Ok(()) => {
                self.cwd = self.pwd().await.unwrap_or_else(|_| dir.to_string());
                Ok(())
            }
            Err(e) if matches!(status_of(&e), Some(550 | 553 | 501)) => {
                Err(FtpError::FolderMissing {
                    path: dir.to_string(),
                    reply: reply_text(&e),
                })
            }
            Err(e) => Err(self.reply_err(&format!("changing to the folder {dir}"), e)),
        }
    }

    /// The server's current folder.
    pub async fn pwd(&mut self) -> Result<String, FtpError> {
        let t = self.timeout;
        let result = on_stream!(self, s => tokio::time::timeout(t, s.pwd()).await);
        result
            .map_err(|_| self.timeout_err("asking the current folder"))?
            .map_err(|e| self.reply_err("PWD", e))
    }

    /// Downloads a whole file into memory; a missing file is [`FtpError::FileMissing`].
    pub async fn get(&mut self, name: &str) -> Result<Vec<u8>, FtpError> {
        let mut buf = Vec::new();
        self.get_into(name, &mut buf).await?;
        Ok(buf)
    }

    /// Downloads `name` into `into` a chunk at a time, so that memory stays flat whatever the
    /// file's size; returns the bytes received. Each step (the command, each chunk, the
    /// server's final reply) may take the session's timeout, and the whole transfer as long as
    /// it keeps moving: a 150 MB batch over a slow line used to hit the timeout as a whole.
    /// A missing file is [`FtpError::FileMissing`].
    pub async fn get_into(
        &mut self,
        name: &str,
        into: &mut (impl tokio::io::AsyncWrite + Unpin + Send),
    ) -> Result<u64, FtpError> {
        let t = self.timeout;
        let path = self.path_of(name);
        let result = on_stream!(self, s => async {
            let mut stream = within(t, "downloading", s.retr_as_stream(name)).await?;
            let got = pump(&mut stream, into, t, Side::Remote, "downloading").await?;
            within(t, "downloading", stream.finish()).await?;
            Ok::<_, Moved>(got)
        }.await);
        match result {
            Ok(bytes) => Ok(bytes),
            Err(Moved::Ftp(e)) if matches!(status_of(&e), Some(550 | 450)) => {
                Err(FtpError::FileMissing {
                    path,
                    reply: reply_text(&e),
                })
            }
            Err(e) => Err(self.moved_err(&format!("downloading {path}"), e)),
        }
    }

    /// Uploads `bytes` as `name` (binary, unchanged); returns the bytes sent.
    pub async fn put(&mut self, name: &str, bytes: &[u8]) -> Result<u64, FtpError> {
        self.put_from(name, &mut &bytes[..]).await
    }

    /// Uploads what `from` reads as `name` (binary, unchanged), a chunk at a time: memory
    /// stays flat, and the whole transfer may take as long as it keeps moving (each step within
    /// the session's timeout, as [`FtpSession::get_into`]). Returns the bytes sent.
    pub async fn put_from(
        &mut self,
        name: &str,
        from: &mut (impl tokio::io::AsyncRead + Unpin + Send),
    ) -> Result<u64, FtpError> {
        let t = self.timeout;
        let path = self.path_of(name);
        let result = on_stream!(self, s => async {
            let mut stream = within(t, "uploading", s.put_with_stream(name)).await?;
            let sent = pump(from, &mut stream, t, Side::Local, "uploading").await?;
            within(t, "uploading", stream.finish()).await?;
            Ok::<_, Moved>(sent)
        }.await);
        result.map_err(|e| self.moved_err(&format!("uploading {path}"), e))
    }

    fn moved_err(&self, step: &str, e: Moved) -> FtpError {
        match e {
            Moved::Ftp(e) => self.reply_err(step, e),
            Moved::Stalled(what) => self.timeout_err(what),
            Moved::Local(e) => FtpError::Connection {
                step: step.to_string(),
                reason: format!("the local file: {e}"),
            },
            Moved::Remote(e) => FtpError::Connection {
                step: step.to_string(),
                reason: e.to_string(),
            },
        }
    }

    /// Uploads under a temporary name, then renames: readers never see a half-written file.
    pub async fn put_atomic(&mut self, name: &str, bytes: &[u8]) -> Result<u64, FtpError> {
        let part = format!("{name}.part");
        let sent = self.put(&part, bytes).await?;
        self.rename(&part, name).await?;
        Ok(sent)
    }

    /// Names in the current folder (NLST); an empty folder gives an empty list.
    pub async fn list_names(&mut self) -> Result<Vec<String>, FtpError> {
        let t = self.timeout;
        let result = on_stream!(self, s => tokio::time::timeout(t, s.nlst(None)).await);
        match result.map_err(|_| self.timeout_err("listing the folder"))? {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.rsplit('/').next().unwrap_or_default().to_string())
                .filter(|n| !n.is_empty())
                .collect()),
            Err(e) if status_of(&e) == Some(450) || status_of(&e) == Some(550) => Ok(Vec::new()),
            Err(e) => Err(self.reply_err("listing the folder (NLST)", e)),
        }
    }

    pub async fn rename(&mut self, from: &str, to: &str) -> Result<(), FtpError> {
        let t = self.timeout;
        let result = on_stream!(self, s => tokio::time::timeout(t, s.rename(from, to)).await);
        result
            .map_err(|_| self.timeout_err("renaming"))?
            .map_err(|e| self.reply_err(&format!("renaming {from} to {to}"), e))
    }

    /// The server's modification time of `name` (MDTM, UTC).
    pub async fn modified(&mut self, name: &str) -> Result<chrono::NaiveDateTime, FtpError> {
        let t = self.timeout;
        let result = on_stream!(self, s => tokio::time::timeout(t, s.mdtm(name)).await);
        result
            .map_err(|_| self.timeout_err("asking a file's time"))?
            .map_err(|e| self.reply_err(&format!("asking the time of {name}"), e))
    }

    pub async fn delete(&mut self, name: &str) -> Result<(), FtpError> {
        let t = self.timeout;
        let result = on_stream!(self, s => tokio::time::timeout(t, s.rm(name)).await);
        match result.map_err(|_| self.timeout_err("deleting"))? {
            Ok(()) => Ok(()),
            Err(e) if status_of(&e) == Some(550) => Err(FtpError::FileMissing {
                path: self.path_of(name),
                reply: reply_text(&e),
            }),
            Err(e) => Err(self.reply_err(&format!("deleting {name}"), e)),
        }
    }

    pub async fn mkdir(&mut self, name: &str) -> Result<(), FtpError> {
        let t = self.timeout;
        let result = on_stream!(self, s => tokio::time::timeout(t, s.mkdir(name)).await);
        result
            .map_err(|_| self.timeout_err("creating a folder"))?
            .map_err(|e| self.reply_err(&format!("creating the folder {name}"), e))
    }

    /// Says goodbye; errors are ignored (the server may already have closed).
    pub async fn quit(mut self) {
        let t = self.timeout;
        let _ = on_stream!(self, s => tokio::time::timeout(t, s.quit()).await);
    }
}

/// The TLS settings: the system's CA bundle, or the one named by `SSL_CERT_FILE`.
fn tls_connector() -> Result<AsyncRustlsConnector, String> {
    let path = std::env::var_os("SSL_CERT_FILE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/etc/ssl/certs/ca-certificates.crt"));
    let pem = std::fs::read(&path)
        .map_err(|e| format!("cannot read the CA bundle {}: {e}", path.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem).flatten() {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(format!("no CA certificate in {}", path.display()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(AsyncRustlsConnector::from(TlsConnector::from(Arc::new(
        config,
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transfer that keeps moving may take far longer than the timeout of one step (a large
    /// batch over a slow line); one that stops moving fails after that timeout, naming the step.
    #[tokio::test]
    async fn a_transfer_is_timed_per_step_not_as_a_whole() {
        let idle = Duration::from_millis(400);
        let (mut line, mut far_end) = tokio::io::duplex(1024);
        let trickle = tokio::spawn(async move {
            for _ in 0..20 {
                far_end.write_all(&[7u8; 100]).await.unwrap();
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
        });
        let started = std::time::Instant::now();
        let mut got = Vec::new();
        let n = pump(&mut line, &mut got, idle, Side::Remote, "downloading")
            .await
            .unwrap();
        trickle.await.unwrap();
        assert_eq!((n, got.len()), (2000, 2000));
        assert!(started.elapsed() > 2 * idle, "{:?}", started.elapsed());

        let (mut line, mut far_end) = tokio::io::duplex(1024);
        far_end.write_all(&[7u8; 100]).await.unwrap();
        let mut got = Vec::new();
        let stalled = pump(&mut line, &mut got, idle, Side::Remote, "downloading").await;
        assert!(
            matches!(stalled, Err(Moved::Stalled("downloading"))),
            "{stalled:?}"
        );
        drop(far_end);
    }
}
