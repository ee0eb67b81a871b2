//! Logging with `tracing` to `backroom.log` in the state dir, never to the terminal.

use std::sync::Mutex;

/// Starts file logging; the level comes from `BACKROOM_LOG` (default `info`).
pub fn init() {
    let dir = crate::paths::state_dir();
    if crate::private_files::create_dir(&dir).is_err() {
        return;
    }
    let Ok(file) = crate::private_files::open_append(&dir.join("backroom.log")) else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BACKROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // suppaftp traces every control command, `PASS <password>` included: never below debug.
    let filter = match "suppaftp=debug".parse() {
        Ok(cap) => filter.add_directive(cap),
        Err(_) => filter,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
}
