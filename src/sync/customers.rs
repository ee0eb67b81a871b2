//! Customers created from a till: the server copies the model customer (its code is configured),
//! gives the copy a new code, applies the till's fields and returns the row. Creation needs the
//! server; changes and abandons travel through the queue.

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

/// Creates a customer from the model for `till`, in one transaction.
pub fn create(
    ops: &mut dyn Ops,
    customers: &Customers,
    till: &str,
    fields: &Map<String, Value>,
) -> Result<Created, SyncError> {
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
    ops.begin()?;
    let result = (|| {
        let Some(mut row) = ops::fetch(ops, &info, model)? else {
            return Err(SyncError::Refused(format!(
                "the model customer {model} is not in table {} on the server (create it, or fix model_customer under [server])",
                info.name
            )));
        };
        let prefix = format!("T{till}-");
        let next = ops::keys_like(ops, &info, &prefix)?
            .iter()
            .filter_map(|k| k.strip_prefix(&prefix).and_then(|n| n.parse::<u64>().ok()))
            .max()
            .unwrap_or(0)
            + 1;
        let code = format!("{prefix}{next:05}");
        ops::check_columns(&info, fields)?;
        for (k, v) in fields {
            if let Some(col) = info.columns.iter().find(|c| c.eq_ignore_ascii_case(k)) {
                row.insert(col.clone(), v.clone());
            }
        }
        row.insert(key.clone(), Value::from(code.clone()));
        ops::upsert(ops, &info, &row)?;
        ops.execute_pair(
            "INSERT INTO backroom_till_customers (code, till) VALUES ($1, $2)",
            &[Value::from(code.clone()), Value::from(till)],
            "INSERT INTO backroom_till_customers (code, till) VALUES (?1, ?2)",
            &[Value::from(code.clone()), Value::from(till)],
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

/// Asks the server to create a customer for this till, then stores the returned row locally.
/// Offline, creation is refused (the seed: a creation needs the connection).
pub async fn create_from_till(
    store: &std::path::Path,
    folder: &super::Folder,
    me: &super::push::Identity,
    fields: &Map<String, Value>,
) -> Result<Created, SyncError> {
    let url = super::push::endpoint(folder, "/api/till/customers")?;
    let resp = super::push::client()?
        .post(&url)
        .bearer_auth(&me.token)
        .json(&serde_json::json!({"folder": folder.code, "till": me.number, "fields": fields}))
        .send()
        .await
        .map_err(|e| SyncError::Unreachable {
            url: url.clone(),
            message: format!(
                "{e}. Creating a customer needs the server: it is created there from the model customer. \
                 Try again when the connection is back (changes to existing customers still work offline)"
            ),
        })?;
    if !resp.status().is_success() {
        return Err(super::push::refusal(&url, resp).await);
    }
    let created: Created = resp.json().await.map_err(|e| SyncError::Unreachable {
        url: url.clone(),
        message: format!("unreadable reply: {e}"),
    })?;
    let (db, code, c) = (store.to_path_buf(), folder.code.clone(), created.clone());
    super::serverdb::blocking(move || {
        let mut conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
        store_locally(&mut conn, &code, &c)
    })
    .await?;
    Ok(created)
}

/// Writes a customer the server returned into the till's customers table (created if needed).
fn store_locally(
    conn: &mut rusqlite::Connection,
    folder: &str,
    c: &Created,
) -> Result<(), SyncError> {
    use super::ident;
    let tx = conn.transaction()?;
    let exists: bool = tx.query_row(
        "SELECT count(*) > 0 FROM till_tables WHERE name = ?1 COLLATE NOCASE",
        [&c.table],
        |r| r.get(0),
    )?;
    let cols: Vec<String> = c.row.keys().cloned().collect();
    if !exists {
        let q: Vec<String> = cols.iter().map(|k| ident(k)).collect();
        tx.execute(
            &format!(
                "CREATE TABLE {} ({}, PRIMARY KEY ({}))",
                ident(&c.table),
                q.join(", "),
                ident(&c.key)
            ),
            [],
        )?;
        tx.execute(
            "INSERT INTO till_tables (name, folder, columns, pk, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                c.table,
                folder,
                Value::from(cols.clone()).to_string(),
                Value::from(vec![c.key.clone()]).to_string(),
                crate::store::now()
            ],
        )?;
    } else {
        let mut stmt = tx.prepare("SELECT name FROM pragma_table_info(?1)")?;
        let have: Vec<String> = stmt
            .query_map([&c.table], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        for k in &cols {
            if !have.iter().any(|h| h.eq_ignore_ascii_case(k)) {
                tx.execute(
                    &format!("ALTER TABLE {} ADD COLUMN {}", ident(&c.table), ident(k)),
                    [],
                )?;
            }
        }
    }
    let q: Vec<String> = cols.iter().map(|k| ident(k)).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    tx.execute(
        &format!(
            "INSERT OR REPLACE INTO {} ({}) VALUES ({})",
            ident(&c.table),
            q.join(", "),
            marks.join(", ")
        ),
        rusqlite::params_from_iter(c.row.values().map(super::value::Param)),
    )?;
    tx.commit()?;
    Ok(())
}
