//! The outside world: print providers, FTP, database servers, HTTP.

pub mod dbserver;
pub mod ftp;
pub mod print;
pub mod spool;
