//! Commit → send without a poll: wakes the worker the moment a change that queued work commits.
//!
//! In the same process the worker's loops wait on one [`Notify`]. Across processes (personal mode:
//! a `backroom events emit` next to a running console, `serve` or `worker`), the worker that holds
//! the lease listens on its own Unix socket next to the database (`<db>.wake`, mode 0600); a
//! process that committed work connects to it and the connection itself is the wake-up. The
//! worker's slow fallback poll only covers changes made by other means (e.g. `sqlite3`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

use super::Shared;

/// The file name suffix of a database's wake socket.
const SUFFIX: &str = "wake";
/// Unix socket paths longer than this cannot be bound (sun_path is 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;
/// Added to the socket's path for the name it is bound under before it is made owner-only.
const FRESH: &str = ".new";
/// How often the listener checks whether this worker still holds the lease.
const LEASE_CHECK: Duration = Duration::from_secs(1);

/// The wake socket of a database: next to it, `<file name>.wake`.
pub fn socket_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".");
    name.push(SUFFIX);
    db.with_file_name(name)
}

/// A cheap, cloneable handle that wakes the worker of one database: call it after each commit
/// that queued work (events, reprints, reschedules, confirms).
#[derive(Debug, Clone)]
pub struct Waker {
    socket: Option<PathBuf>,
}

impl Waker {
    /// Wakes this process's worker and the worker listening next to `db`.
    pub fn for_db(db: &Path) -> Waker {
        let socket = socket_path(db);
        let usable = socket.as_os_str().len() + FRESH.len() <= MAX_SOCKET_PATH;
        Waker {
            socket: usable.then_some(socket),
        }
    }

    /// Wakes only this process's worker (the daemon, whose worker runs in-process).
    pub fn in_process() -> Waker {
        Waker { socket: None }
    }

    pub fn wake(&self) {
        in_process_signal().notify_waiters();
        if let Some(socket) = &self.socket {
            poke(socket);
        }
    }
}

/// The in-process signal the worker's loops wait on.
pub fn in_process_signal() -> &'static Notify {
    static WAKE: OnceLock<Notify> = OnceLock::new();
    WAKE.get_or_init(Notify::new)
}

fn registered() -> &'static Mutex<BTreeSet<PathBuf>> {
    static DATABASES: OnceLock<Mutex<BTreeSet<PathBuf>>> = OnceLock::new();
    DATABASES.get_or_init(|| Mutex::new(BTreeSet::new()))
}

/// Registers the database this process works on, so that [`wake`] also reaches a worker running
/// in another process on it.
pub fn register(db: &Path) {
    registered()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(db.to_path_buf());
}

/// Wakes this process's worker and the workers of the registered databases.
pub fn wake() {
    in_process_signal().notify_waiters();
    let dbs: Vec<PathBuf> = registered()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .cloned()
        .collect();
    for db in dbs {
        if let Some(socket) = Waker::for_db(&db).socket {
            poke(&socket);
        }
    }
}

/// Connects to a wake socket: the connection is the message. No listener is not an error.
fn poke(socket: &Path) {
    match std::os::unix::net::UnixStream::connect(socket) {
        Ok(_) => tracing::debug!(socket = %socket.display(), "worker woken"),
        Err(e) => tracing::trace!(socket = %socket.display(), error = %e, "no worker to wake"),
    }
}

/// The worker's side: while this worker holds the lease, listens on the database's wake socket
/// and wakes the loops on every connection. Runs until shutdown.
pub async fn listen(shared: Arc<Shared>) {
    let waker = Waker::for_db(&shared.ctx.db_path);
    let Some(path) = waker.socket else {
        tracing::warn!(db = %shared.ctx.db_path.display(), "database path too long for a wake socket; other processes' changes are seen by the fallback poll");
        return;
    };
    loop {
        if shared.lease_held() {
            match bind(&path) {
                Ok((listener, inode)) => {
                    accept_while_held(&shared, &listener).await;
                    remove_if_ours(&path, inode);
                }
                Err(e) => tracing::warn!(socket = %path.display(), error = %e, "wake socket"),
            }
        }
        if shared.stopping() {
            break;
        }
        let mut shutdown = shared.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(LEASE_CHECK) => {}
            _ = shutdown.changed() => {}
        }
        if shared.stopping() {
            break;
        }
    }
}

/// Binds the socket with mode 0600, replacing a stale file left by a crashed worker (only the
/// lease holder binds, so a live listener is never taken over). It is bound as `<path>.new`, made
/// owner-only, then renamed into place: bound at its path, it stood there with the umask's mode
/// (0755) until the `chmod` (`tests/file_modes.rs` saw it once).
fn bind(path: &Path) -> std::io::Result<(tokio::net::UnixListener, u64)> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let mut fresh = path.as_os_str().to_owned();
    fresh.push(FRESH);
    let fresh = std::path::PathBuf::from(fresh);
    match std::fs::remove_file(&fresh) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = tokio::net::UnixListener::bind(&fresh)?;
    let placed = std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&fresh, path));
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&fresh);
        return Err(e);
    }
    let inode = std::fs::metadata(path)?.ino();
    tracing::info!(socket = %path.display(), "listening for wake-ups");
    Ok((listener, inode))
}

async fn accept_while_held(shared: &Shared, listener: &tokio::net::UnixListener) {
    let mut shutdown = shared.shutdown.clone();
    while shared.lease_held() && !shared.stopping() {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(_) => in_process_signal().notify_waiters(),
                Err(e) => {
                    tracing::warn!(error = %e, "wake socket accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = tokio::time::sleep(LEASE_CHECK) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Removes the socket file unless another worker has bound a new one there since.
fn remove_if_ours(path: &Path, inode: u64) {
    use std::os::unix::fs::MetadataExt as _;
    if std::fs::metadata(path).is_ok_and(|m| m.ino() == inode) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_sits_next_to_the_database() {
        assert_eq!(
            socket_path(Path::new("/var/lib/backroom/backroom.db")),
            PathBuf::from("/var/lib/backroom/backroom.db.wake")
        );
    }

    #[test]
    fn a_path_too_long_for_a_socket_only_wakes_in_process() {
        let long = PathBuf::from(format!("/{}/backroom.db", "d".repeat(120)));
        assert!(Waker::for_db(&long).socket.is_none());
    }
}
