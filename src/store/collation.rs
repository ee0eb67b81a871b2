//! Names sorted as people read them (CLDR root order, so "Élodie" comes before "Giulia" in French
//! and German alike): the `unicode_key` SQL function, whose sort keys (texts that compare as
//! bytes) the indexes on names hold and every text column sorts by, and the `unicode` collation of
//! older schema versions; with them the folding and e-mail key functions. All are registered on
//! every connection backroom opens.

use std::cmp::Ordering;
use std::sync::LazyLock;

use icu_collator::options::CollatorOptions;
use icu_collator::{Collator, CollatorBorrowed};
use rusqlite::Connection;

/// The collation's name in SQL (`ORDER BY name COLLATE unicode`, and the indexes that use it).
pub const NAME: &str = "unicode";

static COLLATOR: LazyLock<Option<CollatorBorrowed<'static>>> =
    LazyLock::new(|| Collator::try_new(Default::default(), CollatorOptions::default()).ok());

/// The SQL function that gives a text's sort key (`ORDER BY unicode_key(name)`, and the indexes
/// on names): keys compare as bytes, so an index is built and searched without calling back into
/// the collator, and a key is computed once per row rather than once per comparison.
pub const KEY_FN: &str = "unicode_key";

/// The SQL function that folds a text to lower case by Unicode's rules (`unicode_lower(name)`):
/// SQLite's own `lower()`, `LIKE` and `NOCASE` fold ASCII letters only, so `élodie` would not
/// find `Élodie`.
pub const LOWER_FN: &str = "unicode_lower";

/// The SQL function that gives an address's key (`email_key(email)`): the CRC-32 of the address
/// folded as [`crate::store::contacts::fold_email`] folds it. The column `contacts.email_key`
/// holds it and the e-mail index is built on that column: an index of small integers is built
/// about three times faster than one of texts compared without case, and is a third of its size;
/// addresses with the same key (a few pairs in a million) are told apart by comparing them folded.
pub const EMAIL_KEY_FN: &str = "email_key";

/// The [`EMAIL_KEY_FN`] of an address. It is stored (`contacts.email_key`), so it must never
/// change: CRC-32 (IEEE) is fixed by its standard.
pub fn email_key(email: &str) -> i64 {
    folded_email_key(&crate::store::contacts::fold_email(email))
}

/// The [`email_key`] of an address already folded (`fold_email`).
pub fn folded_email_key(folded: &str) -> i64 {
    i64::from(crc32fast::hash(folded.as_bytes()))
}

/// The collator's sort key of `text` (CLDR root order, tertiary strength) as a text: byte order
/// of keys is the collator's order of texts. Each byte of the collator's key is the character of
/// that number (U+0000 to U+00FF): UTF-8 keeps their order, and SQLite sorts text keys on its fast
/// path (bytes compared in place), where it unpacked every blob key first: an index of 100,000
/// names builds about 40 % faster. Texts the collator finds equal (`é` written as one character or
/// as `e` and an accent) get the same key; an index on names breaks such ties by id.
pub fn sort_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len() * 3);
    write_sort_key(text, &mut key);
    key
}

