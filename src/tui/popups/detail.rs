//! The detail view of the selected row: its fields, then its related rows (attempts, identities...).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{TextView, frame_box, hints};
use crate::store::views::Detail;
use crate::tui::action::Action;
use crate::tui::columns::shown;
use crate::tui::keymap::Keymap;
use crate::tui::strings::popups as s;
use crate::tui::theme::{Slot, Theme};
use crate::tui::time;

pub struct DetailView {
    pub title: String,
    pub text: TextView,
}

impl DetailView {
    pub fn new(detail: &Detail, theme: &Theme) -> DetailView {
        let width = detail
            .fields
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let label = theme.style(Slot::PopupLabel);
        let mut lines: Vec<Line<'static>> = detail
            .fields
            .iter()
            .map(|(l, v)| {
                let value = if v.is_empty() {
                    s::NONE.to_string()
                } else {
                    shown(&time::detail(v)).into_owned()
                };
                let styled = theme.state(v).unwrap_or(theme.style(Slot::PopupText));
                Line::from(vec![
                    Span::styled(format!("{l:>width$}  "), label),
                    Span::styled(value, styled),
                ])
            })
            .collect();
        for section in &detail.sections {
            lines.push(Line::default());
            lines.push(Line::styled(
                format!("{} ({})", section.title, section.lines.len()),
                theme.style(Slot::PopupTitle),
            ));
            if section.lines.is_empty() {
                lines.push(Line::styled(format!("  {}", s::NONE), label));
            }
            lines.extend(
                section
                    .lines
                    .iter()
                    .map(|l| Line::from(format!("  {}", shown(&time::detail(l))))),
            );
        }
        DetailView {
            title: shown(&detail.title).into_owned(),
            text: TextView::new(lines),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>, theme: &Theme, keymap: &Keymap) {
        let full = frame.area();
        let width = full.width - full.width / 5;
        let lines = self.text.wrapped_len(width.saturating_sub(2));
        let height = (lines as u16 + 2).min(full.height.saturating_sub(4));
        let area = Rect {
            x: full.x + full.width / 10,
            y: full.y + 2,
            width,
            height,
        };
        let footer = hints(
            keymap,
            theme,
            &[(Action::Close, s::CLOSE), (Action::PageDown, s::SCROLL)],
        );
        let title = match self.text.position() {
            Some(p) => format!("{} ({p})", self.title),
            None => self.title.clone(),
        };
        let inner = frame_box(frame, area, &title, theme, Some(footer));
        self.text.draw(frame, inner);
    }
}
