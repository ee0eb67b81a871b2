//! `backroom pos ...`: POS folders ("Dossier TPV") and their connection tests.

use std::io::BufRead;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use crate::cli::output::local_time;
use crate::cli::{Failure, emit};
use crate::context::Context;
use crate::pos::conntest::{self, ConnectionTest, Target};
use crate::pos::field::{Field, Tab};
use crate::pos::{FolderForm, PosFolder, Process, SyncTable};
use crate::store::pos as store;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// POS folders: add, list, show, set, remove.
    Folders(FoldersArgs),
    /// Test the DB server connection of a folder (logs in and runs a query).
    TestDb(TestArgs),
    /// Test the FTP server of a folder (logs in, changes to the target, downloads test.txt).
    TestFtp(TestArgs),
    /// Test the web service of a folder (GET <url>/health).
    TestWs(TestArgs),
    /// Run the three tests of a folder at once (exit 0 only when all pass).
    Test(TestArgs),
    /// The kept connection test results of a folder, newest first (50 unless --limit or --all).
    TestHistory {
        /// The folder's code.
        #[arg(add = crate::cli::complete::folders())]
        code: String,
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct FoldersArgs {
    #[command(subcommand)]
    pub command: FoldersCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum FoldersCommand {
    /// Add a folder (its three processes are created with it).
    Add {
        /// The folder's code (letters, digits, -, _ and .; e.g. STORE12).
        code: String,
        #[command(flatten)]
        fields: Box<FieldFlags>,
    },
    /// List folders with the last state of each connection (50 unless --limit or --all).
    List {
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
    /// Show a folder's four tabs, processes, tables and last connection tests.
    Show {
        /// The folder's code.
        #[arg(add = crate::cli::complete::folders())]
        code: String,
    },
    /// Change fields of a folder (only the flags given).
    Set {
        /// The folder's code.
        #[arg(add = crate::cli::complete::folders())]
        code: String,
        /// Rename the folder.
        #[arg(long)]
        new_code: Option<String>,
        #[command(flatten)]
        fields: Box<FieldFlags>,
    },
    /// Remove a folder with its sync tables, processes and test results.
    Remove {
        /// The folder's code.
        #[arg(add = crate::cli::complete::folders())]
        code: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The folder's code.
    #[arg(add = crate::cli::complete::folders())]
    pub code: String,
    /// Give up on each step (connect, log in, each command, each download) after this many seconds, 1 to 300.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
}

/// One flag per field of the four tabs. Passwords: prefer `--*-password-stdin` or `--*-password-env`
/// so they never sit in the shell history.
#[derive(Debug, Default, clap::Args)]
pub struct FieldFlags {
    /// Server tab: the account that administers the folder.
    #[arg(long)]
    pub administrator: Option<String>,
    /// DB server tab: postgresql or sqlite.
    #[arg(long)]
    pub db_kind: Option<String>,
    /// Host name or IP address of the PostgreSQL server.
    #[arg(long)]
    pub db_host: Option<String>,
    /// 1 to 65535 (empty: 5432).
    #[arg(long, allow_hyphen_values = true)]
    pub db_port: Option<String>,
    /// PostgreSQL database, or the SQLite file's absolute path.
    #[arg(long)]
    pub db_name: Option<String>,
    /// The account the server and tills log in with.
    #[arg(long)]
    pub db_user: Option<String>,
    /// The DB password on the command line (visible in the shell history: prefer the two below).
    #[arg(long, conflicts_with_all = ["db_password_stdin", "db_password_env"])]
    pub db_password: Option<String>,
    /// Read the DB password from the first line of standard input.
    #[arg(long, conflicts_with = "db_password_env")]
    pub db_password_stdin: bool,
    /// Read the DB password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub db_password_env: Option<String>,
    /// FTP server tab: copy (copy-to-share) or put.
    #[arg(long)]
    pub ftp_mode: Option<String>,
    /// The share (work) folder, an absolute path; required in copy mode.
    #[arg(long)]
    pub ftp_share: Option<String>,
    /// ftp://host[:port] or ftps://host[:port], target folder after {} (ftp://files.example{}store12/outbox).
    #[arg(long)]
    pub ftp_address: Option<String>,
    /// The FTP login.
    #[arg(long)]
    pub ftp_user: Option<String>,
    /// The FTP password on the command line (visible in the shell history: prefer the two below).
    #[arg(long, conflicts_with_all = ["ftp_password_stdin", "ftp_password_env"])]
    pub ftp_password: Option<String>,
    /// Read the FTP password from standard input (the second line when the DB password is read first).
    #[arg(long, conflicts_with = "ftp_password_env")]
    pub ftp_password_stdin: bool,
    /// Read the FTP password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub ftp_password_env: Option<String>,
    /// Till tab: the web service URL (http(s)://host[:port]).
    #[arg(long)]
    pub ws_url: Option<String>,
    /// Till tab: wait between two synchronisations, in milliseconds.
    #[arg(long, allow_hyphen_values = true)]
    pub sync_wait_ms: Option<String>,
}

impl FieldFlags {
    /// Writes the given flags into the form; reads passwords from stdin or the environment.
    fn apply(self, form: &mut FolderForm) -> anyhow::Result<()> {
        let mut stdin_lines = None::<std::io::Lines<std::io::StdinLock<'static>>>;
        let mut read_line = |what: &str| -> anyhow::Result<String> {
            let lines = stdin_lines.get_or_insert_with(|| std::io::stdin().lock().lines());
            match lines.next() {
                Some(line) => Ok(line
                    .with_context(|| format!("reading the {what} from standard input"))?
                    .trim_end_matches('\r')
                    .to_string()),
                None => Err(Failure::usage(format!(
                    "the {what} was to be read from standard input, but it is empty"
                ))
                .into()),
            }
        };
        let from_env = |var: &str, what: &str| -> anyhow::Result<String> {
            std::env::var(var).map_err(|_| {
                Failure::usage(format!(
                    "the {what} was to be read from ${var}, which is not set"
                ))
                .into()
            })
        };
        let db_password = match (
            self.db_password,
            self.db_password_stdin,
            self.db_password_env,
        ) {
            (Some(p), _, _) => Some(p),
            (None, true, _) => Some(read_line("DB password")?),
            (None, false, Some(var)) => Some(from_env(&var, "DB password")?),
            _ => None,
        };
        let ftp_password = match (
            self.ftp_password,
            self.ftp_password_stdin,
            self.ftp_password_env,
        ) {
            (Some(p), _, _) => Some(p),
            (None, true, _) => Some(read_line("FTP password")?),
            (None, false, Some(var)) => Some(from_env(&var, "FTP password")?),
            _ => None,
        };
        let given = [
            (Field::Administrator, self.administrator),
            (Field::DbKind, self.db_kind),
            (Field::DbHost, self.db_host),
            (Field::DbPort, self.db_port),
            (Field::DbName, self.db_name),
            (Field::DbUser, self.db_user),
            (Field::DbPassword, db_password),
            (Field::FtpMode, self.ftp_mode),
            (Field::FtpShare, self.ftp_share),
            (Field::FtpAddress, self.ftp_address),
            (Field::FtpUser, self.ftp_user),
            (Field::FtpPassword, ftp_password),
            (Field::WsUrl, self.ws_url),
            (Field::SyncWaitMs, self.sync_wait_ms),
        ];
        for (field, value) in given {
            if let Some(v) = value {
                form.set(field, &v);
            }
        }
        Ok(())
    }
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Folders(f) => match f.command {
            FoldersCommand::Add { code, fields } => add(ctx, &code, fields),
            FoldersCommand::List { list: args } => list(ctx, &args),
            FoldersCommand::Show { code } => show(ctx, &code),
            FoldersCommand::Set {
                code,
                new_code,
                fields,
            } => set(ctx, &code, new_code, fields),
            FoldersCommand::Remove { code } => remove(ctx, &code),
        },
        Command::TestDb(a) => test(ctx, a, Target::Db).await,
        Command::TestFtp(a) => test(ctx, a, Target::Ftp).await,
        Command::TestWs(a) => test(ctx, a, Target::Ws).await,
        Command::Test(a) => test_all(ctx, a).await,
        Command::TestHistory { code, list } => history(ctx, &code, &list),
    }
}

/// Loads a folder by code, or fails with exit 3 naming the known ones.
pub fn folder_or_not_found(conn: &rusqlite::Connection, code: &str) -> anyhow::Result<PosFolder> {
    if let Some(f) = store::folder_by_code(conn, code)? {
        return Ok(f);
    }
    let known: Vec<String> = store::list_folders(conn)?
        .into_iter()
        .map(|f| f.code)
        .collect();
    let hint = if known.is_empty() {
        "there is no POS folder yet (backroom pos folders add CODE)".to_string()
    } else {
        format!("known folders: {}", known.join(", "))
    };
    Err(Failure::not_found(format!("no POS folder {code:?}: {hint}")).into())
}

fn invalid(errors: Vec<crate::pos::FieldError>) -> anyhow::Error {
    let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    Failure::usage(format!(
        "the POS folder is not valid, nothing was saved:\n{}",
        lines.join("\n")
    ))
    .into()
}

fn add(ctx: &Context, code: &str, fields: Box<FieldFlags>) -> anyhow::Result<()> {
    let mut form = FolderForm::new(code);
    fields.apply(&mut form)?;
    let folder = form.to_folder().map_err(invalid)?;
    let mut conn = ctx.open_store()?;
    let id = match store::insert_folder(&mut conn, &folder) {
        Ok(id) => id,
        Err(store::PosStoreError::FolderExists(c)) => {
            return Err(Failure::usage(format!(
                "POS folder {c} already exists: change it with backroom pos folders set {c} ..."
            ))
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(folder = %folder.code, "POS folder added");
    eprintln!(
        "added POS folder {} with its processes export_caisseauto, import_caisseauto, import_updatecaisse",
        folder.code
    );
    let saved = store::folder_by_id(&conn, id)?.context("reading back the new folder")?;
    emit(ctx, &saved, String::new)
}

fn set(
    ctx: &Context,
    code: &str,
    new_code: Option<String>,
    fields: Box<FieldFlags>,
) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let current = folder_or_not_found(&conn, code)?;
    let mut form = FolderForm::from_folder(&current);
    if let Some(c) = &new_code {
        form.set(Field::Code, c);
    }
    fields.apply(&mut form)?;
    let mut folder = form.to_folder().map_err(invalid)?;
    folder.id = current.id;
    match store::update_folder(&conn, &folder) {
        Ok(_) => {}
        Err(store::PosStoreError::FolderExists(c)) => {
            return Err(Failure::usage(format!(
                "cannot rename to {c}: POS folder {c} already exists"
            ))
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    let changed: Vec<&str> = Field::ALL
        .into_iter()
        .filter(|f| form.value(*f) != FolderForm::from_folder(&current).value(*f))
        .map(|f| f.flag())
        .collect();
    tracing::info!(folder = %folder.code, changed = ?changed, "POS folder changed");
    if changed.is_empty() {
        eprintln!("POS folder {code}: nothing changed");
    } else {
        eprintln!("POS folder {}: changed {}", folder.code, changed.join(", "));
    }
    let saved = store::folder_by_id(&conn, current.id)?.context("reading back the folder")?;
    emit(ctx, &saved, String::new)
}

fn remove(ctx: &Context, code: &str) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let folder = folder_or_not_found(&conn, code)?;
    let tables = store::tables(&conn, folder.id)?.len();
    store::delete_folder(&conn, folder.id)?;
    tracing::info!(folder = %folder.code, "POS folder removed");
    eprintln!(
        "removed POS folder {} with its {tables} sync table(s), processes and connection test results",
        folder.code
    );
    emit(
        ctx,
        &serde_json::json!({ "removed": folder.code }),
        String::new,
    )
}

/// A folder as `list` and `show` print it in JSON.
#[derive(Serialize)]
struct FolderView {
    #[serde(flatten)]
    folder: PosFolder,
    last_tests: Vec<ConnectionTest>,
}

#[derive(Serialize)]
struct FolderDetail {
    #[serde(flatten)]
    folder: PosFolder,
    last_tests: Vec<ConnectionTest>,
    processes: Vec<Process>,
    tables: Vec<SyncTable>,
}

fn state_of(tests: &[ConnectionTest], target: Target) -> String {
    match tests.iter().find(|t| t.verdict.target == target) {
        None => "untested".to_string(),
        Some(t) if t.verdict.ok => "ok".to_string(),
        Some(t) => t
            .verdict
            .failure
            .map(|f| f.as_str().to_string())
            .unwrap_or_else(|| "failed".into()),
    }
}

fn list(ctx: &Context, args: &crate::cli::listing::ListArgs) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let folders = store::list_folders(&conn)?;
    let none_at_all = folders.is_empty();
    let folders = crate::cli::listing::keep(
        &conn,
        &crate::store::views::POS_FOLDERS,
        args,
        folders,
        |f| f.id,
    )?;
    let mut views = Vec::new();
    for folder in folders {
        let last_tests = store::last_tests(&conn, folder.id)?;
        views.push(FolderView { folder, last_tests });
    }
    emit(ctx, &views, || {
        if none_at_all {
            eprintln!("no POS folder yet: add one with backroom pos folders add CODE");
            return String::new();
        }
        let mut rows = vec![vec![
            "FOLDER".to_string(),
            "DB SERVER".into(),
            "FTP".into(),
            "WEB SERVICE".into(),
            "WAIT".into(),
            "DB".into(),
            "FTP".into(),
            "WS".into(),
        ]];
        for v in &views {
            let f = &v.folder;
            rows.push(vec![
                f.code.clone(),
                db_summary(f),
                f.ftp
                    .address
                    .as_ref()
                    .map(|a| format!("{} {a}", f.ftp.mode))
                    .unwrap_or_else(|| "-".into()),
                dash(&f.till.ws_url),
                format!("{} ms", f.till.sync_wait_ms),
                state_of(&v.last_tests, Target::Db),
                state_of(&v.last_tests, Target::Ftp),
                state_of(&v.last_tests, Target::Ws),
            ]);
        }
        table(&rows)
    })
}

fn dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}

fn db_summary(f: &PosFolder) -> String {
    match f.db.kind {
        crate::pos::DbKind::Sqlite => format!("sqlite {}", dash(&f.db.name)),
        crate::pos::DbKind::Postgresql if f.db.host.is_empty() => "postgresql (not set)".into(),
        crate::pos::DbKind::Postgresql => format!(
            "postgresql {}:{}/{}",
            f.db.host,
            f.db.port_or_default(),
            f.db.name
        ),
    }
}

fn show(ctx: &Context, code: &str) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let folder = folder_or_not_found(&conn, code)?;
    let detail = FolderDetail {
        last_tests: store::last_tests(&conn, folder.id)?,
        processes: store::processes(&conn, folder.id)?,
        tables: store::tables(&conn, folder.id)?,
        folder,
    };
    emit(ctx, &detail, || show_text(&detail))
}

fn show_text(d: &FolderDetail) -> String {
    let form = FolderForm::from_folder(&d.folder);
    let mut out = format!(
        "POS folder {} (created {})\n",
        d.folder.code,
        local_time(&d.folder.created_at)
    );
    for tab in Tab::ALL {
        out.push_str(&format!("\n[{}]\n", tab.label()));
        for field in tab.fields() {
            let shown = match field {
                Field::DbHost | Field::DbPort if d.folder.db.kind == crate::pos::DbKind::Sqlite => {
                    "(not used for an SQLite file)".to_string()
                }
                Field::DbPort if form.value(field).is_empty() => "5432 (default)".to_string(),
                Field::FtpMode => {
                    format!("{} ({})", d.folder.ftp.mode, d.folder.ftp.mode.describe())
                }
                _ => dash(&form.display(field)),
            };
            out.push_str(&format!("  {:<40} {shown}\n", field.label()));
        }
    }
    out.push_str("\n[Connection tests] last known state\n");
    for target in Target::ALL {
        match d.last_tests.iter().find(|t| t.verdict.target == target) {
            None => out.push_str(&format!(
                "  {:<12} untested (backroom pos test-{} {})\n",
                target.label(),
                target.as_str(),
                d.folder.code
            )),
            Some(t) => {
                out.push_str(&format!(
                    "  {:<12} {} at {}\n",
                    target.label(),
                    t.verdict.summary(),
                    local_time(&t.tested_at)
                ));
                if let Some(detail) = &t.verdict.detail {
                    out.push_str(&format!("  {:<12} {detail}\n", ""));
                }
            }
        }
    }
    out.push_str("\n[Processes]\n");
    for p in &d.processes {
        let confirm = p
            .confirm_mode
            .map(|c| format!(", confirm {c}"))
            .unwrap_or_default();
        let last = match (&p.last_run_at, &p.last_outcome) {
            (Some(at), Some(o)) => format!(
                "last run {}: {o}{}",
                local_time(at),
                p.last_message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ),
            _ => "never run".to_string(),
        };
        out.push_str(&format!(
            "  {:<20} {:<6} every {} s, {}{confirm}; {last}\n",
            p.kind.as_str(),
            p.kind.side(),
            p.schedule_secs,
            if p.enabled { "enabled" } else { "disabled" },
        ));
    }
    out.push_str(&format!("\n[Sync tables] {}\n", d.tables.len()));
    for t in &d.tables {
        out.push_str(&format!(
            "  {:<20} {:<12} {}\n",
            t.table_name, t.sync_type, t.direction
        ));
    }
    out
}

async fn test(ctx: &Context, args: TestArgs, target: Target) -> anyhow::Result<()> {
    let folder_id = {
        let conn = ctx.open_store()?;
        folder_or_not_found(&conn, &args.code)?.id
    };
    let keep = !ctx.read_only;
    let timeout = Duration::from_secs(args.timeout);
    eprintln!("testing the {} of {} ...", target.label(), args.code);
    let (_, tested) = conntest::run_and_keep(&ctx.db_path, folder_id, target, timeout, keep)
        .await
        .with_context(|| format!("testing the {} of {}", target.label(), args.code))?;
    if !keep {
        eprintln!("read-only: the result was not kept");
    }
    emit(ctx, &tested, || {
        let mut text = format!(
            "{} of {}: {}",
            target.label(),
            args.code,
            tested.verdict.summary()
        );
        if let Some(d) = &tested.verdict.detail {
            text.push_str(&format!("\n  {d}"));
        }
        text
    })?;
    if tested.verdict.ok {
        Ok(())
    } else {
        Err(Failure::unreachable(format!(
            "the {} test of {} failed ({})",
            target.label(),
            args.code,
            tested
                .verdict
                .failure
                .map(|f| f.as_str())
                .unwrap_or("failed")
        ))
        .into())
    }
}

async fn test_all(ctx: &Context, args: TestArgs) -> anyhow::Result<()> {
    let folder_id = {
        let conn = ctx.open_store()?;
        folder_or_not_found(&conn, &args.code)?.id
    };
    let keep = !ctx.read_only;
    let timeout = Duration::from_secs(args.timeout);
    eprintln!(
        "testing the DB server, FTP server and web service of {} ...",
        args.code
    );
    let run = |target| conntest::run_and_keep(&ctx.db_path, folder_id, target, timeout, keep);
    let (db, ftp, ws) = tokio::join!(run(Target::Db), run(Target::Ftp), run(Target::Ws));
    let tests: Vec<ConnectionTest> = [db, ftp, ws]
        .into_iter()
        .map(|r| r.map(|(_, t)| t))
        .collect::<Result<_, _>>()
        .with_context(|| format!("testing the connections of {}", args.code))?;
    emit(ctx, &tests, || {
        tests
            .iter()
            .map(|t| format!("{:<12} {}\n", t.verdict.target.label(), t.verdict.summary()))
            .collect()
    })?;
    let failed: Vec<&str> = tests
        .iter()
        .filter(|t| !t.verdict.ok)
        .map(|t| t.verdict.target.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::unreachable(format!(
            "{} of 3 connection tests of {} failed: {}",
            failed.len(),
            args.code,
            failed.join(", ")
        ))
        .into())
    }
}

fn history(ctx: &Context, code: &str, args: &crate::cli::listing::ListArgs) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    let folder = folder_or_not_found(&conn, code)?;
    // Kept only when someone tests (the CLI, the TUI): read whole, then filtered as shown.
    let tests = store::test_history(&conn, folder.id, None)?;
    let tested = !tests.is_empty();
    let tests = crate::cli::listing::shown::keep(
        &crate::cli::listing::shown::TEST_HISTORY,
        args,
        tests,
        history_cells,
    )?;
    emit(ctx, &tests, || {
        if !tested {
            eprintln!("no connection test of {code} yet: backroom pos test {code}");
            return String::new();
        }
        let mut rows = vec![vec![
            "TESTED AT".to_string(),
            "TARGET".into(),
            "RESULT".into(),
            "TOOK".into(),
            "VERDICT".into(),
        ]];
        rows.extend(tests.iter().map(history_cells));
        table(&rows)
    })
}

fn history_cells(t: &ConnectionTest) -> Vec<String> {
    vec![
        local_time(&t.tested_at),
        t.verdict.target.as_str().into(),
        t.verdict
            .failure
            .map(|f| f.as_str().to_string())
            .unwrap_or_else(|| "ok".into()),
        format!("{} ms", t.verdict.elapsed_ms),
        t.verdict.message.clone(),
    ]
}

pub use super::output::table;
