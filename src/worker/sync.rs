//! The sync part of the worker: the scheduled processes (export, import, update) of every folder,
//! the till synchroniser loop (push every "wait" milliseconds), on-demand runs, and progress.
//!
//! Everything runs only while this process holds the worker lease. The CLI's
//! `backroom sync run ...` calls [`run_once`] directly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use super::{Notification as Note, Shared};
use crate::context::Context;
use crate::pos::{ConfirmMode, ProcessKind};
use crate::store::sync::RunTotals;
use crate::sync::runs::{self, Process, Progress, Reporter};
use crate::sync::sign::{Signer, Trust};
use crate::sync::{Folder, SyncError, apply::UsersFilter, export, import, push, updates};

#[derive(Debug)]
pub enum Command {
    /// Run a process of a folder (by id) now.
    Run {
        folder_id: i64,
        process: Process,
        full: bool,
    },
    /// The UI's answer to [`Notification::Ask`].
    Answer { id: u64, yes: bool },
}

/// How long a question to the UI waits for its answer; no answer counts as "no".
pub const ASK_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone)]
pub enum Notification {
    /// `import_updatecaisse` asks "install package `version` (`file`)?"; answer with
    /// [`Command::Answer`] within `timeout_secs`, else it counts as "no".
    Ask {
        id: u64,
        folder: String,
        version: String,
        file: String,
        timeout_secs: u64,
    },
    /// Nobody answered question `id` in time: the package was not installed.
    AskExpired {
        id: u64,
        folder: String,
        version: String,
        timeout_secs: u64,
    },
    /// A process started.
    Started { folder: String, process: Process },
    /// Rows done in a running export or import.
    Progress(Progress),
    /// A process finished (`ok` false: `message` is the error).
    Finished {
        folder: String,
        process: Process,
        ok: bool,
        message: String,
    },
}

/// What a run did, for the CLI and notifications.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "process", rename_all = "lowercase")]
pub enum Outcome {
    Export(export::Exported),
    Import(import::Imported),
    Push(push::Pushed),
    Update(updates::Updated),
}

impl Outcome {
    /// One line for people.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Export(e) => match e.batch {
                Some(b) => format!(
                    "exported batch {b} ({}) of folder {}: {} rows, {} bytes, changes {}..{}{}",
                    e.kind.as_str(),
                    e.folder,
                    e.rows,
                    e.bytes,
                    e.from_seq,
                    e.to_seq,
                    e.full_because
                        .as_ref()
                        .map_or(String::new(), |why| format!("; full because {why}"))
                ),
                None => format!(
                    "folder {}: nothing to export (no change since {})",
                    e.folder, e.from_seq
                ),
            },
            Outcome::Import(i) => {
                if i.applied.is_empty() {
                    format!(
                        "folder {}: no new batch (last applied: {})",
                        i.folder,
                        i.last_batch.map_or("none".into(), |b| b.to_string())
                    )
                } else {
                    let nums: Vec<String> = i.applied.iter().map(|a| a.batch.to_string()).collect();
                    format!(
                        "folder {}: applied batch(es) {}: {} rows; {} user(s) of other tills removed",
                        i.folder,
                        nums.join(", "),
                        i.rows,
                        i.users_removed
                    )
                }
            }
            Outcome::Push(p) => format!(
                "folder {}: pushed {} item(s) in {} request(s) ({} already on the server); {} waiting",
                p.folder, p.applied, p.batches, p.duplicates, p.waiting
            ),
            Outcome::Update(u) => format!(
                "folder {}: installed {} into {}{}{}",
                u.folder,
                if u.installed.is_empty() {
                    "nothing".to_string()
                } else {
                    u.installed.join(", ")
                },
                u.install_dir,
                if u.declined.is_empty() {
                    String::new()
                } else {
                    format!("; declined {}", u.declined.join(", "))
                },
                if u.already.is_empty() {
                    String::new()
                } else {
                    format!("; already installed {}", u.already.join(", "))
                },
            ),
        }
    }

    fn totals(&self) -> RunTotals {
        match self {
            Outcome::Export(e) => RunTotals {
                rows: e.rows as i64,
                batches: i64::from(e.batch.is_some()),
                bytes: e.bytes as i64,
            },
            Outcome::Import(i) => RunTotals {
                rows: i.rows as i64,
                batches: i.applied.len() as i64,
                bytes: i.bytes as i64,
            },
            Outcome::Push(p) => RunTotals {
                rows: (p.applied + p.duplicates) as i64,
                batches: p.batches as i64,
                bytes: p.bytes as i64,
            },
            Outcome::Update(u) => RunTotals {
                rows: u.installed.len() as i64,
                batches: u.installed.len() as i64,
                bytes: u.bytes as i64,
            },
        }
    }
}

