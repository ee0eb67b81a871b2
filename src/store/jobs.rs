//! Print job queries: insert, claim with a lease, record each attempt, operator actions, purge.
//!
//! Claims run in an IMMEDIATE transaction, so several workers (in several processes) never take
//! the same job; a job whose lease expired (its worker crashed) is claimed again.

use rusqlite::types::Value;
use rusqlite::{
    Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params, params_from_iter,
};

use crate::store::counts::Count;

use crate::printing::job::{Attempt, Job, JobState};
use crate::printing::retention::Purged;

/// A job to insert (the outbox and reprints).
#[derive(Debug, Clone)]
pub struct NewJob {
    pub event_id: Option<i64>,
    pub document_id: i64,
    pub printer_id: Option<i64>,
    pub copies: u32,
    pub max_attempts: u32,
    pub reprint_of: Option<i64>,
    /// Some(reason): the job is created failed (no printer to send it to).
    pub failed: Option<String>,
}

/// Inserts a job (and, for a job created failed, its one attempt); returns its id and UUID.
pub fn insert(conn: &Connection, job: &NewJob, worker: &str) -> rusqlite::Result<(i64, String)> {
    let uuid = uuid::Uuid::new_v4().to_string();
    let now = super::now();
    let state = if job.failed.is_some() {
        "failed"
    } else {
        "pending"
    };
    conn.execute(
        "INSERT INTO print_jobs (uuid, event_id, document_id, reprint_of, printer_id, copies, state,
                                 attempts, max_attempts, next_attempt_at, last_error, created_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?12)",
        params![
            uuid,
            job.event_id,
            job.document_id,
            job.reprint_of,
            job.printer_id,
            job.copies,
            state,
            u32::from(job.failed.is_some()),
            job.max_attempts,
            now,
            job.failed,
            job.failed.as_ref().map(|_| now.clone()),
        ],
    )?;
    let id = conn.last_insert_rowid();
    if let Some(reason) = &job.failed {
        conn.execute(
            "INSERT INTO print_attempts (job_id, started_at, finished_at, outcome, error, worker)
             VALUES (?1, ?2, ?2, 'permanent', ?3, ?4)",
            params![id, now, reason, worker],
        )?;
    }
    Ok((id, uuid))
}

/// Runs a statement through the connection's statement cache (claims and records run hot).
fn exec(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(p)
}

fn row<T>(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(p, f)
}

/// A job a worker now holds.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub uuid: String,
    pub document_id: i64,
    pub title: String,
    pub printer_id: Option<i64>,
    pub copies: u32,
    pub attempts: u32,
    pub max_attempts: u32,
    /// An earlier attempt may have reached the provider (its worker died after the send began,
    /// or the provider could not be asked since): ask the provider before sending again.
    pub recovering: bool,
    /// When that earlier send began (the provider's history is trusted only for a while).
    pub sent_at: Option<String>,
    /// The provider's job id recorded by an earlier attempt, if any (asked for first).
    pub remote_ref: Option<String>,
    pub attempt_id: i64,
}

