//! Secrets (passwords, API keys, tokens) are never shown in full nor logged.

/// Masks a secret for display: a fixed run of bullets, plus the last two characters when long enough.
pub fn mask(secret: &str) -> String {
    let count = secret.chars().count();
    if count == 0 {
        return String::new();
    }
    if count < 8 {
        return "••••••".to_string();
    }
    let tail: String = secret.chars().skip(count - 2).collect();
    format!("••••••{tail}")
}

/// Masks an optional secret: `(not set)` when absent.
pub fn mask_opt(secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => mask(s),
        _ => "(not set)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_more_than_two_characters() {
        assert_eq!(mask("hunter2"), "••••••");
        assert_eq!(mask("correct-horse-battery"), "••••••ry");
        assert_eq!(mask_opt(None), "(not set)");
    }
}
