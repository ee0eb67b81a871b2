//! The printing part of the worker: the dispatch loop, its commands and its notifications.
//!
//! A pass claims due jobs (leased to this worker), sends them through their printer's provider,
//! and records each attempt: written before the send, its outcome the moment the provider
//! answers. Jobs for different printers go out concurrently; one printer's jobs go out in
//! order. A job whose earlier send may have reached the provider is first looked up
//! ([`recover`]); a printer with waiting jobs is probed so they go out as soon as it is back
//! ([`probe`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rusqlite::Connection;

mod probe;
mod recover;

use std::collections::{HashSet, VecDeque};

use self::recover::Decision;
use super::Shared;
use crate::net::print::{self, PrintRequest, SendError};
use crate::printing::failure;
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
    /// A person's decision on unconfirmed jobs: it printed (`printed`), or print it again.
    Confirm { ids: Vec<i64>, printed: bool },
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
/// Jobs claimed per transaction: few, so a crash leaves few jobs to ask the printer about.
const BATCH: usize = 32;
/// Files a spool printer writes at once.
const SPOOL_CONCURRENCY: usize = 16;
/// How often the remote state of accepted IPP jobs is asked for.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);
/// How often finished jobs past the retention are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);
/// How often a step of merging the trigram index is taken (`jobs::tidy_search`).
const TIDY_INTERVAL: Duration = Duration::from_secs(1);
/// Test hook: pause after the provider accepted a job and before recording it (crash tests).
pub const PAUSE_AFTER_SEND_ENV: &str = "BACKROOM_PRINT_TEST_PAUSE_AFTER_SEND_MS";

/// Dispatches print jobs for one worker id over one connection.
pub struct Dispatcher {
    db: PathBuf,
    conn: Arc<Mutex<Option<Connection>>>,
    worker: String,
    last_follow: Option<Instant>,
    last_purge: Option<Instant>,
    last_tidy: Option<Instant>,
    prober: probe::Prober,
    /// Printers whose last send failed with a retryable error.
    troubled: Mutex<HashSet<i64>>,
}

