//! `export_caisseauto`: the folder's server → till changes since its watermark (or whole tables)
//! as one batch file, put on FTP (or copied into the share folder) under a temporary name and
//! renamed; the watermark advances only once the file is in place.

pub mod read;

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::batch::{self, Kind, Writer};
use super::runs::Reporter;
use super::serverdb::{ServerDb, blocking};
use super::sign::Signer;
use super::transport::Remote;
use super::{Folder, SyncError, capture};
use crate::store::sync::Export;
use read::Section;

/// What an export did.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub folder: String,
    /// `None` when there was nothing to export.
    pub batch: Option<i64>,
    pub kind: Kind,
    pub from_seq: i64,
    pub to_seq: i64,
    pub rows: u64,
    pub bytes: u64,
    pub tables: Vec<TableCount>,
    pub file: Option<String>,
    pub sha256: Option<String>,
    /// Why a batch is full when nobody asked for it (`--full`, a first export, capture
    /// reinstalled), e.g. a batch published by an export that could not record it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_because: Option<String>,
}

/// Rows of one table in the batch.
#[derive(Debug, Clone, Serialize)]
pub struct TableCount {
    pub table: String,
    pub upserts: u64,
    pub deletes: u64,
    pub replace: bool,
}

/// Where the batch is built before it is transferred: the share folder in copy mode (so the final
/// rename is atomic), else the share folder when set (the seed's working folder), else next to the database.
fn work_dir(folder: &Folder, db: &Path) -> Result<PathBuf, SyncError> {
    let dir = if !folder.ftp_share.trim().is_empty() {
        PathBuf::from(folder.ftp_share.trim())
    } else {
        db.parent()
            .unwrap_or_else(|| Path::new("."))
            .join("sync-out")
            .join(&folder.code)
    };
    std::fs::create_dir_all(&dir).map_err(SyncError::io(format!("creating {}", dir.display())))?;
    Ok(dir)
}

/// One export of a folder at a time, across processes (the worker's schedule, the TUI's `x`, a
/// CLI run): two at once numbered and wrote the same batch from the same watermark, and shared
/// the local file they build it in. The lock is a `flock` on a file next to the database, held
/// for the whole run and released when the process ends, however it ends.
fn one_at_a_time(
    store: &Path,
    folder: &Folder,
) -> Result<nix::fcntl::Flock<std::fs::File>, SyncError> {
    let dir = store
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("sync-out");
    std::fs::create_dir_all(&dir).map_err(SyncError::io(format!("creating {}", dir.display())))?;
    let path = dir.join(format!("{}.export.lock", folder.code));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(SyncError::io(format!("opening {}", path.display())))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(
        |(_, errno)| match errno {
            nix::errno::Errno::EWOULDBLOCK => SyncError::Refused(format!(
                "an export of folder {} is already running (the worker's schedule, the TUI or \
                 another command): this one would number the same batch; try again when it ends",
                folder.code
            )),
            other => SyncError::Io {
                context: format!("locking {}", path.display()),
                source: std::io::Error::from(other),
            },
        },
    )
}

