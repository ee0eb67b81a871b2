//! The longest name, e-mail and company a contact may have, enforced on every path (import,
//! add, portal): longer values are refused, never cut.

/// Characters a name may have.
pub const NAME_MAX: usize = 200;
/// Characters an e-mail address may have (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;
/// Characters a company may have.
pub const COMPANY_MAX: usize = 200;

/// Why `value` is too long (naming its length and the limit), or `None` when it fits.
pub fn too_long(value: &str, max: usize) -> Option<String> {
    // Bytes bound characters from above: most values are decided without counting.
    if value.len() <= max {
        return None;
    }
    let chars = value.chars().count();
    (chars > max).then(|| format!("{chars} characters, at most {max} are allowed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters_not_bytes() {
        assert_eq!(too_long(&"é".repeat(200), NAME_MAX), None);
        assert_eq!(
            too_long(&"a".repeat(201), NAME_MAX).as_deref(),
            Some("201 characters, at most 200 are allowed")
        );
    }
}
