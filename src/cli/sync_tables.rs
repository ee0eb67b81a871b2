//! `backroom sync tables ...`: the tables a POS folder synchronises, per direction.

use std::time::Duration;

use serde::Serialize;

use crate::cli::pos::{folder_or_not_found, table};
use crate::cli::{Failure, emit};
use crate::context::Context;
use crate::pos::conntest::Target;
use crate::pos::sync_table::check_table_name;
use crate::pos::{Direction, PosFolder, SyncTable, SyncType};
use crate::store::pos as store;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a table to synchronise (a table both ways is added once per direction).
    Add {
        folder: String,
        /// The table name (ART, CLI, T012 ...).
        table: String,
        /// full or incremental.
        #[arg(long = "type")]
        sync_type: String,
        /// server-to-till or till-to-server.
        #[arg(long)]
        direction: String,
    },
    /// List a folder's tables; warns about tables missing on the DB server when its test works.
    List { folder: String },
    /// Check every table against the DB server (exit 3 when some are missing, 5 when unreachable).
    Check {
        folder: String,
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Remove a table in one direction.
    Remove {
        folder: String,
        table: String,
        #[arg(long)]
        direction: String,
    },
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Add {
            folder,
            table,
            sync_type,
            direction,
        } => add(ctx, &folder, &table, &sync_type, &direction).await,
        Command::List { folder } => list(ctx, &folder).await,
        Command::Check { folder, timeout } => check(ctx, &folder, timeout).await,
        Command::Remove {
            folder,
            table,
            direction,
        } => remove(ctx, &folder, &table, &direction),
    }
}

fn parse_direction(text: &str) -> anyhow::Result<Direction> {
    text.parse::<Direction>()
        .map_err(|e| Failure::usage(format!("--direction: {e}")).into())
}

/// A sync table with what the DB server says about it.
#[derive(Serialize)]
struct TableView {
    #[serde(flatten)]
    table: SyncTable,
    /// `None` when the server was not asked (DB test not working, or unreachable).
    exists_on_server: Option<bool>,
}

/// The server's tables, lowercased, when the folder's last DB test worked (else `None`).
async fn server_tables(
    ctx: &Context,
    folder: &PosFolder,
    force: bool,
    timeout: Duration,
) -> Result<Option<Vec<String>>, String> {
    if !force {
        let conn = ctx.open_store().map_err(|e| e.to_string())?;
        let last = store::last_tests(&conn, folder.id).map_err(|e| e.to_string())?;
        let db_ok = last
            .iter()
            .any(|t| t.verdict.target == Target::Db && t.verdict.ok);
        if !db_ok {
            return Ok(None);
        }
    }
    crate::pos::conntest::db::list_tables(&folder.db, timeout)
        .await
        .map(|names| Some(names.into_iter().map(|n| n.to_ascii_lowercase()).collect()))
        .map_err(|e| e.to_string())
}

fn views(tables: Vec<SyncTable>, on_server: Option<&[String]>) -> Vec<TableView> {
    tables
        .into_iter()
        .map(|t| {
            let exists = on_server.map(|names| names.contains(&t.table_name.to_ascii_lowercase()));
            TableView {
                table: t,
                exists_on_server: exists,
            }
        })
        .collect()
}

fn warn_missing(folder: &PosFolder, views: &[TableView]) {
    for v in views.iter().filter(|v| v.exists_on_server == Some(false)) {
        eprintln!(
            "warning: table {} ({}) does not exist on the DB server of {} ({})",
            v.table.table_name,
            v.table.direction,
            folder.code,
            db_where(folder)
        );
    }
}

fn db_where(f: &PosFolder) -> String {
    match f.db.kind {
        crate::pos::DbKind::Sqlite => f.db.name.clone(),
        crate::pos::DbKind::Postgresql => {
            format!("{}:{}/{}", f.db.host, f.db.port_or_default(), f.db.name)
        }
    }
}

