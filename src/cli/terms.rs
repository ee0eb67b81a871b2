//! `backroom terms ...`: the terms of service customers accept on the portal.

use std::path::PathBuf;

use super::contacts::fail;
use super::emit;
use crate::context::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The current terms of service.
    Show,
    /// Upload new terms; every contact's acceptance date is reset (administrators only).
    Upload { file: PathBuf },
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Show => {
            let conn = ctx.open_store()?;
            let terms = crate::store::contacts::current_terms(&conn)?;
            emit(ctx, &terms, || match &terms {
                Some(t) => format!(
                    "{} ({} bytes, sha256 {}) uploaded by {} on {}",
                    t.file_name,
                    t.size_bytes,
                    t.sha256,
                    t.uploaded_by,
                    crate::cli::output::local_time(&t.uploaded_at)
                ),
                None => "no terms of service uploaded yet (backroom terms upload FILE)".into(),
            })
        }
        Command::Upload { file } => {
            let mut conn = ctx.open_store()?;
            let up =
                crate::contacts::terms::upload(&mut conn, &file, &ctx.operator).map_err(fail)?;
            emit(ctx, &up, || {
                format!(
                    "uploaded {} as the terms of service; {} acceptance date(s) reset",
                    up.terms.file_name, up.reset
                )
            })
        }
    }
}
