//! Queries of the pos area: POS folders, their sync tables and processes, connection test results.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::pos::conntest::{ConnectionTest, Failure, Target, Verdict};
use crate::pos::{
    ConfirmMode, DbSettings, Direction, FtpAddress, FtpSettings, Password, PosFolder, Process,
    ProcessKind, SyncTable, SyncType, TillSettings,
};

/// A refusal from the store the caller can explain, or an SQL error.
#[derive(Debug, thiserror::Error)]
pub enum PosStoreError {
    #[error("POS folder {0} already exists")]
    FolderExists(String),
    #[error("table {table} is already synchronised {direction} in folder {folder}")]
    TableExists {
        folder: String,
        table: String,
        direction: Direction,
    },
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

fn bad_column(index: usize, e: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
}

fn parsed<T: std::str::FromStr<Err = String>>(r: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = r.get(index)?;
    text.parse().map_err(|e| bad_column(index, e))
}

// ---- folders ----

const FOLDER_COLUMNS: &str = "id, code, administrator, db_kind, db_host, db_port, db_name, db_user, \
     db_password, ftp_mode, ftp_share, ftp_address, ftp_user, ftp_password, ws_url, sync_wait_ms, created_at";

fn folder_from_row(r: &Row<'_>) -> rusqlite::Result<PosFolder> {
    let address: String = r.get(11)?;
    let address = match address.as_str() {
        "" => None,
        a => Some(FtpAddress::parse(a).map_err(|e| bad_column(11, e))?),
    };
    let port: Option<i64> = r.get(5)?;
    let wait: i64 = r.get(15)?;
    Ok(PosFolder {
        id: r.get(0)?,
        code: r.get(1)?,
        administrator: r.get(2)?,
        db: DbSettings {
            kind: parsed(r, 3)?,
            host: r.get(4)?,
            port: port.and_then(|p| u16::try_from(p).ok()),
            name: r.get(6)?,
            user: r.get(7)?,
            password: Password::new(r.get::<_, Option<String>>(8)?.unwrap_or_default()),
        },
        ftp: FtpSettings {
            mode: parsed(r, 9)?,
            share: r.get(10)?,
            address,
            user: r.get(12)?,
            password: Password::new(r.get::<_, Option<String>>(13)?.unwrap_or_default()),
        },
        till: TillSettings {
            ws_url: r.get(14)?,
            sync_wait_ms: u64::try_from(wait).unwrap_or_default(),
        },
        created_at: r.get(16)?,
    })
}

/// Every folder, by code.
pub fn list_folders(conn: &Connection) -> rusqlite::Result<Vec<PosFolder>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {FOLDER_COLUMNS} FROM pos_folders ORDER BY code"
    ))?;
    stmt.query_map([], folder_from_row)?.collect()
}

pub fn folder_by_code(conn: &Connection, code: &str) -> rusqlite::Result<Option<PosFolder>> {
    conn.query_row(
        &format!("SELECT {FOLDER_COLUMNS} FROM pos_folders WHERE code = ?1"),
        [code],
        folder_from_row,
    )
    .optional()
}

pub fn folder_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<PosFolder>> {
    conn.query_row(
        &format!("SELECT {FOLDER_COLUMNS} FROM pos_folders WHERE id = ?1"),
        [id],
        folder_from_row,
    )
    .optional()
}

/// Inserts a folder and its three processes in one transaction; returns its id.
pub fn insert_folder(conn: &mut Connection, f: &PosFolder) -> Result<i64, PosStoreError> {
    let tx = conn.transaction()?;
    let id = insert_folder_in(&tx, f)?;
    tx.commit()?;
    Ok(id)
}

