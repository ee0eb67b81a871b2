//! The printing part of the worker: the dispatch loop, its commands and its notifications.
//!
//! A pass claims due jobs (leased to this worker), sends them through their printer's provider,
//! and records every attempt. Jobs for different printers go out concurrently; one printer's
//! jobs go out in order. A job whose earlier attempt may have reached the provider is first
//! looked up by its UUID, so a crash does not print it twice where the provider can tell.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rusqlite::Connection;

use super::Shared;
use crate::net::print::{self, Lookup, PrintRequest, SendError};
use crate::printing::job::{JobState, NO_DEFAULT_PRINTER, RetryPolicy};
use crate::printing::{Printer, Provider, retention};
use crate::store::jobs::{self, Claimed, Depth, Finish, Outcome};

#[derive(Debug)]
pub enum Command {
    /// Look for due jobs now.
    Wake,
    /// Failed jobs back to pending (attempts reset).
    Reschedule(Vec<i64>),
    /// Pending jobs to cancelled.
    Cancel(Vec<i64>),
    /// A new job for the same document.
    Reprint(i64),
}

#[derive(Debug, Clone)]
pub enum Notification {
    /// A job changed state (sent, retried, failed, rescheduled, cancelled, reprinted).
    JobChanged { id: i64, state: JobState },
    /// How many jobs wait, are being sent, and failed.
    QueueDepth(Depth),
    /// A remote (IPP) job state changed.
    RemoteState { id: i64, state: String },
}

/// Longest sleep between two looks at the queue. Commits wake the worker at once (in-process, or
/// through its wake socket); this slow poll only catches changes made by other means.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Jobs claimed per transaction.
const BATCH: usize = 256;
/// Files a spool printer writes at once.
const SPOOL_CONCURRENCY: usize = 16;
/// How often the remote state of accepted IPP jobs is asked for.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);
/// How often finished jobs past the retention are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);
/// Test hook: pause after the provider accepted a job and before recording it (crash tests).
pub const PAUSE_AFTER_SEND_ENV: &str = "BACKROOM_PRINT_TEST_PAUSE_AFTER_SEND_MS";

/// Dispatches print jobs for one worker id over one connection.
pub struct Dispatcher {
    db: PathBuf,
    conn: Arc<Mutex<Option<Connection>>>,
    worker: String,
    last_follow: Option<Instant>,
    last_purge: Option<Instant>,
}

impl Dispatcher {
    pub fn new(db: PathBuf, worker: String) -> Dispatcher {
        Dispatcher {
            db,
            conn: Arc::new(Mutex::new(None)),
            worker,
            last_follow: None,
            last_purge: None,
        }
    }

