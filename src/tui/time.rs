//! One time format on every screen: the store keeps UTC; tables show local `2026-11-20 11:00`,
//! details show local time with its zone, `2026-11-20 11:00:00 +01:00`.

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};

/// `text` with every table time (`YYYY-MM-DD HH:MM`, UTC) in local time.
pub fn table(text: &str) -> String {
    replace(text, 16, |s| {
        let utc = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").ok()?;
        Some(
            Utc.from_utc_datetime(&utc)
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        )
    })
}

/// `text` with every stored time (`2026-11-20T10:00:00.000Z`) in local time with its zone.
pub fn detail(text: &str) -> String {
    let local = |s: &str| -> Option<String> {
        let t: DateTime<Utc> = s.parse().ok()?;
        Some(
            t.with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string(),
        )
    };
    // With milliseconds first, then without.
    let text = replace(text, 24, |s| s.ends_with('Z').then(|| local(s)).flatten());
    replace(&text, 20, |s| s.ends_with('Z').then(|| local(s)).flatten())
}

/// Replaces each `len`-byte run of `text` that starts like a date (`2026-`) and that `convert`
/// accepts.
fn replace(text: &str, len: usize, convert: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let starts_like_a_date = bytes.len() >= i + len
            && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
            && bytes[i + 4] == b'-'
            && (i == 0 || !bytes[i - 1].is_ascii_digit());
        if starts_like_a_date
            && let Some(run) = text.get(i..i + len)
            && let Some(new) = convert(run)
        {
            out.push_str(&new);
            i += len;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_times_change() {
        // The tests run with the machine's zone: compare with chrono's own conversion.
        let local = Utc
            .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Local));
        let Some(local) = local else { return };
        assert_eq!(
            table("B12 full · 3 rows · 2026-11-20 10:00"),
            format!("B12 full · 3 rows · {}", local.format("%Y-%m-%d %H:%M"))
        );
        assert_eq!(
            detail("2026-11-20T10:00:00.000Z"),
            local.format("%Y-%m-%d %H:%M:%S %:z").to_string()
        );
        assert_eq!(table("Invoice 2026-0042"), "Invoice 2026-0042");
        assert_eq!(detail("not a time"), "not a time");
    }
}
