//! Scrollable lines inside a popup (help, detail, review).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::Outcome;
use crate::tui::action::Action;

#[derive(Debug, Default)]
pub struct TextView {
    pub lines: Vec<Line<'static>>,
    pub offset: usize,
    /// Lines shown at once (set by the last draw).
    pub height: usize,
}

impl TextView {
    pub fn new(lines: Vec<Line<'static>>) -> TextView {
        TextView {
            lines,
            offset: 0,
            height: 10,
        }
    }

    fn max_offset(&self) -> usize {
        self.lines.len().saturating_sub(self.height.max(1))
    }

    /// Scrolls, or closes on `close`.
    pub fn handle(&mut self, action: Option<Action>) -> Outcome {
        let page = self.height.max(1);
        self.offset = match action {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Down) => self.offset + 1,
            Some(Action::Up) => self.offset.saturating_sub(1),
            Some(Action::PageDown) => self.offset + page,
            Some(Action::PageUp) => self.offset.saturating_sub(page),
            Some(Action::First) => 0,
            Some(Action::Last) => self.max_offset(),
            _ => return Outcome::Consumed,
        }
        .min(self.max_offset());
        Outcome::Consumed
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>, area: Rect) {
        self.height = area.height as usize;
        self.offset = self.offset.min(self.max_offset());
        let shown: Vec<Line<'static>> = self
            .lines
            .iter()
            .skip(self.offset)
            .take(self.height)
            .cloned()
            .collect();
        frame.render_widget(Paragraph::new(shown), area);
    }

    /// `lines 3-20 of 45` when the text does not fit.
    pub fn position(&self) -> Option<String> {
        (self.lines.len() > self.height).then(|| {
            crate::tui::strings::popups::position(
                self.offset + 1,
                (self.offset + self.height).min(self.lines.len()),
                self.lines.len(),
            )
        })
    }
}