    /// Runs `f` on the connection in a blocking thread.
    async fn db<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> anyhow::Result<R> + Send + 'static,
    ) -> anyhow::Result<R> {
        let conn = self.conn.clone();
        let path = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| {
                anyhow::anyhow!("the printing worker's connection lock is poisoned")
            })?;
            if guard.is_none() {
                *guard = Some(
                    crate::store::open(&path)
                        .with_context(|| format!("opening the store {}", path.display()))?,
                );
            }
            match guard.as_mut() {
                Some(c) => f(c),
                None => anyhow::bail!("no connection"),
            }
        })
        .await
        .context("the printing worker's database task failed")?
    }

    /// One pass: claims due jobs, sends them, records the outcomes; returns how many it handled.
    pub async fn pass(&mut self, notify: &(dyn Fn(Notification) + Sync)) -> anyhow::Result<usize> {
        let worker = self.worker.clone();
        let (claimed, policy, printers, docs) = self
            .db(move |c| {
                let policy = RetryPolicy::load(c);
                if !crate::store::printers::printing_enabled(c)? {
                    // Printing is switched off for the store: jobs wait until it is on again.
                    return Ok((Vec::new(), policy, HashMap::new(), HashMap::new()));
                }
                let now = chrono::Utc::now();
                let until = now + chrono::Duration::from_std(policy.lease)?;
                let claimed = jobs::claim(
                    c,
                    &worker,
                    &crate::store::to_text(now),
                    &crate::store::to_text(until),
                    BATCH,
                )?;
                let mut printers: HashMap<Option<i64>, Option<Printer>> = HashMap::new();
                let mut docs: HashMap<i64, Arc<Vec<u8>>> = HashMap::new();
                for j in &claimed {
                    if let std::collections::hash_map::Entry::Vacant(e) =
                        printers.entry(j.printer_id)
                    {
                        e.insert(match j.printer_id {
                            Some(id) => crate::store::printers::by_id(c, id)?,
                            None => crate::store::printers::default(c)?,
                        });
                    }
                    if let std::collections::hash_map::Entry::Vacant(e) = docs.entry(j.document_id)
                    {
                        let (bytes, _) = crate::store::printing::document_bytes(c, j.document_id)?
                            .unwrap_or_default();
                        e.insert(Arc::new(bytes));
                    }
                }
                Ok((claimed, policy, printers, docs))
            })
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let count = claimed.len();
        let deadline = Instant::now() + policy.lease.mul_f32(0.8);
        let mut groups: HashMap<Option<i64>, Vec<Claimed>> = HashMap::new();
        for j in claimed {
            groups.entry(j.printer_id).or_default().push(j);
        }
        let sends = groups.into_iter().map(|(key, group)| {
            let printer = printers.get(&key).cloned().flatten();
            let docs = &docs;
            async move {
                let mut out = Vec::with_capacity(group.len());
                let outcome = |job: &Claimed, finish| Outcome {
                    job_id: job.id,
                    attempt_id: job.attempt_id,
                    printer_id: printer.as_ref().map(|p| p.id),
                    finish,
                };
                // A spool folder has no order to keep: write several files at once.
                let width = match printer.as_ref().map(|p| p.provider) {
                    Some(Provider::Spool) => SPOOL_CONCURRENCY,
                    _ => 1,
                };
                // Once a job to this printer fails with a retryable error, the rest of the
                // group is not sent in this pass (it would fail the same way, slowly).
                let mut blocked: Option<String> = None;
                let mut rest = group.into_iter().peekable();
                while rest.peek().is_some() {
                    let chunk: Vec<Claimed> = rest.by_ref().take(width).collect();
                    let why_not = if Instant::now() > deadline {
                        Some("not sent: this worker's lease on the job ran out".to_string())
                    } else {
                        blocked
                            .as_ref()
                            .map(|err| format!("not sent: the previous job failed: {err}"))
                    };
                    if let Some(why) = why_not {
                        for job in &chunk {
                            let finish = retry(job, &policy, why.clone(), job.recovering);
                            out.push(outcome(job, finish));
                        }
                        continue;
                    }
                    let finishes = futures::future::join_all(chunk.iter().map(|job| {
                        let bytes = docs.get(&job.document_id).cloned().unwrap_or_default();
                        let printer = printer.as_ref();
                        let policy = &policy;
                        async move { attempt(printer, job, &bytes, policy).await }
                    }))
                    .await;
                    for (job, finish) in chunk.iter().zip(finishes) {
                        if let Finish::Retry { error, .. }
                        | Finish::Failed {
                            error,
                            retryable: true,
                        } = &finish
                        {
                            blocked = Some(error.clone());
                        }
                        out.push(outcome(job, finish));
                    }
                }
                out
            }
        });
        let outcomes: Vec<Outcome> = futures::future::join_all(sends)
            .await
            .into_iter()
            .flatten()
            .collect();
        let worker = self.worker.clone();
        let (changed, depth) = self
            .db(move |c| {
                let changed = jobs::record(c, &worker, &outcomes)?;
                Ok((changed, jobs::depth(c)?))
            })
            .await?;
        for (id, state) in changed {
            notify(Notification::JobChanged { id, state });
        }
        notify(Notification::QueueDepth(depth));
        Ok(count)
    }

    /// Asks providers for the state of accepted jobs that are not final yet.
    pub async fn follow(&mut self, notify: &(dyn Fn(Notification) + Sync)) -> anyhow::Result<()> {
        if self
            .last_follow
            .is_some_and(|t| t.elapsed() < FOLLOW_INTERVAL)
        {
            return Ok(());
        }
        self.last_follow = Some(Instant::now());
        let list = self
            .db(|c| {
                let mut out = Vec::new();
                for (id, printer_id, remote_ref) in jobs::following(c, 50)? {
                    out.push((
                        id,
                        crate::store::printers::by_id(c, printer_id)?,
                        remote_ref,
                    ));
                }
                Ok(out)
            })
            .await?;
        for (id, printer, remote_ref) in list {
            let update = match printer {
                None => Some((None, true)),
                Some(p) => match print::remote_state(&p, &remote_ref).await {
                    Ok(Some(s)) => Some((Some(s.as_str().to_string()), s.is_final())),
                    Ok(None) => Some((None, true)),
                    Err(e) => {
                        tracing::debug!(job = id, error = %e, "remote state");
                        None
                    }
                },
            };
            if let Some((state, done)) = update {
                let s = state.clone();
                let changed = self
                    .db(move |c| Ok(jobs::set_remote_state(c, id, s.as_deref(), done)?))
                    .await?;
                if let (true, Some(state)) = (changed, state) {
                    notify(Notification::RemoteState { id, state });
                }
            }
        }
        Ok(())
    }

    /// Purges finished jobs past [`retention::PRINT_JOB_RETENTION`] (at most once an hour).
    pub async fn purge(&mut self) -> anyhow::Result<()> {
        if self
            .last_purge
            .is_some_and(|t| t.elapsed() < PURGE_INTERVAL)
        {
            return Ok(());
        }
        self.last_purge = Some(Instant::now());
        let purged = self
            .db(|c| Ok(retention::purge(c, chrono::Utc::now())?))
            .await?;
        if purged.jobs > 0 {
            tracing::info!(?purged, "purged print jobs past the retention");
        }
        Ok(())
    }

    /// How long until a job becomes due (capped at the poll interval).
    pub async fn wait(&self) -> Duration {
        let next = self.db(|c| Ok(jobs::next_due(c)?)).await.ok().flatten();
        let Some(next) = next.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok()) else {
            return POLL_INTERVAL;
        };
        // A job already due that the last pass did not take waits on something else (printing
        // switched off, printer disabled): look again at the poll interval, do not spin.
        let left = next.with_timezone(&chrono::Utc) - chrono::Utc::now();
        match left.to_std() {
            Ok(d) if !d.is_zero() => d.clamp(Duration::from_millis(5), POLL_INTERVAL),
            _ => POLL_INTERVAL,
        }
    }
}

