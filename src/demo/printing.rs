//! Demo rows of the printing area: spool printers under the data dir, and print jobs in every
//! state with their attempt history (retries, a crash recovered by lookup, a possible duplicate).

use rusqlite::{Connection, params};
use serde_json::json;

use crate::printing::EventKind;
use crate::printing::job::{NO_DEFAULT_PRINTER, RetryPolicy};
use crate::printing::outbox;

/// Where the demo's spool printers write their files.
pub fn spool_dir() -> std::path::PathBuf {
    crate::paths::demo_dir().join("spool")
}

fn ago(minutes: i64) -> String {
    crate::store::to_text(chrono::Utc::now() - chrono::Duration::minutes(minutes))
}

fn printer(
    conn: &Connection,
    name: &str,
    provider: &str,
    target: &str,
    tray: Option<&str>,
    default: bool,
) -> anyhow::Result<i64> {
    conn.execute(
        "INSERT INTO printers (name, provider, target, tray, copies, enabled, is_default, created_at)
         VALUES (?1, ?2, ?3, ?4, 1, 1, ?5, ?6)",
        params![name, provider, target, tray, default, ago(60 * 24 * 20)],
    )?;
    Ok(conn.last_insert_rowid())
}

fn order(
    number: &str,
    customer: &str,
    city: &str,
    lines: serde_json::Value,
    level: u8,
) -> serde_json::Value {
    json!({
        "order_number": number,
        "invoice_number": format!("INV-{}", &number[3..]),
        "date": "2026-10-15",
        "due_date": "2026-11-14",
        "currency": "EUR",
        "customer": {"name": customer, "number": format!("C-{}", number.len() * 7)},
        "billing_address": {"name": customer, "street": "8 rue Paul Bert", "postal_code": "69003",
            "city": city, "country": "FR"},
        "lines": lines,
        "dunning_level": level
    })
}

fn attempt(
    conn: &Connection,
    job: i64,
    minutes_ago: i64,
    outcome: &str,
    error: Option<&str>,
    worker: &str,
) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO print_attempts (job_id, started_at, finished_at, outcome, error, worker)
         VALUES (?1, ?2, CASE WHEN ?3 = 'sending' THEN NULL ELSE ?2 END, ?3, ?4, ?5)",
        params![job, ago(minutes_ago), outcome, error, worker],
    )?;
    Ok(())
}

