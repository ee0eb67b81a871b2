//! The server side of the till synchroniser: applies pushed items to the server database, each at
//! most once. The item's UUID is the primary key of `backroom_till_inbox`, inserted in the same
//! transaction as the item's effect, so a retry after a lost reply finds it and changes nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::queue::{Item, Ticket};
use super::serverdb::ops::{self, Ops};
use super::{Folder, SyncError};

/// What the server did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Applied,
    /// Received before (a retry): nothing changed.
    Duplicate,
    /// Refused: the till stops pushing and shows the message (later items keep their order).
    Rejected,
}

/// The reply for one item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemResult {
    pub uuid: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The server's configuration for customers created from tills.
#[derive(Debug, Clone)]
pub struct Customers {
    pub table: String,
    pub model: Option<String>,
    /// The columns a till may set or change (`[server] till_customer_columns`).
    pub columns: Vec<String>,
}

fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str, SyncError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| SyncError::Rejected(format!("the item has no text field `{key}`")))
}

fn obj_field<'a>(v: &'a Value, key: &str) -> Result<&'a Map<String, Value>, SyncError> {
    v.get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| SyncError::Rejected(format!("the item has no object field `{key}`")))
}

/// Where applied tickets' print events go: an open transaction on the server's backroom store,
/// committed by the caller only after the server database committed the tickets.
pub struct PrintTo<'a> {
    pub tx: &'a rusqlite::Connection,
    /// The store's name, printed on the invoices.
    pub issuer: &'a str,
}

/// Applies the items in order, in one transaction; stops at the first rejected item. A ticket
/// applied for the first time also records its invoice event in `print` (never on a duplicate).
pub fn apply_items(
    ops: &mut dyn Ops,
    folder: &Folder,
    customers: &Customers,
    till: &str,
    items: &[Item],
    print: Option<&PrintTo<'_>>,
) -> Result<Vec<ItemResult>, SyncError> {
    ops.begin()?;
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        ops.savepoint()?;
        let outcome = match ops.claim(&item.uuid, till, &item.kind, None) {
            Ok(false) => Ok(Outcome::Duplicate),
            Ok(true) => {
                apply_one(ops, folder, customers, till, item, print).map(|_| Outcome::Applied)
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(outcome) => {
                ops.release_savepoint()?;
                results.push(ItemResult {
                    uuid: item.uuid.clone(),
                    outcome,
                    message: None,
                });
            }
            Err(e) => {
                ops.rollback_savepoint()?;
                results.push(ItemResult {
                    uuid: item.uuid.clone(),
                    outcome: Outcome::Rejected,
                    message: Some(format!("{} item {}: {e}", item.kind, item.uuid)),
                });
                break;
            }
        }
    }
    if let Err(e) = ops.commit() {
        ops.rollback();
        return Err(e);
    }
    Ok(results)
}

