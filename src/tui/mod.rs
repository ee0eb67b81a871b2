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
pub async fn run(mut ctx: Context) -> anyhow::Result<()> {
    let writer = ctx.audit.is_none().then(|| audit_here(&mut ctx));
    let mut terminal = terminal::enter()?;
    let result = run_loop(&mut terminal, ctx).await;
    terminal::restore();
    if let Some(writer) = writer {
        // The session's entries are written before the process ends (the last senders go with
        // the worker, which stops within a few seconds).
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !writer.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    result
}

/// Personal mode audits the console's changes and refusals in the user's own store, as it audits
/// the CLI's (the daemon gives the sessions it hosts a sink of its own). Until 2026-11-30 a
/// change made in the personal console was in no audit log. Returns the writing thread.
fn audit_here(ctx: &mut Context) -> std::thread::JoinHandle<()> {
    let who = crate::service::Identity::personal(&ctx.db_path, &ctx.config, ctx.read_only);
    let (tx, mut entries) = mpsc::unbounded_channel::<crate::store::audit::Entry>();
    ctx.audit = Some(crate::service::audit::Sink::new(who, tx));
    let db = ctx.db_path.clone();
    std::thread::spawn(move || {
        let mut conn = None;
        while let Some(entry) = entries.blocking_recv() {
            // Into a store that exists only (as the CLI's personal audit): a read-only console's
            // refusal does not create one.
            if conn.is_none() && db.is_file() {
                conn = crate::store::open(&db)
                    .map_err(|e| tracing::warn!(error = %e, "opening the store for the audit log"))
                    .ok();
            }
            if let Some(conn) = &conn
                && let Err(e) = crate::store::audit::append(conn, &entry)
            {
                tracing::error!(error = %e, action = %entry.action, "writing the audit log");
            }
        }
    })
}

async fn run_loop(terminal: &mut terminal::Tui, ctx: Context) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let (notify_tx, mut notify_rx) = mpsc::unbounded_channel();
    // Started read-only, this console changes nothing, so it runs no worker either. The worker
    // audits nothing: without the session's sink, a worker stuck at quit (an FTP server that
    // never answers) does not keep the audit writer waiting.
    let worker = (!ctx.read_only).then(|| {
        let mut for_worker = ctx.clone();
        for_worker.audit = None;
        crate::worker::spawn(for_worker, notify_tx)
    });
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
