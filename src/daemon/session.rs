//! One client on the control socket: the kernel says who it is, it says hello (same protocol
//! or a clear refusal), signs in when it is a shared account, then sends commands.

use std::sync::Arc;

use tokio::net::UnixStream;

use super::Daemon;
use crate::service::Identity;
use crate::service::audit::{self, Outcome};
use crate::service::operators::{self, SignInError};
use crate::service::protocol::{self, FrameError, PROTOCOL, Reply, Request};

const REFUSED: u8 = crate::cli::output::REFUSED;

pub async fn serve(daemon: Arc<Daemon>, mut stream: UnixStream) {
    if let Err(e) = session(&daemon, &mut stream).await {
        match e {
            FrameError::Closed => {}
            other => tracing::warn!(error = %other, "client session"),
        }
    }
}

/// Answers a refusal (the session ends).
async fn refuse(stream: &mut UnixStream, message: String) -> Result<(), FrameError> {
    protocol::write(
        stream,
        &Reply::Error {
            code: REFUSED,
            message,
        },
    )
    .await
}

async fn session(daemon: &Arc<Daemon>, stream: &mut UnixStream) -> Result<(), FrameError> {
    let uid = stream.peer_cred()?.uid();
    let mut who = Identity::of_peer(uid, &daemon.ctx.config);
    match protocol::read::<_, Request>(stream).await? {
        Request::Hello {
            protocol: p,
            version,
        } if p == PROTOCOL => {
            tracing::debug!(user = %who.user, %version, "client connected");
        }
        Request::Hello {
            protocol: p,
            version,
        } => {
            let message = format!(
                "this client is backroom {version} (protocol {p}) and the daemon is backroom {} (protocol {PROTOCOL}): use the same backroom version for both",
                env!("CARGO_PKG_VERSION")
            );
            return protocol::write(stream, &Reply::Error { code: 1, message }).await;
        }
        other => {
            let message = format!("the first frame must be Hello, not {}", other.name());
            return protocol::write(stream, &Reply::Error { code: 2, message }).await;
        }
    }
    let shared = daemon
        .ctx
        .config
        .operators
        .shared_accounts
        .contains(&who.user);
    protocol::write(
        stream,
        &Reply::Welcome {
            protocol: PROTOCOL,
            version: env!("CARGO_PKG_VERSION").to_string(),
            identity: who.clone(),
            sign_in: shared,
        },
    )
    .await?;
    // A shared account's TUI signs in on its screen: its request is answered by the loop.
    let mut first = None;
    // The operator as signed in (role and password hash): a command is refused once the
    // operator was removed, locked, given another role or another password.
    let mut signed_as: Option<(String, String)> = None;
    if shared {
        match protocol::read(stream).await? {
            Request::SignIn { operator, password } => {
                // Checking a password (argon2) and auditing it block: off the session's task.
                let (d, w, op) = (daemon.clone(), who.clone(), operator.clone());
                let checked = tokio::task::spawn_blocking(move || sign_in(&d, &w, &op, &password))
                    .await
                    .unwrap_or_else(|_| Err("the sign-in check stopped unexpectedly".to_string()));
                match checked {
                    Ok(role) => {
                        signed_as = operator_now(daemon, &operator);
                        who.operator = Some(operator);
                        who.role = role;
                        protocol::write(
                            stream,
                            &Reply::SignedIn {
                                identity: who.clone(),
                            },
                        )
                        .await?;
                    }
                    Err(message) => return refuse(stream, message).await,
                }
            }
            tui @ Request::Tui { .. } => first = Some(tui),
            _ => {
                let message = format!("{} is a shared terminal account: sign in first", who.user);
                return refuse(stream, message).await;
            }
        }
    }
    loop {
        let request = match first.take() {
            Some(request) => request,
            None => protocol::read(stream).await?,
        };
        match request {
            Request::Command(line) => {
                if let (Some(operator), Some(then)) = (&who.operator, &signed_as)
                    && operator_now(daemon, operator).as_ref() != Some(then)
                {
                    let message = format!(
                        "operator {operator} was removed, locked or changed since signing in: sign in again"
                    );
                    return refuse(stream, message).await;
                }
                super::exec::run(daemon, &who, line, stream).await?
            }
            Request::Tui {
                width,
                height,
                no_color,
                read_only,
            } => {
                let opening = super::tui::Opening {
                    width,
                    height,
                    no_color,
                    read_only,
                };
                return super::tui::host(daemon.clone(), who, shared, opening, stream).await;
            }
            other => {
                let message = format!("unexpected request {}", other.name());
                protocol::write(stream, &Reply::Error { code: 2, message }).await?;
            }
        }
    }
}

/// The operator's role and password hash as stored now, if it exists and is not locked.
pub(super) fn operator_now(daemon: &Daemon, name: &str) -> Option<(String, String)> {
    let conn = daemon.conn.lock().ok()?;
    let op = crate::store::operators::find(&conn, name).ok()??;
    let now = crate::store::now();
    if op
        .locked_until
        .as_deref()
        .is_some_and(|until| until > now.as_str())
    {
        return None;
    }
    Some((op.role, op.password_hash))
}

/// Checks the operator's password; every attempt is audited under the OS user.
pub(super) fn sign_in(
    daemon: &Daemon,
    who: &Identity,
    operator: &str,
    password: &str,
) -> Result<crate::config::Role, String> {
    let conn = daemon
        .conn
        .lock()
        .map_err(|_| "the daemon's connection lock is poisoned".to_string())?;
    let result = operators::sign_in(&conn, operator, password);
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(e @ (SignInError::Wrong | SignInError::Locked { .. })) => {
            Outcome::Refused(e.to_string())
        }
        Err(e) => Outcome::Failed(e.to_string()),
    };
    let attempt = Identity {
        operator: Some(operator.to_string()),
        ..who.clone()
    };
    audit::record(&conn, &attempt, "operators.sign-in", operator, &outcome);
    result.map_err(|e| e.to_string())
}
