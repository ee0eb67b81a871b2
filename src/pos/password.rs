//! A password kept in memory: masked in `Debug`, `Display` and JSON, readable only through `expose`.

use serde::{Serialize, Serializer};

/// A secret of a POS folder (DB or FTP password). Empty means "not set".
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(secret: impl Into<String>) -> Password {
        Password(secret.into())
    }

    /// The secret itself, for the one place that needs it (a login).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }

    /// What screens and JSON show: bullets (and at most the last two characters), or `(not set)`.
    pub fn masked(&self) -> String {
        crate::secret::mask_opt(Some(&self.0))
    }

    /// The stored form: `None` when not set.
    pub fn to_column(&self) -> Option<&str> {
        self.is_set().then_some(self.0.as_str())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Password({})", self.masked())
    }
}

impl std::fmt::Display for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for Password {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows_in_debug_display_or_json() {
        let p = Password::new("s3cret-pass-word");
        assert!(!format!("{p:?}").contains("s3cret"));
        assert!(!format!("{p}").contains("s3cret"));
        let json = serde_json::to_string(&p).unwrap();
        assert!(!json.contains("s3cret"), "{json}");
        assert_eq!(p.expose(), "s3cret-pass-word");
        assert_eq!(Password::default().masked(), "(not set)");
    }
}
