//! Launcher for the real smtp peer used by tests (filled by the area that needs it).
