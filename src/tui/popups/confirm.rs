//! The confirmation every destructive action goes through: it says what will happen, `y` does it.

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::{Outcome, centered, frame_box, hints};
use crate::tui::action::Action;
use crate::tui::columns::shown;
use crate::tui::effect::Effect;
use crate::tui::keymap::Keymap;
use crate::tui::strings::popups as s;
use crate::tui::theme::{Slot, Theme};

pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    /// What confirming does, as a button label (`Delete 3 contacts`).
    pub confirm: String,
    then: Option<Box<Effect>>,
    /// What cancelling does, when someone waits for the answer either way.
    otherwise: Option<Box<Effect>>,
}

impl Confirm {
    pub fn new(
        title: impl Into<String>,
        lines: Vec<String>,
        confirm: impl Into<String>,
        then: Effect,
    ) -> Confirm {
        // What it names (a contact, a job's document) shows escaped, as in the tables.
        Confirm {
            title: shown(&title.into()).into_owned(),
            lines: lines.iter().map(|l| shown(l).into_owned()).collect(),
            confirm: shown(&confirm.into()).into_owned(),
            then: Some(Box::new(then)),
            otherwise: None,
        }
    }

    /// Runs `effect` when the question is cancelled (a "no" someone is waiting for).
    pub fn on_cancel(mut self, effect: Effect) -> Confirm {
        self.otherwise = Some(Box::new(effect));
        self
    }

    pub fn handle(&mut self, action: Option<Action>) -> Outcome {
        match action {
            Some(Action::Confirm) => match self.then.take() {
                Some(effect) => Outcome::Run(*effect),
                None => Outcome::Close,
            },
            Some(Action::Close) => match self.otherwise.take() {
                Some(effect) => Outcome::Run(*effect),
                None => Outcome::Close,
            },
            _ => Outcome::Consumed,
        }
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>, theme: &Theme, keymap: &Keymap) {
        let width = 64u16;
        let text_lines: usize = self
            .lines
            .iter()
            .map(|l| l.chars().count() / (width as usize - 4) + 1)
            .sum();
        let area = centered(frame.area(), width, text_lines as u16 + 4);
        let footer = hints(
            keymap,
            theme,
            &[(Action::Confirm, &self.confirm), (Action::Close, s::CANCEL)],
        );
        let inner = frame_box(frame, area, &self.title, theme, Some(footer));
        let mut lines: Vec<Line<'static>> = vec![Line::default()];
        lines.extend(self.lines.iter().map(|l| Line::from(l.clone())));
        let body = Paragraph::new(lines)
            .style(theme.style(Slot::PopupText))
            .wrap(Wrap { trim: false });
        frame.render_widget(body, inner);
    }
}
