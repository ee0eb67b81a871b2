//! The SQLite store: opening, pragmas, file mode and versioned migrations.
//!
//! Each area keeps its schema in `schema/<area>.sql` and its queries in `store/<area>.rs`.

pub mod audit;
pub mod batch;
pub mod collation;
pub mod contacts;
pub mod counts;
pub mod jobs;
pub mod operators;
pub mod pos;
pub mod printers;
pub mod printing;
pub mod search_index;
pub mod settings;
pub mod sync;
pub mod views;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

/// Migrations in order; the database's `user_version` is the number applied.
pub const MIGRATIONS: &[&str] = &[
    include_str!("schema/core.sql"),
    concat!(
        include_str!("schema/printing.sql"),
        include_str!("schema/contacts.sql"),
        include_str!("schema/pos.sql"),
        include_str!("schema/sync.sql"),
    ),
    include_str!("schema/support.sql"),
    include_str!("schema/sync_trust.sql"),
    include_str!("schema/print_fonts.sql"),
    include_str!("schema/office.sql"),
    include_str!("schema/print_truth.sql"),
    include_str!("schema/scale.sql"),
    include_str!("schema/gate.sql"),
    include_str!("schema/print_speed.sql"),
    include_str!("schema/contacts_keys.sql"),
    include_str!("schema/search_merging.sql"),
    include_str!("schema/till_set_aside.sql"),
    include_str!("schema/purge_indexes.sql"),
    include_str!("schema/sync_runs_retention.sql"),
    include_str!("schema/till_tickets_sent.sql"),
    include_str!("schema/events_idempotency.sql"),
    include_str!("schema/search_rowids.sql"),
    include_str!("schema/contacts_email_key.sql"),
    include_str!("schema/names_text_keys.sql"),
    include_str!("schema/contacts_state_check.sql"),
];

/// The schema version a fully migrated database has.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("cannot create {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this backroom ({supported}); upgrade backroom"
    )]
    TooNew {
        path: String,
        found: usize,
        supported: usize,
    },
    #[error(
        "database {path} does not exist (check --db / BACKROOM_DB; read-only mode creates nothing)"
    )]
    Missing { path: String },
    #[error(
        "database {path} has schema version {found}, this backroom needs {supported}; open it once without --read-only to migrate it"
    )]
    NeedsMigration {
        path: String,
        found: usize,
        supported: usize,
    },
    #[error("migration to version {version} failed: {source}")]
    Migration {
        version: usize,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

/// Opens (creating if needed, mode 0600) and migrates the database at `path`.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    open_at_version(path, SCHEMA_VERSION)
}

/// Opens the database and migrates it up to `target` (tests use this to build older databases).
pub fn open_at_version(path: &Path, target: usize) -> Result<Connection, StoreError> {
    create_private(path)?;
    let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    configure(&mut conn)?;
    migrate(&conn, target).map_err(|e| match e {
        StoreError::TooNew {
            found, supported, ..
        } => StoreError::TooNew {
            path: path.display().to_string(),
            found,
            supported,
        },
        other => other,
    })?;
    Ok(conn)
}

/// Opens the database and migrates it up to just before the migration whose file begins with
/// `-- NAME:` (tests build the store an older backroom left this way). Panics when there is no
/// such migration: a test names one that does not exist.
pub fn open_before(path: &Path, name: &str) -> Result<Connection, StoreError> {
    let first_line = format!("-- {name}:");
    let version = MIGRATIONS
        .iter()
        .position(|m| m.starts_with(&first_line))
        .unwrap_or_else(|| panic!("no migration {name}"));
    open_at_version(path, version)
}

