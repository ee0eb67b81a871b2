//! Names taken from user data made safe for files and archive entries: no traversal, no clashes.

use std::collections::HashSet;

const MAX_LEN: usize = 80;

/// One path component: no separators, no `..`, no control or reserved characters, never empty.
pub fn component(raw: &str, fallback: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    out = out.trim().trim_matches('.').trim().to_string();
    if out.chars().count() > MAX_LEN {
        out = out.chars().take(MAX_LEN).collect();
        out = out.trim_end().to_string();
    }
    if out.is_empty() || out.chars().all(|c| c == '_' || c == '.') {
        return fallback.to_string();
    }
    out
}

/// Hands out names unique within one folder (case-insensitively), adding ` (2)`, ` (3)`...
#[derive(Debug, Default)]
pub struct Unique {
    taken: HashSet<String>,
}

impl Unique {
    pub fn new() -> Unique {
        Unique::default()
    }

    /// `name` itself when free, else `stem (n).ext`.
    pub fn claim(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_lowercase()) {
            return name.to_string();
        }
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
            _ => (name, String::new()),
        };
        (2..)
            .map(|n| format!("{stem} ({n}){ext}"))
            .find(|candidate| self.taken.insert(candidate.to_lowercase()))
            .unwrap_or_else(|| name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_separators_are_neutralised() {
        assert_eq!(component("../../etc/passwd", "x"), "_.._etc_passwd");
        assert_eq!(component("..", "job"), "job");
        assert_eq!(component("a\\b:c", "x"), "a_b_c");
        assert_eq!(component("  ", "fallback"), "fallback");
        assert_eq!(component(".hidden", "x"), "hidden");
    }

    #[test]
    fn clashes_get_a_number() {
        let mut u = Unique::new();
        assert_eq!(u.claim("a.pdf"), "a.pdf");
        assert_eq!(u.claim("A.pdf"), "A (2).pdf");
        assert_eq!(u.claim("a.pdf"), "a (3).pdf");
    }
}
