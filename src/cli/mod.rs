//! The scriptable CLI (clap): `backroom <noun> <verb>`, `--json` output, stable exit codes.
//!
//! Exit codes: 0 success, 1 error, 2 bad usage or bad input, 3 not found, 4 refused
//! (read-only, role, or a state that does not allow the action), 5 a peer could not be reached
//! or a connection test failed.

pub mod action;
pub mod audit;
pub mod complete;
pub mod contacts;
pub mod doctor;
pub mod events;
pub mod jobs;
pub mod links;
pub mod listing;
pub mod operators;
pub mod output;
pub mod password;
pub mod pos;
pub mod printers;
pub mod remote;
pub mod setup;
pub mod sync;
pub mod sync_processes;
pub mod sync_tables;
pub mod terms;
pub mod till;
pub mod tills;
pub mod triggers;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::Config;
use crate::context::Context;
use crate::service::{Identity, Refused};

pub use output::{Failure, emit};

#[derive(Debug, Parser)]
#[command(
    name = "backroom",
    version,
    about = "Terminal console for store and print-shop back offices"
)]
pub struct Cli {
    /// Database file (default: backroom.db in the data dir).
    #[arg(long, global = true, env = "BACKROOM_DB")]
    pub db: Option<PathBuf>,
    /// Config file (default: config.toml in the config dir).
    #[arg(long, global = true, env = "BACKROOM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Use the demo database (created and filled on first use).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Refuse every change.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Machine-readable output on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// The daemon's control socket (default: [daemon] socket, else /run/backroom/backroom.sock).
    #[arg(long, global = true, env = "BACKROOM_SOCKET")]
    pub socket: Option<PathBuf>,
    /// Use the database directly (personal mode) even when a daemon answers.
    #[arg(
        long,
        global = true,
        env = "BACKROOM_NO_DAEMON",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_daemon: bool,
    /// The operator to sign in as on a shared terminal account (password: prompted, or
    /// BACKROOM_OPERATOR_PASSWORD).
    #[arg(long, global = true, env = "BACKROOM_OPERATOR")]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Option<Noun>,
}

#[derive(Debug, Subcommand)]
pub enum Noun {
    /// Printer configurations.
    Printers(printers::Args),
    /// Which event prints which document on which printer.
    Triggers(triggers::Args),
    /// Print jobs.
    Jobs(jobs::Args),
    /// Events that trigger printing.
    Events(events::Args),
    /// Print-shop contacts.
    Contacts(contacts::Args),
    /// The integration link and the generic link.
    Links(links::Args),
    /// Terms of service.
    Terms(terms::Args),
    /// POS folders and connection tests.
    Pos(pos::Args),
    /// Sync tables, processes and runs.
    Sync(sync::Args),
    /// What a till records: tickets, customers, parameters (queued for the server).
    Till(till::Args),
    /// Every till that reports to this server (run on the server).
    Tills(tills::Args),
    /// Run the background worker headless.
    Worker(WorkerArgs),
    /// Run the web service.
    Serve(ServeArgs),
    /// Prepare a store server: `setup --system`.
    Setup(setup::Args),
    /// Check everything and say what is wrong and how to fix it (exit 0 ok, 1 warnings, 2 problems).
    Doctor(doctor::DoctorArgs),
    /// Write a ZIP for support: the doctor's report, versions, redacted config and log, recent runs.
    SupportBundle(doctor::BundleArgs),
    /// Run the store server: worker, web service and the control socket clients go through.
    /// (`--socket PATH`, else [daemon] socket in config.toml, else /run/backroom/backroom.sock).
    Daemon,
    /// The audit log of changes and refusals (administrators).
    Audit(audit::Args),
    /// Operators who sign in on shared terminal accounts (administrators).
    Operators(operators::Args),
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Process what is due now, then exit.
    #[arg(long)]
    pub until_idle: bool,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default: [server] listen in config.toml).
    #[arg(long)]
    pub listen: Option<String>,
    /// Do not run the worker in this process (another process runs it).
    #[arg(long)]
    pub no_worker: bool,
}

/// Set by the daemon on the process that runs a client's command: the client's name.
pub const DELEGATED_ENV: &str = "BACKROOM_DELEGATED";

