//! Store checks: integrity, a writer holding the lock, file modes and free disk space; and the
//! contacts whose addresses differ only by Unicode case.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use super::{Area, Finding, Severity, Subject, blocking};

/// How long the doctor waits for the write lock before it reports a writer holding it.
pub const BUSY_WAIT: Duration = Duration::from_secs(5);

/// Free space under which the data folder's filesystem is reported.
const LOW_PERCENT: f64 = 5.0;
const LOW_BYTES: u64 = 1024 * 1024 * 1024;

pub async fn check(subject: &Subject) -> Vec<Finding> {
    let mut out = Vec::new();
    let db = subject.db_path.clone();
    if let Some(f) = blocking(move || integrity(&db)).await {
        out.push(f);
    }
    let db = subject.db_path.clone();
    if let Some(f) = blocking(move || busy(&db)).await {
        out.push(f);
    }
    out.push(permissions(subject));
    out.push(disk(&subject.data_dir()));
    out
}

fn integrity(db: &Path) -> Finding {
    let conn = match crate::store::open_read_only(db) {
        Ok(c) => c,
        Err(e) => {
            return Finding::new(
                "database_corrupt",
                Severity::Problem,
                Area::Store,
                "the database cannot be opened",
                e.to_string(),
                "check the path (--db / BACKROOM_DB) and the file; restore the last backup if it is damaged",
            );
        }
    };
    let result: rusqlite::Result<Vec<String>> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect());
    match result {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => {
            Finding::ok("database_corrupt", Area::Store, "PRAGMA quick_check: ok")
        }
        Ok(lines) => corrupt(db, &lines.join("; ")),
        Err(e) => corrupt(db, &e.to_string()),
    }
}

/// Contacts whose addresses differ only by Unicode case (`JÜRGEN@x.de`, `jürgen@x.de`), from a
/// store that held them before the e-mail key ([`crate::store::contacts::unicode_case_duplicates`]):
/// a lookup by address finds only the first. The evidence names the contacts by id, not by
/// address: the doctor's report goes into support bundles, which hold personal data only when
/// asked to (`--include-personal`).
pub(super) fn duplicate_emails(subject: &Subject) -> Finding {
    const CODE: &str = "contacts_duplicate_email";
    let conn = match super::open_read(subject, Area::Contacts) {
        Ok(conn) => conn,
        Err(f) => return *f,
    };
    let pairs = match crate::store::contacts::unicode_case_duplicates(&conn) {
        Ok(pairs) => pairs,
        Err(e) => return Finding::ok(CODE, Area::Contacts, format!("not checked: {e}")),
    };
    if pairs.is_empty() {
        return Finding::ok(
            CODE,
            Area::Contacts,
            "every contact has its own address (compared by Unicode case)",
        );
    }
    let shown: Vec<String> = pairs
        .iter()
        .take(5)
        .map(|(a, b)| format!("#{a} and #{b}"))
        .collect();
    let more = match pairs.len() - shown.len() {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Finding::new(
        CODE,
        Severity::Warning,
        Area::Contacts,
        format!(
            "{} contact(s) share an address with another once case is folded: a lookup by address finds only the first",
            pairs.len()
        ),
        format!("contacts {}{more}", shown.join("; ")),
        "`backroom --json contacts list --all` gives each id's address: keep one contact of each pair and delete the other in the Contacts pane; the store refuses new pairs",
    )
}

fn corrupt(db: &Path, evidence: &str) -> Finding {
    let evidence: String = evidence.chars().take(400).collect();
    Finding::new(
        "database_corrupt",
        Severity::Problem,
        Area::Store,
        format!("the database {} is damaged", db.display()),
        format!("PRAGMA quick_check: {evidence}"),
        "stop backroom, copy the file aside, then restore the last backup (or `sqlite3 DB .recover`)",
    )
}

fn busy(db: &Path) -> Finding {
    let conn = match rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(_) => return Finding::ok("database_busy", Area::Store, "not checked: no database"),
    };
    if conn.busy_timeout(BUSY_WAIT).is_err() {
        return Finding::ok("database_busy", Area::Store, "not checked");
    }
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Ok(()) => Finding::ok("database_busy", Area::Store, "the write lock is free"),
        Err(rusqlite::Error::SqliteFailure(e, msg))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            Finding::new(
                "database_busy",
                Severity::Problem,
                Area::Store,
                "a writer holds the database's write lock",
                format!(
                    "the write lock stayed taken for the {:.1} s the doctor waited ({})",
                    BUSY_WAIT.as_secs_f64(),
                    msg.unwrap_or_else(|| e.to_string())
                ),
                format!(
                    "find the process holding {} (`fuser -v {}`): a stuck backroom or an open sqlite3 shell; end it",
                    db.display(),
                    db.display()
                ),
            )
        }
        Err(_) => Finding::ok("database_busy", Area::Store, "not checked"),
    }
}

/// Files that hold data or secrets must not be readable by others.
fn permissions(subject: &Subject) -> Finding {
    let mut open = Vec::new();
    let mut fixes = Vec::new();
    let mut look = |path: &Path, what: &str, allowed: u32| {
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & !allowed != 0 {
                open.push(format!(
                    "{what} {} is {mode:o} (at most {allowed:o})",
                    path.display()
                ));
                fixes.push(format!("chmod {allowed:o} {}", path.display()));
            }
        }
    };
    look(&subject.db_path, "database", 0o600);
    for suffix in ["-wal", "-shm"] {
        let mut p = subject.db_path.clone().into_os_string();
        p.push(suffix);
        look(Path::new(&p), "database journal", 0o600);
    }
    look(&subject.data_dir(), "data folder", 0o700);
    // The config may be group-readable by the service account's group, never by others.
    look(&subject.config_path, "config", 0o640);
    if let Some(dir) = subject.config_path.parent() {
        look(&dir.join("secrets.toml"), "secrets file", 0o600);
    }
    if open.is_empty() {
        return Finding::ok(
            "permissions_too_open",
            Area::Store,
            "the database, data folder and config are private",
        );
    }
    Finding::new(
        "permissions_too_open",
        Severity::Problem,
        Area::Store,
        "files with data or secrets can be read by other users",
        open.join("; "),
        fixes.join("; "),
    )
}

fn disk(dir: &Path) -> Finding {
    let stat = match nix::sys::statvfs::statvfs(dir) {
        Ok(s) => s,
        Err(e) => {
            return Finding::new(
                "disk_low",
                Severity::Warning,
                Area::Store,
                "the free space of the data folder cannot be read",
                format!("statvfs {}: {e}", dir.display()),
                "check that the data folder exists",
            );
        }
    };
    let frsize = stat.fragment_size() as u64;
    let free = stat.blocks_available() as u64 * frsize;
    let total = stat.blocks() as u64 * frsize;
    let percent = if total == 0 {
        100.0
    } else {
        free as f64 * 100.0 / total as f64
    };
    let evidence = format!(
        "{} free of {} ({percent:.1} %) on the filesystem of {}",
        human_bytes(free),
        human_bytes(total),
        dir.display()
    );
    if percent < LOW_PERCENT || free < LOW_BYTES {
        return Finding::new(
            "disk_low",
            Severity::Problem,
            Area::Store,
            "the data folder's disk is nearly full: writes (jobs, batches, the log) will fail",
            evidence,
            "free space on that filesystem (old backups, logs) or move the data folder to a larger one",
        );
    }
    Finding::ok("disk_low", Area::Store, evidence)
}

/// 1.5 GB, 320 MB, 12 kB.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