/// Claims up to `limit` due jobs for `worker` until `lease_until`; each gets a new attempt row
/// (outcome `claimed`: it becomes `sending` only when the send begins, see [`begin_send`]).
///
/// A `sending` job is due when its lease expired, or at once when `is_dead` says its holder is
/// gone (a worker process on this host that no longer runs). A previous attempt that never
/// began its send is dropped and not charged; one that began is `interrupted`, and the job is
/// recovering.
pub fn claim(
    conn: &mut Connection,
    worker: &str,
    now: &str,
    lease_until: &str,
    limit: usize,
    is_dead: &dyn Fn(&str) -> bool,
) -> rusqlite::Result<Vec<Claimed>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let holders: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT DISTINCT lease_holder FROM print_jobs
             WHERE state = 'sending' AND lease_holder IS NOT NULL AND lease_holder <> ?1
               AND lease_expires_at > ?2",
        )?;
        stmt.query_map(params![worker, now], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for dead in holders.iter().filter(|h| is_dead(h)) {
        exec(
            &tx,
            "UPDATE print_jobs SET lease_expires_at = ?2 WHERE state = 'sending' AND lease_holder = ?1",
            params![dead, now],
        )?;
    }
    // Jobs of a dead holder first, then pending ones in due order. Each query walks the
    // `print_jobs_due` index in its order and stops at the limit: a backlog of a million jobs is
    // not sorted on every claim.
    let mut due: Vec<(i64, String, Option<String>, bool)> = Vec::with_capacity(limit);
    for (state, until) in [
        ("sending", "lease_expires_at"),
        ("pending", "next_attempt_at"),
    ] {
        if due.len() >= limit {
            break;
        }
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT j.id, j.state, j.lease_holder, j.in_doubt FROM print_jobs j
             WHERE j.state = ?1 AND j.{until} <= ?2
               AND (j.printer_id IS NULL
                    OR EXISTS (SELECT 1 FROM printers p WHERE p.id = j.printer_id AND p.enabled = 1))
             ORDER BY j.next_attempt_at, j.id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![state, now, (limit - due.len()) as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        for r in rows {
            due.push(r?);
        }
    }
    let mut out = Vec::with_capacity(due.len());
    for (id, state, holder, mut in_doubt) in due {
        let mut sent_at: Option<String> = None;
        if state == "sending" {
            // The dead holder's attempt: never begun (not charged) or begun (the job is in doubt).
            let last: Option<(i64, String, String)> = tx
                .prepare_cached(
                    "SELECT id, outcome, started_at FROM print_attempts
                     WHERE job_id = ?1 AND outcome IN ('claimed', 'sending') ORDER BY id DESC LIMIT 1",
                )?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            match last {
                Some((attempt, outcome, _)) if outcome == "claimed" => {
                    exec(&tx, "DELETE FROM print_attempts WHERE id = ?1", [attempt])?;
                    exec(
                        &tx,
                        "UPDATE print_jobs SET attempts = MAX(attempts - 1, 0) WHERE id = ?1",
                        [id],
                    )?;
                }
                Some((attempt, _, started)) => {
                    exec(
                        &tx,
                        "UPDATE print_attempts SET outcome = 'interrupted', finished_at = ?2, error = ?3
                         WHERE id = ?1",
                        params![
                            attempt,
                            now,
                            format!(
                                "worker {} stopped after the send began, before the printer's answer was recorded",
                                holder.as_deref().unwrap_or("?")
                            )
                        ],
                    )?;
                    in_doubt = true;
                    sent_at = Some(started);
                }
                None => {}
            }
        }
        if in_doubt && sent_at.is_none() {
            sent_at = tx
                .prepare_cached(
                    "SELECT started_at FROM print_attempts
                     WHERE job_id = ?1 AND outcome IN ('interrupted', 'in-doubt')
                     ORDER BY id DESC LIMIT 1",
                )?
                .query_row([id], |r| r.get(0))
                .optional()?;
        }
        exec(
            &tx,
            "UPDATE print_jobs SET state = 'sending', attempts = attempts + 1,
                    lease_holder = ?2, lease_expires_at = ?3, in_doubt = ?4
             WHERE id = ?1",
            params![id, worker, lease_until, in_doubt],
        )?;
        exec(
            &tx,
            "INSERT INTO print_attempts (job_id, started_at, outcome, worker) VALUES (?1, ?2, 'claimed', ?3)",
            params![id, now, worker],
        )?;
        let attempt_id = tx.last_insert_rowid();
        let c = row(
            &tx,
            "SELECT j.uuid, j.document_id, d.title, j.printer_id, j.copies, j.attempts, j.max_attempts,
                    (SELECT a.remote_ref FROM print_attempts a WHERE a.job_id = j.id
                     AND a.remote_ref IS NOT NULL ORDER BY a.id DESC LIMIT 1)
             FROM print_jobs j JOIN documents d ON d.id = j.document_id WHERE j.id = ?1",
            [id],
            |r| {
                Ok(Claimed {
                    id,
                    uuid: r.get(0)?,
                    document_id: r.get(1)?,
                    title: r.get(2)?,
                    printer_id: r.get(3)?,
                    copies: r.get(4)?,
                    attempts: r.get(5)?,
                    max_attempts: r.get(6)?,
                    recovering: in_doubt,
                    sent_at: sent_at.clone(),
                    remote_ref: r.get(7)?,
                    attempt_id,
                })
            },
        )?;
        out.push(c);
    }
    tx.commit()?;
    Ok(out)
}

/// Marks attempts as begun, just before their send (a crash from here on leaves the job in doubt).
pub fn begin_send(conn: &mut Connection, attempt_ids: &[i64]) -> rusqlite::Result<()> {
    record(conn, "", &[], attempt_ids).map(|_| ())
}

fn begin_in(tx: &Transaction<'_>, attempt_ids: &[i64], now: &str) -> rusqlite::Result<()> {
    for id in attempt_ids {
        exec(
            tx,
            "UPDATE print_attempts SET outcome = 'sending', started_at = ?2 WHERE id = ?1 AND outcome = 'claimed'",
            params![id, now],
        )?;
    }
    Ok(())
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Finish {
    /// The provider accepted the job (`recovered`: found on the provider, not sent again).
    Accepted {
        remote_ref: Option<String>,
        remote_state: Option<String>,
        follow: bool,
        maybe_duplicate: bool,
        recovered: bool,
    },
    /// Retryable error: back to `pending` until `next_attempt_at`; `in_doubt`: the provider
    /// could not be asked whether an earlier attempt reached it, so ask again next time.
    Retry {
        error: String,
        detail: Option<String>,
        next_attempt_at: String,
        in_doubt: bool,
        /// This attempt's document may have reached the printer (its answer was lost): the
        /// attempt is recorded `in-doubt`, and the next one trusts the printer's history from its
        /// start.
        maybe_sent: bool,
    },
    /// Permanent error, attempts exhausted, or no printer: `failed`.
    Failed {
        error: String,
        detail: Option<String>,
        retryable: bool,
    },
    /// Never sent in this pass (the printer's previous job failed, or the lease ran short):
    /// back to `pending` at `next_attempt_at`, the attempt is not charged.
    NotSent {
        reason: String,
        next_attempt_at: String,
    },
    /// The printer can no longer say whether an earlier send printed: a person decides.
    Unconfirmed { error: String },
}

/// One finished attempt to record.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub job_id: i64,
    pub attempt_id: i64,
    pub printer_id: Option<i64>,
    pub finish: Finish,
}

/// Records outcomes in one transaction — and marks the attempts in `begin` as begun (the next
/// sends), saving a commit per job; a job whose lease this worker lost is left alone.
/// Returns the new state of each job it changed.
pub fn record(
    conn: &mut Connection,
    worker: &str,
    outcomes: &[Outcome],
    begin: &[i64],
) -> rusqlite::Result<Vec<(i64, JobState)>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = super::now();
    let mut changed = Vec::new();
    for o in outcomes {
        let (state, n) = record_one(&tx, worker, &now, o)?;
        if n == 1 {
            changed.push((o.job_id, state));
        }
    }
    begin_in(&tx, begin, &now)?;
    tx.commit()?;
    Ok(changed)
}

