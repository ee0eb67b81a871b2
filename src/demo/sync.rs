//! Demo rows of the sync area: exports, applied batches, a waiting till queue, a blocked channel
//! and a run log, for the POS folders the pos demo creates (STORE12, KIOSK3).

use rusqlite::{Connection, params};

/// A time `minutes` before now, as stored.
fn ago(minutes: i64) -> String {
    crate::store::to_text(chrono::Utc::now() - chrono::Duration::minutes(minutes))
}

pub fn seed(conn: &Connection) -> anyhow::Result<()> {
    let folders: Vec<(i64, String)> = {
        let mut stmt = conn.prepare("SELECT id, code FROM pos_folders ORDER BY id")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (i, (id, code)) in folders.iter().enumerate() {
        for n in 1..=4i64 {
            let kind = if n == 1 { "full" } else { "incremental" };
            let rows = if n == 1 { 48_210 } else { 120 * n + 17 };
            conn.execute(
                "INSERT INTO sync_exports (folder_id, batch, kind, from_seq, to_seq, rows, bytes, sha256, file, exported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    n,
                    kind,
                    (n - 1) * 1000,
                    n * 1000,
                    rows,
                    rows * 142,
                    format!("{:064x}", n * 7919 + *id),
                    crate::sync::batch::file_name(n, if n == 1 { crate::sync::batch::Kind::Full } else { crate::sync::batch::Kind::Incremental }),
                    ago(60 * (5 - n))
                ],
            )?;
            if n <= 3 {
                conn.execute(
                    "INSERT INTO till_batches (folder, batch, kind, sha256, rows, applied_at, from_seq, to_seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![code, n, kind, format!("{:064x}", n * 7919 + *id), rows, ago(60 * (5 - n) - 2), (n - 1) * 1000, n * 1000],
                )?;
            }
            for (process, outcome, message) in [
                (
                    "export",
                    "ok",
                    format!("exported batch {n} ({kind}) of folder {code}: {rows} rows"),
                ),
                (
                    "import",
                    "ok",
                    format!(
                        "folder {code}: applied batch(es) {n}: {rows} rows; 0 user(s) of other tills removed"
                    ),
                ),
            ] {
                if process == "import" && n > 3 {
                    continue;
                }
                conn.execute(
                    "INSERT INTO sync_runs (folder_id, process, started_at, finished_at, rows, batches, bytes, outcome, message)
                     VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8)",
                    params![id, process, ago(60 * (5 - n)), ago(60 * (5 - n) - 1), rows, rows * 142, outcome, message],
                )?;
            }
        }
        if i == 0 {
            for t in 1..=6i64 {
                let uuid = uuid::Uuid::new_v4().to_string();
                let payload = serde_json::json!({
                    "uuid": uuid, "till": "1", "number": format!("T1-{:05}", 880 + t),
                    "sold_at": ago(40 - t), "total_cents": 1220 * t, "customer": null,
                    "lines": [{"article": "ART-0001", "quantity": t, "price_cents": 1220}]
                });
                conn.execute(
                    "INSERT INTO till_queue (uuid, folder, kind, payload, created_at, attempts, last_error)
                     VALUES (?1, ?2, 'ticket', ?3, ?4, ?5, ?6)",
                    params![
                        uuid,
                        code,
                        payload.to_string(),
                        ago(40 - t),
                        7 - t,
                        "web service http://127.0.0.1:8080/api/till/push: connection refused; items wait in the queue"
                    ],
                )?;
            }
            conn.execute(
                "INSERT INTO sync_runs (folder_id, process, started_at, finished_at, outcome, message)
                 VALUES (?1, 'push', ?2, ?3, 'error', ?4)",
                params![id, ago(39), ago(1), "web service http://127.0.0.1:8080/api/till/push: connection refused"],
            )?;
        } else {
            crate::store::sync::block(
                conn,
                code,
                "import",
                Some(4),
                "batch 4 refused: the signature of this batch does not match: it was changed after the server signed it, \
                 or signed by another key than [till] server_public_key",
                &crate::sync::import::hint(code, 4),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_shows_batches_a_waiting_queue_and_a_blocked_import() {
        let mut conn = crate::store::open_in_memory().unwrap();
        crate::demo::seed(&mut conn).unwrap();
        let exports: i64 = conn
            .query_row("SELECT count(*) FROM sync_exports", [], |r| r.get(0))
            .unwrap();
        let waiting = crate::store::sync::queue_depth(&conn, "STORE12")
            .unwrap()
            .waiting;
        let blocks = crate::store::sync::blocks(&conn, "KIOSK3").unwrap();
        assert_eq!((exports, waiting, blocks.len()), (8, 6, 1));
    }
}
