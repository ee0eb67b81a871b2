//! Amounts in minor units (cents) and rates in hundredths of a percent: no floating point in totals.

/// Parses a decimal amount (`12.5`, `"12.50"`) into cents; at most two decimals.
pub fn parse_cents(text: &str) -> Result<i64, String> {
    parse_fixed(text, 2).map_err(|e| format!("{e} (expected an amount like 12.50)"))
}

/// Parses a VAT rate in percent (`20`, `5.5`) into hundredths of a percent; 0 to 100.
pub fn parse_rate(text: &str) -> Result<i64, String> {
    let bp =
        parse_fixed(text, 2).map_err(|e| format!("{e} (expected a percentage like 20 or 5.5)"))?;
    if !(0..=10_000).contains(&bp) {
        return Err(format!("{text} is not between 0 and 100"));
    }
    Ok(bp)
}

fn parse_fixed(text: &str, decimals: u32) -> Result<i64, String> {
    let t = text.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) {
        return Err(format!("{t:?} is not a decimal number"));
    }
    if frac.len() > decimals as usize {
        return Err(format!("{t} has more than {decimals} decimals"));
    }
    let scale = 10_i64.pow(decimals);
    let int: i64 = int
        .parse()
        .ok()
        .filter(|v: &i64| *v < 1_000_000_000_000)
        .ok_or_else(|| format!("{t} is too large"))?;
    let mut f = 0_i64;
    for (i, b) in frac.bytes().enumerate() {
        f += i64::from(b - b'0') * 10_i64.pow(decimals - 1 - i as u32);
    }
    let v = int * scale + f;
    Ok(if neg { -v } else { v })
}

/// Formats cents as `1234.56`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Formats a rate in hundredths of a percent as `20%` or `5.5%`.
pub fn format_rate(bp: i64) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    if frac == 0 {
        format!("{whole}%")
    } else if frac % 10 == 0 {
        format!("{whole}.{}%", frac / 10)
    } else {
        format!("{whole}.{frac:02}%")
    }
}

/// `amount × rate`, rounded half away from zero to the cent.
pub fn apply_rate(cents: i64, bp: i64) -> i64 {
    let p = i128::from(cents) * i128::from(bp);
    let q = (p.abs() + 5_000) / 10_000;
    let q = if p < 0 { -q } else { q };
    i64::try_from(q).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_rates_parse_exactly_and_round_half_away_from_zero() {
        assert_eq!(parse_cents("12.5").unwrap(), 1250);
        assert_eq!(parse_cents("0.07").unwrap(), 7);
        assert!(parse_cents("1.005").is_err());
        assert!(parse_cents("1e3").is_err());
        assert_eq!(parse_rate("5.5").unwrap(), 550);
        assert!(parse_rate("120").is_err());
        assert_eq!(apply_rate(1050, 2000), 210);
        assert_eq!(apply_rate(1, 5000), 1);
        assert_eq!(format_cents(-705), "-7.05");
        assert_eq!(format_rate(550), "5.5%");
        assert_eq!(format_rate(2000), "20%");
    }
}