/// Inserts a folder and its processes inside the caller's transaction (demo data, imports).
pub fn insert_folder_in(conn: &Connection, f: &PosFolder) -> Result<i64, PosStoreError> {
    if folder_by_code(conn, &f.code)?.is_some() {
        return Err(PosStoreError::FolderExists(f.code.clone()));
    }
    conn.execute(
        "INSERT INTO pos_folders (code, administrator, db_kind, db_host, db_port, db_name, db_user,
             db_password, ftp_mode, ftp_share, ftp_address, ftp_user, ftp_password, ws_url,
             sync_wait_ms, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            f.code,
            f.administrator,
            f.db.kind.as_str(),
            f.db.host,
            f.db.port,
            f.db.name,
            f.db.user,
            f.db.password.to_column(),
            f.ftp.mode.as_str(),
            f.ftp.share,
            address_column(f),
            f.ftp.user,
            f.ftp.password.to_column(),
            f.till.ws_url,
            wait_column(f),
            crate::store::now(),
        ],
    )?;
    let id = conn.last_insert_rowid();
    for kind in ProcessKind::ALL {
        let confirm =
            (kind == ProcessKind::ImportUpdatecaisse).then_some(ConfirmMode::Always.as_str());
        conn.execute(
            "INSERT INTO sync_processes (folder_id, kind, schedule_secs, enabled, confirm_mode)
             VALUES (?1, ?2, ?3, 1, ?4)",
            params![id, kind.as_str(), kind.default_schedule_secs(), confirm],
        )?;
    }
    Ok(id)
}

fn address_column(f: &PosFolder) -> String {
    f.ftp
        .address
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn wait_column(f: &PosFolder) -> i64 {
    i64::try_from(f.till.sync_wait_ms).unwrap_or(i64::MAX)
}

/// Saves every setting of the folder `f.id` (its code included); false when it does not exist.
/// A new code moves everything kept under the old one with it, in the same transaction: a till's
/// queue, set-aside items, customer requests, batches applied, updates installed, blocks (they
/// are kept by the folder's code; renamed alone, the folder left its unsent tickets behind).
pub fn update_folder(conn: &Connection, f: &PosFolder) -> Result<bool, PosStoreError> {
    if let Some(other) = folder_by_code(conn, &f.code)?
        && other.id != f.id
    {
        return Err(PosStoreError::FolderExists(f.code.clone()));
    }
    let old_code: Option<String> = conn
        .query_row("SELECT code FROM pos_folders WHERE id = ?1", [f.id], |r| {
            r.get(0)
        })
        .optional()?;
    conn.execute_batch("SAVEPOINT folder_update")?;
    let saved = save_folder(conn, f, old_code.as_deref());
    match &saved {
        Ok(_) => conn.execute_batch("RELEASE folder_update")?,
        Err(_) => conn.execute_batch("ROLLBACK TO folder_update; RELEASE folder_update")?,
    }
    saved
}

fn save_folder(
    conn: &Connection,
    f: &PosFolder,
    old_code: Option<&str>,
) -> Result<bool, PosStoreError> {
    if let Some(old) = old_code.filter(|old| *old != f.code) {
        let tables: Vec<String> = conn
            .prepare(
                "SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND p.name = 'folder' AND m.name <> 'pos_folders'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for table in tables {
            conn.execute(
                &format!("UPDATE \"{table}\" SET folder = ?2 WHERE folder = ?1"),
                params![old, f.code],
            )?;
        }
    }
    let n = conn.execute(
        "UPDATE pos_folders SET code = ?2, administrator = ?3, db_kind = ?4, db_host = ?5,
             db_port = ?6, db_name = ?7, db_user = ?8, db_password = ?9, ftp_mode = ?10,
             ftp_share = ?11, ftp_address = ?12, ftp_user = ?13, ftp_password = ?14,
             ws_url = ?15, sync_wait_ms = ?16
         WHERE id = ?1",
        params![
            f.id,
            f.code,
            f.administrator,
            f.db.kind.as_str(),
            f.db.host,
            f.db.port,
            f.db.name,
            f.db.user,
            f.db.password.to_column(),
            f.ftp.mode.as_str(),
            f.ftp.share,
            address_column(f),
            f.ftp.user,
            f.ftp.password.to_column(),
            f.till.ws_url,
            wait_column(f),
        ],
    )?;
    Ok(n == 1)
}

/// Deletes a folder with its tables, processes and test results; false when it did not exist.
/// Its run log goes first, 500 runs per transaction (a run a minute per process makes some
/// 130,000 in the 30 days kept): the cascade deleted them all in the folder's transaction.
pub fn delete_folder(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    super::batch::until_done(
        conn,
        "DELETE FROM sync_runs WHERE id IN
           (SELECT id FROM sync_runs WHERE folder_id = ?1 LIMIT 500)",
        [id],
        500,
    )?;
    Ok(conn.execute("DELETE FROM pos_folders WHERE id = ?1", [id])? == 1)
}

// ---- connection tests ----

fn test_from_row(r: &Row<'_>) -> rusqlite::Result<ConnectionTest> {
    let failure: Option<String> = r.get(4)?;
    let failure = match failure {
        None => None,
        Some(f) => Some(f.parse::<Failure>().map_err(|e| bad_column(4, e))?),
    };
    let elapsed: Option<i64> = r.get(7)?;
    Ok(ConnectionTest {
        id: r.get(0)?,
        folder_id: r.get(1)?,
        verdict: Verdict {
            target: parsed::<Target>(r, 2)?,
            ok: r.get(3)?,
            failure,
            message: r.get(5)?,
            detail: r.get(6)?,
            elapsed_ms: elapsed
                .and_then(|e| u64::try_from(e).ok())
                .unwrap_or_default(),
        },
        tested_at: r.get(8)?,
    })
}

const TEST_COLUMNS: &str =
    "id, folder_id, target, ok, failure, verdict, detail, elapsed_ms, tested_at";

/// Keeps a verdict with its time; returns the row id.
pub fn record_test(
    conn: &Connection,
    folder_id: i64,
    v: &Verdict,
    tested_at: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO connection_tests (folder_id, target, ok, failure, verdict, detail, elapsed_ms, tested_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            folder_id,
            v.target.as_str(),
            v.ok,
            v.failure.map(|f| f.as_str()),
            v.message,
            v.detail,
            i64::try_from(v.elapsed_ms).unwrap_or(i64::MAX),
            tested_at,
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The last known state of each connection of a folder (db, ftp, ws order; untested ones absent).
pub fn last_tests(conn: &Connection, folder_id: i64) -> rusqlite::Result<Vec<ConnectionTest>> {
    let mut out = Vec::new();
    for target in Target::ALL {
        let last = conn
            .query_row(
                &format!(
                    "SELECT {TEST_COLUMNS} FROM connection_tests WHERE folder_id = ?1 AND target = ?2
                     ORDER BY tested_at DESC, id DESC LIMIT 1"
                ),
                params![folder_id, target.as_str()],
                test_from_row,
            )
            .optional()?;
        out.extend(last);
    }
    Ok(out)
}

/// The most recent tests of a folder, newest first (all of them without a limit).
pub fn test_history(
    conn: &Connection,
    folder_id: i64,
    limit: Option<u32>,
) -> rusqlite::Result<Vec<ConnectionTest>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {TEST_COLUMNS} FROM connection_tests WHERE folder_id = ?1
         ORDER BY tested_at DESC, id DESC LIMIT ?2"
    ))?;
    let limit = limit.map_or(-1, i64::from);
    stmt.query_map(params![folder_id, limit], test_from_row)?
        .collect()
}

