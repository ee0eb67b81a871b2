//! Customers created from a till, the server's side: the server copies the model customer (its
//! code is configured), gives the copy a new code, applies the till's fields and returns the row,
//! once per request UUID; a till changes only its own customers and the allowed columns. The
//! till's side is `till_customers`; changes and abandons travel through the queue.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::SyncError;
use super::inbox::Customers;
use super::serverdb::ops::{self, Ops};

/// A customer the server created, as returned to the till.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Created {
    pub code: String,
    pub table: String,
    pub key: String,
    pub row: Map<String, Value>,
}

/// Refuses a change to a customer `till` did not create: another till's, a head-office customer,
/// or the model customer.
pub fn owned_by(
    ops: &mut dyn Ops,
    customers: &Customers,
    code: &str,
    till: &str,
) -> Result<(), SyncError> {
    if customers.model.as_deref() == Some(code) {
        return Err(SyncError::Rejected(format!(
            "customer {code} is the model customer: a till can never change it"
        )));
    }
    let owner = ops.query_pair(
        "SELECT till FROM backroom_till_customers WHERE code = $1",
        "SELECT till FROM backroom_till_customers WHERE code = ?1",
        &[Value::from(code)],
    )?;
    match owner.first() {
        Some(t) if t == till => Ok(()),
        Some(t) => Err(SyncError::Rejected(format!(
            "customer {code} was created from till {t}: till {till} may change only the customers it created"
        ))),
        None => Err(SyncError::Rejected(format!(
            "customer {code} was not created from a till: till {till} may change only the customers it created"
        ))),
    }
}

/// The fields a till sent, keeping only the columns `[server] till_customer_columns` allows (by
/// their name in the table); anything else is refused, naming the column.
pub fn allowed_fields(
    customers: &Customers,
    info: &super::serverdb::TableInfo,
    fields: &Map<String, Value>,
) -> Result<Map<String, Value>, SyncError> {
    let mut out = Map::new();
    for (k, v) in fields {
        let Some(col) = info.columns.iter().find(|c| c.eq_ignore_ascii_case(k)) else {
            return Err(SyncError::Rejected(format!(
                "column {k} is not in table {} on the server",
                info.name
            )));
        };
        let allowed = !info.pk.iter().any(|p| p.eq_ignore_ascii_case(k))
            && customers.columns.iter().any(|c| c.eq_ignore_ascii_case(k));
        if !allowed {
            return Err(SyncError::Rejected(format!(
                "column {col} of customers may not be set from a till (allowed: {}; the server's [server] till_customer_columns lists them)",
                customers.columns.join(", ")
            )));
        }
        out.insert(col.clone(), v.clone());
    }
    Ok(out)
}

/// Creates a customer from the model for `till`, in one transaction. The till's `request` UUID
/// is recorded with the code: the same request gets the same customer back. Codes come from a
/// per-till sequence that only grows, so a deleted customer's code is never given again.
pub fn create(
    ops: &mut dyn Ops,
    customers: &Customers,
    till: &str,
    request: Option<&str>,
    fields: &Map<String, Value>,
) -> Result<Created, SyncError> {
    let Some(request) = request.filter(|r| uuid::Uuid::parse_str(r).is_ok()) else {
        return Err(SyncError::Refused(
            "a customer creation needs a request UUID (field `request`): update backroom on the till".into(),
        ));
    };
    let Some(model) = customers.model.as_deref().filter(|m| !m.is_empty()) else {
        return Err(SyncError::Refused(
            "no model customer is configured on the server (set model_customer under [server] in config.toml)".into(),
        ));
    };
    let info = ops.describe(&customers.table)?;
    let [key] = info.pk.as_slice() else {
        return Err(SyncError::Refused(format!(
            "table {} needs a one-column key to hold customers",
            info.name
        )));
    };
    let fields =
        allowed_fields(customers, &info, fields).map_err(|e| SyncError::Refused(e.to_string()))?;
    ops.begin()?;
    let result = (|| {
        let seen = ops.query_pair(
            "SELECT till || ' ' || code FROM backroom_till_customer_requests WHERE uuid = $1",
            "SELECT till || ' ' || code FROM backroom_till_customer_requests WHERE uuid = ?1",
            &[Value::from(request)],
        )?;
        if let Some((owner, code)) = seen.first().and_then(|s| s.split_once(' ')) {
            if owner != till {
                return Err(SyncError::Refused(format!(
                    "request {request} was made by another till"
                )));
            }
            let Some(row) = ops::fetch(ops, &info, code)? else {
                return Err(SyncError::Refused(format!(
                    "customer {code}, created for request {request}, was deleted since (its creation was abandoned)"
                )));
            };
            return Ok(Created {
                code: code.to_string(),
                table: customers.table.clone(),
                key: key.clone(),
                row,
            });
        }
        let Some(mut row) = ops::fetch(ops, &info, model)? else {
            return Err(SyncError::Refused(format!(
                "the model customer {model} is not in table {} on the server (create it, or fix model_customer under [server])",
                info.name
            )));
        };
        let prefix = format!("T{till}-");
        let existing = ops::keys_like(ops, &info, &prefix)?
            .iter()
            .filter_map(|k| k.strip_prefix(&prefix).and_then(|n| n.parse::<i64>().ok()))
            .max()
            .unwrap_or(0);
        let next = ops.query_pair(
            "INSERT INTO backroom_till_customer_seq (till, last) VALUES ($1, $2::text::bigint)
             ON CONFLICT (till) DO UPDATE SET last = GREATEST(backroom_till_customer_seq.last + 1, excluded.last)
             RETURNING last::text",
            "INSERT INTO backroom_till_customer_seq (till, last) VALUES (?1, ?2)
             ON CONFLICT (till) DO UPDATE SET last = max(last + 1, excluded.last)
             RETURNING CAST(last AS TEXT)",
            &[Value::from(till), Value::from(existing + 1)],
        )?;
        let next: i64 = next
            .first()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| SyncError::Refused("the customer code sequence gave nothing".into()))?;
        let code = format!("{prefix}{next:05}");
        for (k, v) in &fields {
            row.insert(k.clone(), v.clone());
        }
        row.insert(key.clone(), Value::from(code.clone()));
        ops::upsert(ops, &info, &row)?;
        let values = [
            Value::from(code.clone()),
            Value::from(till),
            Value::from(request),
        ];
        ops.execute_pair(
            "INSERT INTO backroom_till_customers (code, till) VALUES ($1, $2)",
            &values[..2],
            "INSERT INTO backroom_till_customers (code, till) VALUES (?1, ?2)",
            &values[..2],
        )?;
        ops.execute_pair(
            "INSERT INTO backroom_till_customer_requests (uuid, till, code) VALUES ($3, $2, $1)",
            &values,
            "INSERT INTO backroom_till_customer_requests (uuid, till, code) VALUES (?3, ?2, ?1)",
            &values,
        )?;
        let row = ops::fetch(ops, &info, &code)?.unwrap_or(row);
        Ok(Created {
            code,
            table: customers.table.clone(),
            key: key.clone(),
            row,
        })
    })();
    match result {
        Ok(c) => {
            ops.commit()?;
            Ok(c)
        }
        Err(e) => {
            ops.rollback();
            Err(e)
        }
    }
}
