//! The worker runs the doctor every minute and keeps its findings for the Health pane and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

use super::Shared;
use crate::doctor::{self, Report, Subject};

/// How often the worker runs the doctor.
pub const EVERY: Duration = Duration::from_secs(60);

const KEY: &str = "doctor.report";

/// The findings the worker last kept, with the time it checked.
pub fn last(conn: &Connection) -> rusqlite::Result<Option<Report>> {
    Ok(crate::store::settings::get(conn, KEY)?.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Keeps a report (the worker, or `backroom doctor` run by hand).
pub fn keep(conn: &Connection, report: &Report) -> rusqlite::Result<()> {
    let text = serde_json::to_string(report).unwrap_or_default();
    crate::store::settings::set(conn, KEY, &text)
}

pub async fn run(shared: Arc<Shared>) {
    loop {
        if shared.lease_held() {
            let subject = Subject {
                db_path: shared.ctx.db_path.clone(),
                config_path: shared.ctx.config_path.clone(),
                config: shared.ctx.config.clone(),
            };
            let report = doctor::run(&subject, &[]).await;
            let db = shared.ctx.db_path.clone();
            let kept = tokio::task::spawn_blocking(move || {
                let conn = crate::store::open(&db)?;
                keep(&conn, &report)?;
                anyhow::Ok(())
            })
            .await;
            if let Ok(Err(e)) = kept {
                tracing::warn!(error = %e, "keeping the doctor's findings");
            }
        }
        if !shared.idle_for(EVERY).await {
            break;
        }
    }
}
