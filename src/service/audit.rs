//! The audit log: every change and every refusal that passes the service, with who asked,
//! kept [`RETENTION_DAYS`] days and purged in small transactions.

use rusqlite::Connection;

use super::Identity;
use crate::store::audit::{self as store, Entry};

/// How long audit entries are kept.
pub const RETENTION_DAYS: i64 = 400;
/// Entries deleted per purge transaction (the store stays responsive while a backlog goes).
pub const PURGE_BATCH: usize = 500;

/// How a change or refusal ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Refused(String),
    Failed(String),
}

impl Outcome {
    pub fn text(&self) -> String {
        match self {
            Outcome::Ok => "ok".to_string(),
            Outcome::Refused(why) => format!("refused: {why}"),
            Outcome::Failed(why) => format!("failed: {why}"),
        }
    }
}

/// The entry for `who` doing `action` on `target`.
pub fn entry(who: &Identity, action: &str, target: &str, outcome: &Outcome) -> Entry {
    Entry {
        time: crate::store::now(),
        user: who.user.clone(),
        operator: who.operator.clone(),
        role: who.role.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        outcome: outcome.text(),
    }
}

/// Appends an entry; a failure to audit is logged (the change itself already happened).
pub fn record(conn: &Connection, who: &Identity, action: &str, target: &str, outcome: &Outcome) {
    if let Err(e) = store::append(conn, &entry(who, action, target, outcome)) {
        tracing::error!(error = %e, action, "writing the audit log");
    }
}

/// A change asked for in a TUI session: its action, its target, and how a refusal names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub action: String,
    pub target: String,
    pub description: String,
}

/// Where a front door that lives in the daemon (a TUI session) sends its audit entries: the
/// daemon writes them in order on its own connection, off the session's loop.
#[derive(Debug, Clone)]
pub struct Sink {
    who: Identity,
    tx: tokio::sync::mpsc::UnboundedSender<Entry>,
    /// The change the session is carrying out: (`pane.action`, target, how a refusal names it).
    intent: std::sync::Arc<std::sync::Mutex<Option<Intent>>>,
}

impl Sink {
    pub fn new(who: Identity, tx: tokio::sync::mpsc::UnboundedSender<Entry>) -> Sink {
        Sink {
            who,
            tx,
            intent: Default::default(),
        }
    }

    /// Who the entries name.
    pub fn who(&self) -> &Identity {
        &self.who
    }

    pub fn record(&self, action: &str, target: &str, outcome: &Outcome) {
        if self
            .tx
            .send(entry(&self.who, action, target, outcome))
            .is_err()
        {
            tracing::error!(action, "the daemon's audit writer stopped: not audited");
        }
    }

    /// The change now asked for (`None` for a read): what later work and refusals are named by.
    pub fn intend(&self, intent: Option<Intent>) {
        if let Ok(mut i) = self.intent.lock() {
            *i = intent;
        }
    }

    /// The change being carried out, if any: (action, target).
    pub fn intent(&self) -> Option<(String, String)> {
        self.intent
            .lock()
            .ok()
            .and_then(|i| i.as_ref().map(|i| (i.action.clone(), i.target.clone())))
    }

    /// A refusal of `description`: named by the intent when it is the intent's own check, else
    /// by the description.
    pub fn refused(&self, description: &str, why: &super::Refused) {
        let intent = self.intent.lock().ok().and_then(|i| i.clone());
        let (action, target) = match intent {
            Some(i) if i.description == description => (i.action, i.target),
            _ => (description.to_string(), String::new()),
        };
        self.record(&action, &target, &Outcome::Refused(why.to_string()));
    }
}

/// Purges entries older than the retention, batch after batch; returns how many went.
pub fn purge(conn: &Connection) -> rusqlite::Result<usize> {
    let before = crate::store::to_text(chrono::Utc::now() - chrono::Duration::days(RETENTION_DAYS));
    store::purge(conn, &before, PURGE_BATCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::Filter;

    #[test]
    fn entries_older_than_the_retention_go_in_batches_and_recent_ones_stay() {
        let conn = crate::store::open_in_memory().unwrap();
        let who = Identity::admin("marie");
        let old = crate::store::to_text(chrono::Utc::now() - chrono::Duration::days(401));
        for i in 0..1200 {
            let mut e = entry(&who, "printers.add", &format!("p{i}"), &Outcome::Ok);
            e.time = old.clone();
            store::append(&conn, &e).unwrap();
        }
        record(&conn, &who, "printers.remove", "p1", &Outcome::Ok);
        assert_eq!(purge(&conn).unwrap(), 1200);
        let left = store::list(
            &conn,
            &Filter {
                limit: 10,
                ..Filter::default()
            },
        )
        .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].action, "printers.remove");
    }
}
