//! Printing: printers, triggers, events, documents, print jobs (seeds 000/001).

pub mod printer;

pub use printer::{Printer, Provider};