/// One attempt at one job: look it up first if an earlier attempt may have reached the provider.
async fn attempt(
    printer: Option<&Printer>,
    job: &Claimed,
    bytes: &[u8],
    policy: &RetryPolicy,
) -> Finish {
    let Some(printer) = printer else {
        return Finish::Failed {
            error: NO_DEFAULT_PRINTER.to_string(),
            retryable: false,
        };
    };
    let follow = matches!(printer.provider, Provider::Ipp | Provider::PrintNode);
    let mut maybe_duplicate = false;
    if job.recovering {
        match print::find_by_uuid(printer, &job.uuid).await {
            Ok(Lookup::Found { remote_ref, state }) => {
                return Finish::Accepted {
                    remote_ref: Some(remote_ref),
                    remote_state: Some(state.as_str().to_string()),
                    follow: follow && !state.is_final(),
                    maybe_duplicate: false,
                    recovered: true,
                };
            }
            Ok(Lookup::NotFound) => {}
            Ok(Lookup::Unsupported) => maybe_duplicate = true,
            Err(e) => {
                return retry(
                    job,
                    policy,
                    format!("looking the job up on {}: {e}", printer.name),
                    true,
                );
            }
        }
    }
    let req = PrintRequest {
        job_uuid: &job.uuid,
        title: &job.title,
        document: bytes,
        copies: job.copies,
    };
    match send_patiently(printer, &req).await {
        Ok(accepted) => {
            if let Some(ms) = std::env::var(PAUSE_AFTER_SEND_ENV)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
            {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            Finish::Accepted {
                remote_ref: accepted.remote_ref,
                remote_state: None,
                follow,
                maybe_duplicate,
                recovered: false,
            }
        }
        // Still in doubt when the provider could not be asked: the next attempt asks again.
        Err(SendError::Retryable(e)) => retry(job, policy, e, maybe_duplicate),
        Err(SendError::Permanent(e)) => Finish::Failed {
            error: e,
            retryable: false,
        },
    }
}

/// How long one attempt keeps retrying a printer that answers "busy" (printing another job).
const BUSY_PATIENCE: Duration = Duration::from_secs(5);
/// The IPP status of a printer printing another job (`server-error-busy`).
const BUSY: &str = "server-error-busy";

/// Sends, retrying within the attempt while the printer says it is busy with another job (as
/// CUPS's IPP backend does): busy clears in milliseconds on a fast printer.
async fn send_patiently(
    printer: &Printer,
    req: &PrintRequest<'_>,
) -> Result<print::Accepted, SendError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(1);
    loop {
        match print::send(printer, req).await {
            Err(SendError::Retryable(e))
                if e.contains(BUSY) && started.elapsed() < BUSY_PATIENCE =>
            {
                tokio::time::sleep(delay).await;
                // Poll every millisecond at first (a fast printer is busy for a few), then back off.
                if started.elapsed() > Duration::from_millis(100) {
                    delay = (delay * 2).min(Duration::from_millis(250));
                }
            }
            other => return other,
        }
    }
}

