//! The terminal UI (ratatui + crossterm): header, panes, popups, keymap and theme.

use crate::context::Context;

/// Runs the TUI until the operator quits.
pub async fn run(_ctx: Context) -> anyhow::Result<()> {
    anyhow::bail!("the TUI is being built; use the CLI (backroom --help)")
}
