//! `backroom sync tables ...`.

use crate::context::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List.
    List,
}

pub async fn run(args: Args, _ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::List => anyhow::bail!("backroom pos list is not built yet"),
    }
}
