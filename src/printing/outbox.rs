//! The outbox: an event, its document and its print jobs are written in ONE transaction.
//!
//! The worker only sees committed jobs, so nothing prints for a transaction that rolled back.
//! [`record`] works inside a caller's transaction (a till ticket and its print jobs commit
//! together); [`ingest`] is the whole thing for the CLI and the web service, and wakes the worker.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use serde_json::Value;

use super::document::{self, Rendered};
use super::event::EventKind;
use super::job::{JobState, NO_DEFAULT_PRINTER, RetryPolicy};
use super::payload::{self, InvalidPayload, Order};
use crate::store::jobs::NewJob;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Invalid(#[from] InvalidPayload),
    #[error("storing the event: {0}")]
    Store(#[from] rusqlite::Error),
}

/// A validated event with its document rendered, before anything is written.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub kind: EventKind,
    pub order: Order,
    pub payload: String,
    pub document: Rendered,
    /// Fields backroom does not know, dropped (neither stored nor printed): their JSON paths.
    pub dropped_fields: Vec<String>,
}

/// Validates the payload and renders the trigger's document (no database access).
pub fn prepare(kind: EventKind, payload: &Value, issuer: &str) -> Result<Prepared, InvalidPayload> {
    let order = payload::validate(kind, payload)?;
    let document = document::render(kind.document(), &order, issuer);
    let (known, dropped_fields) = payload::known_only(payload);
    Ok(Prepared {
        kind,
        order,
        payload: known.to_string(),
        document,
        dropped_fields,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentRef {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub sha256: String,
    pub size: usize,
    /// What could not be printed as written (characters no font has).
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobRef {
    pub id: i64,
    pub uuid: String,
    pub state: JobState,
    pub printer: Option<String>,
    pub copies: u32,
    pub last_error: Option<String>,
}

/// What an event produced.
#[derive(Debug, Clone, Serialize)]
pub struct Ingested {
    pub event_id: i64,
    pub kind: EventKind,
    pub reference: String,
    /// Why no job was queued (trigger off, printing off), if none was.
    pub skipped: Option<String>,
    pub documents: Vec<DocumentRef>,
    pub jobs: Vec<JobRef>,
    /// Unknown payload fields that were dropped (not stored): their JSON paths.
    pub dropped_fields: Vec<String>,
}

/// Writes the event, its document and its job inside the caller's open transaction `tx` (the
/// caller commits, then calls [`crate::worker::wake`]).
pub fn record(
    tx: &Connection,
    p: &Prepared,
    source: &str,
    policy: &RetryPolicy,
) -> rusqlite::Result<Ingested> {
    use crate::store::{jobs, printers, printing};
    let event_id = printing::insert_event(
        tx,
        p.kind.as_str(),
        &p.order.order_number,
        &p.payload,
        source,
    )?;
    let mut out = Ingested {
        event_id,
        kind: p.kind,
        reference: p.order.order_number.clone(),
        skipped: None,
        documents: Vec::new(),
        jobs: Vec::new(),
        dropped_fields: p.dropped_fields.clone(),
    };
    let trigger = printing::trigger(tx, p.kind.as_str())?;
    let trigger = match trigger {
        Some(t) if t.enabled => t,
        _ => {
            out.skipped = Some(format!(
                "the {} trigger is off (`backroom triggers enable {}`)",
                p.kind, p.kind
            ));
            return Ok(out);
        }
    };
    if !printers::printing_enabled(tx)? {
        out.skipped =
            Some("printing is switched off for this store (`backroom printers enable`)".into());
        return Ok(out);
    }
    let d = &p.document;
    let document_id = printing::insert_document(
        tx,
        Some(event_id),
        d.kind.as_str(),
        &d.title,
        &d.sha256,
        &d.bytes,
    )?;
    if let Some(warning) = &d.warning {
        printing::set_document_warning(tx, document_id, warning)?;
    }
    out.documents.push(DocumentRef {
        id: document_id,
        kind: d.kind.as_str().to_string(),
        title: d.title.clone(),
        sha256: d.sha256.clone(),
        size: d.bytes.len(),
        warning: d.warning.clone(),
    });
    let printer = match trigger.printer_id {
        Some(id) => printers::by_id(tx, id)?,
        None => printers::default(tx)?,
    };
    let copies = trigger
        .copies
        .or(printer.as_ref().map(|p| p.copies))
        .unwrap_or(1)
        .max(1);
    let failed = printer.is_none().then(|| NO_DEFAULT_PRINTER.to_string());
    let (id, uuid) = jobs::insert(
        tx,
        &NewJob {
            event_id: Some(event_id),
            document_id,
            printer_id: printer.as_ref().map(|p| p.id),
            copies,
            max_attempts: policy.max_attempts,
            reprint_of: None,
            failed: failed.clone(),
        },
        "outbox",
    )?;
    out.jobs.push(JobRef {
        id,
        uuid,
        state: if failed.is_some() {
            JobState::Failed
        } else {
            JobState::Pending
        },
        printer: printer.map(|p| p.name),
        copies,
        last_error: failed,
    });
    Ok(out)
}

/// Validates, renders and records an event in one IMMEDIATE transaction, then wakes the worker.
pub fn ingest(
    conn: &mut Connection,
    kind: EventKind,
    payload: &Value,
    source: &str,
    issuer: &str,
) -> Result<Ingested, OutboxError> {
    match ingest_once(conn, kind, payload, source, issuer, None)? {
        Once::New(out) => Ok(out),
        Once::Again(_) => unreachable!("no key, no earlier event"),
    }
}

/// An event recorded now, or the one recorded earlier under the same key.
#[derive(Debug)]
pub enum Once {
    New(Ingested),
    Again(Earlier),
}

/// The event a key was first recorded with: nothing is written or printed again.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Earlier {
    pub event_id: i64,
    pub kind: EventKind,
    pub reference: String,
    /// Its print jobs' ids.
    pub jobs: Vec<i64>,
    pub duplicate: bool,
}

/// Like [`ingest`], with the client's `key` for the event: when an event of this kind was
/// already recorded under it (the client sent it again after losing the answer), nothing is
/// written and that event is returned. Checked and recorded in the same IMMEDIATE transaction.
pub fn ingest_once(
    conn: &mut Connection,
    kind: EventKind,
    payload: &Value,
    source: &str,
    issuer: &str,
    key: Option<&str>,
) -> Result<Once, OutboxError> {
    let prepared = prepare(kind, payload, issuer)?;
    let policy = RetryPolicy::load(conn);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(key) = key {
        let earlier: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, reference FROM events WHERE kind = ?1 AND idempotency_key = ?2",
                rusqlite::params![kind.as_str(), key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((event_id, reference)) = earlier {
            let jobs = tx
                .prepare("SELECT id FROM print_jobs WHERE event_id = ?1 ORDER BY id")?
                .query_map([event_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            return Ok(Once::Again(Earlier {
                event_id,
                kind,
                reference,
                jobs,
                duplicate: true,
            }));
        }
    }
    let out = record(&tx, &prepared, source, &policy)?;
    if let Some(key) = key {
        tx.execute(
            "UPDATE events SET idempotency_key = ?2 WHERE id = ?1",
            rusqlite::params![out.event_id, key],
        )?;
    }
    tx.commit()?;
    if !out.jobs.is_empty() {
        crate::worker::wake();
    }
    Ok(Once::New(out))
}
