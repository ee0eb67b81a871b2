//! The terminal UI (ratatui + crossterm + tokio): one loop over terminal events, worker
//! notifications, background results and a tick; panes, popups, keymaps and themes.
//!
//! Layout: `app.rs` (state, events, effects), `keys.rs` (input), `ui.rs` (drawing),
//! `panes/` (one file per pane with its row actions), `popups/` (one file per popup),
//! `keymap.rs` + `key.rs` + `action.rs`, `theme.rs`, `strings.rs` (every word shown).

pub mod action;
pub mod app;
pub mod columns;
pub mod completion;
pub mod effect;
pub mod event;
pub mod harness;
pub mod header;
pub mod input;
pub mod key;
pub mod keymap;
mod keys;
pub mod layered;
pub mod loader;
pub mod palette;
pub mod panes;
mod perform;
pub mod popups;
pub mod remote;
pub mod sign_in;
pub mod status;
pub mod strings;
pub mod terminal;
pub mod theme;
pub mod time;
pub mod ui;

use std::time::Duration;

use futures::StreamExt;
use ratatui::crossterm::event::EventStream;
use tokio::sync::mpsc;

use crate::context::Context;

use app::App;
use event::Event;

/// How often the loop ticks (status expiry, header counts, pane refresh).
pub const TICK: Duration = Duration::from_millis(250);

/// Runs the TUI until the operator quits. The terminal is restored on every way out.
pub async fn run(ctx: Context) -> anyhow::Result<()> {
    let mut terminal = terminal::enter()?;
    let result = run_loop(&mut terminal, ctx).await;
    terminal::restore();
    result
}

async fn run_loop(terminal: &mut terminal::Tui, ctx: Context) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let (notify_tx, mut notify_rx) = mpsc::unbounded_channel();
    // Started read-only, this console changes nothing, so it runs no worker either.
    let worker = (!ctx.read_only).then(|| crate::worker::spawn(ctx.clone(), notify_tx));
    let mut app = App::new(
        ctx,
        tx,
        worker.as_ref().map(|w| w.commands.clone()),
        theme::no_color(),
    );
    app.start();
    let panic_after_draw = std::env::var_os("BACKROOM_TEST_PANIC").is_some();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let result = loop {
        if let Err(e) = terminal.draw(|f| ui::draw(f, &mut app)) {
            break Err(anyhow::Error::from(e).context("drawing the screen"));
        }
        for seq in app.terminal_writes.drain(..) {
            use std::io::Write as _;
            let mut out = std::io::stdout();
            if let Err(e) = out.write_all(seq.as_bytes()).and_then(|()| out.flush()) {
                tracing::warn!(error = %e, "writing to the terminal");
            }
        }
        if panic_after_draw {
            panic!(
                "BACKROOM_TEST_PANIC is set: panicking after the first frame, as the test asked"
            );
        }
        if app.quit {
            break Ok(());
        }
        tokio::select! {
            e = events.next() => match e {
                Some(Ok(e)) => app.handle(Event::Terminal(e)),
                Some(Err(e)) => break Err(anyhow::Error::from(e).context("reading the terminal")),
                None => break Ok(()),
            },
            Some(n) = notify_rx.recv() => app.handle(Event::Worker(n)),
            Some(e) = rx.recv() => app.handle(e),
            _ = tick.tick() => app.handle(Event::Tick),
        }
    };
    if let Some(w) = worker {
        let _ = w.commands.send(crate::worker::Command::Shutdown);
        if tokio::time::timeout(Duration::from_secs(3), w.join)
            .await
            .is_err()
        {
            tracing::warn!("the worker did not stop within 3 s");
        }
    }
    result
}
