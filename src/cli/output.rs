//! CLI output: human text or `--json` on stdout, and failures with their exit codes.

use serde::Serialize;

use crate::context::Context;

pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const REFUSED: u8 = 4;
pub const UNREACHABLE: u8 = 5;

/// An error with a chosen exit code; its message goes to stderr.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(USAGE, message)
    }
    pub fn not_found(message: impl Into<String>) -> Failure {
        Failure::new(NOT_FOUND, message)
    }
    pub fn refused(message: impl Into<String>) -> Failure {
        Failure::new(REFUSED, message)
    }
    pub fn unreachable(message: impl Into<String>) -> Failure {
        Failure::new(UNREACHABLE, message)
    }
    /// An exit status whose reason was already printed (e.g. the doctor's findings).
    pub fn silent(code: u8) -> Failure {
        Failure::new(code, "")
    }
}

/// The stable name of an exit code, as `--json` errors give it.
pub fn code_name(code: u8) -> &'static str {
    match code {
        USAGE => "usage",
        NOT_FOUND => "not_found",
        REFUSED => "refused",
        UNREACHABLE => "unreachable",
        _ => "error",
    }
}

/// An error as `--json` prints it on stderr:
/// `{"error": {"code": "usage", "exit": 2, "message": "..."}}` (one line).
pub fn error_json(code: u8, message: &str) -> String {
    serde_json::json!({
        "error": { "code": code_name(code), "exit": code, "message": message }
    })
    .to_string()
}

/// Prints `value` as JSON with `--json`, else the human text.
pub fn emit<T: Serialize>(
    ctx: &Context,
    value: &T,
    human: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        let text = human();
        if !text.is_empty() {
            println!("{}", text.trim_end());
        }
    }
    Ok(())
}

/// A stored time (RFC 3339, UTC) as the text output shows times: local, to the second.
pub fn local_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| t.to_string())
}

/// Formats rows as aligned columns (the first row is the header).
pub fn table(rows: &[Vec<String>]) -> String {
    // A cell is text, never a terminal command: a newline or an escape code in data a user typed
    // (an audit target, a contact's name) drew a fake row or hid the real one on the reader's
    // terminal. Control characters are shown escaped (`\n`, `\u{1b}`).
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| visible(c).into_owned()).collect())
        .collect();
    let rows = rows.as_slice();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            // Padded by hand: a width argument of format! panics past 65,535.
            .map(|(i, s)| {
                format!(
                    "{s}{}",
                    " ".repeat(widths[i].saturating_sub(s.chars().count()))
                )
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `text` with its control characters escaped, and the marks that reorder what follows them on
/// the screen (bidirectional overrides and isolates: `\u{202e}` showed `moc.knab@` as
/// `@bank.com`). Borrowed as it is when there is nothing to escape (nearly always: the console
/// shows every cell through it on every frame).
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// A character a terminal acts on rather than shows.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
}

/// A text of several lines with each line's control characters escaped (a message quoting a
/// contact's name: a mail's preview).
/// Line ends (`\n`, `\r\n`) and tabs stay as they are.
pub fn visible_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            line.split('\t').map(visible).collect::<Vec<_>>().join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cell_wider_than_format_allows_is_padded_without_panicking() {
        let long = "x".repeat(70_000);
        let text = super::table(&[vec!["A".into(), "B".into()], vec![long.clone(), "b".into()]]);
        assert_eq!(text.lines().next().unwrap().len(), 70_000 + 2 + 1);
        assert!(text.contains(&format!("{long}  b")));
    }

    /// What a terminal would act on is shown escaped: a newline, an escape sequence, and the
    /// bidirectional marks that show a name's end in front of its start; letters stay.
    #[test]
    fn control_and_reordering_characters_are_shown_escaped() {
        assert_eq!(super::visible("Élodie Ødegård"), "Élodie Ødegård");
        assert_eq!(super::visible("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
        assert_eq!(
            super::visible("eve\u{202e}moc.knab@"),
            "eve\\u{202e}moc.knab@"
        );
        assert_eq!(super::visible("x\u{2067}y"), "x\\u{2067}y");
        assert_eq!(
            super::visible_lines("To: Eve\u{1b}\r\n\tbody"),
            "To: Eve\\u{1b}\n\tbody"
        );
    }
}
