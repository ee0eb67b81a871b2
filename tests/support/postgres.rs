//! Launcher for the real postgres peer used by tests (filled by the area that needs it).
