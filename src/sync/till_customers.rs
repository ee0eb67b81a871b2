//! Customers created from this till: the request UUID is written here before the server is
//! called, a creation whose reply was lost waits with it and is sent again (same UUID, so the
//! server creates it once), and the row the server returns is stored locally.

use serde_json::{Map, Value};

use super::SyncError;
use super::customers::Created;

/// The request UUID of a creation of these fields: the pending one when the same creation waits
/// (its reply was lost), else a new one, written on the till before the call; `true` with a new
/// one (never sent: a connection refused means nothing was created).
fn request_for(
    conn: &rusqlite::Connection,
    folder: &str,
    fields: &Map<String, Value>,
) -> Result<(String, bool), SyncError> {
    let mut stmt = conn.prepare(
        "SELECT uuid, fields FROM till_customer_requests
         WHERE folder = ?1 AND code IS NULL ORDER BY created_at",
    )?;
    let pending: Vec<(String, String)> = stmt
        .query_map([folder], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (uuid, text) in pending {
        if serde_json::from_str::<Map<String, Value>>(&text)
            .ok()
            .as_ref()
            == Some(fields)
        {
            return Ok((uuid, false));
        }
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO till_customer_requests (uuid, folder, fields, created_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![
            uuid,
            folder,
            Value::Object(fields.clone()).to_string(),
            crate::store::now()
        ],
    )?;
    Ok((uuid, true))
}

/// Asks the server to create a customer for this till, then stores the returned row locally.
/// The request UUID is written here first: a creation whose reply was lost stays pending, and
/// running it again (or the worker, once the server answers) gets the same customer back.
pub async fn create_from_till(
    store: &std::path::Path,
    folder: &super::Folder,
    me: &super::push::Identity,
    fields: &Map<String, Value>,
) -> Result<Created, SyncError> {
    let url = super::push::endpoint(folder, "/api/till/customers")?;
    let (db, code, f) = (store.to_path_buf(), folder.code.clone(), fields.clone());
    let (request, fresh) = super::serverdb::blocking(move || {
        let conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
        request_for(&conn, &code, &f)
    })
    .await?;
    send(store, folder, me, &url, &request, fields, fresh).await
}

/// Sends the creations that wait on this till (their replies were lost); returns how many
/// the server answered. Stops at the first that cannot reach the server.
pub async fn send_pending(
    store: &std::path::Path,
    folder: &super::Folder,
    me: &super::push::Identity,
) -> Result<u64, SyncError> {
    let (db, code) = (store.to_path_buf(), folder.code.clone());
    let pending: Vec<(String, String)> = super::serverdb::blocking(move || {
        let conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
        let mut stmt = conn.prepare(
            "SELECT uuid, fields FROM till_customer_requests WHERE folder = ?1 AND code IS NULL ORDER BY created_at",
        )?;
        let rows = stmt
            .query_map([&code], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    })
    .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let url = super::push::endpoint(folder, "/api/till/customers")?;
    let mut sent = 0;
    for (uuid, text) in pending {
        let fields: Map<String, Value> = serde_json::from_str(&text).unwrap_or_default();
        match send(store, folder, me, &url, &uuid, &fields, false).await {
            Ok(_) => sent += 1,
            Err(SyncError::Refused(m)) => {
                tracing::warn!(folder = %folder.code, request = %uuid, error = %m, "customer creation refused");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

/// `fresh`: the request was never sent before. A waiting one (its reply was lost once) may have
/// created the customer on the server already, so it keeps waiting whatever this call meets:
/// forgotten on a refused connection, it was created a second time under a new request.
async fn send(
    store: &std::path::Path,
    folder: &super::Folder,
    me: &super::push::Identity,
    url: &str,
    request: &str,
    fields: &Map<String, Value>,
    fresh: bool,
) -> Result<Created, SyncError> {
    let lost = |what: String| SyncError::Unreachable {
        url: url.to_string(),
        message: format!(
            "{what}. Creating a customer needs the server: it is created there from the model customer. \
             The creation waits here as request {request}: run the same command again when the connection is back \
             (or let the worker send it); the server creates it once. Changes to existing customers still work offline"
        ),
    };
    let forget = |request: String| {
        let db = store.to_path_buf();
        super::serverdb::blocking(move || {
            let conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
            conn.execute(
                "DELETE FROM till_customer_requests WHERE uuid = ?1",
                [&request],
            )?;
            Ok(())
        })
    };
    let sent = super::push::client()?
        .post(url)
        .bearer_auth(&me.token)
        .json(&serde_json::json!({
            "folder": folder.code, "till": me.number, "request": request, "fields": fields
        }))
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) if e.is_connect() && fresh => {
            // The request never left: nothing was created, nothing waits.
            forget(request.to_string()).await?;
            return Err(SyncError::Unreachable {
                url: url.to_string(),
                message: format!(
                    "{e}. Creating a customer needs the server: it is created there from the model customer. \
                     Nothing was created; try again when the connection is back (changes to existing customers still work offline)"
                ),
            });
        }
        Err(e) => return Err(lost(e.to_string())),
    };
    if !resp.status().is_success() {
        let err = super::push::refusal(url, resp).await;
        if let SyncError::Refused(_) = &err {
            // Refused for good (a forbidden column, no model): it does not wait.
            forget(request.to_string()).await?;
        }
        return Err(err);
    }
    let created: Created = resp
        .json()
        .await
        .map_err(|e| lost(format!("the reply was lost or unreadable ({e})")))?;
    let (db, code, c, r) = (
        store.to_path_buf(),
        folder.code.clone(),
        created.clone(),
        request.to_string(),
    );
    super::serverdb::blocking(move || {
        let mut conn = crate::store::open(&db).map_err(|e| SyncError::Config(e.to_string()))?;
        store_locally(&mut conn, &code, &c, &r)
    })
    .await?;
    Ok(created)
}

/// Writes a customer the server returned into the till's customers table (created if needed).
fn store_locally(
    conn: &mut rusqlite::Connection,
    folder: &str,
    c: &Created,
    request: &str,
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
                // No column order yet: the first batch of this table sets it.
                "[]",
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
    tx.execute(
        "UPDATE till_customer_requests SET code = ?2, answered_at = ?3 WHERE uuid = ?1",
        rusqlite::params![request, c.code, crate::store::now()],
    )?;
    tx.commit()?;
    Ok(())
}
