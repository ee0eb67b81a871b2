//! The background worker: one lease holder per database, area loops, and the UI's two channels.
//!
//! The UI sends [`Command`]s in and receives [`Notification`]s out; it never waits on I/O itself.
//! Each area runs its own loop (`printing`, `pos`, `sync`) and only works while the lease is held.

pub mod health;
pub mod lease;
pub mod pos;
pub mod printing;
pub mod sync;
pub mod wake;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::context::Context;

/// What the UI asks the worker to do.
#[derive(Debug)]
pub enum Command {
    Printing(printing::Command),
    Pos(pos::Command),
    Sync(sync::Command),
    /// Stop every loop and release the lease.
    Shutdown,
}

/// What the worker tells the UI.
#[derive(Debug, Clone)]
pub enum Notification {
    Status(WorkerStatus),
    Printing(printing::Notification),
    Pos(pos::Notification),
    Sync(sync::Notification),
    Error(String),
}

/// Who runs the worker for this database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerStatus {
    RunningHere,
    RunningElsewhere { holder: String },
    NotRunning,
}

/// State shared by the worker's loops.
pub struct Shared {
    pub ctx: Context,
    /// This process's lease holder id (`host:pid`).
    pub holder: String,
    pub notify: mpsc::UnboundedSender<Notification>,
    lease_held: AtomicBool,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// True while this process holds the worker lease.
    pub fn lease_held(&self) -> bool {
        self.lease_held.load(Ordering::SeqCst)
    }

    /// True once shutdown was asked for.
    pub fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Sleeps until `d` passes, the worker is woken by a commit, or shutdown; returns false on shutdown.
    pub async fn idle(&self, d: Duration) -> bool {
        let woken = wake::in_process_signal().notified();
        tokio::pin!(woken);
        self.idle_armed(d, woken).await
    }

    /// Like [`Shared::idle`], with a wake-up armed (`Notified::enable`) before the work that
    /// preceded it: a commit that lands during that work is not missed.
    pub async fn idle_armed(
        &self,
        d: Duration,
        woken: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>,
    ) -> bool {
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = woken => {}
            _ = shutdown.changed() => {}
        }
        !self.stopping()
    }

    /// Sleeps `d` unless shutdown comes first (commits do not wake it); false on shutdown.
    pub async fn idle_for(&self, d: Duration) -> bool {
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = shutdown.changed() => {}
        }
        !self.stopping()
    }

    pub fn send(&self, n: Notification) {
        let _ = self.notify.send(n);
    }
}

/// Wakes the worker at once, in this process and through the wake socket of the database this
/// process registered (called after a commit that queued work); see [`wake::Waker`].
pub fn wake() {
    wake::wake();
}

/// A running worker: send commands, and wait for it to stop.
pub struct Handle {
    pub commands: mpsc::UnboundedSender<Command>,
    pub join: tokio::task::JoinHandle<()>,
}

/// The lease holder id of this process.
pub fn holder_id() -> String {
    format!(
        "{}:{}",
        gethostname::gethostname().to_string_lossy(),
        std::process::id()
    )
}

/// Starts the worker: the lease loop, each area's loop, and the command dispatcher.
pub fn spawn(ctx: Context, notify: mpsc::UnboundedSender<Notification>) -> Handle {
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<Command>();
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        ctx,
        holder: holder_id(),
        notify,
        lease_held: AtomicBool::new(false),
        shutdown: stop_rx,
    });
    let join = tokio::spawn(async move {
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(lease_loop(shared.clone()));
        tasks.spawn(printing::run(shared.clone()));
        tasks.spawn(pos::run(shared.clone()));
        tasks.spawn(sync::run(shared.clone()));
        tasks.spawn(wake::listen(shared.clone()));
        tasks.spawn(health::run(shared.clone()));
        while let Some(cmd) = cmd_rx.recv().await {
            match cmd {
                Command::Printing(c) => printing::handle(shared.clone(), c),
                Command::Pos(c) => pos::handle(shared.clone(), c),
                Command::Sync(c) => sync::handle(shared.clone(), c),
                Command::Shutdown => break,
            }
        }
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
    });
    Handle {
        commands: cmd_tx,
        join,
    }
}

/// How long a lease lasts without renewal; a crashed worker's lease is free after this.
pub const LEASE_TTL: Duration = Duration::from_secs(15);
const LEASE_RENEW: Duration = Duration::from_secs(5);

async fn lease_loop(shared: Arc<Shared>) {
    let mut last: Option<WorkerStatus> = None;
    loop {
        let status = match lease::acquire(&shared.ctx.db_path, &shared.holder, LEASE_TTL) {
            Ok(lease::Outcome::Held) => WorkerStatus::RunningHere,
            Ok(lease::Outcome::HeldBy(holder)) => WorkerStatus::RunningElsewhere { holder },
            Err(e) => {
                tracing::warn!(error = %e, "worker lease");
                WorkerStatus::NotRunning
            }
        };
        let held = status == WorkerStatus::RunningHere;
        let was = shared.lease_held.swap(held, Ordering::SeqCst);
        if held && !was {
            tracing::info!(holder = %shared.holder, "worker lease acquired");
            wake();
        }
        if last.as_ref() != Some(&status) {
            shared.send(Notification::Status(status.clone()));
            last = Some(status);
        }
        let mut shutdown = shared.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(LEASE_RENEW) => {}
            _ = shutdown.changed() => {}
        }
        if shared.stopping() {
            break;
        }
    }
    if shared.lease_held.swap(false, Ordering::SeqCst)
        && let Err(e) = lease::release(&shared.ctx.db_path, &shared.holder)
    {
        tracing::warn!(error = %e, "releasing the worker lease");
    }
}

/// `backroom worker`: runs headless until interrupted (Ctrl-C or SIGTERM).
pub async fn run_headless(ctx: Context) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = spawn(ctx, tx);
    let log = tokio::spawn(async move {
        while let Some(n) = rx.recv().await {
            match n {
                Notification::Status(s) => eprintln!("worker: {}", status_text(&s)),
                Notification::Error(e) => eprintln!("worker error: {e}"),
                other => tracing::debug!(?other, "notification"),
            }
        }
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    let _ = handle.commands.send(Command::Shutdown);
    let _ = handle.join.await;
    log.abort();
    Ok(())
}

/// Runs `work` (e.g. the web service) with the worker in the same process when `run_worker` is
/// set, so that a change committed there is sent at once; stops the worker when `work` ends.
pub async fn alongside<T>(
    ctx: Context,
    run_worker: bool,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    if !run_worker {
        return work.await;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = spawn(ctx, tx);
    let log = tokio::spawn(async move {
        while let Some(n) = rx.recv().await {
            match n {
                Notification::Error(e) => tracing::warn!(error = %e, "worker"),
                other => tracing::debug!(?other, "notification"),
            }
        }
    });
    let result = work.await;
    let _ = handle.commands.send(Command::Shutdown);
    let _ = handle.join.await;
    log.abort();
    result
}

/// The header's words for a worker status.
pub fn status_text(s: &WorkerStatus) -> String {
    match s {
        WorkerStatus::RunningHere => "running here".to_string(),
        WorkerStatus::RunningElsewhere { holder } => format!("running elsewhere ({holder})"),
        WorkerStatus::NotRunning => "not running".to_string(),
    }
}