pub fn seed(conn: &Connection) -> anyhow::Result<()> {
    let spool = spool_dir();
    for sub in ["front-desk", "workshop-tray-2"] {
        crate::private_files::create_dir(&spool.join(sub))?;
    }
    let front = printer(
        conn,
        "front-desk",
        "spool",
        &spool.join("front-desk").display().to_string(),
        None,
        true,
    )?;
    let tray2 = printer(
        conn,
        "workshop-tray-2",
        "spool",
        &spool.join("workshop-tray-2").display().to_string(),
        Some("tray-2"),
        false,
    )?;
    let office = printer(
        conn,
        "office-laser",
        "ipp",
        "ipp://127.0.0.1:8631/ipp/print",
        None,
        false,
    )?;
    let label = printer(conn, "label-9100", "raw", "127.0.0.1:9100", None, false)?;
    conn.execute(
        "UPDATE triggers SET printer_id = ?1, copies = 2 WHERE event_kind = 'order.shipped'",
        [tray2],
    )?;

    let policy = RetryPolicy::default();
    let paper = json!([
        {"sku": "PAP-A4", "description": "Paper A4 80 g, 500 sheets", "quantity": 5, "unit_price": "4.50", "vat_rate": 20},
        {"sku": "TON-BK", "description": "Toner black, 3000 pages", "quantity": 1, "unit_price": "64.90", "vat_rate": 20},
        {"sku": "BK-101", "description": "Typography handbook", "quantity": 1, "unit_price": "12.00", "vat_rate": 5.5}
    ]);
    let cards = json!([
        {"sku": "BC-250", "description": "Business cards, 250, matt", "quantity": 2, "unit_price": "19.90", "vat_rate": 20},
        {"description": "Express delivery", "quantity": 1, "unit_price": "6.90", "vat_rate": 20}
    ]);
    let scenarios: [(EventKind, &str, &str, &serde_json::Value, u8); 10] = [
        (
            EventKind::OrderReceived,
            "SO-10481",
            "Camille Martin",
            &paper,
            1,
        ),
        (
            EventKind::OrderShipped,
            "SO-10481",
            "Camille Martin",
            &paper,
            1,
        ),
        (
            EventKind::OrderReceived,
            "SO-10482",
            "Atelier Duval",
            &cards,
            1,
        ),
        (
            EventKind::OrderReceived,
            "SO-10483",
            "Jonas Weber",
            &cards,
            1,
        ),
        (
            EventKind::InvoiceOverdue,
            "SO-10390",
            "Librairie du Parc",
            &paper,
            2,
        ),
        (
            EventKind::OrderReceived,
            "SO-10484",
            "Nadia Haddad",
            &paper,
            1,
        ),
        (
            EventKind::OrderReceived,
            "SO-10485",
            "Studio Lumen",
            &cards,
            1,
        ),
        (
            EventKind::OrderShipped,
            "SO-10477",
            "Studio Lumen",
            &cards,
            1,
        ),
        (
            EventKind::InvoiceOverdue,
            "SO-10301",
            "Garage Moreau",
            &cards,
            3,
        ),
        (
            EventKind::OrderReceived,
            "SO-10486",
            "Hôtel des Arts",
            &paper,
            1,
        ),
    ];
    let mut ids = Vec::new();
    for (kind, number, customer, lines, level) in scenarios {
        let p = outbox::prepare(
            kind,
            &order(number, customer, "Lyon", lines.clone(), level),
            "Imprimerie Centrale",
        )?;
        let out = outbox::record(conn, &p, "demo", &policy)?;
        ids.push(out.jobs.first().map(|j| j.id).unwrap_or_default());
    }
    // `sql` may use ?2 (the time `minutes_ago`); the job was created a minute earlier.
    let set = |id: i64, sql: &str, minutes_ago: i64| -> anyhow::Result<()> {
        conn.execute(
            &format!("UPDATE print_jobs SET {sql}, created_at = ?3 WHERE id = ?1"),
            params![id, ago(minutes_ago), ago(minutes_ago + 1)],
        )?;
        Ok(())
    };
    let w = "store-server:2214";
    // Printed at once.
    set(
        ids[0],
        "state = 'succeeded', attempts = 1, remote_ref = 'front-desk/1', finished_at = ?2",
        180,
    )?;
    attempt(conn, ids[0], 180, "accepted", None, w)?;
    set(
        ids[1],
        "state = 'succeeded', attempts = 1, finished_at = ?2",
        95,
    )?;
    attempt(conn, ids[1], 95, "accepted", None, w)?;
    // On the IPP office printer, followed to completion after two retries.
    set(
        ids[2],
        &format!(
            "printer_id = {office}, state = 'succeeded', attempts = 3, remote_ref = '412', remote_state = 'completed', finished_at = ?2"
        ),
        60,
    )?;
    attempt(
        conn,
        ids[2],
        64,
        "retryable",
        Some("office-laser: server-error-busy (the printer is printing another job)"),
        w,
    )?;
    attempt(
        conn,
        ids[2],
        62,
        "retryable",
        Some("office-laser: server-error-busy (the printer is printing another job)"),
        w,
    )?;
    attempt(conn, ids[2], 60, "accepted", None, w)?;
    // Waiting for its next attempt: the office printer does not answer.
    set(
        ids[3],
        &format!(
            "printer_id = {office}, state = 'pending', attempts = 3, last_error = 'connecting to 127.0.0.1:8631: timed out after 10 s', next_attempt_at = '{}'",
            crate::store::to_text(chrono::Utc::now() + chrono::Duration::minutes(4))
        ),
        12,
    )?;
    for m in [12, 10, 6] {
        attempt(
            conn,
            ids[3],
            m,
            "retryable",
            Some("connecting to 127.0.0.1:8631: timed out after 10 s"),
            w,
        )?;
    }
    // Gave up after its attempts.
    set(
        ids[4],
        &format!(
            "printer_id = {office}, state = 'failed', attempts = 8, last_error = 'gave up after 8 attempts: connecting to 127.0.0.1:8631: connection refused', finished_at = ?2"
        ),
        300,
    )?;
    for m in [900, 890, 870, 830, 750, 600, 420, 300] {
        attempt(
            conn,
            ids[4],
            m,
            "retryable",
            Some("connecting to 127.0.0.1:8631: connection refused"),
            w,
        )?;
    }
    // Queued while no printer was the default (the seeds' rule).
    conn.execute(
        "UPDATE print_jobs SET printer_id = NULL, state = 'failed', attempts = 1, last_error = ?2,
                created_at = ?3, finished_at = ?3 WHERE id = ?1",
        params![ids[5], NO_DEFAULT_PRINTER, ago(2000)],
    )?;
    attempt(
        conn,
        ids[5],
        2000,
        "permanent",
        Some(NO_DEFAULT_PRINTER),
        "outbox",
    )?;
    // Cancelled by an operator.
    set(ids[6], "state = 'cancelled', finished_at = ?2", 45)?;
    // Resent after a crash on a raw printer that cannot be asked: may have printed twice.
    set(
        ids[7],
        &format!(
            "printer_id = {label}, state = 'succeeded', attempts = 2, maybe_duplicate = 1, finished_at = ?2"
        ),
        30,
    )?;
    attempt(
        conn,
        ids[7],
        32,
        "interrupted",
        Some("worker till-2:4411 stopped before recording the outcome (its lease expired)"),
        "till-2:4411",
    )?;
    attempt(conn, ids[7], 30, "accepted", None, w)?;
    // Found on the printer after a crash: not sent again.
    set(
        ids[8],
        &format!(
            "printer_id = {front}, state = 'succeeded', attempts = 2, remote_ref = 'front-desk/9', finished_at = ?2"
        ),
        20,
    )?;
    attempt(
        conn,
        ids[8],
        21,
        "interrupted",
        Some("worker store-server:2190 stopped before recording the outcome (its lease expired)"),
        "store-server:2190",
    )?;
    attempt(conn, ids[8], 20, "recovered", None, w)?;
    // Being sent by another worker right now.
    set(
        ids[9],
        &format!(
            "state = 'sending', attempts = 1, lease_holder = 'till-2:4411', lease_expires_at = '{}'",
            crate::store::to_text(chrono::Utc::now() + chrono::Duration::minutes(10))
        ),
        1,
    )?;
    attempt(conn, ids[9], 1, "sending", None, "till-2:4411")?;
    Ok(())
}