// ---- sync tables ----

fn table_from_row(r: &Row<'_>) -> rusqlite::Result<SyncTable> {
    let direction: String = r.get(4)?;
    let direction = Direction::ALL
        .into_iter()
        .find(|d| d.as_str() == direction)
        .ok_or_else(|| bad_column(4, format!("unknown direction {direction:?}")))?;
    Ok(SyncTable {
        id: r.get(0)?,
        folder_id: r.get(1)?,
        table_name: r.get(2)?,
        sync_type: parsed::<SyncType>(r, 3)?,
        direction,
        exists_on_server: r.get(5)?,
        checked_at: r.get(6)?,
    })
}

/// A folder's sync tables, by direction then name.
pub fn tables(conn: &Connection, folder_id: i64) -> rusqlite::Result<Vec<SyncTable>> {
    let mut stmt = conn.prepare(
        "SELECT id, folder_id, table_name, sync_type, direction, on_server, checked_at
         FROM sync_tables WHERE folder_id = ?1 ORDER BY direction, table_name",
    )?;
    stmt.query_map([folder_id], table_from_row)?.collect()
}

/// A folder's sync tables going one way (what an export or an import reads).
pub fn tables_in_direction(
    conn: &Connection,
    folder_id: i64,
    direction: Direction,
) -> rusqlite::Result<Vec<SyncTable>> {
    Ok(tables(conn, folder_id)?
        .into_iter()
        .filter(|t| t.direction == direction)
        .collect())
}