impl Dispatcher {
    pub fn new(db: PathBuf, worker: String) -> Dispatcher {
        Dispatcher {
            db,
            conn: Arc::new(Mutex::new(None)),
            worker,
            last_follow: None,
            last_purge: None,
            last_tidy: None,
            prober: probe::Prober::default(),
            troubled: Mutex::new(HashSet::new()),
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

    /// One pass: probes printers with waiting jobs, claims a small batch of due jobs, sends
    /// them, and records each outcome the moment the provider answers; returns how many it
    /// handled.
    pub async fn pass(&mut self, notify: &(dyn Fn(Notification) + Sync)) -> anyhow::Result<usize> {
        let worker = self.worker.clone();
        let (claimed, policy, printers, docs, waiting) = self
            .db(move |c| {
                let policy = RetryPolicy::load(c);
                if !crate::store::printers::printing_enabled(c)? {
                    // Printing is switched off for the store: jobs wait until it is on again.
                    return Ok((
                        Vec::new(),
                        policy,
                        HashMap::new(),
                        HashMap::new(),
                        Vec::new(),
                    ));
                }
                let waiting = jobs::waiting_printers(c)?;
                let now = chrono::Utc::now();
                let until = now + chrono::Duration::from_std(policy.lease)?;
                let claimed = jobs::claim(
                    c,
                    &worker,
                    &crate::store::to_text(now),
                    &crate::store::to_text(until),
                    BATCH,
                    &super::lease::holder_is_dead,
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
                Ok((claimed, policy, printers, docs, waiting))
            })
            .await?;
        self.prober.run(&self.db, waiting);
        if claimed.is_empty() {
            return Ok(0);
        }
        let count = claimed.len();
        let deadline = Instant::now() + policy.lease.mul_f32(0.8);
        let _renewing = renew_leases(
            self.db.clone(),
            self.worker.clone(),
            claimed.iter().map(|j| j.id).collect(),
            policy.lease,
        );
        let mut groups: HashMap<Option<i64>, Vec<Claimed>> = HashMap::new();
        for j in claimed {
            groups.entry(j.printer_id).or_default().push(j);
        }
        let this = &*self;
        let sends = groups.into_iter().map(|(key, group)| {
            let printer = printers.get(&key).cloned().flatten();
            let docs = &docs;
            let policy = &policy;
            async move {
                this.send_group(printer.as_ref(), group, docs, policy, deadline, notify)
                    .await
            }
        });
        for result in futures::future::join_all(sends).await {
            result?;
        }
        let depth = self.db(|c| Ok(jobs::depth(c)?)).await?;
        notify(Notification::QueueDepth(depth));
        Ok(count)
    }

    /// Sends one printer's claimed jobs in order (a spool folder: several at once), recording
    /// each chunk's outcomes as soon as they are known.
    async fn send_group(
        &self,
        printer: Option<&Printer>,
        group: Vec<Claimed>,
        docs: &HashMap<i64, Arc<Vec<u8>>>,
        policy: &RetryPolicy,
        deadline: Instant,
        notify: &(dyn Fn(Notification) + Sync),
    ) -> anyhow::Result<()> {
        let printer_id = printer.map(|p| p.id);
        let outcome = |job: &Claimed, finish| Outcome {
            job_id: job.id,
            attempt_id: job.attempt_id,
            printer_id,
            finish,
        };
        // A spool folder has no order to keep: write several files at once.
        let width = match printer.map(|p| p.provider) {
            Some(Provider::Spool) => SPOOL_CONCURRENCY,
            _ => 1,
        };
        // Once a job to this printer fails with a retryable error, the rest of the group is
        // not sent in this pass (it would fail the same way, slowly): those jobs wait for the
        // failed one's next attempt, uncharged.
        let mut blocked: Option<(String, String)> = None;
        let mut queue: VecDeque<Claimed> = group.into();
        // Attempts already marked begun with the previous outcome's commit.
        let mut begun_ahead: Vec<i64> = Vec::new();
        while !queue.is_empty() {
            let why_not = if Instant::now() > deadline {
                Some((
                    "not sent yet: this worker's lease on the job ran short".to_string(),
                    crate::store::now(),
                ))
            } else {
                blocked.clone()
            };
            if let Some((reason, next_attempt_at)) = why_not {
                // Nothing more goes to this printer in this pass: put the rest back at once.
                let outs = queue
                    .drain(..)
                    .map(|job| {
                        outcome(
                            &job,
                            Finish::NotSent {
                                reason: reason.clone(),
                                next_attempt_at: next_attempt_at.clone(),
                            },
                        )
                    })
                    .collect();
                self.record(outs, None, Vec::new(), notify).await?;
                break;
            }
            let chunk: Vec<Claimed> = queue.drain(..width.min(queue.len())).collect();
            let Some(printer) = printer else {
                let outs = chunk
                    .iter()
                    .map(|job| {
                        outcome(
                            job,
                            Finish::Failed {
                                error: NO_DEFAULT_PRINTER.to_string(),
                                detail: None,
                                retryable: false,
                            },
                        )
                    })
                    .collect();
                self.record(outs, None, Vec::new(), notify).await?;
                continue;
            };
            let mut decisions = Vec::with_capacity(chunk.len());
            for job in &chunk {
                decisions.push(recover::decide(printer, job, policy).await);
            }
            let begun: Vec<i64> = chunk
                .iter()
                .zip(&decisions)
                .filter(|(job, d)| {
                    matches!(d, Decision::Send { .. }) && !begun_ahead.contains(&job.attempt_id)
                })
                .map(|(job, _)| job.attempt_id)
                .collect();
            if !begun.is_empty() {
                // Written before the send: a crash from here on leaves the job in doubt.
                self.db(move |c| Ok(jobs::begin_send(c, &begun)?)).await?;
            }
            let finishes =
                futures::future::join_all(chunk.iter().zip(decisions).map(|(job, decision)| {
                    let bytes = docs.get(&job.document_id).cloned().unwrap_or_default();
                    async move {
                        match decision {
                            Decision::Done(finish) => finish,
                            Decision::Send { maybe_duplicate } => {
                                send_one(printer, job, &bytes, policy, maybe_duplicate).await
                            }
                        }
                    }
                }))
                .await;
            let mut accepted = false;
            let mut outs = Vec::with_capacity(chunk.len());
            for (job, finish) in chunk.iter().zip(finishes) {
                match &finish {
                    Finish::Retry {
                        error,
                        next_attempt_at,
                        ..
                    } => {
                        blocked = Some((
                            format!("waiting: the job before it failed: {error}"),
                            next_attempt_at.clone(),
                        ));
                    }
                    Finish::Failed {
                        error,
                        retryable: true,
                        ..
                    } => {
                        let next = chrono::Utc::now()
                            + chrono::Duration::from_std(policy.backoff(1)).unwrap_or_default();
                        blocked = Some((
                            format!("waiting: the job before it failed: {error}"),
                            crate::store::to_text(next),
                        ));
                    }
                    Finish::Accepted {
                        recovered: false, ..
                    } => accepted = true,
                    _ => {}
                }
                outs.push(outcome(job, finish));
            }
            if blocked.is_some() {
                self.troubled(printer.id, true);
            }
            // The next sends (jobs not in doubt, so no lookup first) are marked begun in the
            // same commit as these outcomes.
            begun_ahead = if blocked.is_none() && Instant::now() <= deadline {
                queue
                    .iter()
                    .take(width)
                    .take_while(|job| !job.recovering)
                    .map(|job| job.attempt_id)
                    .collect()
            } else {
                Vec::new()
            };
            // The first success after trouble: the printer is back, its waiting jobs are due now.
            let back = (accepted && self.troubled(printer.id, false)).then_some(printer.id);
            self.record(outs, back, begun_ahead.clone(), notify).await?;
        }
        Ok(())
    }

    /// Marks a printer as failing (`true`) or not; returns whether it was failing before.
    fn troubled(&self, printer_id: i64, failing: bool) -> bool {
        let Ok(mut set) = self.troubled.lock() else {
            return false;
        };
        if failing {
            !set.insert(printer_id)
        } else {
            set.remove(&printer_id)
        }
    }

    /// Records outcomes at once (and, for a printer that is back, makes its waiting jobs due;
    /// `begin`: the next attempts to mark begun in the same commit).
    async fn record(
        &self,
        outcomes: Vec<Outcome>,
        back: Option<i64>,
        begin: Vec<i64>,
        notify: &(dyn Fn(Notification) + Sync),
    ) -> anyhow::Result<()> {
        let worker = self.worker.clone();
        let changed = self
            .db(move |c| {
                let changed = jobs::record(c, &worker, &outcomes, &begin)?;
                if let Some(id) = back {
                    jobs::due_now_for_printer(c, id)?;
                }
                Ok(changed)
            })
            .await?;
        for (id, state) in changed {
            notify(Notification::JobChanged { id, state });
        }
        Ok(())
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

    /// Takes a step of merging the trigram index's segments (at most once a second).
    pub async fn tidy(&mut self) -> anyhow::Result<()> {
        if self.last_tidy.is_some_and(|t| t.elapsed() < TIDY_INTERVAL) {
            return Ok(());
        }
        self.last_tidy = Some(Instant::now());
        self.db(|c| Ok(jobs::tidy_search(c)?)).await?;
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

/// Sends one job and says how it ended, in words that name the printer.
async fn send_one(
    printer: &Printer,
    job: &Claimed,
    bytes: &[u8],
    policy: &RetryPolicy,
    maybe_duplicate: bool,
) -> Finish {
    let follow = matches!(printer.provider, Provider::Ipp | Provider::PrintNode);
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
                // The provider said it already had the job: one print, not two.
                maybe_duplicate: maybe_duplicate && !accepted.already_had,
                recovered: false,
            }
        }
        Err(SendError::Retryable(e)) => {
            let e = failure::explain(&printer.name, &printer.target, &e);
            // A resend that failed is still in doubt: the next attempt asks again.
            retry(job, policy, e.message, Some(e.detail), maybe_duplicate)
        }
        Err(SendError::InDoubt(e)) => {
            let e = failure::explain(&printer.name, &printer.target, &e);
            let message = format!(
                "{} (it may have printed: the next attempt checks before sending again)",
                e.message
            );
            in_doubt_after_send(job, policy, message, e.detail)
        }
        Err(SendError::Permanent(e)) => {
            let e = failure::explain(&printer.name, &printer.target, &e);
            Finish::Failed {
                error: e.message,
                detail: Some(e.detail),
                retryable: false,
            }
        }
    }
}

/// A task that ends when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews, every third of the lease, the lease on the jobs `ids` this worker is sending, until
/// dropped: a send may outlast the lease (an IPP printer's answer may take up to a minute), and
/// a lease run out in the middle of a send let another worker take the job over and send it
/// again, unflagged. A worker that dies stops renewing, and its jobs are recovered as before.
fn renew_leases(db: PathBuf, worker: String, ids: Vec<i64>, lease: Duration) -> AbortOnDrop {
    let ids = Arc::new(ids);
    AbortOnDrop(tokio::spawn(async move {
        loop {
            tokio::time::sleep(lease / 3).await;
            let (db, worker, ids) = (db.clone(), worker.clone(), Arc::clone(&ids));
            let renewed = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
                let conn = crate::store::open(&db)?;
                let until = chrono::Utc::now() + chrono::Duration::from_std(lease)?;
                Ok(jobs::renew_leases(
                    &conn,
                    &worker,
                    &ids,
                    &crate::store::to_text(until),
                )?)
            })
            .await;
            if let Ok(Err(e)) = renewed {
                tracing::warn!(error = %e, "renewing the leases of the jobs being sent");
            }
        }
    }))
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

/// The document may have reached the printer and its answer was lost: the next attempt asks
/// the printer first (or follows its `on-unknown` policy), timed from this attempt's start. When
/// no attempt is left, a person decides (`unconfirmed`): a `failed` job may have printed.
fn in_doubt_after_send(
    job: &Claimed,
    policy: &RetryPolicy,
    error: String,
    detail: String,
) -> Finish {
    if job.attempts >= job.max_attempts {
        return Finish::Unconfirmed {
            error: format!(
                "gave up after {} attempts, the last one may have printed: {error}; check the \
                 output tray, then `backroom jobs confirm {} --printed` or `--reprint`",
                job.attempts, job.id
            ),
        };
    }
    let mut finish = retry(job, policy, error, Some(detail), true);
    if let Finish::Retry { maybe_sent, .. } = &mut finish {
        *maybe_sent = true;
    }
    finish
}

fn retry(
    job: &Claimed,
    policy: &RetryPolicy,
    error: String,
    detail: Option<String>,
    in_doubt: bool,
) -> Finish {
    if job.attempts >= job.max_attempts {
        return Finish::Failed {
            error: format!("gave up after {} attempts: {error}", job.attempts),
            detail,
            retryable: true,
        };
    }
    let next = chrono::Utc::now()
        + chrono::Duration::from_std(policy.backoff(job.attempts)).unwrap_or_default();
    Finish::Retry {
        error,
        detail,
        next_attempt_at: crate::store::to_text(next),
        in_doubt,
        maybe_sent: false,
    }
}

/// The printing loop; runs until shutdown and works only while the lease is held.
pub async fn run(shared: Arc<Shared>) {
    let follower = tokio::spawn(follow_loop(shared.clone()));
    dispatch_loop(shared).await;
    let _ = follower.await;
}

/// Follows the remote state of accepted jobs and merges the search index a step at a time, apart
/// from dispatch so that neither slow printers nor a merge step ever delay it.
async fn follow_loop(shared: Arc<Shared>) {
    let mut d = Dispatcher::new(shared.ctx.db_path.clone(), shared.holder.clone());
    let notify = |n: Notification| shared.send(super::Notification::Printing(n));
    loop {
        if shared.lease_held() {
            if let Err(e) = d.follow(&notify).await {
                tracing::warn!(error = %format!("{e:#}"), "following remote job states");
            }
            if let Err(e) = d.tidy().await {
                tracing::warn!(error = %format!("{e:#}"), "merging the search index");
            }
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
        let operator = shared.ctx.operator.clone();
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
                    Command::Confirm { ids, printed } => {
                        let state = if printed {
                            JobState::Succeeded
                        } else {
                            JobState::Pending
                        };
                        jobs::confirm(&mut conn, &ids, printed, &operator)?
                            .into_iter()
                            .map(|id| (id, state))
                            .collect()
                    }
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