/// Extends to `until` the lease `worker` holds on those of the jobs `ids` it is still sending;
/// returns how many.
pub fn renew_leases(
    conn: &Connection,
    worker: &str,
    ids: &[i64],
    until: &str,
) -> rusqlite::Result<usize> {
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "UPDATE print_jobs SET lease_expires_at = ?2
         WHERE lease_holder = ?1 AND state = 'sending' AND id IN (SELECT value FROM json_each(?3))",
        params![worker, until, ids],
    )
}

/// Records one outcome on the job, if this worker still holds it. The printer it was sent to is
/// written only if it still exists: a printer removed during the send (its jobs' `printer_id`
/// set to NULL) made the foreign key fail the whole record, and the job stayed `sending`.
fn record_one(
    tx: &Transaction<'_>,
    worker: &str,
    now: &str,
    o: &Outcome,
) -> rusqlite::Result<(JobState, usize)> {
    let mut attempt_ref: Option<String> = None;
    let (state, attempt_outcome, error, detail) = match &o.finish {
        Finish::Accepted {
            recovered,
            remote_ref,
            ..
        } => {
            attempt_ref = remote_ref.clone();
            let outcome = if *recovered { "recovered" } else { "accepted" };
            (JobState::Succeeded, outcome, None, None)
        }
        Finish::Retry {
            error,
            detail,
            maybe_sent,
            ..
        } => (
            JobState::Pending,
            if *maybe_sent { "in-doubt" } else { "retryable" },
            Some(error.clone()),
            detail.clone(),
        ),
        Finish::Failed {
            error,
            detail,
            retryable,
        } => (
            JobState::Failed,
            if *retryable { "retryable" } else { "permanent" },
            Some(error.clone()),
            detail.clone(),
        ),
        Finish::NotSent { .. } => (JobState::Pending, "not-sent", None, None),
        Finish::Unconfirmed { error } => (
            JobState::Unconfirmed,
            "unconfirmed",
            Some(error.clone()),
            None,
        ),
    };
    let n = match &o.finish {
        Finish::Accepted {
            remote_ref,
            remote_state,
            follow,
            maybe_duplicate,
            ..
        } => exec(
            tx,
            "UPDATE print_jobs SET state = 'succeeded', printer_id = COALESCE((SELECT id FROM printers WHERE id = ?3), printer_id),
                    remote_ref = ?4, remote_state = ?5, follow_remote = ?6,
                    maybe_duplicate = maybe_duplicate OR ?7, last_error = NULL, in_doubt = 0,
                    lease_holder = NULL, lease_expires_at = NULL, finished_at = ?8
             WHERE id = ?1 AND state = 'sending' AND lease_holder = ?2",
            params![
                o.job_id,
                worker,
                o.printer_id,
                remote_ref,
                remote_state,
                follow,
                maybe_duplicate,
                now
            ],
        )?,
        Finish::Retry {
            error,
            next_attempt_at,
            in_doubt,
            ..
        } => exec(
            tx,
            "UPDATE print_jobs SET state = 'pending', printer_id = COALESCE((SELECT id FROM printers WHERE id = ?3), printer_id),
                    last_error = ?4, next_attempt_at = ?5, in_doubt = ?6,
                    lease_holder = NULL, lease_expires_at = NULL
             WHERE id = ?1 AND state = 'sending' AND lease_holder = ?2",
            params![
                o.job_id,
                worker,
                o.printer_id,
                error,
                next_attempt_at,
                in_doubt
            ],
        )?,
        Finish::Failed { error, .. } => exec(
            tx,
            "UPDATE print_jobs SET state = 'failed', printer_id = COALESCE((SELECT id FROM printers WHERE id = ?3), printer_id),
                    last_error = ?4, lease_holder = NULL, lease_expires_at = NULL, finished_at = ?5
             WHERE id = ?1 AND state = 'sending' AND lease_holder = ?2",
            params![o.job_id, worker, o.printer_id, error, now],
        )?,
        Finish::NotSent {
            reason,
            next_attempt_at,
        } => exec(
            tx,
            "UPDATE print_jobs SET state = 'pending', printer_id = COALESCE((SELECT id FROM printers WHERE id = ?3), printer_id),
                    attempts = MAX(attempts - 1, 0), last_error = ?4, next_attempt_at = ?5,
                    lease_holder = NULL, lease_expires_at = NULL
             WHERE id = ?1 AND state = 'sending' AND lease_holder = ?2",
            params![o.job_id, worker, o.printer_id, reason, next_attempt_at],
        )?,
        Finish::Unconfirmed { error } => exec(
            tx,
            "UPDATE print_jobs SET state = 'unconfirmed', printer_id = COALESCE((SELECT id FROM printers WHERE id = ?3), printer_id),
                    last_error = ?4, lease_holder = NULL, lease_expires_at = NULL
             WHERE id = ?1 AND state = 'sending' AND lease_holder = ?2",
            params![o.job_id, worker, o.printer_id, error],
        )?,
    };
    if matches!(o.finish, Finish::NotSent { .. }) {
        // Never sent: no attempt to show, none charged.
        exec(
            tx,
            "DELETE FROM print_attempts WHERE id = ?1 AND outcome IN ('claimed', 'sending')",
            [o.attempt_id],
        )?;
    } else {
        exec(
            tx,
            "UPDATE print_attempts SET outcome = ?2, error = ?3, finished_at = ?4, remote_ref = ?5,
                    detail = ?6
             WHERE id = ?1",
            params![
                o.attempt_id,
                attempt_outcome,
                error,
                now,
                attempt_ref,
                detail
            ],
        )?;
    }
    Ok((state, n))
}