/// The server's signing key from `[server] signing_key`; exports are refused without one.
pub fn signer(ctx: &Context) -> Result<Arc<Signer>, SyncError> {
    let Some(path) = ctx.config.server.signing_key.as_deref() else {
        return Err(SyncError::Refused(
            "this server has no signing key, and tills accept only signed batches: create one with \
             `backroom sync keygen --out PATH`, set signing_key = \"PATH\" under [server] in config.toml, \
             and give the printed public key to each till ([till] server_public_key)"
                .into(),
        ));
    };
    Ok(Arc::new(Signer::load(path)?))
}

/// Loads a folder for the sync processes.
pub fn load_folder(ctx: &Context, code: &str) -> Result<Folder, SyncError> {
    let conn = crate::store::open(&ctx.db_path).map_err(|e| SyncError::Config(e.to_string()))?;
    crate::store::sync::folder(&conn, code)?.ok_or_else(|| SyncError::NoFolder(code.to_string()))
}

/// The confirmation mode of the folder's `import_updatecaisse`.
pub fn confirm_mode(ctx: &Context, folder: &Folder) -> anyhow::Result<ConfirmMode> {
    let conn = ctx.open_store()?;
    Ok(
        crate::store::pos::process(&conn, folder.id, ProcessKind::ImportUpdatecaisse)?
            .and_then(|p| p.confirm_mode)
            .unwrap_or(ConfirmMode::Never),
    )
}

/// Runs one process of one folder now, logged in `sync_runs`. `confirm` answers the update
/// questions (None: headless).
pub async fn run_once(
    ctx: &Context,
    code: &str,
    process: Process,
    full: bool,
    confirm: updates::Confirmer<'_>,
    reporter: Reporter,
) -> anyhow::Result<Outcome> {
    let folder = load_folder(ctx, code)?;
    let db = ctx.db_path.clone();
    let till = ctx.config.till.clone();
    let moved = runs::Moved::default();
    let work = async {
        let outcome = match process {
            Process::Export => {
                let signer = signer(ctx)?;
                Outcome::Export(export::run(&db, &folder, full, signer, reporter).await?)
            }
            Process::Import => {
                let users =
                    (!till.number.trim().is_empty() && !till.users_table.is_empty()).then(|| {
                        UsersFilter {
                            table: till.users_table.clone(),
                            column: till.users_till_column.clone(),
                            till: till.number.trim().to_string(),
                        }
                    });
                let trust = Trust::from_config(&till)?;
                let moved = moved.clone();
                let count = move |i: &import::Imported| {
                    if let Ok(mut t) = moved.lock() {
                        *t = Outcome::Import(i.clone()).totals();
                    }
                };
                Outcome::Import(
                    import::run(&db, &folder, users, full, &trust, reporter, &count).await?,
                )
            }
            Process::Push => {
                let me = push::Identity::from_config(&till)?;
                let moved = moved.clone();
                let count = move |p: &push::Pushed| {
                    if let Ok(mut t) = moved.lock() {
                        *t = Outcome::Push(p.clone()).totals();
                    }
                };
                Outcome::Push(push::run(&db, &folder, &me, till.push_batch, &count).await?)
            }
            Process::Update => {
                let Some(dir) = till.install_dir.clone() else {
                    return Err(anyhow::Error::new(SyncError::Config(
                        "no install folder: set install_dir under [till] in config.toml".into(),
                    )));
                };
                let mode = confirm_mode(ctx, &folder)?;
                let trust = Trust::from_config(&till)?;
                let result = updates::run(&db, &folder, &dir, mode, &trust, confirm).await;
                if let Err(e) = &result {
                    let conn = ctx.open_store()?;
                    crate::store::sync::block(
                        &conn,
                        &folder.code,
                        "update",
                        None,
                        &e.to_string(),
                        "the packages installed before this error stay installed (backroom sync status lists them); fix the package or the mode, then run backroom sync run update again",
                    )?;
                } else {
                    let conn = ctx.open_store()?;
                    crate::store::sync::unblock(&conn, &folder.code, "update")?;
                }
                Outcome::Update(result?)
            }
        };
        let totals = outcome.totals();
        let summary = outcome.summary();
        Ok((outcome, totals, summary))
    };
    runs::logged(&ctx.db_path, Some(folder.id), process, moved.clone(), work)
        .await
        .with_context(|| format!("{} of folder {code}", process.as_str()))
}

