//! The shape of the print jobs' trigram index (`print_jobs_search`, FTS5): its levels and their
//! segments, as FTS5's structure record holds them. The benches print it to show whether a merge
//! was under way when they measured.

use rusqlite::Connection;

/// One level of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Level {
    pub segments: u64,
    /// Segments of this level a merge under way reads (0: none).
    pub merging: u64,
    /// Leaf pages of its segments.
    pub pages: u64,
}

/// The levels of the index, from level 0 (the newest, smallest segments) up.
pub fn levels(conn: &Connection) -> rusqlite::Result<Vec<Level>> {
    let block: Vec<u8> = conn.query_row(
        "SELECT block FROM print_jobs_search_data WHERE id = 10",
        [],
        |r| r.get(0),
    )?;
    decode(&block).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Blob,
            "not an FTS5 structure record".into(),
        )
    })
}

/// Reads the structure record: a 4-byte cookie, `FLG2` for the second version (five more
/// numbers a segment), the numbers of levels and segments and the write counter, then per level
/// the segments a merge reads and the segments, each its id, first and last page. Numbers are
/// SQLite varints.
fn decode(block: &[u8]) -> Option<Vec<Level>> {
    let v2 = block.get(4..8) == Some(b"FLG2");
    let mut at = if v2 { 8 } else { 4 };
    let mut next = || -> Option<u64> {
        let mut n = 0u64;
        for i in 0..9 {
            let b = *block.get(at)?;
            at += 1;
            if i == 8 {
                return Some((n << 8) | u64::from(b));
            }
            n = (n << 7) | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        Some(n)
    };
    let (levels, _segments, _writes) = (next()?, next()?, next()?);
    let mut out = Vec::new();
    for _ in 0..levels {
        let (merging, segments) = (next()?, next()?);
        let mut pages = 0;
        for _ in 0..segments {
            let (_id, first, last) = (next()?, next()?, next()?);
            pages += last.checked_sub(first)? + 1;
            if v2 {
                for _ in 0..5 {
                    next()?;
                }
            }
        }
        out.push(Level {
            segments,
            merging,
            pages,
        });
    }
    Some(out)
}

/// `L0 3 (12 p.), L1 5, 4 merging (3657 p.)`: how the benches print the levels.
pub fn describe(levels: &[Level]) -> String {
    levels
        .iter()
        .enumerate()
        .filter(|(_, l)| l.segments > 0)
        .map(|(i, l)| {
            let merging = if l.merging > 0 {
                format!(", {} merging", l.merging)
            } else {
                String::new()
            };
            format!("L{i} {}{merging} ({} p.)", l.segments, l.pages)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_levels_fts5_writes() {
        let conn = crate::store::open_in_memory().unwrap();
        assert!(levels(&conn).unwrap().iter().all(|l| l.segments == 0));
        for i in 0..3 {
            conn.execute(
                "INSERT INTO print_jobs_search (rowid, document, printer, error)
                 VALUES (?1, 'Facture', 'front', NULL)",
                [i + 1],
            )
            .unwrap();
        }
        let shape = levels(&conn).unwrap();
        assert_eq!(
            shape.iter().map(|l| l.segments).sum::<u64>(),
            3,
            "{shape:?}"
        );
        conn.execute_batch("INSERT INTO print_jobs_search (print_jobs_search) VALUES ('optimize')")
            .unwrap();
        let shape = levels(&conn).unwrap();
        assert_eq!(
            shape.iter().map(|l| l.segments).sum::<u64>(),
            1,
            "{shape:?}"
        );
        assert!(describe(&shape).starts_with('L'), "{}", describe(&shape));
        assert_eq!(decode(b"\0\0\0\x01\x05"), None, "cut short");
    }
}
