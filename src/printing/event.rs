//! Event kinds that trigger printing, and the document kind each one prints.

use serde::Serialize;

/// What happened in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventKind {
    #[serde(rename = "order.received")]
    OrderReceived,
    #[serde(rename = "order.shipped")]
    OrderShipped,
    #[serde(rename = "invoice.overdue")]
    InvoiceOverdue,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [
        EventKind::OrderReceived,
        EventKind::OrderShipped,
        EventKind::InvoiceOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::OrderReceived => "order.received",
            EventKind::OrderShipped => "order.shipped",
            EventKind::InvoiceOverdue => "invoice.overdue",
        }
    }

    /// The document the seeded trigger prints for this event.
    pub fn document(self) -> DocumentKind {
        match self {
            EventKind::OrderReceived => DocumentKind::Invoice,
            EventKind::OrderShipped => DocumentKind::DeliverySlip,
            EventKind::InvoiceOverdue => DocumentKind::Reminder,
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown event kind {s:?}: expected order.received, order.shipped or invoice.overdue"
                )
            })
    }
}

/// A kind of printed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    DeliverySlip,
    Reminder,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::DeliverySlip => "delivery_slip",
            DocumentKind::Reminder => "reminder",
        }
    }

    /// The title printed on the document and used as the job name.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "Invoice",
            DocumentKind::DeliverySlip => "Delivery slip",
            DocumentKind::Reminder => "Payment reminder",
        }
    }
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DocumentKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            DocumentKind::Invoice,
            DocumentKind::DeliverySlip,
            DocumentKind::Reminder,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown document kind {s:?}"))
    }
}