/// The sync loop: scheduled processes and the till synchroniser, only while the lease is held.
pub async fn run(shared: Arc<Shared>) {
    let mut last_push: HashMap<String, Instant> = HashMap::new();
    let mut last_run: HashMap<(String, &'static str), Instant> = HashMap::new();
    let mut last_purge: Option<Instant> = None;
    let started = Instant::now();
    while shared.idle(Duration::from_millis(250)).await {
        if !shared.lease_held() {
            continue;
        }
        if last_purge.is_none_or(|t| t.elapsed() >= RUN_PURGE_INTERVAL) {
            last_purge = Some(Instant::now());
            purge_runs(&shared.ctx).await;
        }
        let due = match due_work(&shared.ctx, &mut last_push, &mut last_run, started) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "sync schedule");
                continue;
            }
        };
        for (folder, process) in due {
            if shared.stopping() || !shared.lease_held() {
                break;
            }
            run_notified(&shared, &folder, process, false, false).await;
        }
    }
}

/// How often the sync loop forgets runs past the run log's retention.
const RUN_PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Forgets the runs past the retention (on a blocking thread: it pauses between its batches).
async fn purge_runs(ctx: &Context) {
    let ctx = ctx.clone();
    let purged = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let conn = ctx.open_store()?;
        Ok(crate::store::sync::purge_runs(&conn, chrono::Utc::now())?)
    })
    .await;
    match purged {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::info!(n, "sync runs past the retention forgotten"),
        Ok(Err(e)) => tracing::warn!(error = %e, "purging the sync run log"),
        Err(e) => tracing::warn!(error = %e, "purging the sync run log"),
    }
}

/// Which (folder, process) pairs are due now.
fn due_work(
    ctx: &Context,
    last_push: &mut HashMap<String, Instant>,
    last_run: &mut HashMap<(String, &'static str), Instant>,
    started: Instant,
) -> anyhow::Result<Vec<(String, Process)>> {
    let conn = ctx.open_store()?;
    let mut due = Vec::new();
    let is_till = !ctx.config.till.number.trim().is_empty();
    for f in crate::store::pos::list_folders(&conn)? {
        if is_till && !f.till.ws_url.is_empty() {
            let wait = Duration::from_millis(f.till.sync_wait_ms.max(100));
            let ready = last_push.get(&f.code).is_none_or(|t| t.elapsed() >= wait);
            let waiting = crate::store::sync::queue_depth(&conn, &f.code)?.waiting;
            if ready && waiting > 0 {
                last_push.insert(f.code.clone(), Instant::now());
                due.push((f.code.clone(), Process::Push));
            }
        }
        for p in crate::store::pos::processes(&conn, f.id)? {
            if !p.enabled {
                continue;
            }
            let (process, side_ok) = match p.kind {
                ProcessKind::ExportCaisseauto => (Process::Export, !is_till),
                ProcessKind::ImportCaisseauto => (Process::Import, is_till),
                ProcessKind::ImportUpdatecaisse => (Process::Update, is_till),
            };
            if !side_ok {
                continue;
            }
            let every = Duration::from_secs(u64::from(p.schedule_secs.max(1)));
            let key = (f.code.clone(), process.as_str());
            let since = last_run.get(&key).copied().unwrap_or(started);
            let never_ran = p.last_run_at.is_none() && !last_run.contains_key(&key);
            if never_ran || since.elapsed() >= every {
                last_run.insert(key, Instant::now());
                due.push((f.code.clone(), process));
            }
        }
    }
    Ok(due)
}

/// Questions waiting for the UI's answer, by id.
fn waiting_answers() -> &'static Mutex<HashMap<u64, oneshot::Sender<bool>>> {
    static WAITING: OnceLock<Mutex<HashMap<u64, oneshot::Sender<bool>>>> = OnceLock::new();
    WAITING.get_or_init(|| Mutex::new(HashMap::new()))
}

fn waiting_lock() -> std::sync::MutexGuard<'static, HashMap<u64, oneshot::Sender<bool>>> {
    waiting_answers()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Asks the UI whether to install `package` and waits at most `timeout` for the answer; no answer
/// (or no UI listening) is "no", and the UI is told so.
pub async fn ask_ui(
    notify: &mpsc::UnboundedSender<Note>,
    folder: &str,
    package: &updates::Package,
    timeout: Duration,
) -> bool {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = oneshot::channel();
    waiting_lock().insert(id, tx);
    let asked = notify.send(Note::Sync(Notification::Ask {
        id,
        folder: folder.to_string(),
        version: package.version.clone(),
        file: package.file.clone(),
        timeout_secs: timeout.as_secs(),
    }));
    if asked.is_err() {
        waiting_lock().remove(&id);
        return false;
    }
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(yes)) => yes,
        _ => {
            waiting_lock().remove(&id);
            let _ = notify.send(Note::Sync(Notification::AskExpired {
                id,
                folder: folder.to_string(),
                version: package.version.clone(),
                timeout_secs: timeout.as_secs(),
            }));
            false
        }
    }
}

