//! The pos part of the worker: connection tests and sync table checks asked for by the UI.
//!
//! They run as spawned tasks (never on the UI's event loop), whether or not this process holds
//! the lease: they answer a person waiting in front of the "Test connection" spinner.

use std::sync::Arc;
use std::time::Duration;

use super::{Notification as WorkerNotification, Shared};
use crate::pos::conntest::{self, ConnectionTest, Target};

#[derive(Debug)]
pub enum Command {
    /// Test one connection of a folder; the verdict comes back as [`Notification::Tested`].
    TestConnection { folder_id: i64, target: Target },
    /// Compare the folder's sync tables with the tables on its DB server.
    CheckTables { folder_id: i64 },
}

#[derive(Debug, Clone)]
pub enum Notification {
    /// A test started (the UI shows its spinner until `Tested` or `TestError`).
    TestStarted { folder_id: i64, target: Target },
    /// A test finished; its verdict is kept in the store.
    Tested {
        folder_code: String,
        test: ConnectionTest,
    },
    /// The test could not run at all (folder removed, store error).
    TestError {
        folder_id: i64,
        target: Target,
        error: String,
    },
    /// The sync tables that do not exist on the DB server (or why the server was not asked).
    TablesChecked {
        folder_id: i64,
        missing: Vec<String>,
        error: Option<String>,
    },
}

/// How long a test from the UI may take.
pub const TEST_TIMEOUT: Duration = conntest::DEFAULT_TIMEOUT;

/// The pos loop: nothing periodic yet; commands do the work.
pub async fn run(shared: Arc<Shared>) {
    while shared.idle(Duration::from_secs(5)).await {}
}

/// Handles a command from the UI (spawns its work; never blocks the dispatcher).
pub fn handle(shared: Arc<Shared>, command: Command) {
    match command {
        Command::TestConnection { folder_id, target } => {
            tokio::spawn(test_connection(shared, folder_id, target));
        }
        Command::CheckTables { folder_id } => {
            tokio::spawn(check_tables(shared, folder_id));
        }
    }
}

async fn test_connection(shared: Arc<Shared>, folder_id: i64, target: Target) {
    shared.send(WorkerNotification::Pos(Notification::TestStarted {
        folder_id,
        target,
    }));
    let keep = !shared.ctx.read_only;
    let outcome =
        conntest::run_and_keep(&shared.ctx.db_path, folder_id, target, TEST_TIMEOUT, keep).await;
    let n = match outcome {
        Ok((folder, test)) => Notification::Tested {
            folder_code: folder.code,
            test,
        },
        Err(e) => {
            tracing::warn!(folder_id, target = target.as_str(), error = %e, "connection test");
            Notification::TestError {
                folder_id,
                target,
                error: e.to_string(),
            }
        }
    };
    shared.send(WorkerNotification::Pos(n));
}

async fn check_tables(shared: Arc<Shared>, folder_id: i64) {
    let path = shared.ctx.db_path.clone();
    let loaded = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let conn = crate::store::open(&path)?;
        let folder = crate::store::pos::folder_by_id(&conn, folder_id)?
            .ok_or_else(|| anyhow::anyhow!("POS folder #{folder_id} does not exist"))?;
        let tables = crate::store::pos::tables(&conn, folder_id)?;
        Ok((folder, tables))
    })
    .await;
    let (folder, tables) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return send_tables(&shared, folder_id, vec![], Some(format!("{e:#}"))),
        Err(e) => return send_tables(&shared, folder_id, vec![], Some(e.to_string())),
    };
    match conntest::db::list_tables(&folder.db, TEST_TIMEOUT).await {
        Ok(names) => {
            if !shared.ctx.read_only {
                let path = shared.ctx.db_path.clone();
                let recorded = names.clone();
                let kept = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                    let conn = crate::store::open(&path)?;
                    crate::store::pos::record_table_check(
                        &conn,
                        folder_id,
                        &recorded,
                        &crate::store::now(),
                    )?;
                    Ok(())
                })
                .await;
                if let Ok(Err(e)) = kept {
                    tracing::warn!(folder_id, error = %e, "keeping the table check");
                }
            }
            let names: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
            let missing = tables
                .into_iter()
                .filter(|t| !names.contains(&t.table_name.to_ascii_lowercase()))
                .map(|t| t.table_name)
                .collect();
            send_tables(&shared, folder_id, missing, None);
        }
        Err(e) => send_tables(&shared, folder_id, vec![], Some(e.to_string())),
    }
}

fn send_tables(shared: &Shared, folder_id: i64, missing: Vec<String>, error: Option<String>) {
    shared.send(WorkerNotification::Pos(Notification::TablesChecked {
        folder_id,
        missing,
        error,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pos::FolderForm;

    #[tokio::test]
    async fn a_test_from_the_ui_comes_back_as_a_kept_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("b.db");
        let id = {
            let mut conn = crate::store::open(&db).unwrap();
            let folder = FolderForm::new("S1").to_folder().unwrap();
            crate::store::pos::insert_folder(&mut conn, &folder).unwrap()
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let handle = crate::worker::spawn(crate::context::Context::for_db(db.clone()), tx);
        handle
            .commands
            .send(crate::worker::Command::Pos(Command::TestConnection {
                folder_id: id,
                target: Target::Ftp,
            }))
            .unwrap();
        let mut started = false;
        let verdict = loop {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                Ok(Some(WorkerNotification::Pos(Notification::TestStarted { .. }))) => {
                    started = true
                }
                Ok(Some(WorkerNotification::Pos(Notification::Tested { test, .. }))) => break test,
                Ok(Some(_)) => {}
                other => panic!("no verdict: {other:?}"),
            }
        };
        assert!(started);
        assert_eq!(
            verdict.verdict.failure,
            Some(conntest::Failure::NotConfigured)
        );
        let conn = crate::store::open(&db).unwrap();
        assert_eq!(crate::store::pos::last_tests(&conn, id).unwrap().len(), 1);
        let _ = handle.commands.send(crate::worker::Command::Shutdown);
        let _ = handle.join.await;
    }
}