/// The binary's entry point.
pub fn main() -> ExitCode {
    quiet_broken_pipe();
    // `COMPLETE=bash backroom …`: the shell asks for completions (states, names, folders).
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
    // Known before parsing, so that a usage error is JSON too.
    let json = std::env::args_os().any(|a| a == "--json");
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(both) => both,
        Err(e) if json && e.use_stderr() => {
            let message = e.render().to_string();
            let message = message.trim().trim_start_matches("error: ");
            eprintln!("{}", output::error_json(output::USAGE, message));
            return ExitCode::from(output::USAGE);
        }
        Err(e) => e.exit(),
    };
    crate::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            let message = format!("cannot start the runtime: {e}");
            if json {
                eprintln!("{}", output::error_json(1, &message));
            } else {
                eprintln!("error: {message}");
            }
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli, matches));
    if result.is_ok() {
        // Whatever the command changed (a printer switched on, a trigger set), the running
        // worker looks at once; commands that queued work woke it already.
        crate::worker::wake();
    }
    // Work still in flight (a pane load, a printer check waiting on a dead host) must not keep
    // the process alive once the operator quit or the command finished.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<remote::Exit>().is_some() => {
            ExitCode::from(e.downcast_ref::<remote::Exit>().map_or(1, |x| x.0))
        }
        Err(e) => {
            let code = exit_code(&e);
            if e.to_string().is_empty() {
                return ExitCode::from(code);
            }
            if json {
                eprintln!("{}", output::error_json(code, &format!("{e:#}")));
            } else {
                eprintln!("error: {e:#}");
            }
            tracing::error!("{e:#}");
            ExitCode::from(code)
        }
    }
}

/// `backroom ... | head` must not end in a panic: a closed stdout ends the run quietly.
fn quiet_broken_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        previous(info)
    }));
}

/// The exit code an error maps to.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if let Some(f) = e.downcast_ref::<Failure>() {
        return f.code;
    }
    if e.downcast_ref::<Refused>().is_some() {
        return output::REFUSED;
    }
    if e.downcast_ref::<crate::config::ConfigError>().is_some() {
        return output::USAGE;
    }
    1
}

/// Builds the run's context from the global options.
pub fn context(cli: &Cli) -> anyhow::Result<Context> {
    let config_path = cli
        .config
        .clone()
        .unwrap_or_else(crate::config::default_path);
    let mut config = Config::load(&config_path)?;
    if let Some(ca) = &config.tls.extra_ca_file {
        crate::net::trust::add_ca_file(ca)
            .map_err(|e| Failure::usage(format!("{e} (in {})", config_path.display())))?;
    }
    if cli.demo && config.store.name == crate::config::StoreSection::default().name {
        config.store.name = "Demo store".to_string();
    }
    if cli.demo {
        crate::demo::signing(&mut config, &crate::paths::demo_db())?;
    }
    let db_path = match (&cli.db, cli.demo) {
        (_, true) => crate::paths::demo_db(),
        // Absolute, so that what lives next to the database (job files, exports' work folders)
        // is found there: a bare `--db x.db` put job files in the data folder of the default
        // store, where a delete then removed another store's files.
        (Some(p), false) => std::path::absolute(p).unwrap_or_else(|_| p.clone()),
        (None, false) => crate::paths::default_db(),
    };
    crate::worker::wake::register(&db_path);
    let identity = Identity::personal(&db_path, &config, cli.read_only);
    // A daemon runs this command for a client it already judged: name the client, not the
    // service account.
    let operator = std::env::var(DELEGATED_ENV).unwrap_or_else(|_| identity.who());
    Ok(Context {
        db_path,
        config_path,
        config,
        operator,
        role: identity.role,
        read_only: cli.read_only,
        json: cli.json,
        demo: cli.demo,
        personal: true,
        audit: None,
        outbox: None,
        link_focus: Default::default(),
    })
}