const JOB_COLUMNS: &str = "j.id, j.uuid, j.state, j.attempts, j.max_attempts, p.name, j.printer_id,
    j.event_id, e.kind, e.reference, j.document_id, d.title, d.kind, j.copies, j.next_attempt_at,
    j.last_error, j.remote_ref, j.remote_state, j.maybe_duplicate, j.reprint_of, j.lease_holder,
    j.lease_expires_at, j.created_at, j.finished_at, d.warning";

/// The tables of a job row. The jobs come first (`CROSS JOIN` keeps its tables in that order, as
/// the Jobs pane's `LEFT JOIN` does): with `JOIN`, SQLite's planner started a list under 5 rows
/// from the documents and sorted every job (`jobs list --limit 1` took 1.1–6.6 s of 1,000,000
/// jobs, `--limit 5` under 10 ms).
const JOB_FROM: &str = "print_jobs j CROSS JOIN documents d ON d.id = j.document_id
    LEFT JOIN printers p ON p.id = j.printer_id LEFT JOIN events e ON e.id = j.event_id";

fn job_row(r: &Row<'_>) -> rusqlite::Result<Job> {
    let state: String = r.get(2)?;
    let state: JobState = state.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
    })?;
    let next: String = r.get(14)?;
    Ok(Job {
        id: r.get(0)?,
        uuid: r.get(1)?,
        state,
        attempts: r.get(3)?,
        max_attempts: r.get(4)?,
        printer: r.get(5)?,
        printer_id: r.get(6)?,
        event_id: r.get(7)?,
        event: r.get(8)?,
        reference: r.get(9)?,
        document_id: r.get(10)?,
        document: r.get(11)?,
        document_kind: r.get(12)?,
        copies: r.get(13)?,
        next_attempt_at: (state == JobState::Pending).then_some(next),
        last_error: r.get(15)?,
        remote_ref: r.get(16)?,
        remote_state: r.get(17)?,
        maybe_duplicate: r.get(18)?,
        reprint_of: r.get(19)?,
        lease_holder: r.get(20)?,
        lease_expires_at: r.get(21)?,
        created_at: r.get(22)?,
        finished_at: r.get(23)?,
        warning: r.get(24)?,
    })
}

/// Which jobs to list or act on.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: Option<JobState>,
    pub printer: Option<String>,
    /// The TUI's filter language (`--filter`).
    pub query: crate::store::views::Filter,
    pub limit: Option<usize>,
}

impl Filter {
    /// The `WHERE` condition over [`JOB_FROM`]'s aliases, and its values.
    fn condition(&self, conn: &Connection) -> (String, Vec<Value>) {
        let (cond, mut values) = self.query.sql_for(conn, &crate::store::views::PRINT_JOBS);
        let mut parts = vec![format!("({cond})")];
        if let Some(s) = self.state {
            parts.insert(0, "j.state = ?".to_string());
            values.insert(0, Value::Text(s.as_str().to_string()));
        }
        if let Some(p) = &self.printer {
            let at = usize::from(self.state.is_some());
            parts.insert(at, "p.name = ?".to_string());
            values.insert(at, Value::Text(p.clone()));
        }
        (parts.join(" AND "), values)
    }
}

/// Jobs, newest first.
pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<Vec<Job>> {
    let mut out = Vec::new();
    each(conn, f, &mut |j| {
        out.push(j);
        true
    })?;
    Ok(out)
}

