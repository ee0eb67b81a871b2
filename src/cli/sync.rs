//! `backroom sync ...`: sync tables and processes (POS settings) and runs (till synchronisation).

use crate::context::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Tables to synchronise, per POS folder.
    Tables(super::sync_tables::Args),
    /// Processes per POS folder: schedule, confirmation mode, last result.
    Processes(super::sync_processes::Args),
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Tables(a) => super::sync_tables::run(a, ctx).await,
        Command::Processes(a) => super::sync_processes::run(a, ctx).await,
    }
}
