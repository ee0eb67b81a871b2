//! backroom: a keyboard-driven terminal console for store and print-shop back offices.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod config_secrets;
pub mod contacts;
pub mod context;
pub mod daemon;
pub mod demo;
pub mod doctor;
pub mod logging;
pub mod memory;
pub mod net;
pub mod paths;
pub mod pos;
pub mod printing;
pub mod private_files;
pub mod secret;
pub mod server;
pub mod service;
pub mod setup;
pub mod store;
pub mod sync;
pub mod tui;
pub mod worker;
