//! Column widths that fit the terminal, as k9s sizes them: each column is as wide as its content,
//! shrinks down to its minimum when room is short, and the lowest-priority columns are dropped
//! (and named) when even the minimums do not fit. Ids and states are never cut nor dropped.

use crate::store::views::{Row, View};

/// Space between two columns.
pub const SPACING: u16 = 1;
/// The mark column at the left of every row.
pub const MARK: u16 = 1;
/// No column grows past this many cells (the bottom border shows the selected cell in full).
const MAX_NATURAL: usize = 60;
/// A column that shrinks keeps at least this many cells (or its header, if longer).
const MIN_SHRUNK: usize = 8;
/// What marks a cut cell.
pub const ELLIPSIS: char = '…';

/// How a column gives way on a narrow terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// Never cut, never dropped, never scrolled away: ids and states.
    pub pinned: bool,
    /// Shown whole or not at all (times, counts).
    pub whole: bool,
    /// Higher is dropped later.
    pub priority: u8,
}

/// Columns shown whole or not at all, by name, in every pane.
const WHOLE: &[&str] = &[
    "created", "next", "attempts", "copies", "wait", "invited", "terms", "enabled", "default",
    "type", "tables", "queue",
];

/// The columns a pane pins: its ids (what one types at the CLI) and its states.
fn pinned(view: &str, column: &str) -> bool {
    matches!(
        (view, column),
        (_, "id" | "state")
            | ("printers", "name")
            | ("contacts", "email")
            | ("pos_folders", "code")
            | ("sync_tables", "folder" | "table" | "direction")
            | ("sync", "folder")
            | ("tills", "folder" | "till")
            | ("health", "severity" | "code")
    )
}

/// The columns dropped first when room is short, per pane, first dropped first.
const DROP_FIRST: &[(&str, &[&str])] = &[
    ("printers", &["copies", "tray", "provider", "target"]),
    (
        "print_jobs",
        &["remote", "next", "attempts", "created", "error"],
    ),
    ("contacts", &["terms", "invited", "created", "company"]),
    (
        "pos_folders",
        &["wait", "tables", "administrator", "till", "ftp"],
    ),
    ("sync_tables", &[]),
    ("sync", &["queue", "import", "export"]),
    ("health", &["area"]),
];

/// How `column` of `view` fits.
pub fn fit(view: &str, column: &str, index: usize) -> Fit {
    let pinned = pinned(view, column);
    let dropped = DROP_FIRST
        .iter()
        .find(|(v, _)| *v == view)
        .and_then(|(_, cols)| cols.iter().position(|c| *c == column));
    // Listed columns go first (priority 0..), then the others right to left.
    let priority = match dropped {
        Some(p) => p as u8,
        None => 100u8.saturating_sub(index as u8),
    };
    Fit {
        pinned,
        whole: pinned || WHOLE.contains(&column),
        priority: if pinned { u8::MAX } else { priority },
    }
}

/// One drawn column: its index in the view and its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub index: usize,
    pub width: u16,
}

/// Where the columns go for one draw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// The columns drawn, left to right.
    pub shown: Vec<Placed>,
    /// Columns scrolled off to the left (`<` brings them back).
    pub left: Vec<usize>,
    /// Columns that do not fit at the right (`>` brings them in).
    pub right: Vec<usize>,
}

impl Layout {
    /// The width of column `index`, when it is drawn.
    pub fn width_of(&self, index: usize) -> Option<u16> {
        self.shown
            .iter()
            .find(|p| p.index == index)
            .map(|p| p.width)
    }

    /// Columns not drawn, scrolled away or dropped.
    pub fn hidden(&self) -> usize {
        self.left.len() + self.right.len()
    }
}

/// A cell's text as the table shows it: control characters and the marks that reorder text
/// escaped, as the CLI lists escape them (a bidirectional mark in a name showed its end first:
/// `\u{202e}moc.knab@` read `@bank.com`).
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    crate::cli::output::visible(text)
}