/// Adds a sync table; the same table twice in the same direction is refused.
pub fn add_table(
    conn: &Connection,
    folder: &PosFolder,
    table_name: &str,
    sync_type: SyncType,
    direction: Direction,
) -> Result<i64, PosStoreError> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sync_tables WHERE folder_id = ?1 AND table_name = ?2 AND direction = ?3)",
        params![folder.id, table_name, direction.as_str()],
        |r| r.get(0),
    )?;
    if exists {
        return Err(PosStoreError::TableExists {
            folder: folder.code.clone(),
            table: table_name.to_string(),
            direction,
        });
    }
    conn.execute(
        "INSERT INTO sync_tables (folder_id, table_name, sync_type, direction) VALUES (?1, ?2, ?3, ?4)",
        params![folder.id, table_name, sync_type.as_str(), direction.as_str()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records which of a folder's tables the DB server has (`server_tables`: its table names).
pub fn record_table_check(
    conn: &Connection,
    folder_id: i64,
    server_tables: &[String],
    at: &str,
) -> rusqlite::Result<()> {
    let known: std::collections::HashSet<String> = server_tables
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    for t in tables(conn, folder_id)? {
        let found = known.contains(&t.table_name.to_ascii_lowercase());
        conn.execute(
            "UPDATE sync_tables SET on_server = ?2, checked_at = ?3 WHERE id = ?1",
            params![t.id, found, at],
        )?;
    }
    Ok(())
}

/// The tables the last checks found missing on their folder's DB server, with the folder code.
pub fn missing_tables(conn: &Connection) -> rusqlite::Result<Vec<(String, SyncTable)>> {
    let mut stmt = conn.prepare(
        "SELECT t.id, t.folder_id, t.table_name, t.sync_type, t.direction, t.on_server, t.checked_at, f.code
         FROM sync_tables t JOIN pos_folders f ON f.id = t.folder_id
         WHERE t.on_server = 0 ORDER BY f.code, t.table_name",
    )?;
    stmt.query_map([], |r| Ok((r.get(7)?, table_from_row(r)?)))?
        .collect()
}

pub fn table_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<SyncTable>> {
    conn.query_row(
        "SELECT id, folder_id, table_name, sync_type, direction, on_server, checked_at
         FROM sync_tables WHERE id = ?1",
        [id],
        table_from_row,
    )
    .optional()
}

/// Switches a table between full and incremental.
pub fn set_table_type(conn: &Connection, id: i64, sync_type: SyncType) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE sync_tables SET sync_type = ?2 WHERE id = ?1",
        params![id, sync_type.as_str()],
    )? == 1)
}

/// Removes a sync table in one direction; false when there was none.
pub fn remove_table(
    conn: &Connection,
    folder_id: i64,
    table_name: &str,
    direction: Direction,
) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "DELETE FROM sync_tables WHERE folder_id = ?1 AND table_name = ?2 AND direction = ?3",
        params![folder_id, table_name, direction.as_str()],
    )?;
    Ok(n > 0)
}

// ---- processes ----

fn process_from_row(r: &Row<'_>) -> rusqlite::Result<Process> {
    let confirm: Option<String> = r.get(5)?;
    let confirm_mode = match confirm {
        None => None,
        Some(c) => Some(c.parse::<ConfirmMode>().map_err(|e| bad_column(5, e))?),
    };
    let schedule: i64 = r.get(3)?;
    Ok(Process {
        id: r.get(0)?,
        folder_id: r.get(1)?,
        kind: parsed::<ProcessKind>(r, 2)?,
        schedule_secs: u32::try_from(schedule).unwrap_or(u32::MAX),
        enabled: r.get(4)?,
        confirm_mode,
        last_run_at: r.get(6)?,
        last_outcome: r.get(7)?,
        last_message: r.get(8)?,
    })
}

const PROCESS_COLUMNS: &str = "id, folder_id, kind, schedule_secs, enabled, confirm_mode, last_run_at, last_outcome, last_message";

/// A folder's processes in their fixed order (export, import, update).
pub fn processes(conn: &Connection, folder_id: i64) -> rusqlite::Result<Vec<Process>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PROCESS_COLUMNS} FROM sync_processes WHERE folder_id = ?1"
    ))?;
    let mut all: Vec<Process> = stmt
        .query_map([folder_id], process_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    all.sort_by_key(|p| ProcessKind::ALL.iter().position(|k| *k == p.kind));
    Ok(all)
}

pub fn process(
    conn: &Connection,
    folder_id: i64,
    kind: ProcessKind,
) -> rusqlite::Result<Option<Process>> {
    conn.query_row(
        &format!("SELECT {PROCESS_COLUMNS} FROM sync_processes WHERE folder_id = ?1 AND kind = ?2"),
        params![folder_id, kind.as_str()],
        process_from_row,
    )
    .optional()
}

