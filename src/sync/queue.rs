//! The till's tracking queue (the seed's MICPTRACK): every ticket, customer change, till parameter
//! and till → server row is written together with its queue item in ONE transaction, so nothing
//! is sold without being queued, and nothing is queued that was not written.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::value::Param;
use super::{SyncError, ident};

/// A ticket line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TicketLine {
    pub article: String,
    pub quantity: f64,
    pub price_cents: i64,
}

/// A ticket sold on the till.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ticket {
    pub uuid: String,
    pub till: String,
    pub number: String,
    pub sold_at: String,
    pub total_cents: i64,
    pub customer: Option<String>,
    pub lines: Vec<TicketLine>,
    /// Invoice details the server needs to print the ticket's invoice (`currency`, `customer`,
    /// `billing_address`, optional `shipping_address`, and the `vat_rate` of the lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<serde_json::Value>,
}

/// A queued item, as pushed to the server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Item {
    pub uuid: String,
    pub kind: String,
    pub created_at: String,
    pub payload: serde_json::Value,
}

fn enqueue(
    tx: &Transaction,
    folder: &str,
    uuid: &str,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<(), SyncError> {
    tx.execute(
        "INSERT INTO till_queue (uuid, folder, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![uuid, folder, kind, payload.to_string(), crate::store::now()],
    )?;
    Ok(())
}

/// Records a ticket and queues it, in one transaction; returns its UUID. Waits for the lock as a
/// sale does ([`crate::store::SALE_WAIT`]), through a batch the till is applying.
pub fn record_ticket(
    conn: &mut Connection,
    folder: &str,
    ticket: &Ticket,
) -> Result<String, SyncError> {
    crate::store::wait_as_a_sale(conn)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let lines =
        serde_json::to_string(&ticket.lines).map_err(|e| SyncError::Rejected(e.to_string()))?;
    tx.execute(
        "INSERT INTO till_tickets (uuid, folder, number, sold_at, total_cents, customer, lines)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            ticket.uuid,
            folder,
            ticket.number,
            ticket.sold_at,
            ticket.total_cents,
            ticket.customer,
            lines
        ],
    )?;
    let payload = serde_json::to_value(ticket).map_err(|e| SyncError::Rejected(e.to_string()))?;
    enqueue(&tx, folder, &ticket.uuid, "ticket", &payload)?;
    tx.commit()?;
    Ok(ticket.uuid.clone())
}

/// Sets a till parameter and queues it.
pub fn record_parameter(
    conn: &mut Connection,
    folder: &str,
    till: &str,
    key: &str,
    value: &str,
) -> Result<String, SyncError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO till_parameters (folder, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (folder, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![folder, key, value, crate::store::now()],
    )?;
    let uuid = uuid::Uuid::new_v4().to_string();
    enqueue(
        &tx,
        folder,
        &uuid,
        "parameter",
        &serde_json::json!({"till": till, "key": key, "value": value}),
    )?;
    tx.commit()?;
    Ok(uuid)
}

