//! Submitting a print-shop job: the upload streams to a file under the data dir (never held in
//! memory), is checked against its byte budget while it arrives, then becomes a `new` job.

use std::path::{Path, PathBuf};

use futures::{Stream, StreamExt};
use rusqlite::Connection;
use tokio::io::AsyncWriteExt;

use super::error::ContactError;
use super::links::{self, LimitHit};
use super::model::ShopJob;
use crate::store::contacts::{self as q, NewJob};

/// Why an upload stopped.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("limit hit: {0}")]
    Limit(LimitHit),
    #[error("the input is not a PDF (it does not start with %PDF-)")]
    NotPdf,
    #[error("the upload is empty")]
    Empty,
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The jobs and bytes reserved by uploads still streaming, per link (`generic`, `contact:ID`):
/// every upload used to get the whole budget of the day, so uploads held open together (a byte
/// every few seconds) could put the link's daily size many times over on the disk.
static IN_FLIGHT: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, (i64, i64)>>,
> = std::sync::LazyLock::new(Default::default);

/// What one upload in flight holds of its link's day; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    scope: String,
    bytes: i64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut all = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((jobs, bytes)) = all.get_mut(&self.scope) {
            *jobs -= 1;
            *bytes -= self.bytes;
            if *jobs <= 0 {
                all.remove(&self.scope);
            }
        }
    }
}

/// Reserves one upload of `scope` the budget `check` gives when told what the uploads of that
/// scope still streaming hold (`(jobs, bytes)`, counted as submitted): that job and its bytes are
/// held until the reservation is dropped.
pub fn reserve(
    scope: &str,
    check: impl FnOnce((i64, i64)) -> Result<links::Budget, ContactError>,
) -> Result<(Reservation, links::Budget), ContactError> {
    let mut all = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
    let budget = check(all.get(scope).copied().unwrap_or((0, 0)))?;
    let bytes = i64::try_from(budget.max_bytes).unwrap_or(i64::MAX);
    let held = all.entry(scope.to_string()).or_insert((0, 0));
    held.0 += 1;
    held.1 = held.1.saturating_add(bytes);
    let scope = scope.to_string();
    Ok((Reservation { scope, bytes }, budget))
}

/// Removes the file unless kept: an upload whose request is dropped half-way (the client gone,
/// the service stopping) leaves no `.part` behind.
struct PartFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Removes what uploads left in `.incoming` (a service killed mid-upload); at start.
pub fn sweep_incoming(db_path: &Path) {
    let dir = super::files::root(db_path).join(".incoming");
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().ends_with(".part") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A finished upload waiting to become a job.
#[derive(Debug)]
pub struct Upload {
    pub path: PathBuf,
    pub size: u64,
}

/// What an upload must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An input PDF (starts with `%PDF-`).
    Pdf,
    /// A support file: any content.
    Any,
}

/// Streams `body` into a new temporary file under the job files root, stopping as soon as it
/// passes `max_bytes` (the error is `limit`); the file is removed on any error.
pub async fn receive<S, B, E>(
    db_path: &Path,
    mut body: S,
    max_bytes: u64,
    limit: LimitHit,
    kind: Kind,
) -> Result<Upload, UploadError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let dir = super::files::root(db_path).join(".incoming");
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| UploadError::Io { path, source }
    };
    super::private::create_dir(&dir).map_err(io(&dir))?;
    let path = dir.join(format!("{}.part", uuid::Uuid::new_v4()));
    let mut part = PartFile {
        path: path.clone(),
        keep: false,
    };
    let result = async {
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(super::private::FILE_MODE)
            .open(&path)
            .await
            .map_err(io(&path))?;
        let mut size: u64 = 0;
        let mut head: Vec<u8> = Vec::with_capacity(5);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| UploadError::Interrupted(e.to_string()))?;
            let bytes = chunk.as_ref();
            if kind == Kind::Pdf && head.len() < 5 {
                let take = (5 - head.len()).min(bytes.len());
                head.extend_from_slice(&bytes[..take]);
                if head.len() == 5 && head != b"%PDF-" {
                    return Err(UploadError::NotPdf);
                }
            }
            size += bytes.len() as u64;
            if size > max_bytes {
                return Err(UploadError::Limit(limit.clone()));
            }
            file.write_all(bytes).await.map_err(io(&path))?;
        }
        if size == 0 {
            return Err(UploadError::Empty);
        }
        if kind == Kind::Pdf && head.len() < 5 {
            return Err(UploadError::NotPdf);
        }
        file.sync_all().await.map_err(io(&path))?;
        Ok(size)
    }
    .await;
    let size = result?;
    part.keep = true;
    Ok(Upload { path, size })
}

/// Who submits the job.
#[derive(Debug, Clone)]
pub enum Submitter {
    /// A registered, active contact through the integration link, within its limits; `key` is
    /// the access key it presented (checked again when the job is recorded).
    Contact {
        id: i64,
        limits: links::Limits,
        key: String,
    },
    /// Anyone with the generic link, leaving an e-mail address; `token` is the link it used
    /// (checked again when the job is recorded).
    Generic {
        email: Option<String>,
        token: String,
    },
}

/// Turns a finished upload into a `new` job in one transaction (re-checking the link's
/// limits, since other uploads may have finished meanwhile) and moves the file into the job's folder.
pub fn record(
    conn: &mut Connection,
    db_path: &Path,
    submitter: &Submitter,
    title: &str,
    input_name: &str,
    upload: Upload,
) -> Result<ShopJob, ContactError> {
    let outcome = record_inner(conn, db_path, submitter, title, input_name, &upload);
    if outcome.is_err() {
        let _ = std::fs::remove_file(&upload.path);
    }
    outcome
}

