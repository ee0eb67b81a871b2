//! Popups drawn over the panes, one file each; the top one gets the keys.

mod confirm;
mod detail;
mod form;
pub mod help;
mod review;
mod text;

pub use confirm::Confirm;
pub use detail::DetailView;
pub use form::{Field, Form, FormValues, Validator};
pub use help::Help;
pub use review::Review;
pub use text::{TextView, wrap};

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Clear};

use super::action::Action;
use super::effect::Effect;
use super::key::KeyPress;
use super::keymap::Keymap;
use super::theme::{Slot, Theme};

pub enum Popup {
    Help(Help),
    Detail(DetailView),
    Confirm(Confirm),
    Form(Form),
    Review(Review),
}

/// What a popup did with a key.
pub enum Outcome {
    /// Not a key of this popup.
    Ignored,
    /// Handled; the popup stays.
    Consumed,
    /// The popup closes.
    Close,
    /// The popup closes and the effect runs.
    Run(Effect),
}

impl Popup {
    /// Handles a key; `action` is what the `[popup]` keymap section says about it.
    pub fn handle(&mut self, key: KeyPress, action: Option<Action>) -> Outcome {
        match self {
            Popup::Help(p) => p.text.handle(action),
            Popup::Detail(p) => p.text.handle(action),
            Popup::Confirm(p) => p.handle(action),
            Popup::Form(p) => p.handle(key),
            Popup::Review(p) => p.handle(action),
        }
    }

    /// Scrolls with the mouse wheel.
    pub fn scroll(&mut self, down: bool) {
        let action = if down { Action::Down } else { Action::Up };
        match self {
            Popup::Help(p) => {
                p.text.handle(Some(action));
            }
            Popup::Detail(p) => {
                p.text.handle(Some(action));
            }
            Popup::Review(p) => {
                p.handle(Some(action));
            }
            Popup::Confirm(_) | Popup::Form(_) => {}
        }
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>, theme: &Theme, keymap: &Keymap) {
        match self {
            Popup::Help(p) => p.draw(frame, theme),
            Popup::Detail(p) => p.draw(frame, theme, keymap),
            Popup::Confirm(p) => p.draw(frame, theme, keymap),
            Popup::Form(p) => p.draw(frame, theme),
            Popup::Review(p) => p.draw(frame, theme, keymap),
        }
    }
}

/// A rectangle of at most `width` × `height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Clears `area` and draws the popup's frame with its title; returns the inner area.
pub fn frame_box(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    theme: &Theme,
    footer: Option<Line<'static>>,
) -> Rect {
    frame.render_widget(Clear, area);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.style(Slot::PopupBorder))
        .style(theme.style(Slot::PopupText))
        .title(Line::styled(
            format!(" {title} "),
            theme.style(Slot::PopupTitle),
        ));
    if let Some(f) = footer {
        block = block.title_bottom(f);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// `[key] label` hints for a popup's bottom border.
pub fn hints(keymap: &Keymap, theme: &Theme, items: &[(Action, &str)]) -> Line<'static> {
    use super::action::Section;
    let mut spans = Vec::new();
    for (action, label) in items {
        let key = keymap
            .key_for(Section::Popup, *action)
            .map(|k| k.to_string())
            .unwrap_or_else(|| "?".to_string());
        spans.push(ratatui::text::Span::styled(
            format!(" {key} "),
            theme.style(Slot::PopupKey),
        ));
        spans.push(ratatui::text::Span::raw(format!("{label} ")));
    }
    Line::from(spans)
}