/// Appends the [`sort_key`] of `text` to `out`.
fn write_sort_key(text: &str, out: &mut String) {
    thread_local! {
        /// The collator's bytes of the key being written, reused from key to key.
        static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    match COLLATOR.as_ref() {
        Some(c) => BYTES.with_borrow_mut(|bytes| {
            bytes.clear();
            let Ok(()) = c.write_sort_key_to(text, bytes);
            out.extend(bytes.iter().map(|&b| char::from(b)));
        }),
        None => out.push_str(text),
    }
}

/// Sort keys computed ahead, on another thread, for texts an index build will ask for in the
/// same order (the rows a load just inserted, in rowid order): [`answer_from`] has `unicode_key`
/// take the next one whenever its text is the one asked for. A key depends on its text alone, so
/// an answer is always the key the collator gives; a text out of order is computed as usual.
#[derive(Default)]
pub struct KeysAhead {
    texts: String,
    /// Where each text ends in `texts`.
    text_ends: Vec<usize>,
    keys: String,
    /// Where each computed key ends in `keys`.
    key_ends: Vec<usize>,
    /// The next one to answer.
    next: usize,
}

impl KeysAhead {
    /// Adds a text; its key is computed by [`KeysAhead::compute`].
    pub fn push(&mut self, text: &str) {
        self.texts.push_str(text);
        self.text_ends.push(self.texts.len());
    }

    /// Computes the keys of the texts that have none yet. From 10,000 texts on they are split
    /// between threads, one a core (at most 4): an import computes them beside building its
    /// e-mail index, and on one thread they took longer than the index (55–65 ms against 40 for
    /// 100,000 names).
    pub fn compute(&mut self) {
        let (from, to) = (self.key_ends.len(), self.text_ends.len());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let parts = if to - from < 10_000 { 1 } else { cores.min(4) };
        let step = (to - from).div_ceil(parts).max(1);
        let (texts, text_ends) = (&self.texts, &self.text_ends);
        // The keys of texts `range`, and where each ends in them.
        let keys_of = |range: std::ops::Range<usize>| {
            let mut keys = String::new();
            let mut ends = Vec::with_capacity(range.len());
            for i in range {
                let begin = if i == 0 { 0 } else { text_ends[i - 1] };
                write_sort_key(&texts[begin..text_ends[i]], &mut keys);
                ends.push(keys.len());
            }
            (keys, ends)
        };
        let chunks: Vec<(String, Vec<usize>)> = if parts == 1 {
            vec![keys_of(from..to)]
        } else {
            std::thread::scope(|scope| {
                let workers: Vec<_> = (from..to)
                    .step_by(step)
                    .map(|start| {
                        let range = start..(start + step).min(to);
                        (range.clone(), scope.spawn(move || keys_of(range)))
                    })
                    .collect();
                // A worker that could not finish has its part computed here.
                workers
                    .into_iter()
                    .map(|(range, worker)| worker.join().unwrap_or_else(|_| keys_of(range)))
                    .collect()
            })
        };
        for (keys, ends) in chunks {
            let base = self.keys.len();
            self.keys.push_str(&keys);
            self.key_ends.extend(ends.iter().map(|end| base + end));
        }
    }

    /// Computes, on this thread, the keys of at most `at_most` of the texts that have none yet, in
    /// order; returns whether there was any to compute. An import calls it while it waits for
    /// rows, so that fewer keys are left for [`KeysAhead::compute`].
    pub fn compute_some(&mut self, at_most: usize) -> bool {
        let (from, to) = (self.key_ends.len(), self.text_ends.len());
        for i in from..to.min(from + at_most) {
            let begin = if i == 0 { 0 } else { self.text_ends[i - 1] };
            write_sort_key(&self.texts[begin..self.text_ends[i]], &mut self.keys);
            self.key_ends.push(self.keys.len());
        }
        to > from
    }

    /// The key of `text` if it is the next one computed ahead (and then moves on).
    fn take(&mut self, text: &[u8]) -> Option<&str> {
        let i = self.next;
        let (text_end, key_end) = (*self.text_ends.get(i)?, *self.key_ends.get(i)?);
        let (text_start, key_start) = match i {
            0 => (0, 0),
            _ => (self.text_ends[i - 1], self.key_ends[i - 1]),
        };
        if &self.texts.as_bytes()[text_start..text_end] != text {
            return None;
        }
        self.next += 1;
        Some(&self.keys[key_start..key_end])
    }

    /// How many keys were answered from here.
    pub fn used(&self) -> usize {
        self.next
    }
}

/// Registers `unicode_key` on `conn` answering from `ahead` first (until [`register`] puts the
/// usual function back); `ahead` is shared so that the caller can see how many were used.
pub fn answer_from(
    conn: &Connection,
    ahead: std::sync::Arc<std::sync::Mutex<KeysAhead>>,
) -> rusqlite::Result<()> {
    conn.create_scalar_function(KEY_FN, 1, key_flags(), move |ctx| {
        use rusqlite::types::ValueRef;
        if let ValueRef::Text(t) = ctx.get_raw(0) {
            let mut ahead = ahead.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(key) = ahead.take(t) {
                return Ok(Some(rusqlite::types::Value::Text(key.to_owned())));
            }
        }
        key_of(ctx.get_raw(0))
    })
}

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

/// Registers the collation, the key functions and the folding one on `conn` (before any statement
/// that sorts or indexes with them).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_collation(NAME, compare)?;
    conn.create_scalar_function(LOWER_FN, 1, key_flags(), |ctx| {
        use rusqlite::types::ValueRef;
        Ok(match ctx.get_raw(0) {
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                Some(String::from_utf8_lossy(t).to_lowercase())
            }
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(f) => Some(f.to_string()),
            ValueRef::Null => None,
        })
    })?;
    conn.create_scalar_function(EMAIL_KEY_FN, 1, key_flags(), |ctx| {
        use rusqlite::types::ValueRef;
        Ok(match ctx.get_raw(0) {
            ValueRef::Text(t) => Some(email_key(&String::from_utf8_lossy(t))),
            _ => None,
        })
    })?;
    conn.create_scalar_function(KEY_FN, 1, key_flags(), |ctx| key_of(ctx.get_raw(0)))
}

