//! `import_caisseauto` (till side): lists the batches newer than the last one applied, downloads,
//! verifies and applies each in order. A batch that fails blocks the channel: later batches wait,
//! the till keeps its data, and `sync status` shows the error and what to do (as SymmetricDS does
//! per channel). The first sync, and a full re-import, start from the latest full batch.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::apply::{self, Applied, Expect, UsersFilter};
use super::batch::{self, Kind};
use super::runs::Reporter;
use super::serverdb::blocking;
use super::sign::{SET_KEY_HINT, Trust};
use super::transport::Remote;
use super::{Folder, SyncError};

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub folder: String,
    pub applied: Vec<Applied>,
    pub rows: u64,
    pub bytes: u64,
    pub users_removed: u64,
    /// The last batch applied on this till after the run.
    pub last_batch: Option<i64>,
}

/// A batch file on the FTP server.
#[derive(Debug, Clone)]
struct Listed {
    number: i64,
    kind: Kind,
    name: String,
}

/// Chooses the batches to apply after `last` (or from the latest full batch when `last` is none).
fn plan(listed: &[Listed], last: Option<i64>, folder: &str) -> Result<Vec<Listed>, SyncError> {
    let latest_full = |after: i64| {
        listed
            .iter()
            .filter(|b| b.kind == Kind::Full && b.number > after)
            .map(|b| b.number)
            .max()
    };
    let start = match last {
        None => latest_full(i64::MIN).ok_or_else(|| {
            SyncError::Blocked(format!(
                "no full batch of folder {folder} on the FTP server yet: run `backroom sync run export {folder} --full` on the server"
            ))
        })?,
        Some(l) => l + 1,
    };
    let mut out = Vec::new();
    for (expected, b) in (start..).zip(listed.iter().filter(|b| b.number >= start)) {
        if b.number != expected {
            // A gap: jump to a later full batch if there is one, else wait for the missing batch.
            if let Some(f) = latest_full(expected - 1).filter(|f| *f >= b.number) {
                return plan(listed, Some(f - 1), folder);
            }
            return Err(SyncError::Blocked(format!(
                "batch {expected} of folder {folder} is missing on the FTP server (found batch {}); later batches wait for it",
                b.number
            )));
        }
        out.push(b.clone());
    }
    Ok(out)
}

fn inbox(db: &Path, folder: &str) -> Result<PathBuf, SyncError> {
    let dir = db
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("sync-in")
        .join(folder);
    std::fs::create_dir_all(&dir).map_err(SyncError::io(format!("creating {}", dir.display())))?;
    Ok(dir)
}

/// What to do when a batch fails, shown with the error.
pub fn hint(folder: &str, batch: i64) -> String {
    format!(
        "the till keeps its data as it was and applies no later batch until batch {batch} applies. \
         If the file was damaged in transit the next run retries it; if the file on the FTP server was \
         changed, replaced or damaged, put the original batch {batch} back there (the next run applies it), \
         or export a full batch on the server (`backroom sync run export {folder} --full`), then run \
         `backroom sync run import {folder} --full` on this till"
    )
}

fn open_store(store: &Path) -> Result<rusqlite::Connection, SyncError> {
    crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))
}

