//! Launcher for the real tmux peer used by tests (filled by the area that needs it).
