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

/// Formats rows as aligned columns (the first row is the header).
pub fn table(rows: &[Vec<String>]) -> String {
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
            .map(|(i, s)| format!("{s:<w$}", w = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