/// Visits the jobs newest first, one at a time (constant memory), while `visit` says to go on.
pub fn each(
    conn: &Connection,
    f: &Filter,
    visit: &mut dyn FnMut(Job) -> bool,
) -> rusqlite::Result<()> {
    let (cond, values) = f.condition(conn);
    let mut stmt = conn.prepare_cached(&each_sql(&cond, f.limit))?;
    let mut rows = stmt.query(params_from_iter(values))?;
    while let Some(r) = rows.next()? {
        if !visit(job_row(r)?) {
            break;
        }
    }
    Ok(())
}

/// The query of [`each`]: newest first, as the Jobs pane sorts (by creation time, then id), so
/// that a state's jobs are read from its index in that order. Ordered by id alone, `--filter
/// state:failed` read and sorted every failed job whatever the limit.
fn each_sql(cond: &str, limit: Option<usize>) -> String {
    let limit = limit.map(|l| l as i64).unwrap_or(-1);
    format!(
        "SELECT {JOB_COLUMNS} FROM {JOB_FROM} WHERE {cond}
         ORDER BY j.created_at DESC, j.id DESC LIMIT {limit}"
    )
}

/// How many jobs the filter keeps: with `--state` alone, the count the triggers keep; with only
/// `--filter`, as the Jobs pane counts it ([`views::count`]: the kept counts for one state, the
/// trigram index for one word, else counted up to a cap); else counted up to the cap.
///
/// [`views::count`]: crate::store::views::count
pub fn count(conn: &Connection, f: &Filter) -> rusqlite::Result<Count> {
    use crate::store::{counts, views};
    if let (None, true, Some(s)) = (&f.printer, f.query.is_empty(), f.state) {
        let n = counts::kept_or_zero(conn, &format!("print_jobs.{}", s.as_str()))?;
        return Ok(Count::exact(n));
    }
    if f.printer.is_none() && f.state.is_none() {
        let query = views::Query {
            filter: f.query.clone(),
            ..views::Query::new(&views::PRINT_JOBS)
        };
        return views::count(conn, &views::PRINT_JOBS, &query);
    }
    let (cond, values) = f.condition(conn);
    counts::capped(conn, JOB_FROM, &cond, values)
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Job>> {
    conn.query_row(
        &format!("SELECT {JOB_COLUMNS} FROM {JOB_FROM} WHERE j.id = ?1"),
        [id],
        job_row,
    )
    .optional()
}

/// A job's attempts, oldest first.
pub fn attempts(conn: &Connection, job_id: i64) -> rusqlite::Result<Vec<Attempt>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, started_at, finished_at, outcome, error, worker, remote_ref, detail
         FROM print_attempts WHERE job_id = ?1 ORDER BY id",
    )?;
    stmt.query_map([job_id], |r| {
        Ok(Attempt {
            id: r.get(0)?,
            started_at: r.get(1)?,
            finished_at: r.get(2)?,
            outcome: r.get(3)?,
            error: r.get(4)?,
            worker: r.get(5)?,
            remote_ref: r.get(6)?,
            detail: r.get(7)?,
        })
    })?
    .collect()
}

/// Moves jobs in state `from` to a new state with `set` (`?3` is now); returns the ids changed,
/// in the order given.
///
/// One statement for all of them, the jobs taken in id order: one `UPDATE` a job left 9 to 14
/// small segments in the trigram index a batch of 200, so that FTS5 met 32 on a level within
/// four batches and merged them at once (`crisismerge`), finishing in the same transaction the
/// merge under way on the level above: a bulk reschedule on the million-job store kept another
/// writer out 243.6 ms (`cargo bench --bench tui`). One statement leaves one segment a batch.
fn transition(
    tx: &Transaction<'_>,
    ids: &[i64],
    from: JobState,
    set: &str,
) -> rusqlite::Result<Vec<i64>> {
    let list = serde_json::Value::from(ids).to_string();
    let mut update = tx.prepare_cached(&format!(
        "UPDATE print_jobs SET {set}
         WHERE id IN (SELECT value FROM json_each(?1)) AND state = ?2 RETURNING id"
    ))?;
    let mut changed = update
        .query_map(params![list, from.as_str(), super::now()], |r| r.get(0))?
        .collect::<rusqlite::Result<foldhash::HashSet<i64>>>()?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| changed.remove(id))
        .collect())
}

/// Between two batches that wrote the trigram index: the write lock left free
/// ([`batch::give_way`](super::batch::give_way)), a step of merging the index ([`tidy_search`]),
/// and the lock left free again. Each batch leaves a segment in the index: merged as they come,
/// rather than 32 of a level at once by FTS5 itself, with whatever merge was under way above.
pub(super) fn merge_between(conn: &Connection, held: std::time::Duration) -> rusqlite::Result<()> {
    super::batch::give_way(held);
    let step = std::time::Instant::now();
    tidy_search(conn)?;
    super::batch::give_way(step.elapsed());
    Ok(())
}

/// Jobs a bulk action changes per transaction: rescheduling the 18,000 failed jobs of the
/// million-job store in one transaction kept every other writer, the worker too, out for 2.7 s.
pub const BULK_CHUNK: usize = PURGE_BATCH;