fn key_flags() -> rusqlite::functions::FunctionFlags {
    use rusqlite::functions::FunctionFlags;
    FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS
}

/// `unicode_key(value)`: the sort key of a text (a number is keyed as its text), a blob as it is.
fn key_of(
    value: rusqlite::types::ValueRef<'_>,
) -> rusqlite::Result<Option<rusqlite::types::Value>> {
    use rusqlite::types::{Value, ValueRef};
    Ok(match value {
        ValueRef::Text(t) => Some(Value::Text(match std::str::from_utf8(t) {
            Ok(text) => sort_key(text),
            Err(_) => sort_key(&String::from_utf8_lossy(t)),
        })),
        ValueRef::Null => None,
        ValueRef::Blob(b) => Some(Value::Blob(b.to_vec())),
        ValueRef::Integer(i) => Some(Value::Text(sort_key(&i.to_string()))),
        ValueRef::Real(f) => Some(Value::Text(sort_key(&f.to_string()))),
    })
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
    fn keys_sort_as_the_collation_sorts() {
        let names = [
            "Giulia",
            "Zoé",
            "Élodie",
            "eva",
            "Eva",
            "Éva",
            "Ärger",
            "Anna",
            "Oskar",
            "Öztürk",
            "Ødegård",
            "O'Brien",
            "Jean-Luc",
            "Jean Luc",
            "Łukasz",
            "Lukas",
            "",
            "Ana María",
            "Ana Maria",
            "Çağla",
            "Nguyễn",
            "Großmann",
            "Grossmann",
            "e\u{301}va",
            "10",
            "9",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    sort_key(a).cmp(&sort_key(b)),
                    compare(a, b),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    /// `ahead` answers every name with its own key, in order.
    fn answers_each_in_order(ahead: &mut KeysAhead, names: &[String]) {
        for name in names {
            assert_eq!(
                ahead.take(name.as_bytes()),
                Some(sort_key(name).as_str()),
                "{name}"
            );
        }
        assert_eq!(ahead.used(), names.len());
    }

    #[test]
    fn keys_computed_on_every_core_are_each_texts_own_in_order() {
        // Enough texts in each round for `compute` to split them between threads.
        let first = [
            "Zoë",
            "Élodie",
            "anna",
            "Ødegård",
            "Łukasz",
            "Nguyễn",
            "O'Brien",
        ];
        let names: Vec<String> = (0..25_000)
            .map(|i| format!("{} {i}", first[i % first.len()]))
            .collect();
        let mut ahead = KeysAhead::default();
        for name in &names[..12_000] {
            ahead.push(name);
        }
        ahead.compute();
        for name in &names[12_000..] {
            ahead.push(name);
        }
        ahead.compute();
        answers_each_in_order(&mut ahead, &names);
    }

    #[test]
    fn keys_computed_a_few_at_a_time_then_on_every_core_stay_in_order() {
        // As an import does: a few keys whenever it waits for rows, then the rest split between
        // threads.
        let names: Vec<String> = (0..30_000)
            .map(|i| format!("{} {i}", ["Zoë", "Élodie", "anna", "Ødegård"][i % 4]))
            .collect();
        let mut ahead = KeysAhead::default();
        assert!(!ahead.compute_some(64), "nothing to compute yet");
        for (i, name) in names.iter().enumerate() {
            ahead.push(name);
            if i % 1_000 == 999 {
                assert!(ahead.compute_some(64));
            }
        }
        assert_eq!(ahead.key_ends.len(), 30 * 64, "64 keys each time, no more");
        ahead.compute();
        assert!(!ahead.compute_some(64), "every key computed");
        answers_each_in_order(&mut ahead, &names);
    }

    #[test]
    fn keys_computed_ahead_answer_an_index_build_in_order_and_only_for_their_text() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
            .unwrap();
        let names = ["Zoë", "Élodie", "Anna", "Ødegård", "anna", "Eva"];
        for name in names {
            conn.execute("INSERT INTO t (name) VALUES (?1)", [name])
                .unwrap();
        }
        // Computed ahead for the rows from the second on; the first is computed as usual.
        let mut ahead = KeysAhead::default();
        for name in &names[1..] {
            ahead.push(name);
        }
        ahead.compute();
        let ahead = std::sync::Arc::new(std::sync::Mutex::new(ahead));
        answer_from(&conn, ahead.clone()).unwrap();
        conn.execute_batch("CREATE INDEX t_name ON t (unicode_key(name), id)")
            .unwrap();
        register(&conn).unwrap();
        assert_eq!(ahead.lock().unwrap().used(), names.len() - 1);
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");

        let mut keys = KeysAhead::default();
        keys.push("Anna");
        keys.push("Eva");
        assert_eq!(keys.take(b"Anna"), None, "not computed yet");
        keys.compute();
        assert_eq!(keys.take(b"Eva"), None, "out of order");
        assert_eq!(keys.take(b"Anna"), Some(sort_key("Anna").as_str()));
        assert_eq!(keys.take(b"Eva"), Some(sort_key("Eva").as_str()));
        assert_eq!(keys.take(b"Eva"), None, "all taken");
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

    #[test]
    fn an_address_is_folded_and_keyed_as_unicode_lowers_it() {
        use crate::store::contacts::fold_email;
        let long = "Ab".repeat(100);
        let addresses = [
            "Alice@Example.ORG",
            "ÉLODIE.Dupont@x.fr",
            "jürgen.MÜLLER@x.de",
            "İSTANBUL@x.tr",
            "STRAẞE@x.de",
            "ΟΔΥΣΣΕΥΣ@x.gr",
            "ΣΑΣ.ΣΑΣ@x.gr",
            "a\u{0301}B@x.org",
            &long,
        ];
        for address in addresses {
            assert_eq!(fold_email(address), address.to_lowercase(), "{address}");
            assert_eq!(
                email_key(address),
                i64::from(crc32fast::hash(address.to_lowercase().as_bytes())),
                "{address}"
            );
        }
        assert_eq!(email_key("ÉLODIE@X.FR"), email_key("élodie@x.fr"));
        assert_ne!(email_key("elodie@x.fr"), email_key("élodie@x.fr"));
    }
}
