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
    if plain(a) && plain(b) {
        return compare_plain(a, b);
    }
    match COLLATOR.as_ref() {
        Some(c) => c.compare(a, b).then_with(|| a.cmp(b)),
        None => a.cmp(b),
    }
}

/// Letters, digits and spaces of ASCII only: ordered without the collator, the same way.
fn plain(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
}

/// The collator's order on [`plain`] texts: letters regardless of case (space < digits < letters),
/// then lower case before upper case at the first difference, then bytes.
fn compare_plain(a: &str, b: &str) -> Ordering {
    let case = |s: &'_ str| {
        s.bytes()
            .map(|b| b.is_ascii_uppercase())
            .collect::<Vec<bool>>()
    };
    a.bytes()
        .map(|b| b.to_ascii_lowercase())
        .cmp(b.bytes().map(|b| b.to_ascii_lowercase()))
        .then_with(|| case(a).cmp(&case(b)))
        .then_with(|| a.cmp(b))
}

/// Registers the collation on `conn` (before any statement that sorts or indexes with it).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_collation(NAME, compare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_texts_sort_as_the_collator_sorts_them() {
        let Some(collator) = COLLATOR.as_ref() else {
            panic!("the collator has no data");
        };
        let alphabet: Vec<char> = " 0aAbZ".chars().collect();
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        texts.sort();
        texts.dedup();
        for a in &texts {
            for b in &texts {
                let icu = collator.compare(a, b).then_with(|| a.cmp(b));
                assert_eq!(compare_plain(a, b), icu, "{a:?} vs {b:?}");
            }
        }
    }

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
