//! A text to read before an irreversible step (an e-mail before sending): scroll, then confirm or cancel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{Outcome, TextView, frame_box, hints};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::keymap::Keymap;
use crate::tui::strings::popups as s;
use crate::tui::theme::Theme;

pub struct Review {
    pub title: String,
    pub text: TextView,
    /// What confirming does (`Send`).
    pub confirm: String,
    then: Option<Box<Effect>>,
}

impl Review {
    pub fn new(
        title: impl Into<String>,
        text: &str,
        confirm: impl Into<String>,
        then: Effect,
    ) -> Review {
        Review {
            title: title.into(),
            text: TextView::new(text.lines().map(|l| Line::from(l.to_string())).collect()),
            confirm: confirm.into(),
            then: Some(Box::new(then)),
        }
    }

    pub fn handle(&mut self, action: Option<Action>) -> Outcome {
        match action {
            Some(Action::Confirm) => match self.then.take() {
                Some(effect) => Outcome::Run(*effect),
                None => Outcome::Close,
            },
            other => self.text.handle(other),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>, theme: &Theme, keymap: &Keymap) {
        let full = frame.area();
        let area = Rect {
            x: full.x + full.width / 10,
            y: full.y + 2,
            width: full.width - full.width / 5,
            height: full.height.saturating_sub(4),
        };
        let footer = hints(
            keymap,
            theme,
            &[
                (Action::Confirm, &self.confirm),
                (Action::Close, s::CANCEL),
                (Action::PageDown, s::SCROLL),
            ],
        );
        let title = match self.text.position() {
            Some(p) => format!("{} ({p})", self.title),
            None => self.title.clone(),
        };
        let inner = frame_box(frame, area, &title, theme, Some(footer));
        self.text.draw(frame, inner);
    }
}