/// The width of `text` on the terminal.
pub fn cells(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// The header of column `index` (with the sort arrow when the table sorts by it).
pub fn header(view: &View, index: usize, sort: usize, desc: bool) -> String {
    let arrow = match (index == sort, desc) {
        (true, true) => " ↓",
        (true, false) => " ↑",
        _ => "",
    };
    format!("{}{arrow}", view.columns[index].name.to_uppercase())
}

/// Lays the view's columns out in `width` cells for `rows`, after `scroll` columns scrolled off
/// to the left (pinned columns never scroll).
pub fn layout(view: &View, rows: &[Row], width: u16, scroll: usize, sort: usize) -> Layout {
    let n = view.columns.len();
    let fits: Vec<Fit> = view
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| fit(view.name, c.name, i))
        .collect();
    let natural: Vec<usize> = (0..n)
        .map(|i| {
            // The sort arrow takes the same room either way.
            let head = cells(&header(view, i, sort, false));
            let content = rows
                .iter()
                .filter_map(|r| r.cells.get(i))
                .map(|t| cells(&shown(t)))
                .max()
                .unwrap_or(0);
            let cap = if fits[i].whole {
                usize::MAX
            } else {
                MAX_NATURAL
            };
            head.max(content).min(cap).max(1)
        })
        .collect();
    let min: Vec<usize> = (0..n)
        .map(|i| {
            if fits[i].whole {
                natural[i]
            } else {
                let head = cells(&header(view, i, sort, false));
                natural[i].min(MIN_SHRUNK.max(head))
            }
        })
        .collect();
    let movable: Vec<usize> = (0..n).filter(|i| !fits[*i].pinned).collect();
    let scroll = scroll.min(movable.len().saturating_sub(1));
    let left: Vec<usize> = movable.iter().take(scroll).copied().collect();
    let mut candidates: Vec<usize> = (0..n).filter(|i| !left.contains(i)).collect();
    let room = usize::from(width).saturating_sub(usize::from(MARK));
    let need =
        |cols: &[usize]| -> usize { cols.iter().map(|i| min[*i] + usize::from(SPACING)).sum() };
    let mut right = Vec::new();
    while need(&candidates) > room {
        // Drop the lowest priority; among equals the rightmost.
        let drop = candidates
            .iter()
            .copied()
            .filter(|i| !fits[*i].pinned)
            .min_by_key(|i| (fits[*i].priority, std::cmp::Reverse(*i)));
        let Some(drop) = drop else { break };
        candidates.retain(|i| *i != drop);
        right.push(drop);
    }
    right.sort_unstable();
    let widths = share(&candidates, &min, &natural, room);
    Layout {
        shown: candidates
            .iter()
            .zip(widths)
            .map(|(i, w)| Placed {
                index: *i,
                width: u16::try_from(w).unwrap_or(u16::MAX),
            })
            .collect(),
        left,
        right,
    }
}

/// Shares `room` among `cols`: each gets its minimum, then the narrowest grow together towards
/// their natural width, so no column stays short while another has spare cells.
fn share(cols: &[usize], min: &[usize], natural: &[usize], room: usize) -> Vec<usize> {
    let mut widths: Vec<usize> = cols.iter().map(|i| min[*i]).collect();
    let spacing = cols.len() * usize::from(SPACING);
    let mut spare = room.saturating_sub(widths.iter().sum::<usize>() + spacing);
    while spare > 0 {
        let growing: Vec<usize> = (0..cols.len())
            .filter(|k| widths[*k] < natural[cols[*k]])
            .collect();
        let Some(level) = growing.iter().map(|k| widths[*k]).min() else {
            break;
        };
        for k in growing {
            if spare == 0 {
                break;
            }
            if widths[k] == level {
                widths[k] += 1;
                spare -= 1;
            }
        }
    }
    widths
}

/// `text` cut to `width` cells, with an ellipsis when something was cut.
pub fn cut(text: &str, width: usize) -> String {
    if cells(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push(ELLIPSIS);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_marks_what_it_cuts() {
        assert_eq!(cut("front-desk", 20), "front-desk");
        assert_eq!(cut("front-desk", 6), "front…");
        assert_eq!(cut("Élodie", 6), "Élodie");
    }

    fn job(id: i64, error: &str) -> Row {
        Row {
            id,
            key: crate::store::views::Key {
                value: rusqlite::types::Value::Integer(id),
                id,
            },
            cells: vec![
                id.to_string(),
                "2026-11-20 10:00".into(),
                "failed".into(),
                "front-desk".into(),
                "Invoice INV-10486 for Imprimerie Martin".into(),
                "8/8".into(),
                "2026-11-21 10:00".into(),
                "".into(),
                error.into(),
            ],
        }
    }

    #[test]
    fn narrow_drops_low_priorities_first_and_never_the_pinned() {
        let view = &crate::store::views::PRINT_JOBS;
        let rows = vec![job(
            1_000_000,
            "connection refused by the printer at 10.0.0.5",
        )];
        let wide = layout(view, &rows, 200, 0, 1);
        assert!(wide.right.is_empty() && wide.left.is_empty(), "{wide:?}");
        let narrow = layout(view, &rows, 40, 0, 1);
        let shown: Vec<&str> = narrow
            .shown
            .iter()
            .map(|p| view.columns[p.index].name)
            .collect();
        assert!(
            shown.contains(&"id") && shown.contains(&"state"),
            "{shown:?}"
        );
        // The id column is as wide as the id.
        assert!(narrow.width_of(0).is_some_and(|w| w >= 7), "{narrow:?}");
        let hidden: Vec<&str> = narrow.right.iter().map(|i| view.columns[*i].name).collect();
        assert!(
            hidden.contains(&"remote") && hidden.contains(&"next"),
            "{hidden:?}"
        );
        // Scrolling moves the unpinned columns only.
        let scrolled = layout(view, &rows, 40, 2, 1);
        assert_eq!(scrolled.left.len(), 2);
        assert!(scrolled.width_of(0).is_some() && scrolled.width_of(2).is_some());
    }

    #[test]
    fn share_grows_the_narrowest_first() {
        // Two columns want 30 and 10, the minimums are 8 and 8, 30 cells of room.
        let w = share(&[0, 1], &[8, 8], &[30, 10], 30);
        assert_eq!(w, vec![18, 10]);
    }
}
