//! A pane's table state: the loaded window, the selection, scrolling, sorting, marks and the filter.
//!
//! Only a window of rows around the selection is in memory. Moving near its edge asks for a new
//! window anchored at the selected row's key (keyset pagination), so the position survives reloads.

use std::collections::BTreeSet;

use crate::store::views::{Anchor, Filter, Query, Row, View, Window};

use super::Notice;

/// Rows read before and after the anchor.
pub const WINDOW_HALF: usize = 100;
/// Reload when the selection comes this close to an edge of the window that is not the table's.
const MARGIN: usize = 40;

/// A load to run off the UI loop.
#[derive(Debug, Clone)]
pub struct LoadRequest {
    pub seq: u64,
    pub anchor: Anchor,
    pub query: Query,
    /// Count the filtered rows too (after the window is sent); the number orders the counts.
    pub count: Option<u64>,
}

#[derive(Debug)]
pub struct Table {
    pub view: &'static View,
    pub query: Query,
    pub window: Window,
    /// Index of the selected row in `window.rows`.
    pub selected: usize,
    /// Index of the first row drawn.
    pub offset: usize,
    /// Rows drawn at once (set by the last draw).
    pub height: usize,
    pub total: Option<u64>,
    pub marked: BTreeSet<i64>,
    /// Columns scrolled off to the left (`<` / `>`).
    pub scroll: usize,
    /// Columns that did not fit at the right in the last draw (`>` stops at none).
    pub hidden_right: usize,
    pub notices: Vec<Notice>,
    pub error: Option<String>,
    /// The newest load asked for; older answers are dropped.
    pub seq: u64,
    pub loading: bool,
    pub loaded: bool,
    /// Something changed since the last load (shown again when the pane is shown).
    pub stale: bool,
    /// Where the selection lands when the pending load arrives.
    pin: Pin,
    /// Rows still to move once the next window arrives (moves past the loaded rows).
    carry: isize,
    /// The newest count asked for.
    count_seq: u64,
}

/// Where the selection lands in a new window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pin {
    /// On the row that is selected when the window arrives (keys pressed meanwhile count).
    Selection,
    /// On the anchor row (first row, new filter, new sort).
    Anchor,
    /// On the last row, drawn on the bottom line.
    Bottom,
}

impl Table {
    pub fn new(view: &'static View) -> Table {
        Table {
            view,
            query: Query::new(view),
            window: Window::default(),
            selected: 0,
            offset: 0,
            height: 20,
            total: None,
            marked: BTreeSet::new(),
            scroll: 0,
            hidden_right: 0,
            notices: Vec::new(),
            error: None,
            seq: 0,
            loading: false,
            loaded: false,
            stale: true,
            pin: Pin::Anchor,
            carry: 0,
            count_seq: 0,
        }
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.window.rows.get(self.selected)
    }

    fn request(&mut self, anchor: Anchor, with_count: bool) -> LoadRequest {
        self.seq += 1;
        if !matches!(anchor, Anchor::At(_)) {
            self.carry = 0;
        }
        self.pin = match anchor {
            Anchor::Last => Pin::Bottom,
            Anchor::First => Pin::Anchor,
            Anchor::At(_) => Pin::Selection,
        };
        self.loading = true;
        self.stale = false;
        let count = with_count.then(|| {
            self.count_seq += 1;
            self.count_seq
        });
        LoadRequest {
            seq: self.seq,
            anchor,
            query: self.query.clone(),
            count,
        }
    }

    /// Reloads around the selected row (or from the top), with a new count.
    pub fn reload(&mut self) -> LoadRequest {
        self.refresh(true)
    }

    /// Reads the rows around the selected row again (the worker changes them meanwhile).
    pub fn refresh(&mut self, with_count: bool) -> LoadRequest {
        let anchor = self
            .selected_row()
            .map(|r| Anchor::At(r.key.clone()))
            .unwrap_or(Anchor::First);
        self.request(anchor, with_count)
    }

