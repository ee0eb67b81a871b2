//! The `?` help: every binding of the active keymap (keys, action, description), plus the fixed keys.

use ratatui::Frame;
use ratatui::text::{Line, Span};

use super::{TextView, centered, frame_box};
use crate::tui::action::Section;
use crate::tui::keymap::Keymap;
use crate::tui::panes::Pane;
use crate::tui::strings::help as s;
use crate::tui::theme::{Slot, Theme};

pub struct Help {
    pub title: String,
    pub text: TextView,
}

impl Help {
    /// The help for `pane`: global keys, list keys, the pane's row actions, popup keys, fixed keys.
    pub fn new(keymap: &Keymap, pane: Pane, theme: &Theme) -> Help {
        let key_style = theme.style(Slot::PopupKey);
        let label = theme.style(Slot::PopupLabel);
        let mut lines: Vec<Line<'static>> = Vec::new();
        let sections = [
            Section::Global,
            Section::List,
            Section::Pane(pane),
            Section::Popup,
        ];
        for section in sections {
            lines.push(Line::styled(
                s::section_title(section, pane),
                theme.style(Slot::PopupTitle),
            ));
            for b in keymap.bindings(section) {
                let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<26}", keys.join(" ")), key_style),
                    Span::styled(format!("{:<16}", b.run), label),
                    Span::raw(b.description().to_string()),
                ]));
            }
            if let Section::Pane(p) = section {
                for a in p.actions() {
                    if !keymap.bindings(section).iter().any(|b| b.run == a.name) {
                        lines.push(Line::from(vec![
                            Span::styled(format!("  {:<26}", format!(":{}", a.name)), key_style),
                            Span::styled(format!("{:<16}", a.name), label),
                            Span::raw(a.description.to_string()),
                        ]));
                    }
                }
                if p.actions().is_empty() {
                    lines.push(Line::styled(format!("  {}", s::NO_ROW_ACTIONS), label));
                }
            }
            lines.push(Line::default());
        }
        lines.push(Line::styled(s::FIXED_TITLE, theme.style(Slot::PopupTitle)));
        for (keys, what) in s::FIXED {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<26}"), key_style),
                Span::raw(what.to_string()),
            ]));
        }
        Help {
            title: s::title(&keymap.name),
            text: TextView::new(lines),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>, theme: &Theme) {
        let full = frame.area();
        let area = centered(full, 100, full.height.saturating_sub(2));
        let title = match self.text.position() {
            Some(p) => format!("{} ({p})", self.title),
            None => self.title.clone(),
        };
        let inner = frame_box(frame, area, &title, theme, None);
        self.text.draw(frame, inner);
    }
}
