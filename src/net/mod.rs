//! The outside world: print providers, FTP, database servers, HTTP.

pub mod dbserver;
pub mod ftp;
pub mod ipp;
pub mod ipp_http;
pub mod print;
pub mod printnode;
pub mod raw;
pub mod spool;
pub mod tcp;
pub mod trust;