/// Runs one import of `folder` into the till database `store`; `moved` hears what was applied
/// after each batch, so a run that fails later still counts it.
pub async fn run(
    store: &Path,
    folder: &Folder,
    users: Option<UsersFilter>,
    full: bool,
    trust: &Trust,
    reporter: Reporter,
    moved: &(dyn Fn(&Imported) + Send + Sync),
) -> Result<Imported, SyncError> {
    let code = folder.code.clone();
    if trust.key.is_none() && !trust.allow_unsigned {
        let message = format!(
            "import of folder {code} refused: this till has no server public key to check the batches' signatures"
        );
        crate::store::sync::block(
            &open_store(store)?,
            &code,
            "import",
            None,
            &message,
            SET_KEY_HINT,
        )?;
        return Err(SyncError::Refused(format!("{message}: {SET_KEY_HINT}")));
    }
    let tables: Vec<String> = folder.outgoing().map(|t| t.name.clone()).collect();
    let last = {
        let conn = crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))?;
        crate::store::sync::last_applied(&conn, &code)?.map(|a| a.batch)
    };
    let mut remote = Remote::open(folder, false).await?;
    let mut listed: Vec<Listed> = remote
        .list()
        .await?
        .into_iter()
        .filter_map(|name| {
            batch::parse_file_name(&name).map(|(number, kind)| Listed { number, kind, name })
        })
        .collect();
    listed.sort_by_key(|b| b.number);
    let todo = match plan(&listed, if full { None } else { last }, &code) {
        Ok(t) => t,
        Err(e) => {
            remote.close().await;
            let conn = crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))?;
            crate::store::sync::block(
                &conn,
                &code,
                "import",
                last.map(|l| l + 1),
                &e.to_string(),
                "the server must export the missing batch or a full batch; nothing was changed on this till",
            )?;
            return Err(e);
        }
    };
    let dir = inbox(store, &code)?;
    let mut result = Imported {
        folder: code.clone(),
        applied: Vec::new(),
        rows: 0,
        bytes: 0,
        users_removed: 0,
        last_batch: last,
    };
    for b in todo {
        let local = dir.join(&b.name);
        let step = async {
            let bytes = remote.get(&b.name, &local).await?;
            let (store, code, users, reporter, local, tables, trust) = (
                store.to_path_buf(),
                code.clone(),
                users.clone(),
                reporter.clone(),
                local.clone(),
                tables.clone(),
                trust.clone(),
            );
            let (number, kind) = (b.number, b.kind);
            let applied = blocking(move || {
                let mut conn = open_store(&store)?;
                let expect = Expect {
                    folder: &code,
                    file_batch: number,
                    file_kind: kind,
                    tables: &tables,
                    trust: &trust,
                };
                apply::apply(&mut conn, &local, &expect, users.as_ref(), full, &reporter)
            })
            .await?;
            Ok::<_, SyncError>((bytes, applied))
        }
        .await;
        match step {
            Ok((bytes, applied)) => {
                let _ = std::fs::remove_file(&local);
                result.bytes += bytes;
                result.rows += applied.rows;
                result.users_removed += applied.users_removed;
                result.last_batch = Some(applied.batch);
                result.applied.push(applied);
                moved(&result);
            }
            Err(e) => {
                remote.close().await;
                // Nothing of a refused file stays on the till.
                let _ = std::fs::remove_file(&local);
                let _ = std::fs::remove_file(local.with_extension("download"));
                let message = format!("batch {} refused: {e}", b.number);
                let conn =
                    crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))?;
                crate::store::sync::block(
                    &conn,
                    &code,
                    "import",
                    Some(b.number),
                    &message,
                    &hint(&code, b.number),
                )?;
                return Err(SyncError::Blocked(format!(
                    "{message}; the till was left as it was. What to do: {}",
                    hint(&code, b.number)
                )));
            }
        }
    }
    remote.close().await;
    let conn = crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))?;
    crate::store::sync::unblock(&conn, &code, "import")?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(items: &[(i64, Kind)]) -> Vec<Listed> {
        items
            .iter()
            .map(|(n, k)| Listed {
                number: *n,
                kind: *k,
                name: batch::file_name(*n, *k),
            })
            .collect()
    }

    fn numbers(v: Vec<Listed>) -> Vec<i64> {
        v.into_iter().map(|b| b.number).collect()
    }

    #[test]
    fn a_first_sync_starts_at_the_latest_full_batch() {
        let l = listed(&[
            (1, Kind::Full),
            (2, Kind::Incremental),
            (3, Kind::Full),
            (4, Kind::Incremental),
        ]);
        assert_eq!(numbers(plan(&l, None, "F").unwrap()), vec![3, 4]);
        assert_eq!(numbers(plan(&l, Some(2), "F").unwrap()), vec![3, 4]);
        assert_eq!(numbers(plan(&l, Some(4), "F").unwrap()), Vec::<i64>::new());
    }

    #[test]
    fn a_missing_batch_blocks_unless_a_later_full_batch_replaces_it() {
        let l = listed(&[(1, Kind::Full), (3, Kind::Incremental)]);
        let err = plan(&l, Some(1), "F").unwrap_err().to_string();
        assert!(err.contains("batch 2"), "{err}");
        let l = listed(&[(1, Kind::Full), (3, Kind::Full), (4, Kind::Incremental)]);
        assert_eq!(numbers(plan(&l, Some(1), "F").unwrap()), vec![3, 4]);
        assert!(plan(&listed(&[(2, Kind::Incremental)]), None, "F").is_err());
    }
}
