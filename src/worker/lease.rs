//! The worker lease: one row in SQLite with a holder and an expiry, so one worker runs per database.

use std::path::Path;
use std::time::Duration;

use rusqlite::{OptionalExtension, params};

pub enum Outcome {
    Held,
    HeldBy(String),
}

/// Takes or renews the lease for `holder`, unless another live holder has it.
pub fn acquire(db: &Path, holder: &str, ttl: Duration) -> anyhow::Result<Outcome> {
    let mut conn = crate::store::open(db)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now = chrono::Utc::now();
    let current: Option<(String, String)> = tx
        .query_row(
            "SELECT holder, expires_at FROM worker_lease WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((other, expires)) = &current {
        let live = chrono::DateTime::parse_from_rfc3339(expires)
            .map(|t| t.with_timezone(&chrono::Utc) > now)
            .unwrap_or(false);
        if other != holder && live && !holder_is_dead(other) {
            return Ok(Outcome::HeldBy(other.clone()));
        }
    }
    let expires = crate::store::to_text(now + chrono::Duration::from_std(ttl)?);
    tx.execute(
        "INSERT INTO worker_lease (id, holder, expires_at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
        params![holder, expires],
    )?;
    tx.commit()?;
    Ok(Outcome::Held)
}

/// True when `holder` (`host:pid`) is a process of this host that no longer runs: its lease and
/// its jobs can be taken over at once instead of waiting for them to expire. A holder on
/// another host is never judged dead here (only its lease's expiry tells).
pub fn holder_is_dead(holder: &str) -> bool {
    let Some((host, pid)) = holder.rsplit_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    host == gethostname::gethostname().to_string_lossy()
        && pid != std::process::id()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Gives the lease up if `holder` has it.
pub fn release(db: &Path, holder: &str) -> anyhow::Result<()> {
    let conn = crate::store::open(db)?;
    conn.execute("DELETE FROM worker_lease WHERE holder = ?1", [holder])?;
    Ok(())
}

/// Who holds a live lease, if anyone (the header shows it).
pub fn holder(conn: &rusqlite::Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT holder FROM worker_lease WHERE id = 1 AND expires_at > ?1",
        [crate::store::now()],
        |r| r.get(0),
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gone_process_of_this_host_is_dead_and_others_are_not_judged() {
        let host = gethostname::gethostname().to_string_lossy().to_string();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(holder_is_dead(&format!("{host}:{pid}")));
        assert!(!holder_is_dead(&format!("{host}:{}", std::process::id())));
        assert!(!holder_is_dead(&format!("{host}:1")));
        assert!(!holder_is_dead(&format!("another-host-{host}:{pid}")));
        assert!(!holder_is_dead("garbage"));
    }

    #[test]
    fn the_lease_of_a_dead_process_on_this_host_is_taken_over_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("b.db");
        let host = gethostname::gethostname().to_string_lossy().to_string();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = format!("{host}:{}", child.id());
        child.wait().unwrap();
        assert!(matches!(
            acquire(&db, &dead, Duration::from_secs(15)).unwrap(),
            Outcome::Held
        ));
        assert!(matches!(
            acquire(&db, "me:2", Duration::from_secs(15)).unwrap(),
            Outcome::Held
        ));
    }

    #[test]
    fn a_live_lease_is_refused_to_another_holder_and_an_expired_one_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("b.db");
        assert!(matches!(
            acquire(&db, "a:1", Duration::from_secs(30)).unwrap(),
            Outcome::Held
        ));
        match acquire(&db, "b:2", Duration::from_secs(30)).unwrap() {
            Outcome::HeldBy(h) => assert_eq!(h, "a:1"),
            Outcome::Held => panic!("two holders"),
        }
        assert!(matches!(
            acquire(&db, "a:1", Duration::from_millis(1)).unwrap(),
            Outcome::Held
        ));
        std::thread::sleep(Duration::from_millis(20));
        assert!(matches!(
            acquire(&db, "b:2", Duration::from_secs(30)).unwrap(),
            Outcome::Held
        ));
    }
}