    /// Applies a finished load if it is the newest one; keeps the selected row on the same line.
    pub fn apply(
        &mut self,
        seq: u64,
        window: Window,
        notices: Option<Vec<Notice>>,
    ) -> Option<LoadRequest> {
        if seq != self.seq {
            return None;
        }
        let on_screen = if self.pin == Pin::Bottom {
            self.height.saturating_sub(1)
        } else {
            self.selected.saturating_sub(self.offset)
        };
        let current = self.selected_row().map(|r| r.id);
        self.window = window;
        // The store keeps UTC; the screen shows local time.
        for row in self.window.rows.iter_mut() {
            for cell in row.cells.iter_mut() {
                *cell = crate::tui::time::table(cell);
            }
        }
        let kept = match (self.pin, current) {
            (Pin::Selection, Some(id)) => self.window.rows.iter().position(|r| r.id == id),
            _ => None,
        };
        self.selected = kept
            .unwrap_or(self.window.anchor)
            .min(self.window.rows.len().saturating_sub(1));
        self.offset = self.selected.saturating_sub(on_screen);
        if let Some(n) = notices {
            self.notices = n;
        }
        self.error = None;
        self.loading = false;
        self.loaded = true;
        self.clamp_offset();
        // Moves past the old window's edge, typed while this one was read, go on from here.
        let carry = std::mem::take(&mut self.carry);
        if carry != 0 && self.pin == Pin::Selection {
            return self.move_by(carry);
        }
        None
    }

    /// Applies a finished count if it is the newest one.
    pub fn counted(&mut self, count_seq: u64, total: u64) {
        if count_seq == self.count_seq {
            self.total = Some(total);
        }
    }

    pub fn fail(&mut self, seq: u64, error: String) {
        if seq == self.seq {
            self.loading = false;
            self.error = Some(error);
        }
    }

    /// Moves the selection by `delta` rows; asks for a new window near its edges.
    pub fn move_by(&mut self, delta: isize) -> Option<LoadRequest> {
        let len = self.window.rows.len();
        if len == 0 {
            return None;
        }
        let target = self.selected as isize + delta;
        let last = len as isize - 1;
        if (target > last && !self.window.at_end) || (target < 0 && !self.window.at_start) {
            self.carry += target - target.clamp(0, last);
        }
        self.selected = target.clamp(0, last) as usize;
        self.clamp_offset();
        let near_start = self.selected < MARGIN && !self.window.at_start;
        let near_end = self.selected + MARGIN >= len && !self.window.at_end;
        (near_start || near_end).then(|| self.refresh(false))
    }

    pub fn page(&self) -> isize {
        self.height.max(1) as isize
    }

    pub fn first(&mut self) -> LoadRequest {
        self.selected = 0;
        self.offset = 0;
        self.request(Anchor::First, false)
    }

    pub fn last(&mut self) -> LoadRequest {
        self.request(Anchor::Last, false)
    }

    /// Selects the row drawn on line `line` of the table (a mouse click).
    pub fn click(&mut self, line: usize) -> Option<LoadRequest> {
        let target = self.offset + line;
        if target < self.window.rows.len() {
            return self.move_by(target as isize - self.selected as isize);
        }
        None
    }

    /// Sorts by the next column (or reverses the order), from the top.
    pub fn sort_next(&mut self) -> LoadRequest {
        self.query.sort = (self.query.sort + 1) % self.view.columns.len();
        self.query.desc = false;
        self.first()
    }

    pub fn sort_reverse(&mut self) -> LoadRequest {
        self.query.desc = !self.query.desc;
        self.first()
    }

    /// Applies a new filter from the top; marks are dropped (they could hide behind the filter).
    pub fn set_filter(&mut self, filter: Filter) -> LoadRequest {
        self.query.filter = filter;
        self.total = None;
        self.marked.clear();
        self.selected = 0;
        self.offset = 0;
        self.request(Anchor::First, true)
    }

    /// Marks or unmarks the selected row, then moves down.
    pub fn toggle_mark(&mut self) -> Option<LoadRequest> {
        let id = self.selected_row()?.id;
        if !self.marked.remove(&id) {
            self.marked.insert(id);
        }
        self.move_by(1)
    }

    /// Marks every loaded row (or unmarks them when all are marked).
    pub fn mark_all(&mut self) {
        let ids: Vec<i64> = self.window.rows.iter().map(|r| r.id).collect();
        if ids.iter().all(|id| self.marked.contains(id)) {
            for id in ids {
                self.marked.remove(&id);
            }
        } else {
            self.marked.extend(ids);
        }
    }

    fn clamp_offset(&mut self) {
        let h = self.height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        let max_offset = self.window.rows.len().saturating_sub(h);
        self.offset = self.offset.min(max_offset);
    }

    /// Sets the drawn height and keeps the selection visible.
    pub fn set_height(&mut self, h: usize) {
        self.height = h.max(1);
        self.clamp_offset();
    }
}
