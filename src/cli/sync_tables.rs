//! `backroom sync tables ...`: the tables a POS folder synchronises, per direction.

use std::time::Duration;

use anyhow::Context as _;

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
        /// The POS folder's code.
        #[arg(add = crate::cli::complete::folders())]
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
    /// List a folder's tables; warns about tables missing on the DB server when its test works
    /// (50 unless --limit or --all).
    List {
        /// The POS folder's code.
        #[arg(add = crate::cli::complete::folders())]
        folder: String,
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
    /// Check every table against the DB server (exit 3 when some are missing, 5 when unreachable).
    Check {
        /// The POS folder's code.
        #[arg(add = crate::cli::complete::folders())]
        folder: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Switch a table between full and incremental synchronisation (the TUI's `F`).
    SetType {
        /// The POS folder's code.
        #[arg(add = crate::cli::complete::folders())]
        folder: String,
        /// The table name.
        table: String,
        /// server-to-till or till-to-server.
        #[arg(long)]
        direction: String,
        /// full or incremental.
        #[arg(long = "type")]
        sync_type: String,
    },
    /// Remove a table in one direction.
    Remove {
        /// The POS folder's code.
        #[arg(add = crate::cli::complete::folders())]
        folder: String,
        /// The table name.
        table: String,
        /// server-to-till or till-to-server.
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
        Command::List { folder, list: args } => list(ctx, &folder, &args).await,
        Command::Check { folder, timeout } => check(ctx, &folder, timeout).await,
        Command::SetType {
            folder,
            table,
            direction,
            sync_type,
        } => set_type(ctx, &folder, &table, &direction, &sync_type),
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

/// Asks the DB server for its tables when the folder's last DB test worked (or `force`), and
/// records for each sync table whether the server has it. `Ok(false)`: the server was not asked.
async fn check_server(
    ctx: &Context,
    folder: &PosFolder,
    force: bool,
    timeout: Duration,
) -> Result<bool, String> {
    if !force {
        let conn = ctx.open_store().map_err(|e| format!("{e:#}"))?;
        let last = store::last_tests(&conn, folder.id).map_err(|e| e.to_string())?;
        let db_ok = last
            .iter()
            .any(|t| t.verdict.target == Target::Db && t.verdict.ok);
        if !db_ok {
            return Ok(false);
        }
    }
    let names = crate::pos::conntest::db::list_tables(&folder.db, timeout)
        .await
        .map_err(|e| e.to_string())?;
    if !ctx.read_only {
        let conn = ctx.open_store().map_err(|e| format!("{e:#}"))?;
        store::record_table_check(&conn, folder.id, &names, &crate::store::now())
            .map_err(|e| e.to_string())?;
    }
    Ok(true)
}

fn warn_missing(folder: &PosFolder, tables: &[SyncTable]) {
    for t in tables.iter().filter(|t| t.exists_on_server == Some(false)) {
        eprintln!(
            "warning: table {} ({}) does not exist on the DB server of {} ({})",
            t.table_name,
            t.direction,
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
    check_table_name(name).map_err(|e| Failure::usage(format!("TABLE: {e}")))?;
    let sync_type: SyncType = sync_type
        .parse()
        .map_err(|e| Failure::usage(format!("--type: {e}")))?;
    let direction = parse_direction(direction)?;
    let (folder, id) = {
        let conn = ctx.open_store()?;
        let folder = folder_or_not_found(&conn, code)?;
        match store::add_table(&conn, &folder, name, sync_type, direction) {
            Ok(id) => (folder, id),
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
    };
    eprintln!(
        "folder {}: {name} synchronised {direction} ({sync_type})",
        folder.code
    );
    if let Err(e) = check_server(ctx, &folder, false, Duration::from_secs(5)).await {
        eprintln!("warning: could not list the tables of the DB server ({e})");
    }
    let conn = ctx.open_store()?;
    let added = store::table_by_id(&conn, id)?.context("reading back the new table")?;
    warn_missing(&folder, std::slice::from_ref(&added));
    emit(ctx, &added, String::new)
}

async fn list(
    ctx: &Context,
    code: &str,
    args: &crate::cli::listing::ListArgs,
) -> anyhow::Result<()> {
    // A bad filter is refused before the DB server is asked.
    args.filter(&crate::store::views::SYNC_TABLES)?;
    let folder = {
        let conn = ctx.open_store()?;
        folder_or_not_found(&conn, code)?
    };
    if let Err(e) = check_server(ctx, &folder, false, Duration::from_secs(5)).await {
        eprintln!(
            "warning: could not list the tables of the DB server ({e}); showing the last check"
        );
    }
    let conn = ctx.open_store()?;
    let tables = store::tables(&conn, folder.id)?;
    warn_missing(&folder, &tables);
    let none_at_all = tables.is_empty();
    let tables = crate::cli::listing::keep(
        &conn,
        &crate::store::views::SYNC_TABLES,
        args,
        tables,
        |t| t.id,
    )?;
    emit(ctx, &tables, || render(&folder, &tables, none_at_all))
}

fn render(folder: &PosFolder, tables: &[SyncTable], none_at_all: bool) -> String {
    if none_at_all {
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
        "CHECKED".into(),
    ]];
    for t in tables {
        rows.push(vec![
            t.table_name.clone(),
            t.sync_type.to_string(),
            t.direction.to_string(),
            match t.exists_on_server {
                None => "?".into(),
                Some(true) => "yes".into(),
                Some(false) => "MISSING".into(),
            },
            t.checked_at
                .as_deref()
                .map_or_else(|| "never".into(), crate::cli::output::local_time),
        ]);
    }
    table(&rows)
}

async fn check(ctx: &Context, code: &str, timeout: u64) -> anyhow::Result<()> {
    let folder = {
        let conn = ctx.open_store()?;
        folder_or_not_found(&conn, code)?
    };
    check_server(ctx, &folder, true, Duration::from_secs(timeout.max(1)))
        .await
        .map_err(|e| {
            Failure::unreachable(format!(
                "cannot list the tables of the DB server of {code}: {e}"
            ))
        })?;
    let conn = ctx.open_store()?;
    let tables = store::tables(&conn, folder.id)?;
    warn_missing(&folder, &tables);
    emit(ctx, &tables, || render(&folder, &tables, tables.is_empty()))?;
    let missing = tables
        .iter()
        .filter(|t| t.exists_on_server == Some(false))
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

fn set_type(
    ctx: &Context,
    code: &str,
    name: &str,
    direction: &str,
    sync_type: &str,
) -> anyhow::Result<()> {
    let direction = parse_direction(direction)?;
    let sync_type: SyncType = sync_type
        .parse()
        .map_err(|e| Failure::usage(format!("--type: {e}")))?;
    let conn = ctx.open_store()?;
    let folder = folder_or_not_found(&conn, code)?;
    let found = store::tables(&conn, folder.id)?
        .into_iter()
        .find(|t| t.table_name.eq_ignore_ascii_case(name) && t.direction == direction);
    let Some(t) = found else {
        return Err(Failure::not_found(format!(
            "folder {code} does not synchronise {name} {direction}"
        ))
        .into());
    };
    store::set_table_type(&conn, t.id, sync_type)?;
    eprintln!(
        "folder {code}: {} {direction} is now {sync_type}",
        t.table_name
    );
    emit(
        ctx,
        &serde_json::json!({ "table": t.table_name, "direction": direction, "type": sync_type }),
        String::new,
    )
}
