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

/// What a push did: a result per item, and the tickets applied for the first time (never a
/// duplicate), whose invoices the caller prints once the server database committed them.
#[derive(Debug, Default)]
pub struct Applied {
    pub results: Vec<ItemResult>,
    pub tickets: Vec<Ticket>,
}

/// Applies the items in order, in one transaction; stops at the first rejected item.
pub fn apply_items(
    ops: &mut dyn Ops,
    folder: &Folder,
    customers: &Customers,
    till: &str,
    items: &[Item],
) -> Result<Applied, SyncError> {
    ops.begin()?;
    let mut results = Vec::with_capacity(items.len());
    let mut tickets = Vec::new();
    // Each item behind a savepoint of its own: a rejected one rolls back alone.
    ops.savepoint()?;
    for (n, item) in items.iter().enumerate() {
        let outcome = match ops.claim(&item.uuid, till, &item.kind, None) {
            Ok(false) => Ok(Outcome::Duplicate),
            Ok(true) => apply_one(ops, folder, customers, till, item).map(|ticket| {
                tickets.extend(ticket);
                Outcome::Applied
            }),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(outcome) => {
                if n + 1 < items.len() {
                    // One round trip for both (the commit keeps the last one's work).
                    ops.next_savepoint()?;
                }
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
    Ok(Applied { results, tickets })
}

/// Writes what happened to each item (`(uuid, note)`: why a ticket did not print, ...) on its
/// inbox row, in one transaction.
pub fn note_all(ops: &mut dyn Ops, notes: &[(String, String)]) -> Result<(), SyncError> {
    ops.begin()?;
    for (uuid, note) in notes {
        if let Err(e) = set_note(ops, uuid, note) {
            ops.rollback();
            return Err(e);
        }
    }
    if let Err(e) = ops.commit() {
        ops.rollback();
        return Err(e);
    }
    Ok(())
}

/// Applies one claimed item; a ticket is returned for its invoice.
fn apply_one(
    ops: &mut dyn Ops,
    folder: &Folder,
    customers: &Customers,
    till: &str,
    item: &Item,
) -> Result<Option<Ticket>, SyncError> {
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
            return Ok(Some(t));
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
            let code = str_field(p, "code")?;
            update_customer(ops, customers, till, code, obj_field(p, "fields")?)?;
        }
        "customer_delete" => {
            delete_customer(ops, customers, till, str_field(p, "code")?)?;
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
            let delete = str_field(p, "op")? == "delete";
            if info.actual.eq_ignore_ascii_case(&customers.table)
                || table.eq_ignore_ascii_case(&customers.table)
            {
                // The customers table follows the customers' rules whatever the item's kind: a
                // till changes only its own customers, only their allowed columns (a `row` item
                // rewrote any customer of any till, the model and head office's).
                let code = customer_key(&info, row)?;
                if delete {
                    delete_customer(ops, customers, till, &code)?;
                } else {
                    let mut fields = row.clone();
                    fields.retain(|k, _| !info.pk.iter().any(|c| c.eq_ignore_ascii_case(k)));
                    update_customer(ops, customers, till, &code, &fields)?;
                }
            } else if delete {
                ops::delete(ops, &info, row)?;
            } else {
                ops::upsert(ops, &info, row)?;
            }
        }
        other => {
            return Err(SyncError::Rejected(format!("unknown item kind {other}")));
        }
    }
    Ok(None)
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

/// A till's change to one of its own customers (`customer_update`, or a `row` of the customers
/// table): the customer must be this till's, the columns allowed ones, the row existing.
fn update_customer(
    ops: &mut dyn Ops,
    customers: &Customers,
    till: &str,
    code: &str,
    fields: &Map<String, Value>,
) -> Result<(), SyncError> {
    let info = ops.describe(&customers.table)?;
    super::customers::owned_by(ops, customers, code, till)?;
    let fields = super::customers::allowed_fields(customers, &info, fields)?;
    let n = ops::update(ops, &info, code, &fields)?;
    if n == 0 {
        return Err(SyncError::Rejected(format!(
            "customer {code} does not exist in {} on the server",
            customers.table
        )));
    }
    Ok(())
}

/// A till abandoning one of its own creations (`customer_delete`, or a `row` delete of the
/// customers table).
fn delete_customer(
    ops: &mut dyn Ops,
    customers: &Customers,
    till: &str,
    code: &str,
) -> Result<(), SyncError> {
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
    Ok(())
}

/// The customer code a row of the customers table names (its one-column key).
fn customer_key(
    info: &super::serverdb::TableInfo,
    row: &Map<String, Value>,
) -> Result<String, SyncError> {
    let [key] = info.pk.as_slice() else {
        return Err(SyncError::Rejected(format!(
            "table {} has a composite key",
            info.name
        )));
    };
    match row.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
        Some((_, Value::String(code))) => Ok(code.clone()),
        Some((_, other)) => Ok(other.to_string()),
        None => Err(SyncError::Rejected(format!(
            "the row of {} lacks its key column {key}",
            info.name
        ))),
    }
}
