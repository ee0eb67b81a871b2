//! `backroom setup --system`: prepares a store server (see [`crate::setup`]).

use std::path::PathBuf;

use super::Failure;
use crate::setup::{Change, Layout};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Set up the system service (service account, admin group, folders, config, unit).
    #[arg(long)]
    pub system: bool,
    /// Write the files under this folder instead of / (to stage an image); accounts are real.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Name of the service account.
    #[arg(long, default_value = "backroom")]
    pub user: String,
    /// Name of the group whose members are admins.
    #[arg(long, default_value = "backroom-admin")]
    pub admin_group: String,
    /// Do not enable and start the unit, even where systemd runs.
    #[arg(long)]
    pub no_enable: bool,
}

pub fn run(args: Args, json: bool) -> anyhow::Result<()> {
    if !args.system {
        return Err(Failure::usage(
            "backroom setup needs --system (personal mode needs no setup: run backroom)",
        )
        .into());
    }
    let layout = Layout {
        root: args.root.unwrap_or_else(|| PathBuf::from("/")),
        user: args.user,
        admin_group: args.admin_group,
        ..Layout::default()
    };
    let steps = crate::setup::system(&layout, !args.no_enable).map_err(|e| match e {
        crate::setup::SetupError::NotRoot => anyhow::Error::from(Failure::refused(e.to_string())),
        other => anyhow::Error::from(other),
    })?;
    let changed = steps
        .iter()
        .filter(|s| matches!(s.change, Change::Created | Change::Fixed))
        .count();
    if json {
        println!(
            "{}",
            serde_json::json!({ "changed": changed, "steps": steps })
        );
        return Ok(());
    }
    for s in &steps {
        let word = match s.change {
            Change::Created => "created",
            Change::Fixed => "fixed",
            Change::Unchanged => "ok",
            Change::Skipped => "skipped",
        };
        if s.detail.is_empty() {
            println!("{word:<9} {}", s.what);
        } else {
            println!("{word:<9} {}: {}", s.what, s.detail);
        }
    }
    if changed == 0 {
        println!("nothing changed: the store server was already set up");
    } else {
        println!("{changed} change(s)");
    }
    Ok(())
}
