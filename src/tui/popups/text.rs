//! Scrollable lines inside a popup (help, detail, review), wrapped to the popup's width; a
//! wrapped line continues under its text, not under its label.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use super::Outcome;
use crate::tui::action::Action;

#[derive(Debug, Default)]
pub struct TextView {
    pub lines: Vec<Line<'static>>,
    pub offset: usize,
    /// Lines shown at once (set by the last draw).
    pub height: usize,
    /// Lines once wrapped (set by the last draw).
    visual: usize,
}

impl TextView {
    pub fn new(lines: Vec<Line<'static>>) -> TextView {
        TextView {
            lines,
            offset: 0,
            height: 10,
            visual: 0,
        }
    }

    fn max_offset(&self) -> usize {
        self.visual_len().saturating_sub(self.height.max(1))
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

    /// How many lines the text takes once wrapped to `width` cells.
    pub fn wrapped_len(&self, width: u16) -> usize {
        self.lines
            .iter()
            .map(|l| wrap(l, usize::from(width)).len())
            .sum()
    }

    fn visual_len(&self) -> usize {
        self.visual.max(self.lines.len())
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>, area: Rect) {
        let wrapped: Vec<Line<'static>> = self
            .lines
            .iter()
            .flat_map(|l| wrap(l, usize::from(area.width)))
            .collect();
        self.visual = wrapped.len();
        self.height = area.height as usize;
        self.offset = self.offset.min(self.max_offset());
        let shown: Vec<Line<'static>> = wrapped
            .into_iter()
            .skip(self.offset)
            .take(self.height)
            .collect();
        frame.render_widget(Paragraph::new(shown), area);
    }

    /// `lines 3-20 of 45` when the text does not fit.
    pub fn position(&self) -> Option<String> {
        let len = self.visual_len();
        (len > self.height).then(|| {
            crate::tui::strings::popups::position(
                self.offset + 1,
                (self.offset + self.height).min(len),
                len,
            )
        })
    }
}

/// `line` wrapped at spaces to `width` cells. Continuation lines start under the text: under the
/// last span when the line has several (keys or a label, then the text), else after the line's
/// own indentation.
pub fn wrap(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    if line.width() <= width || width < 8 {
        return vec![line.clone()];
    }
    let chars: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    let indent = match line.spans.as_slice() {
        [heads @ .., _] if !heads.is_empty() => heads.iter().map(Span::width).sum(),
        _ => chars.iter().take_while(|(c, _)| *c == ' ').count(),
    };
    // Under the text while it keeps a third of the width (at 80 columns the help's keys and
    // names take 44 cells: its descriptions went on under the keys).
    let indent = if indent > width * 2 / 3 { 2 } else { indent };
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < chars.len() {
        let first = out.is_empty();
        if !first {
            while pos < chars.len() && chars[pos].0 == ' ' {
                pos += 1;
            }
        }
        let room = if first { width } else { width - indent };
        let (mut end, mut used) = (pos, 0);
        while end < chars.len() {
            let w = UnicodeWidthChar::width(chars[end].0).unwrap_or(0);
            if used + w > room {
                break;
            }
            used += w;
            end += 1;
        }
        if end < chars.len()
            && let Some(space) = (pos + 1..end).rev().find(|k| chars[*k].0 == ' ')
        {
            end = space + 1;
        }
        let end = end.max(pos + 1).min(chars.len());
        let mut spans: Vec<Span<'static>> = Vec::new();
        if !first && indent > 0 {
            spans.push(Span::raw(" ".repeat(indent)));
        }
        // The indentation is a span of its own: text never joins it.
        let fixed = spans.len();
        for (c, style) in &chars[pos..end] {
            let joins = spans.len() > fixed && spans.last().is_some_and(|l| l.style == *style);
            match spans.last_mut() {
                Some(last) if joins => last.content.to_mut().push(*c),
                _ => spans.push(Span::styled(c.to_string(), *style)),
            }
        }
        out.push(Line::from(spans).style(line.style));
        pos = end;
    }
    out
}
