//! Launcher for the real ftp peer used by tests (filled by the area that needs it).