/// Failed jobs back to pending, due now, attempts reset; returns the ids rescheduled.
/// [`BULK_CHUNK`] jobs per transaction.
pub fn reschedule(conn: &mut Connection, ids: &[i64]) -> rusqlite::Result<Vec<i64>> {
    let set = "state = 'pending', attempts = 0, next_attempt_at = ?3, last_error = NULL, finished_at = NULL";
    in_batches(conn, ids, JobState::Failed, set, &mut merge_between)
}

/// Pending jobs to cancelled; returns the ids cancelled. [`BULK_CHUNK`] jobs per transaction.
pub fn cancel(conn: &mut Connection, ids: &[i64]) -> rusqlite::Result<Vec<i64>> {
    // A cancel leaves the search index as it is (neither printer nor error changes).
    let set = "state = 'cancelled', finished_at = ?3";
    in_batches(
        conn,
        ids,
        JobState::Pending,
        set,
        &mut super::batch::leave_free,
    )
}

/// [`transition`] of [`BULK_CHUNK`] jobs per transaction, with `between` between two.
fn in_batches(
    conn: &mut Connection,
    ids: &[i64],
    from: JobState,
    set: &str,
    between: super::batch::Between<'_>,
) -> rusqlite::Result<Vec<i64>> {
    let step = |tx: &Transaction<'_>, ids: &[i64]| transition(tx, ids, from, set);
    super::batch::chunks(conn, ids, BULK_CHUNK, step, between)
}

/// A person's decision on unconfirmed jobs: `printed` (it came out: succeeded) or not (print
/// it again: pending, due now, attempts reset, no longer in doubt, a new UUID). Each decision is an attempt
/// row naming who decided. Returns the ids changed.
pub fn confirm(
    conn: &mut Connection,
    ids: &[i64],
    printed: bool,
    who: &str,
) -> rusqlite::Result<Vec<i64>> {
    let set = if printed {
        "state = 'succeeded', in_doubt = 0, last_error = NULL, finished_at = ?3"
    } else {
        "state = 'pending', in_doubt = 0, attempts = 0, next_attempt_at = ?3, last_error = NULL"
    };
    let (outcome, error) = if printed {
        ("confirmed-printed", "marked printed by a person")
    } else {
        ("confirmed-reprint", "print again, asked by a person")
    };
    let step = |tx: &Transaction<'_>, ids: &[i64]| {
        let done = transition(tx, ids, JobState::Unconfirmed, set)?;
        let now = super::now();
        for id in &done {
            // Printed again, it is a new print: a new UUID (IPP job-uuid, spool file name,
            // PrintNode's idempotency key). With the old one PrintNode answered 409 "already
            // had it" to the reprint, and the job passed for printed with nothing printed.
            let error = if printed {
                error.to_string()
            } else {
                let old: String =
                    tx.query_row("SELECT uuid FROM print_jobs WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })?;
                let new = uuid::Uuid::new_v4().to_string();
                exec(
                    tx,
                    "UPDATE print_jobs SET uuid = ?2 WHERE id = ?1",
                    params![id, new],
                )?;
                format!("{error}; sent before as {old}, now {new}")
            };
            exec(
                tx,
                "INSERT INTO print_attempts (job_id, started_at, finished_at, outcome, error, worker)
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
                params![id, now, outcome, error, who],
            )?;
        }
        Ok(done)
    };
    super::batch::chunks(conn, ids, BULK_CHUNK, step, &mut merge_between)
}

/// Makes every pending job of a printer due now (the printer is back); returns how many.
/// [`BULK_CHUNK`] jobs per transaction: a printer back after a Saturday morning away may have
/// thousands waiting.
pub fn due_now_for_printer(conn: &Connection, printer_id: i64) -> rusqlite::Result<usize> {
    super::batch::until_done(
        conn,
        &format!(
            "UPDATE print_jobs SET next_attempt_at = ?2 WHERE id IN (SELECT id FROM print_jobs
             WHERE state = 'pending' AND printer_id = ?1 AND next_attempt_at > ?2
             LIMIT {BULK_CHUNK})"
        ),
        params![printer_id, super::now()],
        BULK_CHUNK,
    )
}

/// Printers with jobs waiting for a later attempt (the worker probes them).
pub fn waiting_printers(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT printer_id FROM print_jobs
         WHERE state = 'pending' AND printer_id IS NOT NULL AND next_attempt_at > ?1",
    )?;
    stmt.query_map([super::now()], |r| r.get(0))?.collect()
}

/// A new pending job for the same document, printer and copies as job `id`.
pub fn reprint(
    conn: &mut Connection,
    id: i64,
    max_attempts: u32,
) -> rusqlite::Result<Option<(i64, String)>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let src: Option<(Option<i64>, i64, Option<i64>, u32)> = tx
        .query_row(
            "SELECT event_id, document_id, printer_id, copies FROM print_jobs WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((event_id, document_id, printer_id, copies)) = src else {
        return Ok(None);
    };
    let new = insert(
        &tx,
        &NewJob {
            event_id,
            document_id,
            printer_id,
            copies,
            max_attempts,
            reprint_of: Some(id),
            failed: None,
        },
        "",
    )?;
    tx.commit()?;
    Ok(Some(new))
}