async fn add(
    ctx: &Context,
    code: &str,
    name: &str,
    sync_type: &str,
    direction: &str,
) -> anyhow::Result<()> {
    ctx.require_admin("adding a sync table")?;
    check_table_name(name).map_err(|e| Failure::usage(format!("TABLE: {e}")))?;
    let sync_type: SyncType = sync_type
        .parse()
        .map_err(|e| Failure::usage(format!("--type: {e}")))?;
    let direction = parse_direction(direction)?;
    let folder = {
        let conn = ctx.open_store()?;
        let folder = folder_or_not_found(&conn, code)?;
        match store::add_table(&conn, &folder, name, sync_type, direction) {
            Ok(_) => {}
            Err(store::PosStoreError::TableExists {
                folder,
                table,
                direction,
            }) => {
                return Err(Failure::usage(format!(
                    "table {table} is already synchronised {direction} in folder {folder}: a table goes once per direction (remove it first to change its type)"
                ))
                .into());
            }
            Err(e) => return Err(e.into()),
        }
        folder
    };
    eprintln!(
        "folder {}: {name} synchronised {direction} ({sync_type})",
        folder.code
    );
    let on_server = server_tables(ctx, &folder, false, Duration::from_secs(5))
        .await
        .ok()
        .flatten();
    let conn = ctx.open_store()?;
    let added: Vec<SyncTable> = store::tables(&conn, folder.id)?
        .into_iter()
        .filter(|t| t.table_name.eq_ignore_ascii_case(name) && t.direction == direction)
        .collect();
    let views = views(added, on_server.as_deref());
    warn_missing(&folder, &views);
    emit(ctx, &views.first(), String::new)
}

async fn list(ctx: &Context, code: &str) -> anyhow::Result<()> {
    let (folder, tables) = {
        let conn = ctx.open_store()?;
        let folder = folder_or_not_found(&conn, code)?;
        let tables = store::tables(&conn, folder.id)?;
        (folder, tables)
    };
    let on_server = match server_tables(ctx, &folder, false, Duration::from_secs(5)).await {
        Ok(names) => names,
        Err(e) => {
            eprintln!("warning: could not list the tables of the DB server ({e})");
            None
        }
    };
    let views = views(tables, on_server.as_deref());
    warn_missing(&folder, &views);
    emit(ctx, &views, || render(&folder, &views))
}

fn render(folder: &PosFolder, views: &[TableView]) -> String {
    if views.is_empty() {
        eprintln!(
            "folder {} has no sync table: add one with backroom sync tables add {} TABLE --type full --direction server-to-till",
            folder.code, folder.code
        );
        return String::new();
    }
    let mut rows = vec![vec![
        "TABLE".to_string(),
        "TYPE".into(),
        "DIRECTION".into(),
        "ON SERVER".into(),
    ]];
    for v in views {
        rows.push(vec![
            v.table.table_name.clone(),
            v.table.sync_type.to_string(),
            v.table.direction.to_string(),
            match v.exists_on_server {
                None => "?".into(),
                Some(true) => "yes".into(),
                Some(false) => "MISSING".into(),
            },
        ]);
    }
    table(&rows)
}

async fn check(ctx: &Context, code: &str, timeout: u64) -> anyhow::Result<()> {
    let (folder, tables) = {
        let conn = ctx.open_store()?;
        let folder = folder_or_not_found(&conn, code)?;
        let tables = store::tables(&conn, folder.id)?;
        (folder, tables)
    };
    let names = server_tables(ctx, &folder, true, Duration::from_secs(timeout.max(1)))
        .await
        .map_err(|e| {
            Failure::unreachable(format!(
                "cannot list the tables of the DB server of {code}: {e}"
            ))
        })?;
    let views = views(tables, names.as_deref());
    warn_missing(&folder, &views);
    emit(ctx, &views, || render(&folder, &views))?;
    let missing = views
        .iter()
        .filter(|v| v.exists_on_server == Some(false))
        .count();
    if missing > 0 {
        return Err(Failure::not_found(format!(
            "{missing} sync table(s) of {code} do not exist on the DB server"
        ))
        .into());
    }
    Ok(())
}

fn remove(ctx: &Context, code: &str, name: &str, direction: &str) -> anyhow::Result<()> {
    ctx.require_admin("removing a sync table")?;
    let direction = parse_direction(direction)?;
    let conn = ctx.open_store()?;
    let folder = folder_or_not_found(&conn, code)?;
    if !store::remove_table(&conn, folder.id, name, direction)? {
        return Err(Failure::not_found(format!(
            "folder {code} does not synchronise {name} {direction}"
        ))
        .into());
    }
    eprintln!("folder {code}: {name} no longer synchronised {direction}");
    emit(
        ctx,
        &serde_json::json!({ "removed": name, "direction": direction }),
        String::new,
    )
}
