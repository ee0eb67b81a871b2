//! Launcher for the real ipp peer used by tests (filled by the area that needs it).