/// The ids of jobs matching a filter (bulk actions).
pub fn ids(conn: &Connection, f: &Filter) -> rusqlite::Result<Vec<i64>> {
    Ok(list(conn, f)?.into_iter().map(|j| j.id).collect())
}

/// The bytes of a job's document and their recorded SHA-256.
pub fn document_of(
    conn: &Connection,
    job_id: i64,
) -> rusqlite::Result<Option<(String, Vec<u8>, String)>> {
    conn.query_row(
        "SELECT d.title, d.bytes, d.sha256 FROM print_jobs j JOIN documents d ON d.id = j.document_id
         WHERE j.id = ?1",
        [job_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

/// Jobs per state (the queue depth the UI shows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Depth {
    pub pending: u64,
    pub sending: u64,
    pub failed: u64,
    /// Jobs the printer may have printed: a person decides.
    pub unconfirmed: u64,
}

/// Read from the counts kept by triggers: never a scan of the jobs.
pub fn depth(conn: &Connection) -> rusqlite::Result<Depth> {
    use crate::store::counts::kept_or_zero;
    Ok(Depth {
        pending: kept_or_zero(conn, "print_jobs.pending")?,
        sending: kept_or_zero(conn, "print_jobs.sending")?,
        failed: kept_or_zero(conn, "print_jobs.failed")?,
        unconfirmed: kept_or_zero(conn, "print_jobs.unconfirmed")?,
    })
}

/// How many jobs may have printed twice (kept by a trigger).
pub fn maybe_duplicates(conn: &Connection) -> rusqlite::Result<u64> {
    crate::store::counts::kept_or_zero(conn, "print_jobs.maybe_duplicate")
}

/// The earliest time some job becomes due (a pending job's next attempt, or a lease expiry).
pub fn next_due(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT MIN(t) FROM (
            SELECT MIN(next_attempt_at) AS t FROM print_jobs WHERE state = 'pending'
            UNION ALL SELECT MIN(lease_expires_at) FROM print_jobs WHERE state = 'sending')",
        [],
        |r| r.get(0),
    )
}

/// Accepted jobs whose remote state is still followed: (id, printer id, remote reference).
pub fn following(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<(i64, i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, printer_id, remote_ref FROM print_jobs
         WHERE follow_remote = 1 AND printer_id IS NOT NULL AND remote_ref IS NOT NULL
         ORDER BY id LIMIT ?1",
    )?;
    stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
}

/// Stores a followed job's remote state; `done` stops following it.
pub fn set_remote_state(
    conn: &Connection,
    id: i64,
    state: Option<&str>,
    done: bool,
) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE print_jobs SET remote_state = COALESCE(?2, remote_state), follow_remote = ?3 WHERE id = ?1
         AND (remote_state IS NOT ?2 OR follow_remote != ?3)",
        params![id, state, !done],
    )?;
    Ok(n == 1)
}

/// Rows a purge deletes per transaction: each batch gives the write lock back within a few
/// milliseconds, so the worker and the TUI keep writing while a large purge runs.
pub const PURGE_BATCH: usize = 200;

/// Deletes finished jobs older than `cutoff`, then documents and events nothing refers to.
pub fn purge_finished_before(conn: &mut Connection, cutoff: &str) -> rusqlite::Result<Purged> {
    purge_finished_before_with(conn, cutoff, &mut |_| {})
}

/// Like [`purge_finished_before`], in transactions of at most [`PURGE_BATCH`] rows; `between`
/// runs after each commit (no lock held) with what is purged so far.
pub fn purge_finished_before_with(
    conn: &mut Connection,
    cutoff: &str,
    between: &mut dyn FnMut(&Purged),
) -> rusqlite::Result<Purged> {
    let mut purged = Purged::default();
    purge_jobs(conn, cutoff, &mut purged, between)?;
    purge_rest(conn, cutoff, purged, between)
}

/// Pages of the trigram index one [`tidy_search`] step writes at most.
pub const SEARCH_MERGE_PAGES: i64 = 16;

/// One bounded step of merging the segments of the trigram index (`print_jobs_search`, FTS5):
/// at most [`SEARCH_MERGE_PAGES`] pages, and only where a level holds 4 segments or more. FTS5's
/// own automatic merging is off (migration `search_merging.sql`): it merged 64 pages per level
/// of the index every 64 pages written, inside whichever commit crossed that line, so that now and
/// then one print job queued, or one purge batch, held the write lock 70–120 ms on a million jobs.
/// The worker runs a step a second; a level that reaches 32 segments is merged by FTS5 itself
/// (`crisismerge`). Returns whether the step merged anything.
pub fn tidy_search(conn: &Connection) -> rusqlite::Result<bool> {
    let before = conn.total_changes();
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let merged = conn
        .execute(
            "INSERT INTO print_jobs_search (print_jobs_search, rank) VALUES ('merge', ?1)",
            [SEARCH_MERGE_PAGES],
        )
        .and_then(|_| conn.execute_batch("COMMIT"));
    if let Err(e) = merged {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e);
    }
    // FTS5 counts the command itself as one change; a merge adds more.
    Ok(conn.total_changes() - before > 1)
}