/// Opens an existing, fully migrated database for reading only (`--read-only`): nothing is
/// created, migrated or written (`PRAGMA query_only`).
pub fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    use rusqlite::OpenFlags;
    if !path.is_file() {
        return Err(StoreError::Missing {
            path: path.display().to_string(),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    conn.busy_handler(Some(wait_for_lock))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "query_only", "ON")?;
    collation::register(&conn)?;
    let found = version(&conn)?;
    if found != SCHEMA_VERSION {
        return Err(StoreError::NeedsMigration {
            path: path.display().to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(conn)
}

/// The detail lines of `EXPLAIN QUERY PLAN` for `sql`: how SQLite would run it (tests).
#[cfg(test)]
pub(crate) fn query_plan(conn: &Connection, sql: &str) -> Vec<String> {
    conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// An in-memory, fully migrated database (tests and benchmarks).
pub fn open_in_memory() -> Result<Connection, StoreError> {
    let mut conn = Connection::open_in_memory()?;
    configure(&mut conn)?;
    migrate(&conn, SCHEMA_VERSION)?;
    Ok(conn)
}

/// Every write transaction takes the write lock when it begins (`BEGIN IMMEDIATE`): one that read
/// first and upgraded later could fail with "database is locked" whatever the busy timeout.
fn configure(conn: &mut Connection) -> Result<(), StoreError> {
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    collation::register(conn)?;
    conn.busy_handler(Some(wait_for_lock))?;
    wal_mode(conn)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// How long a statement waits for a lock another connection holds before "database is locked".
pub const BUSY_WAIT: Duration = Duration::from_secs(5);

/// Waits for a lock another connection holds (SQLite calls it with the number of earlier calls
/// for the same lock): a look every millisecond for the first 200 ms, then every 10 ms, up to
/// [`BUSY_WAIT`]. SQLite's own handler sleeps longer and longer (1, 2, 5 … 100 ms) between looks:
/// a writer behind a purge, which gives the lock back for a few milliseconds between batches,
/// slept through those gaps and waited 104 ms behind batches that each held it for 20.
fn wait_for_lock(count: i32) -> bool {
    wait_up_to(count, BUSY_WAIT)
}

/// How long recording a sale waits for the lock: a till applying a large batch holds it for the
/// whole batch (a full catalogue of a million articles: about 7 s), and a sale is not refused for
/// a sync. (It was refused after [`BUSY_WAIT`] with "database is locked".)
pub const SALE_WAIT: Duration = Duration::from_secs(60);

/// Makes `conn` wait up to [`SALE_WAIT`] for a lock (the connection that records a sale).
pub fn wait_as_a_sale(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_handler(Some(|count| wait_up_to(count, SALE_WAIT)))
}

/// One look of [`wait_for_lock`]: pauses and says whether to look again, up to `limit` in all.
fn wait_up_to(count: i32, limit: Duration) -> bool {
    let count = u64::try_from(count).unwrap_or(0);
    let (waited_ms, pause_ms) = if count < 200 {
        (count, 1)
    } else {
        (200 + (count - 200) * 10, 10)
    };
    if waited_ms >= limit.as_millis() as u64 {
        return false;
    }
    std::thread::sleep(Duration::from_millis(pause_ms));
    true
}

/// Switches the file to WAL (a no-op once it is). Two connections opening a new file at the same
/// moment (`serve` and its worker) race for that switch, and SQLite answers the loser "database is
/// locked" at once, without its busy handler: it waits here as the busy timeout would.
fn wal_mode(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    loop {
        match conn.pragma_update(Some("main"), "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

/// The store in rollback-journal mode for one large load, while no other connection has it open
/// (see [`RollbackJournal::when_alone`]); back to WAL when dropped.
pub struct RollbackJournal<'c> {
    conn: &'c Connection,
}

impl<'c> RollbackJournal<'c> {
    /// Switches `conn`'s store from WAL to a rollback journal if no other connection has it open
    /// (SQLite refuses the switch at once otherwise, and the load stays in WAL). In WAL a large
    /// transaction writes every page twice, into the WAL at commit and into the store at the
    /// checkpoint; with a rollback journal pages the load adds are written once, and only the
    /// pages it changes are copied into the journal first. 100,000 contacts: about 55 ms less
    /// of 330. Commits sync fully meanwhile (`synchronous = FULL`, as SQLite advises for this
    /// mode). A process that opens the store meanwhile waits in its switch to WAL (`wal_mode`)
    /// until the load is over; a crash leaves a hot journal, which the next connection rolls
    /// back before it switches to WAL.
    pub fn when_alone(conn: &'c Connection) -> Option<RollbackJournal<'c>> {
        let mode: String = conn
            .pragma_update_and_check(Some("main"), "journal_mode", "DELETE", |r| r.get(0))
            .ok()?;
        if !mode.eq_ignore_ascii_case("delete") {
            return None;
        }
        let guard = RollbackJournal { conn };
        conn.pragma_update(None, "synchronous", "FULL").ok()?;
        Some(guard)
    }
}

impl Drop for RollbackJournal<'_> {
    fn drop(&mut self) {
        if let Err(e) = wal_mode(self.conn) {
            // Every connection switches to WAL as it opens: the next one will.
            tracing::warn!(error = %e, "the store stays in rollback-journal mode until it is opened again");
        }
        let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
    }
}

/// The schema version recorded in the database.
pub fn version(conn: &Connection) -> Result<usize, StoreError> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(usize::try_from(v).unwrap_or(0))
}

fn migrate(conn: &Connection, target: usize) -> Result<(), StoreError> {
    let current = version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: String::new(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    // Foreign keys are off while migrating (SQLite's table-rebuild procedure: a dropped table
    // must not cascade), checked before each commit, and on again afterwards.
    if current < target {
        conn.pragma_update(None, "foreign_keys", "OFF")?;
    }
    let result = apply_migrations(conn, current, target);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    result
}

fn apply_migrations(conn: &Connection, current: usize, target: usize) -> Result<(), StoreError> {
    for (index, sql) in MIGRATIONS.iter().enumerate().take(target).skip(current) {
        let version = index + 1;
        // Another process may migrate the same file at the same moment: the version is read
        // again under the write lock, and a step someone else applied meanwhile is skipped.
        let apply = || -> rusqlite::Result<bool> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let now: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if now >= version as i64 {
                conn.execute_batch("COMMIT")?;
                return Ok(false);
            }
            conn.execute_batch(sql)?;
            let broken: Option<String> = conn
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .optional()?;
            if let Some(table) = broken {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                    Some(format!("a row of {table} refers to a row that is gone")),
                ));
            }
            conn.pragma_update(None, "user_version", version as i64)?;
            conn.execute_batch("COMMIT")?;
            Ok(true)
        };
        match apply() {
            Ok(true) => tracing::info!(version, "database migrated"),
            Ok(false) => {}
            Err(source) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(StoreError::Migration { version, source });
            }
        }
    }
    Ok(())
}

fn create_private(path: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Create {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        use std::os::unix::fs::DirBuilderExt;
        // Missing folders are created owner-only; an existing one is left as it is.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err)?;
    }
    if !path.exists() {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(err)?;
    }
    Ok(())
}

/// Current time as the RFC 3339 UTC text every table stores.
pub fn now() -> String {
    to_text(chrono::Utc::now())
}

/// Formats a time the way every table stores it (sortable as text).
pub fn to_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
