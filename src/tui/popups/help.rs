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
        let table = rows(keymap, pane);
        // Aligned columns: the widest keys and the widest name set them, two spaces between.
        let keys_width = table
            .iter()
            .flat_map(|(_, rows)| rows)
            .map(|r| cells(&r.keys))
            .chain(s::FIXED.iter().map(|(k, _)| cells(k)))
            .max()
            .unwrap_or(0);
        let name_width = table
            .iter()
            .flat_map(|(_, rows)| rows)
            .map(|r| cells(&r.name))
            .max()
            .unwrap_or(0);
        let mut lines: Vec<Line<'static>> = Vec::new();
        for (title, rows) in &table {
            lines.push(Line::styled(title.clone(), theme.style(Slot::PopupTitle)));
            for r in rows {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {}  ", pad(&r.keys, keys_width)), key_style),
                    Span::styled(format!("{}  ", pad(&r.name, name_width)), label),
                    Span::raw(r.description.clone()),
                ]));
            }
            if rows.is_empty() {
                lines.push(Line::styled(format!("  {}", s::NO_ROW_ACTIONS), label));
            }
            lines.push(Line::default());
        }
        lines.push(Line::styled(s::FIXED_TITLE, theme.style(Slot::PopupTitle)));
        for (keys, what) in s::FIXED {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}  ", pad(keys, keys_width)), key_style),
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

/// One line of the help: the keys, the action's name and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRow {
    pub keys: String,
    pub name: String,
    pub description: String,
}

/// The help's sections for `pane`, with their rows: global keys, list keys, the pane's row
/// actions (unbound ones by their palette command), popup keys. The README's key table is
/// checked against this.
pub fn rows(keymap: &Keymap, pane: Pane) -> Vec<(String, Vec<HelpRow>)> {
    let sections = [
        Section::Global,
        Section::List,
        Section::Pane(pane),
        Section::Popup,
    ];
    sections
        .into_iter()
        .map(|section| {
            let mut rows: Vec<HelpRow> = keymap
                .bindings(section)
                .iter()
                .map(|b| HelpRow {
                    keys: b
                        .keys
                        .iter()
                        .map(|k| k.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                    name: b.run.clone(),
                    description: b.description().to_string(),
                })
                .collect();
            if let Section::Pane(p) = section {
                for a in p.actions() {
                    if !keymap.bindings(section).iter().any(|b| b.run == a.name) {
                        rows.push(HelpRow {
                            keys: format!(":{}", a.name),
                            name: a.name.to_string(),
                            description: a.description.to_string(),
                        });
                    }
                }
            }
            (s::section_title(section, pane), rows)
        })
        .collect()
}

fn cells(text: &str) -> usize {
    crate::tui::columns::cells(text)
}

/// `text` padded with spaces to `width` cells.
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(cells(text))))
}

/// The key table of `keymap` as the README shows it (Markdown): every section of the help, for
/// every pane. `tests/tui_keys.rs` checks that the README's table is this one.
pub fn markdown(keymap: &Keymap) -> String {
    let mut out =
        String::from("| where | keys | action | what it does |\n| --- | --- | --- | --- |\n");
    // Global, list and popup keys once, then each pane's row actions.
    let all: Vec<Vec<(String, Vec<HelpRow>)>> =
        Pane::ALL.iter().map(|p| rows(keymap, *p)).collect();
    let mut order: Vec<&(String, Vec<HelpRow>)> = Vec::new();
    if let Some(first) = all.first() {
        order.extend([0, 1, 3].iter().filter_map(|i| first.get(*i)));
    }
    order.extend(all.iter().filter_map(|sections| sections.get(2)));
    let sections = order
        .into_iter()
        .flat_map(|(title, rows)| rows.iter().map(move |r| (title.clone(), r.clone())));
    for (title, r) in sections {
        let keys: Vec<String> = r.keys.split(' ').map(|k| format!("`{k}`")).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            title,
            keys.join(" "),
            r.name,
            r.description.replace('|', "\\|")
        ));
    }
    out
}
