//! POS folders ("Dossier TPV"), sync tables and processes, connection tests (seeds 002/003).

pub mod conntest;
pub mod field;
pub mod folder;
pub mod ftp_address;
pub mod password;
pub mod process;
pub mod sync_table;

pub use field::{Field, FieldError};
pub use folder::{DbKind, DbSettings, FolderForm, FtpMode, FtpSettings, PosFolder, TillSettings};
pub use ftp_address::FtpAddress;
pub use password::Password;
pub use process::{ConfirmMode, Process, ProcessKind};
pub use sync_table::{Direction, SyncTable, SyncType};
