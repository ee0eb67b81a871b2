//! Printing: printers, triggers, events, documents, print jobs (seeds 000/001).

pub mod check;
pub mod printer;
pub mod test_page;

pub use printer::{Printer, PrinterError, Provider};
