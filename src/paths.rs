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

/// The demo database (`backroom --demo`).
pub fn demo_db() -> PathBuf {
    data_dir().join("demo.db")
}
