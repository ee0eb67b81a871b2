//! Printing: printers, triggers, events, documents, print jobs (seeds 000/001).

pub mod check;
pub mod document;
pub mod download;
pub mod event;
pub mod failure;
pub mod job;
pub mod money;
pub mod on_unknown;
pub mod outbox;
pub mod payload;
pub mod printer;
pub mod retention;
pub mod test_page;
pub mod totals;
pub mod trigger;

pub use event::{DocumentKind, EventKind};
pub use job::{Job, JobState, RetryPolicy};
pub use on_unknown::OnUnknown;
pub use printer::{Printer, PrinterError, Provider};
pub use retention::PRINT_JOB_RETENTION;
