//! `backroom operators ...`: the operators who sign in on shared terminal accounts
//! (administrators). Passwords are read from the terminal, or from stdin with `--password -`.

use clap::Subcommand;

use super::output::{Failure, emit, local_time, table};
use crate::config::Role;
use crate::context::Context;
use crate::service::operators::{self, OperatorError};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The operators, their role and whether they are locked (50 unless --limit or --all).
    List {
        #[command(flatten)]
        list: super::listing::ListArgs,
    },
    /// Add an operator (password: prompted, or the first line of stdin with `--password -`).
    Add {
        name: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Staff)]
        role: RoleArg,
        /// `-`: read the password from standard input.
        #[arg(long)]
        password: Option<String>,
    },
    /// Set a new password (and lift a lock).
    Passwd {
        name: String,
        /// `-`: read the password from standard input.
        #[arg(long)]
        password: Option<String>,
    },
    /// Remove an operator.
    Remove { name: String },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Staff,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open_store()?;
    match args.command {
        Command::List { list: args } => {
            let list = crate::store::operators::list(&conn)?;
            let list =
                super::listing::shown::keep(&super::listing::shown::OPERATORS, &args, list, |o| {
                    vec![
                        o.name.clone(),
                        o.role.clone(),
                        o.locked_until
                            .as_deref()
                            .map(local_time)
                            .unwrap_or_default(),
                        // `created` filters as a time: on the stored UTC, as the panes do.
                        o.created_at.clone(),
                    ]
                })?;
            emit(ctx, &list, || {
                let mut rows = vec![
                    ["operator", "role", "locked until", "created"]
                        .map(String::from)
                        .to_vec(),
                ];
                rows.extend(list.iter().map(|o| {
                    vec![
                        o.name.clone(),
                        o.role.clone(),
                        o.locked_until
                            .as_deref()
                            .map(local_time)
                            .unwrap_or_default(),
                        local_time(&o.created_at),
                    ]
                }));
                table(&rows)
            })
        }
        Command::Add {
            name,
            role,
            password,
        } => {
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Staff => Role::Staff,
            };
            let password = read_password(password.as_deref(), &name)?;
            operators::add(&conn, &name, role, &password).map_err(fail)?;
            eprintln!("operator {name} added ({role})");
            emit(
                ctx,
                &serde_json::json!({"name": name, "role": role}),
                String::new,
            )
        }
        Command::Passwd { name, password } => {
            let password = read_password(password.as_deref(), &name)?;
            operators::passwd(&conn, &name, &password).map_err(fail)?;
            eprintln!("password of operator {name} changed");
            emit(ctx, &serde_json::json!({"name": name}), String::new)
        }
        Command::Remove { name } => {
            operators::remove(&conn, &name).map_err(fail)?;
            eprintln!("operator {name} removed");
            emit(ctx, &serde_json::json!({"name": name}), String::new)
        }
    }
}

fn read_password(flag: Option<&str>, name: &str) -> anyhow::Result<String> {
    match flag {
        Some("-") => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Ok(line.trim_end_matches(['\r', '\n']).to_string())
        }
        Some(_) => Err(Failure::usage(
            "--password takes only `-` (read it from standard input): a password on the command line would be seen by every user",
        )
        .into()),
        None => super::password::prompt(&format!("new password of operator {name}: ")),
    }
}

fn fail(e: OperatorError) -> anyhow::Error {
    let code = match e {
        OperatorError::Taken(_) => super::output::REFUSED,
        OperatorError::Missing(_) => super::output::NOT_FOUND,
        OperatorError::Weak(_) => super::output::USAGE,
        _ => 1,
    };
    Failure::new(code, e.to_string()).into()
}