/// The key column of a table the till received (customers have a one-column key).
fn key_column(tx: &Transaction, table: &str) -> Result<(String, Vec<String>), SyncError> {
    let found: Option<(String, String)> = tx
        .query_row(
            "SELECT name, pk FROM till_tables WHERE name = ?1 COLLATE NOCASE",
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((name, pk)) = found else {
        return Err(SyncError::Refused(format!(
            "table {table} is not on this till yet (run an import first: backroom sync run import FOLDER)"
        )));
    };
    let pk: Vec<String> = serde_json::from_str(&pk).unwrap_or_default();
    Ok((name, pk))
}

/// Changes fields of a customer on the till and queues the change (works offline).
pub fn record_customer_update(
    conn: &mut Connection,
    folder: &str,
    till: &str,
    table: &str,
    code: &str,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, SyncError> {
    if fields.is_empty() {
        return Err(SyncError::Refused(
            "nothing to change: give at least one field".into(),
        ));
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let (table, pk) = key_column(&tx, table)?;
    let [key] = pk.as_slice() else {
        return Err(SyncError::Refused(format!(
            "table {table} has a composite key; customers need a one-column code"
        )));
    };
    let sets: Vec<String> = fields
        .keys()
        .enumerate()
        .map(|(i, k)| format!("{} = ?{}", ident(k), i + 2))
        .collect();
    let sql = format!(
        "UPDATE {} SET {} WHERE {} = ?1",
        ident(&table),
        sets.join(", "),
        ident(key)
    );
    let mut values: Vec<Param> = vec![];
    let code_value = serde_json::Value::from(code);
    values.push(Param(&code_value));
    values.extend(fields.values().map(Param));
    let n = tx
        .execute(&sql, rusqlite::params_from_iter(values))
        .map_err(|e| SyncError::Refused(format!("updating customer {code} in {table}: {e}")))?;
    if n == 0 {
        return Err(SyncError::Refused(format!(
            "customer {code} is not in table {table} on this till"
        )));
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    enqueue(
        &tx,
        folder,
        &uuid,
        "customer_update",
        &serde_json::json!({"till": till, "table": table, "code": code, "fields": fields}),
    )?;
    tx.commit()?;
    Ok(uuid)
}

/// Abandons a customer creation: removes it from the till and queues its deletion on the server.
pub fn record_customer_abandon(
    conn: &mut Connection,
    folder: &str,
    till: &str,
    table: &str,
    code: &str,
) -> Result<String, SyncError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mine = tx.execute(
        "UPDATE till_customer_requests SET abandoned_at = ?3
         WHERE folder = ?1 AND code = ?2 AND abandoned_at IS NULL",
        rusqlite::params![folder, code, crate::store::now()],
    )?;
    if mine == 0 {
        return Err(SyncError::Refused(format!(
            "customer {code} was not created from this till: only a creation made here can be abandoned \
             (change it with backroom till customer update)"
        )));
    }
    let (table, pk) = key_column(&tx, table)?;
    if let [key] = pk.as_slice() {
        tx.execute(
            &format!("DELETE FROM {} WHERE {} = ?1", ident(&table), ident(key)),
            [code],
        )?;
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    enqueue(
        &tx,
        folder,
        &uuid,
        "customer_delete",
        &serde_json::json!({"till": till, "table": table, "code": code}),
    )?;
    tx.commit()?;
    Ok(uuid)
}

/// Writes a row of a till → server table on the till (creating the table with `key` as its key
/// the first time) and queues it. `delete` removes the row with the given key values instead.
pub fn record_row(
    conn: &mut Connection,
    folder: &str,
    till: &str,
    table: &str,
    key: &[String],
    row: &serde_json::Map<String, serde_json::Value>,
    delete: bool,
) -> Result<String, SyncError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let pk = match key_column(&tx, table) {
        Ok((_, pk)) => pk,
        Err(_) if !key.is_empty() && !delete => {
            let cols: Vec<String> = row.keys().map(|c| ident(c)).collect();
            let pk: Vec<String> = key.iter().map(|c| ident(c)).collect();
            tx.execute(
                &format!(
                    "CREATE TABLE {} ({}, PRIMARY KEY ({}))",
                    ident(table),
                    cols.join(", "),
                    pk.join(", ")
                ),
                [],
            )
            .map_err(|e| SyncError::Refused(format!("creating table {table} on the till: {e}")))?;
            tx.execute(
                "INSERT INTO till_tables (name, folder, columns, pk, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    table,
                    folder,
                    serde_json::Value::from(row.keys().cloned().collect::<Vec<_>>()).to_string(),
                    serde_json::Value::from(key.to_vec()).to_string(),
                    crate::store::now()
                ],
            )?;
            key.to_vec()
        }
        Err(e) => return Err(e),
    };
    for k in &pk {
        if !row.contains_key(k) {
            return Err(SyncError::Refused(format!(
                "the row needs its key column {k}"
            )));
        }
    }
    if delete {
        let cond: Vec<String> = pk
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} = ?{}", ident(c), i + 1))
            .collect();
        tx.execute(
            &format!("DELETE FROM {} WHERE {}", ident(table), cond.join(" AND ")),
            rusqlite::params_from_iter(pk.iter().map(|k| Param(&row[k]))),
        )?;
    } else {
        let cols: Vec<String> = row.keys().map(|c| ident(c)).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let set: Vec<String> = row
            .keys()
            .filter(|c| !pk.contains(c))
            .map(|c| format!("{0} = excluded.{0}", ident(c)))
            .collect();
        let action = if set.is_empty() {
            "NOTHING".to_string()
        } else {
            format!("UPDATE SET {}", set.join(", "))
        };
        let pkq: Vec<String> = pk.iter().map(|c| ident(c)).collect();
        tx.execute(
            &format!(
                "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
                ident(table),
                cols.join(", "),
                marks.join(", "),
                pkq.join(", ")
            ),
            rusqlite::params_from_iter(row.values().map(Param)),
        )
        .map_err(|e| SyncError::Refused(format!("writing the row into {table}: {e}")))?;
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    enqueue(
        &tx,
        folder,
        &uuid,
        "row",
        &serde_json::json!({"till": till, "table": table, "op": if delete { "delete" } else { "upsert" }, "key": pk, "row": row}),
    )?;
    tx.commit()?;
    Ok(uuid)
}

/// The oldest waiting items, in order.
pub fn pending(conn: &Connection, folder: &str, limit: usize) -> Result<Vec<Item>, SyncError> {
    let mut stmt = conn.prepare_cached(
        "SELECT uuid, kind, created_at, payload FROM till_queue
         WHERE folder = ?1 AND acked_at IS NULL ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![folder, limit as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (uuid, kind, created_at, payload) = row?;
        out.push(Item {
            uuid,
            kind,
            created_at,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        });
    }
    Ok(out)
}

/// Marks items confirmed by the server.
pub fn ack(conn: &mut Connection, uuids: &[String]) -> Result<(), SyncError> {
    let tx = conn.transaction()?;
    {
        let now = crate::store::now();
        let mut stmt = tx.prepare_cached(
            "UPDATE till_queue SET acked_at = ?2, last_error = NULL WHERE uuid = ?1",
        )?;
        // Kept on the ticket too: the queue item goes with the queue's purge.
        let mut ticket = tx.prepare_cached(
            "UPDATE till_tickets SET sent_at = ?2 WHERE uuid = ?1 AND sent_at IS NULL",
        )?;
        for u in uuids {
            stmt.execute(params![u, now])?;
            ticket.execute(params![u, now])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Notes a failed push on the first waiting item (attempts and the error are shown by `sync status`).
pub fn note_failure(
    conn: &Connection,
    folder: &str,
    uuid: Option<&str>,
    error: &str,
) -> Result<(), SyncError> {
    conn.execute(
        "UPDATE till_queue SET attempts = attempts + 1, last_error = ?3
         WHERE seq = (SELECT seq FROM till_queue WHERE folder = ?1 AND acked_at IS NULL
                      AND (?2 IS NULL OR uuid = ?2) ORDER BY seq LIMIT 1)",
        params![folder, uuid, error],
    )?;
    Ok(())
}

/// An item of the till queue as support sees it: waiting for the server, or set aside.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    pub seq: i64,
    pub uuid: String,
    pub kind: String,
    pub created_at: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// When, by whom and why it was set aside; `None` while it waits.
    pub set_aside: Option<SetAside>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SetAside {
    pub at: String,
    pub by: String,
    pub reason: String,
}

/// The items of `folder` waiting for the server, in order (at most `limit`), and every item set
/// aside, oldest first.
pub fn show(
    conn: &Connection,
    folder: &str,
    limit: usize,
) -> Result<(Vec<Queued>, Vec<Queued>), SyncError> {
    let queued = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Queued> {
        Ok(Queued {
            seq: r.get(0)?,
            uuid: r.get(1)?,
            kind: r.get(2)?,
            created_at: r.get(3)?,
            attempts: r.get(4)?,
            last_error: r.get(5)?,
            set_aside: None,
        })
    };
    let mut waiting = conn.prepare(
        "SELECT seq, uuid, kind, created_at, attempts, last_error FROM till_queue
         WHERE folder = ?1 AND acked_at IS NULL ORDER BY seq LIMIT ?2",
    )?;
    let waiting = waiting
        .query_map(params![folder, limit as i64], queued)?
        .collect::<rusqlite::Result<_>>()?;
    let mut aside = conn.prepare(
        "SELECT seq, uuid, kind, created_at, attempts, last_error, set_aside_at, set_aside_by,
                reason
         FROM till_queue_set_aside WHERE folder = ?1 ORDER BY seq",
    )?;
    let aside = aside
        .query_map([folder], |r| {
            Ok(Queued {
                set_aside: Some(SetAside {
                    at: r.get(6)?,
                    by: r.get(7)?,
                    reason: r.get(8)?,
                }),
                ..queued(r)?
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((waiting, aside))
}

/// Takes the waiting item `uuid` of `folder` out of the queue and keeps it whole, set aside: the
/// server refuses it, and the items after it no longer wait behind it. The push channel's block
/// goes with it (the next push says whether another item is refused). False when `folder` has no
/// such waiting item.
pub fn set_aside(
    conn: &mut Connection,
    folder: &str,
    uuid: &str,
    by: &str,
    reason: &str,
) -> Result<bool, SyncError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let moved = tx.execute(
        "INSERT INTO till_queue_set_aside (seq, uuid, folder, kind, payload, created_at, attempts,
             last_error, set_aside_at, set_aside_by, reason)
         SELECT seq, uuid, folder, kind, payload, created_at, attempts, last_error, ?3, ?4, ?5
         FROM till_queue WHERE folder = ?1 AND uuid = ?2 AND acked_at IS NULL",
        params![folder, uuid, crate::store::now(), by, reason],
    )?;
    if moved == 0 {
        return Ok(false);
    }
    tx.execute("DELETE FROM till_queue WHERE uuid = ?1", [uuid])?;
    crate::store::sync::unblock(&tx, folder, "push")?;
    tx.commit()?;
    Ok(true)
}

/// Puts the set-aside item `uuid` of `folder` back in its place in the queue: it is sent again
/// with the next push, before the items queued after it. False when there is no such item.
pub fn put_back(conn: &mut Connection, folder: &str, uuid: &str) -> Result<bool, SyncError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let moved = tx.execute(
        "INSERT INTO till_queue (seq, uuid, folder, kind, payload, created_at, attempts, last_error)
         SELECT seq, uuid, folder, kind, payload, created_at, attempts, last_error
         FROM till_queue_set_aside WHERE folder = ?1 AND uuid = ?2",
        params![folder, uuid],
    )?;
    if moved == 0 {
        return Ok(false);
    }
    tx.execute("DELETE FROM till_queue_set_aside WHERE uuid = ?1", [uuid])?;
    tx.commit()?;
    Ok(true)
}

/// Confirmed items a purge deletes per transaction.
pub const PURGE_BATCH: usize = 500;

/// Forgets confirmed items older than `days`, [`PURGE_BATCH`] per transaction, so that the till
/// goes on selling during the purge of a long outage's backlog.
pub fn purge_acked(conn: &Connection, days: i64) -> Result<usize, SyncError> {
    let cutoff = crate::store::to_text(chrono::Utc::now() - chrono::Duration::days(days));
    Ok(crate::store::batch::until_done(
        conn,
        &format!(
            "DELETE FROM till_queue WHERE seq IN (SELECT seq FROM till_queue
             WHERE acked_at IS NOT NULL AND acked_at < ?1 LIMIT {PURGE_BATCH})"
        ),
        [&cutoff],
        PURGE_BATCH,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_forgets_only_confirmed_items_past_the_days_and_reads_them_through_an_index() {
        let conn = crate::store::open_in_memory().unwrap();
        let ago = |days| crate::store::to_text(chrono::Utc::now() - chrono::Duration::days(days));
        let (old, recent) = (ago(31), ago(1));
        // Old and confirmed (more than two batches), confirmed yesterday, never confirmed.
        for (i, acked) in (0..1_210)
            .map(|i| (i, Some(old.as_str())))
            .chain((1_210..1_220).map(|i| (i, Some(recent.as_str()))))
            .chain((1_220..1_230).map(|i| (i, None)))
        {
            conn.execute(
                "INSERT INTO till_queue (uuid, folder, kind, payload, created_at, acked_at)
                 VALUES (?1, 'PARIS', 'ticket', '{}', ?2, ?3)",
                rusqlite::params![format!("u{i}"), old, acked],
            )
            .unwrap();
        }
        assert_eq!(purge_acked(&conn, 30).unwrap(), 1_210);
        let left: Vec<String> = conn
            .prepare("SELECT uuid FROM till_queue ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let expected: Vec<String> = (1_210..1_230).map(|i| format!("u{i}")).collect();
        assert_eq!(left, expected);
        let plan: Vec<String> = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT seq FROM till_queue
                 WHERE acked_at IS NOT NULL AND acked_at < ?1 LIMIT 500",
            )
            .unwrap()
            .query_map([&old], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let plan = plan.join("; ");
        assert!(plan.contains("till_queue_acked"), "{plan}");
    }
}