fn retry(job: &Claimed, policy: &RetryPolicy, error: String, in_doubt: bool) -> Finish {
    if job.attempts >= job.max_attempts {
        return Finish::Failed {
            error: format!("gave up after {} attempts: {error}", job.attempts),
            retryable: true,
        };
    }
    let next = chrono::Utc::now()
        + chrono::Duration::from_std(policy.backoff(job.attempts)).unwrap_or_default();
    Finish::Retry {
        error,
        next_attempt_at: crate::store::to_text(next),
        in_doubt,
    }
}

/// The printing loop; runs until shutdown and works only while the lease is held.
pub async fn run(shared: Arc<Shared>) {
    let follower = tokio::spawn(follow_loop(shared.clone()));
    dispatch_loop(shared).await;
    let _ = follower.await;
}

/// Follows the remote state of accepted jobs, apart from dispatch so slow printers never delay it.
async fn follow_loop(shared: Arc<Shared>) {
    let mut d = Dispatcher::new(shared.ctx.db_path.clone(), shared.holder.clone());
    let notify = |n: Notification| shared.send(super::Notification::Printing(n));
    loop {
        if shared.lease_held()
            && let Err(e) = d.follow(&notify).await
        {
            tracing::warn!(error = %format!("{e:#}"), "following remote job states");
        }
        if !shared.idle(FOLLOW_INTERVAL).await {
            break;
        }
    }
}

async fn dispatch_loop(shared: Arc<Shared>) {
    let mut d = Dispatcher::new(shared.ctx.db_path.clone(), shared.holder.clone());
    let notify = |n: Notification| shared.send(super::Notification::Printing(n));
    loop {
        // Armed before the pass: a commit during the pass wakes the next idle at once.
        let woken = super::wake::in_process_signal().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let mut busy = false;
        if shared.lease_held() {
            match d.pass(&notify).await {
                Ok(n) => busy = n > 0,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "print dispatch");
                    shared.send(super::Notification::Error(format!("printing: {e:#}")));
                }
            }
            if let Err(e) = d.purge().await {
                tracing::warn!(error = %format!("{e:#}"), "purging print jobs");
            }
        }
        if busy {
            if shared.stopping() {
                break;
            }
            continue;
        }
        let wait = if shared.lease_held() {
            d.wait().await
        } else {
            POLL_INTERVAL
        };
        if !shared.idle_armed(wait, woken).await {
            break;
        }
    }
}

/// Handles a command from the UI (spawns its work; never blocks the dispatcher).
pub fn handle(shared: Arc<Shared>, command: Command) {
    tokio::spawn(async move {
        let db = shared.ctx.db_path.clone();
        let result =
            tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<(i64, JobState)>> {
                let mut conn = crate::store::open(&db)?;
                Ok(match command {
                    Command::Wake => Vec::new(),
                    Command::Reschedule(ids) => jobs::reschedule(&mut conn, &ids)?
                        .into_iter()
                        .map(|id| (id, JobState::Pending))
                        .collect(),
                    Command::Cancel(ids) => jobs::cancel(&mut conn, &ids)?
                        .into_iter()
                        .map(|id| (id, JobState::Cancelled))
                        .collect(),
                    Command::Reprint(id) => {
                        let policy = RetryPolicy::load(&conn);
                        jobs::reprint(&mut conn, id, policy.max_attempts)?
                            .map(|(id, _)| vec![(id, JobState::Pending)])
                            .unwrap_or_default()
                    }
                })
            })
            .await;
        match result {
            Ok(Ok(changed)) => {
                for (id, state) in changed {
                    shared.send(super::Notification::Printing(Notification::JobChanged {
                        id,
                        state,
                    }));
                }
                super::wake();
            }
            Ok(Err(e)) => shared.send(super::Notification::Error(format!("printing: {e:#}"))),
            Err(e) => shared.send(super::Notification::Error(format!("printing: {e}"))),
        }
    });
}

/// `backroom worker --until-idle`: processes what is due now, then returns.
pub async fn run_until_idle(ctx: &crate::context::Context) -> anyhow::Result<()> {
    let mut d = Dispatcher::new(ctx.db_path.clone(), super::holder_id());
    let notify = |n: Notification| tracing::debug!(?n, "printing");
    let mut handled = 0;
    loop {
        let n = d.pass(&notify).await?;
        if n == 0 {
            break;
        }
        handled += n;
    }
    d.follow(&notify).await?;
    d.purge().await?;
    if handled > 0 {
        eprintln!("worker: {handled} print job attempt(s) processed");
    }
    Ok(())
}
