//! Where backroom keeps its files: data, config, state (logs) and downloads.

use std::path::PathBuf;

use directories::{ProjectDirs, UserDirs};

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "backroom")
}

/// The data dir (`backroom.db`, `demo.db`, documents).
pub fn data_dir() -> PathBuf {
    project()
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".backroom"))
}

/// The config dir (`config.toml`, `themes/`, `keymaps/`).
pub fn config_dir() -> PathBuf {
    project()
        .map(|p| p.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".backroom"))
}

/// The state dir (the log file).
pub fn state_dir() -> PathBuf {
    project()
        .and_then(|p| p.state_dir().map(|d| d.to_path_buf()))
        .unwrap_or_else(data_dir)
}

/// The user's downloads dir (templates, downloaded documents, backups).
pub fn downloads_dir() -> PathBuf {
    UserDirs::new()
        .and_then(|u| u.download_dir().map(|d| d.to_path_buf()))
        .or_else(|| UserDirs::new().map(|u| u.home_dir().join("Downloads")))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The default database.
pub fn default_db() -> PathBuf {
    data_dir().join("backroom.db")
}

/// The demo's own folder (`backroom --demo`): its database, job files, spool folders and signing
/// key. Until 2026-11-30 the demo database sat beside the real store's, and both kept their job
/// files in the one `shop-jobs/` folder under overlapping ids: the demo's backup zipped a real
/// customer's file, its delete removed one.
pub fn demo_dir() -> PathBuf {
    data_dir().join("demo")
}

/// The demo database (`backroom --demo`).
pub fn demo_db() -> PathBuf {
    demo_dir().join("demo.db")
}
