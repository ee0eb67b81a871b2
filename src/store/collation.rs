//! The `unicode` SQLite collation: names sorted as people read them (CLDR root order, so "Élodie"
//! comes before "Giulia" in French and German alike), registered on every connection backroom opens.

use std::cmp::Ordering;
use std::sync::LazyLock;

use icu_collator::options::CollatorOptions;
use icu_collator::{Collator, CollatorBorrowed};
use rusqlite::Connection;

/// The collation's name in SQL (`ORDER BY name COLLATE unicode`, and the indexes that use it).
pub const NAME: &str = "unicode";

static COLLATOR: LazyLock<Option<CollatorBorrowed<'static>>> =
    LazyLock::new(|| Collator::try_new(Default::default(), CollatorOptions::default()).ok());

/// Compares two texts in Unicode order; bytes break ties so that distinct texts never compare equal.
pub fn compare(a: &str, b: &str) -> Ordering {
    match COLLATOR.as_ref() {
        Some(c) => c.compare(a, b).then_with(|| a.cmp(b)),
        None => a.cmp(b),
    }
}

/// Registers the collation on `conn` (before any statement that sorts or indexes with it).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_collation(NAME, compare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accented_names_sort_with_their_letter() {
        let mut names = vec![
            "Giulia", "Zoé", "Élodie", "eva", "Ärger", "Anna", "Oskar", "Öztürk",
        ];
        names.sort_by(|a, b| compare(a, b));
        assert_eq!(
            names,
            vec![
                "Anna", "Ärger", "Élodie", "eva", "Giulia", "Oskar", "Öztürk", "Zoé"
            ]
        );
    }
}
