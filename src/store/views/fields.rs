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
        ("sync_runs", "process") => Kind::Choice(vec!["export", "import", "push", "update"]),
        ("sync_runs", "outcome") => Kind::Choice(vec!["running", "ok", "error"]),
        ("sync_runs", "rows") => Kind::Number,
        ("test_history", "target") => Kind::Choice(
            crate::pos::conntest::Target::ALL
                .iter()
                .map(|t| t.as_str())
                .collect(),
        ),
        ("test_history", "result") => Kind::Choice(
            std::iter::once("ok")
                .chain(
                    crate::pos::conntest::Failure::ALL
                        .iter()
                        .map(|f| f.as_str()),
                )
                .collect(),
        ),
        ("sync_tables", "direction") => Kind::Choice(vec!["server_to_till", "till_to_server"]),
        (
            _,
            "id" | "attempts" | "copies" | "wait" | "tables" | "queue" | "batch" | "every" | "took",
        )
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
        // A time stands for a span of instants ([`local_span`]): its first one.
        Kind::Time => local_span(value).map(|(from, _)| from),
    }
}

/// The stored UTC instants `[from, until)` that a time the operator typed in local time stands
/// for, as every table shows times: `2026-11-30` is that local day, `2026-11` that month,
/// `2026-11-30 14` that hour, down to the second. `None` when `value` is no such time.
pub fn local_span(value: &str) -> Option<(String, String)> {
    use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
    if !is_time(value) {
        return None;
    }
    let part = |range: std::ops::Range<usize>| value.get(range).map(str::parse::<u32>);
    let year = value.get(0..4)?.parse::<i32>().ok()?;
    let month = part(5..7).transpose().ok()?;
    let day = part(8..10).transpose().ok()?;
    let hour = part(11..13).transpose().ok()?;
    let minute = part(14..16).transpose().ok()?;
    let second = part(17..19).transpose().ok()?;
    let date = NaiveDate::from_ymd_opt(year, month.unwrap_or(1), day.unwrap_or(1))?;
    let from = date.and_hms_opt(hour.unwrap_or(0), minute.unwrap_or(0), second.unwrap_or(0))?;
    let until: NaiveDateTime = if second.is_some() {
        from + Duration::seconds(1)
    } else if minute.is_some() {
        from + Duration::minutes(1)
    } else if hour.is_some() {
        from + Duration::hours(1)
    } else if day.is_some() {
        from + Duration::days(1)
    } else if month.is_some() {
        let (y, m) = if date.month() == 12 {
            (year + 1, 1)
        } else {
            (year, date.month() + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?
    } else {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?.and_hms_opt(0, 0, 0)?
    };
    Some((to_utc(from)?, to_utc(until)?))
}

/// A local wall-clock time as stored (UTC): the earlier of two when clocks went back, an hour
/// later for a time in the gap when they went forward.
fn to_utc(local: chrono::NaiveDateTime) -> Option<String> {
    use chrono::TimeZone;
    let at = (0..=3).find_map(|hours| {
        chrono::Local
            .from_local_datetime(&(local + chrono::Duration::hours(hours)))
            .earliest()
    })?;
    Some(crate::store::to_text(at.with_timezone(&chrono::Utc)))
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
