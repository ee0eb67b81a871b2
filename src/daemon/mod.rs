//! `backroom daemon`: the store server. One process holds the worker, the web service and the
//! control socket; clients are identified by the kernel (peer credentials), judged by the
//! service's policy, audited, and their commands run against the daemon's own database.

mod exec;
mod files;
mod screen;
mod session;
mod tui;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::net::UnixListener;

use crate::context::Context;

/// What every session shares.
pub struct Daemon {
    pub ctx: Context,
    /// The binary that runs each client's command.
    pub exe: PathBuf,
    /// The daemon's own connection (audit log, sign-in, secrets to mask).
    pub conn: Mutex<rusqlite::Connection>,
    /// The worker's command channel, shared by every TUI session.
    pub worker: tokio::sync::mpsc::UnboundedSender<crate::worker::Command>,
    /// The worker's notifications, to every TUI session.
    pub notifications: tokio::sync::broadcast::Sender<crate::worker::Notification>,
    /// The worker's last status, for a session that opens later.
    pub worker_status: Mutex<Option<crate::worker::WorkerStatus>>,
    /// Audit entries of TUI sessions, written in order by one writer.
    pub audit: tokio::sync::mpsc::UnboundedSender<crate::store::audit::Entry>,
}

/// Runs until Ctrl-C or SIGTERM.
pub async fn run(ctx: Context, socket: Option<PathBuf>) -> anyhow::Result<()> {
    let path = socket
        .or_else(|| ctx.config.daemon.socket.clone())
        .unwrap_or_else(|| PathBuf::from(crate::cli::remote::DEFAULT_SOCKET));
    let conn = ctx.open_store()?;
    let listener = bind(&path).await?;
    let exe = std::env::current_exe().context("finding the backroom binary")?;
    let (notify_tx, mut notify_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = crate::worker::spawn(ctx.clone(), notify_tx);
    let (audit_tx, audit_rx) = tokio::sync::mpsc::unbounded_channel();
    let daemon = Arc::new(Daemon {
        ctx: ctx.clone(),
        exe,
        conn: Mutex::new(conn),
        worker: worker.commands.clone(),
        notifications: tokio::sync::broadcast::channel(1024).0,
        worker_status: Mutex::new(None),
        audit: audit_tx,
    });
    let fanout = daemon.clone();
    tokio::spawn(async move {
        while let Some(n) = notify_rx.recv().await {
            tracing::debug!(?n, "worker notification");
            if let crate::worker::Notification::Status(s) = &n
                && let Ok(mut last) = fanout.worker_status.lock()
            {
                *last = Some(s.clone());
            }
            // No session open is not an error.
            let _ = fanout.notifications.send(n);
        }
    });
    let writer = daemon.clone();
    tokio::task::spawn_blocking(move || write_audit(&writer, audit_rx));

    // The web service as `backroom serve` runs it (its limits and timeouts), in this process.
    let listen = ctx.config.server.listen.clone();
    let web_ctx = ctx.clone();
    let mut web = tokio::spawn(async move { crate::server::serve(web_ctx, &listen).await });
    tokio::spawn(purge_audit(daemon.clone()));

    eprintln!("backroom daemon: socket {}, worker started", path.display());
    tracing::info!(socket = %path.display(), "daemon started");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut outcome = Ok(());
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(session::serve(daemon.clone(), stream));
                }
                Err(e) => tracing::warn!(error = %e, "accepting a client"),
            },
            ended = &mut web => {
                // The web service stops on the same signals; anything else is the daemon's error.
                outcome = match ended {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.context("the daemon's web service stopped")),
                    Err(e) => Err(anyhow::anyhow!("the daemon's web service failed: {e}")),
                };
                break;
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
    let _ = std::fs::remove_file(&path);
    let _ = worker.commands.send(crate::worker::Command::Shutdown);
    let _ = worker.join.await;
    web.abort();
    outcome
}

/// Binds the socket: a stale file no daemon answers on is replaced; a live daemon is an error.
/// Anyone may connect (mode 0666): who they are comes from the kernel, not from the file mode.
async fn bind(path: &std::path::Path) -> anyhow::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if path.exists() {
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            anyhow::bail!(
                "another backroom daemon already answers on {} (stop it first, or choose --socket PATH)",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("removing the stale socket {}", path.display()))?;
    }
    let listener = UnixListener::bind(path)
        .with_context(|| format!("cannot listen on the socket {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
        .with_context(|| format!("opening the socket {} to local users", path.display()))?;
    Ok(listener)
}

/// Writes the TUI sessions' audit entries, in the order they came, until the daemon stops.
fn write_audit(
    daemon: &Daemon,
    mut entries: tokio::sync::mpsc::UnboundedReceiver<crate::store::audit::Entry>,
) {
    while let Some(entry) = entries.blocking_recv() {
        match daemon.conn.lock() {
            Ok(conn) => {
                if let Err(e) = crate::store::audit::append(&conn, &entry) {
                    tracing::error!(error = %e, action = %entry.action, "writing the audit log");
                }
            }
            Err(_) => {
                tracing::error!(action = %entry.action, "the daemon's connection lock is poisoned: not audited")
            }
        }
    }
}

/// Purges audit entries past their retention once an hour, on a blocking thread and a
/// connection of its own: the purge pauses between its batches, and sign-ins and the audit
/// writer keep the daemon's connection meanwhile.
async fn purge_audit(daemon: Arc<Daemon>) {
    loop {
        let ctx = daemon.ctx.clone();
        let purged = tokio::task::spawn_blocking(move || -> Result<usize, String> {
            let conn = ctx.open_store().map_err(|e| e.to_string())?;
            crate::service::audit::purge(&conn).map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        match purged {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "audit entries purged"),
            Err(e) => tracing::warn!(error = %e, "purging the audit log"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}
