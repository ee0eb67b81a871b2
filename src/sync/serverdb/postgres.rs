//! PostgreSQL server databases: connecting and describing tables.

use super::{TableInfo, no_pk, no_table};
use crate::sync::error::pg_message;
use crate::sync::{Folder, SyncError};

/// Logs in with the folder's settings; the connection task runs in the background.
pub async fn connect(folder: &Folder) -> Result<tokio_postgres::Client, SyncError> {
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(if folder.db_host.is_empty() {
        "127.0.0.1"
    } else {
        &folder.db_host
    })
    .port(folder.db_port.unwrap_or(5432))
    .dbname(&folder.db_name)
    .user(&folder.db_user)
    .connect_timeout(std::time::Duration::from_secs(10))
    .application_name("backroom-sync");
    if let Some(p) = folder.db_password.as_deref() {
        cfg.password(p);
    }
    let (client, connection) = cfg.connect(tokio_postgres::NoTls).await.map_err(|e| {
        SyncError::db(
            &folder.code,
            format!(
                "cannot log in to PostgreSQL {}:{}/{} as {}: {} (check with backroom pos test-db {})",
                folder.db_host,
                folder.db_port.unwrap_or(5432),
                folder.db_name,
                folder.db_user,
                pg_message(&e),
                folder.code
            ),
        )
    })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "server database connection closed");
        }
    });
    Ok(client)
}

/// The real (case-folded) name, columns and primary key of `table`.
pub async fn describe(
    client: &tokio_postgres::Client,
    folder: &str,
    table: &str,
) -> Result<TableInfo, SyncError> {
    let err = |e: tokio_postgres::Error| SyncError::db(folder, pg_message(&e));
    let actual: Option<String> = client
        .query_opt(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND lower(table_name) = lower($1)
             ORDER BY table_name = $1 DESC LIMIT 1",
            &[&table],
        )
        .await
        .map_err(err)?
        .map(|r| r.get(0));
    let Some(actual) = actual else {
        return Err(no_table(folder, table));
    };
    let columns: Vec<String> = client
        .query(
            "SELECT attname::text FROM pg_attribute
             WHERE attrelid = quote_ident($1)::regclass AND attnum > 0 AND NOT attisdropped
             ORDER BY attnum",
            &[&actual],
        )
        .await
        .map_err(err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let pk: Vec<String> = client
        .query(
            "SELECT a.attname::text FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             WHERE i.indrelid = quote_ident($1)::regclass AND i.indisprimary
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            &[&actual],
        )
        .await
        .map_err(err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if pk.is_empty() {
        return Err(no_pk(folder, table));
    }
    Ok(TableInfo {
        name: table.to_string(),
        actual,
        columns,
        pk,
    })
}