/// Delivers the UI's answer to question `id`; false when nobody waits for it any more.
pub fn answer(id: u64, yes: bool) -> bool {
    match waiting_lock().remove(&id) {
        Some(tx) => tx.send(yes).is_ok(),
        None => false,
    }
}

/// The answerer of runs asked from the UI: questions go to the UI as notifications.
fn ui_answerer(shared: &Arc<Shared>, folder: &str) -> updates::Answerer<'static> {
    let notify = shared.notify.clone();
    let folder = folder.to_string();
    updates::Answerer::Remote(Box::new(move |p: updates::Package| {
        let notify = notify.clone();
        let folder = folder.clone();
        Box::pin(async move { ask_ui(&notify, &folder, &p, ASK_TIMEOUT).await })
    }))
}

/// Runs a process and reports it; `from_ui`: the update's questions go to the UI.
async fn run_notified(
    shared: &Arc<Shared>,
    folder: &str,
    process: Process,
    full: bool,
    from_ui: bool,
) {
    shared.send(Note::Sync(Notification::Started {
        folder: folder.to_string(),
        process,
    }));
    let notify = shared.notify.clone();
    let reporter: Reporter = Arc::new(move |p| {
        let _ = notify.send(Note::Sync(Notification::Progress(p)));
    });
    let confirm = (from_ui && process == Process::Update).then(|| ui_answerer(shared, folder));
    let result = run_once(&shared.ctx, folder, process, full, confirm, reporter).await;
    let (ok, message) = match &result {
        Ok(o) => (true, o.summary()),
        Err(e) => (false, format!("{e:#}")),
    };
    if !ok {
        tracing::warn!(folder, process = process.as_str(), %message, "sync run failed");
    }
    shared.send(Note::Sync(Notification::Finished {
        folder: folder.to_string(),
        process,
        ok,
        message,
    }));
}

/// Handles a command from the UI (spawns its work; never blocks the dispatcher).
pub fn handle(shared: Arc<Shared>, command: Command) {
    match command {
        Command::Run {
            folder_id,
            process,
            full,
        } => {
            tokio::spawn(async move {
                let folder = match folder_code(&shared.ctx, folder_id) {
                    Ok(code) => code,
                    Err(e) => {
                        shared.send(Note::Error(format!("{e:#}")));
                        return;
                    }
                };
                if shared.lease_held() {
                    run_notified(&shared, &folder, process, full, true).await;
                } else {
                    shared.send(Note::Error(format!(
                        "{} of folder {folder} not started: another worker holds the lease",
                        process.as_str()
                    )));
                }
            });
        }
        Command::Answer { id, yes } => {
            if !answer(id, yes) {
                shared.send(Note::Error(format!(
                    "the answer came after {} s: the package was not installed (taken as no); run the update again",
                    ASK_TIMEOUT.as_secs()
                )));
            }
        }
    }
}

fn folder_code(ctx: &Context, folder_id: i64) -> anyhow::Result<String> {
    let conn = ctx.open_store()?;
    crate::store::pos::folder_by_id(&conn, folder_id)?
        .map(|f| f.code)
        .ok_or_else(|| anyhow::anyhow!("POS folder {folder_id} no longer exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package() -> updates::Package {
        updates::Package {
            version: "10.5.2".into(),
            file: "pos-10.5.2.zip".into(),
            sha256: String::new(),
        }
    }

    #[tokio::test]
    async fn the_uis_answer_comes_back_to_the_update() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let ui = tokio::spawn(async move {
            let Some(Note::Sync(Notification::Ask { id, version, .. })) = rx.recv().await else {
                panic!("no question asked");
            };
            assert_eq!(version, "10.5.2");
            assert!(answer(id, true));
            assert!(!answer(id, true), "a question is answered once");
        });
        assert!(ask_ui(&tx, "F1", &package(), Duration::from_secs(5)).await);
        ui.await.unwrap();
    }

    #[tokio::test]
    async fn no_answer_in_time_is_no_and_the_ui_is_told() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let yes = ask_ui(&tx, "F1", &package(), Duration::from_millis(100)).await;
        assert!(!yes);
        let Some(Note::Sync(Notification::Ask { id, .. })) = rx.recv().await else {
            panic!("no question asked");
        };
        match rx.recv().await {
            Some(Note::Sync(Notification::AskExpired {
                id: expired,
                version,
                ..
            })) => {
                assert_eq!(expired, id);
                assert_eq!(version, "10.5.2");
            }
            other => panic!("expected AskExpired, got {other:?}"),
        }
        assert!(!answer(id, true), "a late answer finds nobody waiting");
    }
}