async fn run(cli: Cli, matches: clap::ArgMatches) -> anyhow::Result<()> {
    if let Some(Noun::Completions { shell }) = &cli.command {
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut Cli::command(), "backroom", &mut script);
        use std::io::Write as _;
        return match std::io::stdout().lock().write_all(&script) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(()),
        };
    }
    if let Some(Noun::Setup(a)) = cli.command {
        return setup::run(a, cli.json);
    }
    let named = action::name(&Cli::command(), &matches);
    let delegated = std::env::var_os(DELEGATED_ENV).is_some();
    let serves = matches!(
        cli.command,
        Some(Noun::Daemon | Noun::Worker(_) | Noun::Serve(_))
    );
    if !cli.no_daemon && !delegated && !serves {
        let config = cli
            .config
            .clone()
            .unwrap_or_else(crate::config::default_path);
        let (path, explicit) = remote::socket_path(cli.socket.as_deref(), Some(&config));
        if let Some(mut stream) = remote::connect(&path, explicit).await? {
            if cli.command.is_none() {
                // The daemon hosts the TUI; a shared account signs in on its screen.
                remote::hello(&mut stream).await?;
                return match crate::tui::remote::run(stream, cli.read_only).await? {
                    0 => Ok(()),
                    code => Err(remote::Exit(code).into()),
                };
            }
            let _who = remote::open(&mut stream, cli.operator.as_deref()).await?;
            let argv: Vec<String> = std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            return match remote::run(&mut stream, argv, &named).await? {
                0 => Ok(()),
                code => Err(remote::Exit(code).into()),
            };
        }
    }
    let ctx = context(&cli)?;
    if ctx.demo {
        let mut conn = crate::store::open(&ctx.db_path)?;
        crate::demo::seed(&mut conn)?;
    }
    if matches!(cli.command, Some(Noun::Daemon)) {
        return crate::daemon::run(ctx, cli.socket.clone()).await;
    }
    if cli.command.is_none() || delegated {
        return dispatch(cli, ctx).await;
    }
    // Personal mode: the same gate the daemon applies, on the user's own database.
    let who = Identity::personal(&ctx.db_path, &ctx.config, ctx.read_only);
    let (access, description) = crate::service::policy::rule(&named.action);
    let audited = access.changes();
    if let Err(refused) = crate::service::policy::check(&who, access, &description) {
        personal_audit(
            &ctx,
            &who,
            &named,
            &crate::service::audit::Outcome::Refused(refused.to_string()),
        );
        return Err(refused.into());
    }
    let result = dispatch(cli, ctx.clone()).await;
    if audited {
        let outcome = match &result {
            Ok(()) => crate::service::audit::Outcome::Ok,
            Err(e) => crate::service::audit::Outcome::Failed(format!("exit {}", exit_code(e))),
        };
        personal_audit(&ctx, &who, &named, &outcome);
    }
    result
}

/// Writes an audit entry in personal mode (only into a database that exists).
fn personal_audit(
    ctx: &Context,
    who: &Identity,
    named: &action::Named,
    outcome: &crate::service::audit::Outcome,
) {
    if !ctx.db_path.is_file() {
        return;
    }
    match crate::store::open(&ctx.db_path) {
        Ok(conn) => {
            crate::service::audit::record(&conn, who, &named.action, &named.target, outcome)
        }
        Err(e) => tracing::warn!(error = %e, "opening the store for the audit log"),
    }
}

/// Runs the parsed command on this process's database (personal mode, or for the daemon).
async fn dispatch(cli: Cli, ctx: Context) -> anyhow::Result<()> {
    match cli.command {
        None => crate::tui::run(ctx).await,
        Some(Noun::Printers(a)) => printers::run(a, &ctx).await,
        Some(Noun::Triggers(a)) => triggers::run(a, &ctx).await,
        Some(Noun::Jobs(a)) => jobs::run(a, &ctx).await,
        Some(Noun::Events(a)) => events::run(a, &ctx).await,
        Some(Noun::Contacts(a)) => contacts::run(a, &ctx).await,
        Some(Noun::Links(a)) => links::run(a, &ctx).await,
        Some(Noun::Terms(a)) => terms::run(a, &ctx).await,
        Some(Noun::Pos(a)) => pos::run(a, &ctx).await,
        Some(Noun::Sync(a)) => sync::run(a, &ctx).await,
        Some(Noun::Till(a)) => till::run(a, &ctx).await,
        Some(Noun::Audit(a)) => audit::run(a, &ctx),
        Some(Noun::Operators(a)) => operators::run(a, &ctx),
        Some(Noun::Worker(a)) => {
            ctx.open_store()?;
            if a.until_idle {
                crate::worker::printing::run_until_idle(&ctx).await
            } else {
                crate::worker::run_headless(ctx).await
            }
        }
        Some(Noun::Serve(a)) => {
            let listen = a.listen.unwrap_or_else(|| ctx.config.server.listen.clone());
            let worker = !(a.no_worker || ctx.read_only);
            crate::worker::alongside(ctx.clone(), worker, crate::server::serve(ctx, &listen)).await
        }
        Some(Noun::Tills(a)) => tills::run(a, &ctx).await,
        Some(Noun::Doctor(a)) => doctor::run(a, &ctx).await,
        Some(Noun::SupportBundle(a)) => doctor::bundle(a, &ctx).await,
        Some(Noun::Daemon) => crate::daemon::run(ctx, cli.socket).await,
        Some(Noun::Completions { .. }) | Some(Noun::Setup(_)) => Ok(()),
    }
}