/// The finished jobs, a batch per transaction.
fn purge_jobs(
    conn: &mut Connection,
    cutoff: &str,
    purged: &mut Purged,
    between: &mut dyn FnMut(&Purged),
) -> rusqlite::Result<()> {
    loop {
        let held = std::time::Instant::now();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            &format!(
                "DELETE FROM print_jobs WHERE id IN (SELECT id FROM print_jobs
                 WHERE state IN ('succeeded', 'failed', 'cancelled')
                 AND COALESCE(finished_at, created_at) < ?1 LIMIT {PURGE_BATCH})"
            ),
            [cutoff],
        )?;
        tx.commit()?;
        purged.jobs += n;
        if n > 0 {
            between(purged);
        }
        if n < PURGE_BATCH {
            return Ok(());
        }
        // Each batch leaves a segment of deletions in the trigram index.
        merge_between(conn, held.elapsed())?;
    }
}

/// The documents and events no job refers to any more.
fn purge_rest(
    conn: &mut Connection,
    cutoff: &str,
    mut purged: Purged,
    between: &mut dyn FnMut(&Purged),
) -> rusqlite::Result<Purged> {
    let documents = "DELETE FROM documents WHERE id = ?1
        AND NOT EXISTS (SELECT 1 FROM print_jobs j WHERE j.document_id = ?1)";
    let mut so_far = purged;
    let n = sweep(conn, "documents", cutoff, documents, &mut |n| {
        so_far.documents = n;
        between(&so_far);
    })?;
    purged.documents = n;
    let events = "DELETE FROM events WHERE id = ?1
        AND NOT EXISTS (SELECT 1 FROM print_jobs j WHERE j.event_id = ?1)
        AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.event_id = ?1)";
    let mut so_far = purged;
    let n = sweep(conn, "events", cutoff, events, &mut |n| {
        so_far.events = n;
        between(&so_far);
    })?;
    purged.events = n;
    Ok(purged)
}

/// Walks the rows of `table` created before `cutoff` in (created_at, id) order, a batch per
/// transaction, running `delete` (which keeps rows still referred to) on each; returns how many
/// it deleted.
fn sweep(
    conn: &mut Connection,
    table: &str,
    cutoff: &str,
    delete: &str,
    between: &mut dyn FnMut(usize),
) -> rusqlite::Result<usize> {
    let mut deleted = 0;
    let mut after: (String, i64) = (String::new(), 0);
    loop {
        let held = std::time::Instant::now();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let batch: Vec<(String, i64)> = tx
            .prepare_cached(&format!(
                "SELECT created_at, id FROM {table} WHERE created_at < ?1
                 AND (created_at, id) > (?2, ?3) ORDER BY created_at, id LIMIT {PURGE_BATCH}"
            ))?
            .query_map(params![cutoff, after.0, after.1], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(delete)?;
            for (_, id) in &batch {
                n += stmt.execute([id])?;
            }
        }
        tx.commit()?;
        deleted += n;
        if n > 0 {
            between(deleted);
        }
        match batch.last() {
            Some(last) if batch.len() == PURGE_BATCH => after = last.clone(),
            _ => return Ok(deleted),
        }
        crate::store::batch::give_way(held.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the statistics of `bench tui`'s store (1,000,000 jobs of 1,000 documents), a list of
    /// a few jobs reads the newest jobs and stops, whatever the limit.
    #[test]
    fn a_short_list_reads_the_newest_jobs_first() {
        let conn = crate::store::open_in_memory().unwrap();
        conn.execute_batch(
            "ANALYZE;
             DELETE FROM sqlite_stat1;
             INSERT INTO sqlite_stat1 VALUES
                 ('print_jobs', 'print_jobs_document', '1000000 1000'),
                 ('print_jobs', 'print_jobs_printer', '1000000 333334 1 1'),
                 ('print_jobs', 'print_jobs_state_created', '1000000 333334 1 1'),
                 ('print_jobs', 'print_jobs_due', '1000000 333334 1'),
                 ('print_jobs', 'print_jobs_created', '1000000 1 1'),
                 ('print_jobs', 'print_jobs_event', '1000000 1000000'),
                 ('documents', 'documents_event', '1000 1000'),
                 ('documents', 'documents_created', '1000 1000'),
                 ('printers', 'sqlite_autoindex_printers_1', '3 1');
             ANALYZE sqlite_schema;",
        )
        .unwrap();
        for limit in [Some(1), Some(2), Some(4), Some(51), None] {
            let plan = crate::store::query_plan(&conn, &each_sql("1", limit));
            assert!(
                plan[0].starts_with("SCAN j") && !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                "limit {limit:?}: {plan:?}"
            );
            // A state's jobs, newest first, straight from the index by state (no sort of them all).
            let plan = crate::store::query_plan(&conn, &each_sql("j.state = 'failed'", limit));
            assert!(
                plan[0].starts_with("SEARCH j USING INDEX print_jobs_state_created (state=?)")
                    && !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                "state, limit {limit:?}: {plan:?}"
            );
        }
    }
}
