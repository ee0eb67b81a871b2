//! A trigger: which event prints which document, on which printer (or the default), how many copies.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    pub id: i64,
    pub event_kind: String,
    pub document: String,
    /// None: the default printer.
    pub printer: Option<String>,
    #[serde(skip)]
    pub printer_id: Option<i64>,
    /// None: the printer's own number of copies.
    pub copies: Option<u32>,
    pub enabled: bool,
}