fn record_inner(
    conn: &mut Connection,
    db_path: &Path,
    submitter: &Submitter,
    title: &str,
    input_name: &str,
    upload: &Upload,
) -> Result<ShopJob, ContactError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // The link and the account are checked again here, with the limits: a file that took
    // minutes to arrive must not become a job after the link was regenerated or the account
    // deactivated meanwhile.
    let (contact_id, via, email) = match submitter {
        Submitter::Contact { id, limits, key } => {
            let contact = super::portal::authenticate_active(&tx, key)?;
            if contact.id != *id {
                return Err(ContactError::NotAuthenticated);
            }
            links::check_integration(&tx, *id, limits, Some(upload.size), (0, 0))?;
            (Some(*id), "integration", None)
        }
        Submitter::Generic { email, token } => {
            let link = links::load(&tx)?;
            if !links::same_token(&link.token, token) {
                return Err(ContactError::LinkReplaced);
            }
            links::check_submission(&tx, &link, Some(upload.size), (0, 0))?;
            // Never attached to an account: anyone can type any e-mail on the generic link.
            (None, "generic", email.clone())
        }
    };
    let safe_input = super::safe_name::component(input_name, "input.pdf");
    let size = i64::try_from(upload.size).unwrap_or(i64::MAX);
    let id = q::insert_job(
        &tx,
        &NewJob {
            contact_id,
            title: title.trim(),
            state: "new",
            size_bytes: size,
            via,
            submitter: email.as_deref(),
            ..NewJob::default()
        },
    )?;
    let dir = super::files::job_dir(db_path, id);
    super::private::create_dir(&dir).map_err(|e| ContactError::io(&dir, e))?;
    let dest = dir.join("input.pdf");
    std::fs::rename(&upload.path, &dest).map_err(|e| ContactError::io(&dest, e))?;
    q::set_job_input(&tx, id, &dest.display().to_string(), &safe_input, size)?;
    let job =
        q::job_by_id(&tx, id)?.ok_or_else(|| ContactError::BadInput("job vanished".into()))?;
    if let Err(e) = tx.commit() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e.into());
    }
    Ok(job)
}

/// The contact's own job, still open to changes (`new` or `incoming`).
fn own_open_job(conn: &Connection, contact_id: i64, job_id: i64) -> Result<ShopJob, ContactError> {
    let job = q::job_by_id(conn, job_id)?
        .filter(|j| j.contact_id == Some(contact_id))
        .ok_or_else(|| ContactError::BadInput(format!("you have no job #{job_id}")))?;
    if !matches!(job.state.as_str(), "new" | "incoming") {
        return Err(ContactError::BadInput(format!(
            "job #{job_id} is {}; files can only be changed while it is new or incoming",
            job.state
        )));
    }
    Ok(job)
}

/// Attaches (or replaces) the support file of the contact's own job. The job's size is its input
/// and its support together, within the size per job, and counts in the contact's day (support
/// files were counted nowhere: each could add the size of a job).
pub fn attach_support(
    conn: &mut Connection,
    db_path: &Path,
    contact_id: i64,
    job_id: i64,
    name: &str,
    upload: Upload,
    limits: &links::Limits,
) -> Result<ShopJob, ContactError> {
    let outcome = (|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let job = own_open_job(&tx, contact_id, job_id)?;
        let input = job
            .input_path
            .as_deref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len());
        let total = input + upload.size;
        // Today's other jobs count in the day (a job from an earlier day only in its size).
        let today = links::start_of_today();
        let others = if job.created_at >= today {
            let (_, used) = q::contact_usage_since(&tx, contact_id, &today)?;
            used - job.size_bytes
        } else {
            0
        };
        links::budget((0, others), limits, Some(total))?;
        tx.execute(
            "UPDATE shop_jobs SET size_bytes = ?2 WHERE id = ?1",
            rusqlite::params![job_id, i64::try_from(total).unwrap_or(i64::MAX)],
        )?;
        let dir = super::files::job_dir(db_path, job_id);
        super::private::create_dir(&dir).map_err(|e| ContactError::io(&dir, e))?;
        let dest = dir.join("support");
        std::fs::rename(&upload.path, &dest).map_err(|e| ContactError::io(&dest, e))?;
        let safe = super::safe_name::component(name, "support");
        q::set_job_support(&tx, job_id, &dest.display().to_string(), &safe)?;
        let job = q::job_by_id(&tx, job_id)?
            .ok_or_else(|| ContactError::BadInput("job vanished".into()))?;
        tx.commit()?;
        Ok(job)
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&upload.path);
    }
    outcome
}

/// The largest PDL model accepted.
pub const MAX_MODEL_BYTES: usize = 1_000_000;

/// Saves the PDL model (a JSON object) of the contact's own job, as the job editor does.
pub fn save_model(
    conn: &Connection,
    contact_id: i64,
    job_id: i64,
    model: &[u8],
) -> Result<ShopJob, ContactError> {
    own_open_job(conn, contact_id, job_id)?;
    if model.len() > MAX_MODEL_BYTES {
        return Err(ContactError::BadInput(format!(
            "the PDL model is {} bytes; at most {MAX_MODEL_BYTES} are accepted",
            model.len()
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(model)
        .map_err(|e| ContactError::BadInput(format!("the PDL model is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ContactError::BadInput(
            "the PDL model must be a JSON object".into(),
        ));
    }
    q::set_job_model(conn, job_id, &value.to_string())?;
    q::job_by_id(conn, job_id)?.ok_or_else(|| ContactError::BadInput("job vanished".into()))
}
