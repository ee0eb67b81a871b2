//! The status line: the last result or error, work in progress with a gauge, and key hints.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::strings::status as s;
use super::theme::{Slot, Theme};

/// How long a result stays; an error stays until the next key.
pub const INFO_FOR: Duration = Duration::from_secs(8);

/// Spinner frames shown before each busy label, one per tick.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

#[derive(Debug, Clone)]
pub struct Message {
    pub error: bool,
    pub text: String,
    at: Instant,
}

#[derive(Debug, Default)]
pub struct Status {
    pub message: Option<Message>,
    /// Work running, by label, with its progress when it reports one.
    pub busy: BTreeMap<String, Option<(u64, u64)>>,
    /// The spinner's frame, advanced on every tick.
    pub frame: usize,
}

impl Status {
    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            error: false,
            text: text.into(),
            at: Instant::now(),
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        tracing::info!(%text, "status error");
        self.message = Some(Message {
            error: true,
            text,
            at: Instant::now(),
        });
    }

    /// Moves the spinner on by one frame (called on the tick).
    pub fn spin(&mut self) {
        self.frame = (self.frame + 1) % SPINNER.len();
    }

    /// Forgets a result shown long enough; an error waits for the next key.
    pub fn expire(&mut self) {
        if let Some(m) = &self.message
            && !m.error
            && m.at.elapsed() > INFO_FOR
        {
            self.message = None;
        }
    }

    /// A key was pressed: the error shown before it has been read.
    pub fn key_pressed(&mut self) {
        if self.message.as_ref().is_some_and(|m| m.error) {
            self.message = None;
        }
    }

    /// Forgets the message (another pane is shown: it was about this one).
    pub fn clear(&mut self) {
        self.message = None;
    }

    pub fn text(&self) -> Option<&str> {
        self.message.as_ref().map(|m| m.text.as_str())
    }

    /// Draws the line; `hint` goes at the right when there is room.
    pub fn draw(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme, hint: &str) {
        let mut spans = Vec::new();
        let spinner = SPINNER[self.frame % SPINNER.len()];
        // What the line quotes (a contact's address, a job's document) shows escaped, as the
        // tables show it.
        for (label, progress) in &self.busy {
            let label = &crate::tui::columns::shown(label);
            let text = match progress {
                Some((done, total)) if *total > 0 => {
                    let pct = (*done * 100 / *total).min(100);
                    let filled = (pct / 10) as usize;
                    format!(
                        "{} [{}{}] {pct}% ",
                        s::progress(label, *done, *total),
                        "█".repeat(filled),
                        "░".repeat(10 - filled)
                    )
                }
                _ => format!("{spinner} {} ", s::working(label)),
            };
            spans.push(Span::styled(text, theme.style(Slot::StatusProgress)));
        }
        if let Some(m) = &self.message {
            let slot = if m.error {
                Slot::StatusError
            } else {
                Slot::StatusInfo
            };
            spans.push(Span::styled(
                crate::tui::columns::shown(&m.text).into_owned(),
                theme.style(slot),
            ));
        }
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let room = (area.width as usize).saturating_sub(used + 1);
        if room > hint.len() {
            spans.push(Span::raw(" ".repeat(room - hint.len())));
            spans.push(Span::styled(hint, theme.style(Slot::StatusHint)));
        }
        let wrap = ratatui::widgets::Wrap { trim: false };
        frame.render_widget(Paragraph::new(Line::from(spans)).wrap(wrap), area);
    }
}
