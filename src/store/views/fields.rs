//! What kind of value each filter field holds: free text (matched as a substring), one of a few
//! states (matched exactly, and a value outside them explained), a number or a time.

use super::{Column, Match, View};

/// The values a field holds, which decides how `field:value` matches and what a bad value is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Names, targets, errors: `field:value` is a substring, case-insensitive.
    Text,
    /// One of these stored values: `field:value` is exact.
    Choice(Vec<&'static str>),
    /// A whole number: `field:value` is exact, `>`/`<` compare.
    Number,
    /// A time stored as RFC 3339 text: `field:value` is a prefix (`created:2026-11`).
    Time,
    /// Any other exact value (a remote state as a printer reports it).
    Code,
}

const YES_NO: [&str; 2] = ["yes", "no"];

/// The kind of `column` in `view`.
pub fn kind(view: &View, column: &Column) -> Kind {
    if column.filter == Match::Contains {
        return Kind::Text;
    }
    match (view.name, column.name) {
        ("print_jobs", "state") => Kind::Choice(
            crate::printing::job::JobState::ALL
                .iter()
                .map(|s| s.as_str())
                .collect(),
        ),
        ("contacts", "state") => Kind::Choice(
            crate::contacts::ContactState::ALL
                .iter()
                .map(|s| s.as_str())
                .collect(),
        ),
        ("printers", "provider") => Kind::Choice(vec!["ipp", "raw", "printnode", "spool"]),
        ("printers", "enabled" | "default")
        | ("contacts", "invited")
        | ("triggers", "enabled")
        | ("till_tickets", "sent") => Kind::Choice(YES_NO.to_vec()),
        ("operators" | "audit", "role") => Kind::Choice(vec!["admin", "staff"]),
        ("processes", "state") => Kind::Choice(vec!["enabled", "disabled"]),
        ("events", "source") => Kind::Choice(vec!["cli", "api", "till", "demo"]),
        ("sync_tables", "type") => Kind::Choice(vec!["full", "incremental"]),
        ("sync_tables", "direction") => Kind::Choice(vec!["server_to_till", "till_to_server"]),
        (_, "id" | "attempts" | "copies" | "wait" | "tables" | "queue" | "batch" | "every")
        | (_, "jobs") => Kind::Number,
        (_, "created" | "next" | "terms" | "time" | "sold") => Kind::Time,
        _ => Kind::Code,
    }
}

/// What `kind` expects, for an error message.
pub fn expected(kind: &Kind) -> String {
    match kind {
        Kind::Text | Kind::Code => "some text".to_string(),
        Kind::Choice(values) => format!("one of {}", values.join(", ")),
        Kind::Number => "a whole number, e.g. 3".to_string(),
        Kind::Time => "a date or time, e.g. 2026-11-29 or 2026-11-29T14:05".to_string(),
    }
}

/// The stored value `value` stands for, or `None` when `kind` cannot hold it.
pub fn normalize(kind: &Kind, value: &str) -> Option<String> {
    match kind {
        Kind::Text | Kind::Code => Some(value.to_string()),
        Kind::Choice(values) => {
            let wanted = value.trim().to_lowercase().replace([' ', '-'], "_");
            values
                .iter()
                .find(|v| **v == wanted)
                .map(|v| (*v).to_string())
        }
        Kind::Number => value.parse::<i64>().ok().map(|n| n.to_string()),
        Kind::Time => is_time(value).then(|| value.replace(' ', "T")),
    }
}

/// `2026`, `2026-11`, `2026-11-29`, `2026-11-29 14:05`, `2026-11-29T14:05:10`: digits where the
/// stored text has digits, separators where it has separators.
fn is_time(value: &str) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    let bytes = value.as_bytes();
    if bytes.len() < 4 || bytes.len() > SHAPE.len() {
        return false;
    }
    bytes.iter().zip(SHAPE).all(|(b, s)| match s {
        b'd' => b.is_ascii_digit(),
        b'T' => *b == b'T' || *b == b' ',
        sep => b == sep,
    }) && !matches!(bytes.last(), Some(b'-' | b':' | b'T' | b' '))
}