/// Saves a process's schedule, switch and confirmation mode.
pub fn update_process(conn: &Connection, p: &Process) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE sync_processes SET schedule_secs = ?2, enabled = ?3, confirm_mode = ?4 WHERE id = ?1",
        params![
            p.id,
            p.schedule_secs,
            p.enabled,
            p.confirm_mode.map(|c| c.as_str())
        ],
    )?;
    Ok(n == 1)
}

/// Records the result of a process run (`outcome`: `ok` or `error`).
pub fn record_process_result(
    conn: &Connection,
    folder_id: i64,
    kind: ProcessKind,
    at: &str,
    outcome: &str,
    message: &str,
) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE sync_processes SET last_run_at = ?3, last_outcome = ?4, last_message = ?5
         WHERE folder_id = ?1 AND kind = ?2",
        params![folder_id, kind.as_str(), at, outcome, message],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pos::FolderForm;
    use crate::pos::field::Field;

    fn folder(code: &str) -> PosFolder {
        let mut f = FolderForm::new(code);
        f.set(Field::DbHost, "db.example");
        f.set(Field::DbPassword, "db-secret-1");
        f.set(
            Field::FtpAddress,
            "ftps://files.example:2121{}store12/outbox",
        );
        f.set(Field::FtpPassword, "ftp-secret-1");
        f.to_folder().unwrap()
    }

    #[test]
    fn a_folder_round_trips_with_its_processes() {
        let mut conn = crate::store::open_in_memory().unwrap();
        let id = insert_folder(&mut conn, &folder("STORE12")).unwrap();
        let back = folder_by_code(&conn, "STORE12").unwrap().unwrap();
        assert_eq!(back.id, id);
        assert_eq!(back.db.password.expose(), "db-secret-1");
        assert_eq!(back.ftp.address, folder("X").ftp.address);
        let procs = processes(&conn, id).unwrap();
        assert_eq!(procs.len(), 3);
        assert_eq!(procs[2].confirm_mode, Some(ConfirmMode::Always));
        assert!(matches!(
            insert_folder(&mut conn, &folder("STORE12")),
            Err(PosStoreError::FolderExists(_))
        ));
        assert!(delete_folder(&conn, id).unwrap());
        assert!(processes(&conn, id).unwrap().is_empty());
    }

    #[test]
    fn a_table_both_ways_is_two_rows_but_not_twice_one_way() {
        let mut conn = crate::store::open_in_memory().unwrap();
        insert_folder(&mut conn, &folder("S1")).unwrap();
        let f = folder_by_code(&conn, "S1").unwrap().unwrap();
        add_table(
            &conn,
            &f,
            "CLI",
            SyncType::Incremental,
            Direction::ServerToTill,
        )
        .unwrap();
        add_table(
            &conn,
            &f,
            "CLI",
            SyncType::Incremental,
            Direction::TillToServer,
        )
        .unwrap();
        let again = add_table(&conn, &f, "cli", SyncType::Full, Direction::ServerToTill);
        assert!(matches!(again, Err(PosStoreError::TableExists { .. })));
        assert_eq!(tables(&conn, f.id).unwrap().len(), 2);
        assert!(remove_table(&conn, f.id, "CLI", Direction::TillToServer).unwrap());
        assert_eq!(
            tables_in_direction(&conn, f.id, Direction::ServerToTill)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn the_last_test_of_each_target_is_kept() {
        let mut conn = crate::store::open_in_memory().unwrap();
        let id = insert_folder(&mut conn, &folder("S1")).unwrap();
        let bad = Verdict::failed(Target::Db, Failure::Refused, "refused");
        let good = Verdict::ok(Target::Db, "logged in", Some("PostgreSQL 15".into()));
        record_test(&conn, id, &bad, "2026-01-01T00:00:00.000Z").unwrap();
        record_test(&conn, id, &good, "2026-01-01T00:01:00.000Z").unwrap();
        let last = last_tests(&conn, id).unwrap();
        assert_eq!(last.len(), 1);
        assert!(last[0].verdict.ok);
        assert_eq!(test_history(&conn, id, Some(10)).unwrap().len(), 2);
        assert_eq!(test_history(&conn, id, Some(1)).unwrap().len(), 1);
        assert_eq!(test_history(&conn, id, None).unwrap().len(), 2);
    }
}