fn apply_one(
    ops: &mut dyn Ops,
    folder: &Folder,
    customers: &Customers,
    till: &str,
    item: &Item,
    print: Option<&PrintTo<'_>>,
) -> Result<(), SyncError> {
    let p = &item.payload;
    if let Some(claimed) = p.get("till").and_then(Value::as_str)
        && claimed != till
    {
        return Err(SyncError::Rejected(format!(
            "the item says till {claimed}, but it was pushed with the token of till {till}"
        )));
    }
    match item.kind.as_str() {
        "ticket" => {
            let t: Ticket = serde_json::from_value(p.clone())
                .map_err(|e| SyncError::Rejected(format!("not a ticket: {e}")))?;
            if t.uuid != item.uuid {
                return Err(SyncError::Rejected(
                    "the ticket's UUID differs from the item's".into(),
                ));
            }
            let lines =
                serde_json::to_string(&t.lines).map_err(|e| SyncError::Rejected(e.to_string()))?;
            let values = [
                Value::from(t.uuid.clone()),
                Value::from(till),
                Value::from(t.number.clone()),
                Value::from(t.sold_at.clone()),
                Value::from(t.total_cents),
                t.customer.clone().map_or(Value::Null, Value::from),
                Value::from(lines),
            ];
            ops.execute_pair(
                "INSERT INTO backroom_tickets (uuid, till, number, sold_at, total_cents, customer, lines)
                 VALUES ($1, $2, $3, $4, $5::text::bigint, $6, $7)",
                &values,
                "INSERT INTO backroom_tickets (uuid, till, number, sold_at, total_cents, customer, lines)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &values,
            )?;
            if let Some(print) = print {
                let note = match super::print::record(print.tx, print.issuer, till, &t) {
                    Ok(out) => format!(
                        "printed: event {}, {} job(s){}",
                        out.event_id,
                        out.jobs.len(),
                        out.skipped.map(|s| format!(" ({s})")).unwrap_or_default()
                    ),
                    Err(reason) => {
                        tracing::info!(till, ticket = %t.number, %reason, "pushed ticket");
                        reason
                    }
                };
                set_note(ops, &item.uuid, &note)?;
            }
        }
        "parameter" => {
            let values = [
                Value::from(till),
                Value::from(str_field(p, "key")?),
                Value::from(str_field(p, "value")?),
            ];
            ops.execute_pair(
                "INSERT INTO backroom_till_parameters (till, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (till, key) DO UPDATE SET value = excluded.value, updated_at = now()",
                &values,
                "INSERT INTO backroom_till_parameters (till, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (till, key) DO UPDATE SET value = excluded.value,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                &values,
            )?;
        }
        "customer_update" => {
            let info = ops.describe(&customers.table)?;
            let code = str_field(p, "code")?;
            super::customers::owned_by(ops, customers, code, till)?;
            let fields =
                super::customers::allowed_fields(customers, &info, obj_field(p, "fields")?)?;
            let n = ops::update(ops, &info, code, &fields)?;
            if n == 0 {
                return Err(SyncError::Rejected(format!(
                    "customer {code} does not exist in {} on the server",
                    customers.table
                )));
            }
        }
        "customer_delete" => {
            let code = str_field(p, "code")?;
            // Only this till's own creations can be abandoned.
            super::customers::owned_by(ops, customers, code, till)?;
            let info = ops.describe(&customers.table)?;
            let mut key = Map::new();
            if let [k] = info.pk.as_slice() {
                key.insert(k.clone(), Value::from(code));
            }
            ops::delete(ops, &info, &key)?;
            ops.execute_pair(
                "DELETE FROM backroom_till_customers WHERE code = $1",
                &[Value::from(code)],
                "DELETE FROM backroom_till_customers WHERE code = ?1",
                &[Value::from(code)],
            )?;
        }
        "row" => {
            let table = str_field(p, "table")?;
            if !folder.accepts_from_till(table) {
                return Err(SyncError::Rejected(format!(
                    "table {table} is not a till → server table of folder {} (add it: backroom sync tables add {} {table} --direction till-to-server)",
                    folder.code, folder.code
                )));
            }
            let info = ops.describe(table)?;
            let row = obj_field(p, "row")?;
            match str_field(p, "op")? {
                "delete" => {
                    ops::delete(ops, &info, row)?;
                }
                _ => ops::upsert(ops, &info, row)?,
            }
        }
        other => {
            return Err(SyncError::Rejected(format!("unknown item kind {other}")));
        }
    }
    Ok(())
}

/// Notes what happened to an item on its inbox row (why a ticket did not print, ...).
fn set_note(ops: &mut dyn Ops, uuid: &str, note: &str) -> Result<(), SyncError> {
    let values = [Value::from(uuid), Value::from(note)];
    ops.execute_pair(
        "UPDATE backroom_till_inbox SET note = $2 WHERE uuid = $1",
        &values,
        "UPDATE backroom_till_inbox SET note = ?2 WHERE uuid = ?1",
        &values,
    )?;
    Ok(())
}
