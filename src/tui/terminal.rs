//! The real terminal: raw mode, alternate screen and mouse on entry; all undone on exit, on error
//! and on panic (the hook restores the terminal first, then runs the previous hook).

use std::io::{Stdout, stdout};
use std::sync::Once;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Takes over the terminal; on failure it is given back before the error returns.
pub fn enter() -> anyhow::Result<Tui> {
    use anyhow::Context as _;
    install_panic_hook();
    let setup = || -> std::io::Result<Tui> {
        enable_raw_mode()?;
        execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
        Terminal::new(CrosstermBackend::new(stdout()))
    };
    match setup() {
        Ok(t) => Ok(t),
        Err(e) => {
            restore();
            Err(e).context(
                "cannot take over the terminal (is this a terminal? use the CLI otherwise)",
            )
        }
    }
}

/// Gives the terminal back: mouse off, main screen, cooked mode, cursor shown. Safe to call twice.
pub fn restore() {
    let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