/// Runs one export of `folder`, signed with `signer`; `full` asks for a full batch (every table whole).
pub async fn run(
    store: &Path,
    folder: &Folder,
    full: bool,
    signer: std::sync::Arc<Signer>,
    reporter: Reporter,
) -> Result<Exported, SyncError> {
    let _running = one_at_a_time(store, folder)?;
    let (last, full_next) = {
        let conn = crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))?;
        (
            crate::store::sync::last_export(&conn, folder.id)?,
            crate::store::sync::full_next(&conn, folder.id)?,
        )
    };
    let mut remote = Remote::open(folder, folder.copy_mode()).await?;
    let remote_max = remote
        .list()
        .await?
        .iter()
        .filter_map(|n| batch::parse_file_name(n).map(|(b, _)| b))
        .max()
        .unwrap_or(0);
    let recorded = last.as_ref().map_or(0, |l| l.batch);
    // A batch on the server that this store has no record of was published by an export that
    // stopped before recording it (a crash, or the reply to the rename lost). Its changes go
    // past the watermark, so an incremental batch from the watermark would overlap it and every
    // till that applied it would refuse the next one: a full batch, which any till takes after
    // whatever it applied, puts them all back in step.
    let full_because = (last.is_some() && remote_max > recorded).then(|| {
        let why = format!(
            "batch {remote_max} is on the server but this store recorded only up to batch \
             {recorded} (an export stopped after publishing it)"
        );
        tracing::warn!(folder = %folder.code, "{why}: this export is full");
        why
    });
    let kind = if full || full_next || last.is_none() || full_because.is_some() {
        Kind::Full
    } else {
        Kind::Incremental
    };
    let from_seq = last.as_ref().map_or(0, |l| l.to_seq);

    let mut db = ServerDb::connect(folder).await?;
    let report = capture::check(folder).await?;
    capture::require_installed(&report)?;
    let mut sections = Vec::new();
    for t in folder.outgoing() {
        let info = db.describe(&folder.code, &t.name).await?;
        sections.push(Section {
            info,
            replace: kind == Kind::Full || t.full,
        });
    }

    let number = recorded.max(remote_max) + 1;
    let name = batch::file_name(number, kind);
    let dir = work_dir(folder, store)?;
    let local = dir.join(super::transport::temp_name(&name));
    let mut writer = Writer::create(&local)?;

    let to_seq = match &mut db {
        ServerDb::Postgres(client) => {
            read::postgres(
                client,
                &folder.code,
                &sections,
                from_seq,
                &mut writer,
                &reporter,
            )
            .await?
        }
        ServerDb::Sqlite(path) => {
            let (path, code) = (path.clone(), folder.code.clone());
            let reporter = reporter.clone();
            let (w, seq) = blocking(move || {
                let mut writer = writer;
                let seq = read::sqlite(&path, &code, &sections, from_seq, &mut writer, &reporter)?;
                Ok((writer, seq))
            })
            .await?;
            writer = w;
            seq
        }
    };

    if kind == Kind::Incremental && writer.rows() == 0 && to_seq == from_seq {
        drop(writer);
        let _ = std::fs::remove_file(local.with_extension("payload"));
        remote.close().await;
        return Ok(Exported {
            folder: folder.code.clone(),
            batch: None,
            kind,
            from_seq,
            to_seq,
            rows: 0,
            bytes: 0,
            tables: Vec::new(),
            file: None,
            sha256: None,
            full_because: None,
        });
    }

    let code = folder.code.clone();
    let local2 = local.clone();
    let (manifest, bytes) =
        blocking(move || writer.finish(Some(&signer), &code, number, kind, from_seq, to_seq))
            .await?;
    let _ = local2;
    let sent = remote.put(&local, &name).await;
    remote.close().await;
    let _ = std::fs::remove_file(&local);
    sent?;

    let export = Export {
        batch: number,
        kind: kind.as_str().to_string(),
        from_seq,
        to_seq,
        rows: manifest.rows() as i64,
        bytes: bytes as i64,
        sha256: manifest.sha256.clone(),
        file: name.clone(),
        exported_at: crate::store::now(),
    };
    {
        let conn = crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))?;
        crate::store::sync::record_export(&conn, folder.id, &export)?;
    }
    if let Err(e) = read::purge(&db, &folder.code, to_seq).await {
        tracing::warn!(folder = %folder.code, error = %e, "purging exported changes");
    }
    Ok(Exported {
        folder: folder.code.clone(),
        batch: Some(number),
        kind,
        from_seq,
        to_seq,
        rows: manifest.rows(),
        bytes,
        tables: manifest
            .tables
            .iter()
            .map(|t| TableCount {
                table: t.name.clone(),
                upserts: t.upserts,
                deletes: t.deletes,
                replace: t.replace,
            })
            .collect(),
        file: Some(name),
        sha256: Some(manifest.sha256),
        full_because,
    })
}
