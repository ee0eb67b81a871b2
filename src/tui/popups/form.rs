//! A form popup: labelled fields on optional tabs, masked secrets, choices, and per-field validation
//! whose reason is shown under the field as it is typed.
//!
//! Keys are fixed: tab/down and backtab/up move between fields, pgdown/pgup (or ctrl-right/left)
//! between tabs, left/right/space cycle a choice, enter submits, esc cancels.

use std::collections::BTreeMap;
use std::sync::Arc;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Outcome, centered, frame_box, wrap};
use crate::tui::effect::Effect;
use crate::tui::input::LineInput;
use crate::tui::key::KeyPress;
use crate::tui::strings::form as s;
use crate::tui::theme::{Slot, Theme};

/// Checks a field's text; `Err(reason)` is shown under the field.
pub type Validator = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;
type Submit = Box<dyn FnOnce(FormValues) -> Effect + Send>;

#[derive(Clone)]
enum Kind {
    Text,
    Secret,
    Choice(Vec<String>),
}

/// One labelled field.
#[derive(Clone)]
pub struct Field {
    pub key: String,
    pub label: String,
    input: LineInput,
    kind: Kind,
    hint: Option<String>,
    required: bool,
    validate: Option<Validator>,
    error: Option<String>,
}

impl Field {
    fn new(key: &str, label: &str, kind: Kind) -> Field {
        Field {
            key: key.to_string(),
            label: label.to_string(),
            input: LineInput::default(),
            kind,
            hint: None,
            required: false,
            validate: None,
            error: None,
        }
    }

    pub fn text(key: &str, label: &str) -> Field {
        Field::new(key, label, Kind::Text)
    }

    /// A password or API key: typed characters are shown as bullets.
    pub fn secret(key: &str, label: &str) -> Field {
        Field::new(key, label, Kind::Secret)
    }

    /// One of `options` (the first unless `value` says otherwise).
    pub fn choice(key: &str, label: &str, options: &[&str]) -> Field {
        let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
        let mut f = Field::new(key, label, Kind::Choice(options.clone()));
        f.input
            .set(options.first().map(String::as_str).unwrap_or(""));
        f
    }

    pub fn value(mut self, value: &str) -> Field {
        self.input.set(value);
        self
    }

    /// Shown under the field when there is no error (e.g. `empty keeps the current password`).
    pub fn hint(mut self, hint: &str) -> Field {
        self.hint = Some(hint.to_string());
        self
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn validate(
        mut self,
        f: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    ) -> Field {
        self.validate = Some(Arc::new(f));
        self
    }

    pub fn text_value(&self) -> &str {
        self.input.text()
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn check(&mut self) -> bool {
        let text = self.input.text();
        self.error = if self.required && text.trim().is_empty() {
            Some(s::REQUIRED.to_string())
        } else if let Some(v) = &self.validate {
            v(text).err()
        } else {
            None
        };
        self.error.is_none()
    }

    fn cycle(&mut self, forward: bool) {
        if let Kind::Choice(options) = &self.kind {
            let n = options.len();
            if n == 0 {
                return;
            }
            let at = options
                .iter()
                .position(|o| o == self.input.text())
                .unwrap_or(0);
            let next = if forward {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            self.input.set(&options[next]);
        }
    }

    fn shown(&self) -> String {
        match &self.kind {
            Kind::Secret => "•".repeat(self.input.text().chars().count()),
            Kind::Choice(_) => format!("‹ {} ›", self.input.text()),
            Kind::Text => self.input.text().to_string(),
        }
    }
}

/// The submitted values, by field key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormValues(pub BTreeMap<String, String>);

impl FormValues {
    /// The field's text (empty when absent).
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    /// The field's trimmed text, `None` when empty.
    pub fn opt(&self, key: &str) -> Option<String> {
        let v = self.get(key).trim();
        (!v.is_empty()).then(|| v.to_string())
    }
}

pub struct Form {
    pub title: String,
    tabs: Vec<(String, Vec<Field>)>,
    tab: usize,
    focus: usize,
    submit: Option<Submit>,
    message: Option<String>,
}

impl Form {
    pub fn new(title: &str) -> Form {
        Form {
            title: title.to_string(),
            tabs: vec![(String::new(), Vec::new())],
            tab: 0,
            focus: 0,
            submit: None,
            message: None,
        }
    }

    /// Starts a tab; the fields added next go on it.
    pub fn tab(mut self, name: &str) -> Form {
        if self.tabs.len() == 1 && self.tabs[0].0.is_empty() && self.tabs[0].1.is_empty() {
            self.tabs[0].0 = name.to_string();
        } else {
            self.tabs.push((name.to_string(), Vec::new()));
        }
        self
    }

    pub fn field(mut self, field: Field) -> Form {
        if let Some((_, fields)) = self.tabs.last_mut() {
            fields.push(field);
        }
        self
    }

    /// What submitting does with the values (usually `Effect::db(...)`).
    pub fn on_submit(mut self, f: impl FnOnce(FormValues) -> Effect + Send + 'static) -> Form {
        self.submit = Some(Box::new(f));
        self
    }

    pub fn values(&self) -> FormValues {
        FormValues(
            self.tabs
                .iter()
                .flat_map(|(_, fields)| fields)
                .map(|f| (f.key.clone(), f.input.text().to_string()))
                .collect(),
        )
    }

    /// The field called `key`.
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.tabs.iter().flat_map(|(_, f)| f).find(|f| f.key == key)
    }

    /// The tab shown and the focused field's key.
    pub fn focus(&self) -> (usize, Option<&str>) {
        let key = self.tabs[self.tab]
            .1
            .get(self.focus)
            .map(|f| f.key.as_str());
        (self.tab, key)
    }

    fn current(&mut self) -> Option<&mut Field> {
        self.tabs.get_mut(self.tab)?.1.get_mut(self.focus)
    }

    fn move_focus(&mut self, forward: bool) {
        let n = self.tabs[self.tab].1.len();
        if forward {
            if self.focus + 1 < n {
                self.focus += 1;
            } else {
                self.tab = (self.tab + 1) % self.tabs.len();
                self.focus = 0;
            }
        } else if self.focus > 0 {
            self.focus -= 1;
        } else {
            self.tab = (self.tab + self.tabs.len() - 1) % self.tabs.len();
            self.focus = self.tabs[self.tab].1.len().saturating_sub(1);
        }
    }

    fn switch_tab(&mut self, forward: bool) {
        let n = self.tabs.len();
        self.tab = if forward {
            (self.tab + 1) % n
        } else {
            (self.tab + n - 1) % n
        };
        self.focus = 0;
    }

    fn submit(&mut self) -> Outcome {
        let mut first_bad = None;
        for (t, (_, fields)) in self.tabs.iter_mut().enumerate() {
            for (i, f) in fields.iter_mut().enumerate() {
                if !f.check() && first_bad.is_none() {
                    first_bad = Some((t, i));
                }
            }
        }
        if let Some((t, i)) = first_bad {
            self.tab = t;
            self.focus = i;
            self.message = Some(s::FIX_FIELDS.to_string());
            return Outcome::Consumed;
        }
        match self.submit.take() {
            Some(f) => Outcome::Run(f(self.values())),
            None => Outcome::Close,
        }
    }

    pub fn handle(&mut self, key: KeyPress) -> Outcome {
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        let is_choice = matches!(self.current().map(|f| &f.kind), Some(Kind::Choice(_)));
        match key.code {
            KeyCode::Esc => return Outcome::Close,
            KeyCode::Enter => return self.submit(),
            KeyCode::Tab | KeyCode::Down => self.move_focus(true),
            KeyCode::BackTab | KeyCode::Up => self.move_focus(false),
            KeyCode::PageDown => self.switch_tab(true),
            KeyCode::PageUp => self.switch_tab(false),
            KeyCode::Right if ctrl => self.switch_tab(true),
            KeyCode::Left if ctrl => self.switch_tab(false),
            KeyCode::Right | KeyCode::Char(' ') if is_choice => {
                if let Some(f) = self.current() {
                    f.cycle(true);
                }
            }
            KeyCode::Left if is_choice => {
                if let Some(f) = self.current() {
                    f.cycle(false);
                }
            }
            _ if is_choice => {}
            _ => {
                if let Some(f) = self.current()
                    && f.input.edit(key)
                {
                    f.check();
                    self.message = None;
                }
            }
        }
        Outcome::Consumed
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>, theme: &Theme) {
        let fields = &self.tabs[self.tab].1;
        let tabbed = self.tabs.len() > 1 || !self.tabs[0].0.is_empty();
        let inner_width = 76.min(frame.area().width).saturating_sub(2);
        let mut lines: Vec<Line<'static>> = Vec::new();
        if tabbed {
            let spans: Vec<Span<'static>> = self
                .tabs
                .iter()
                .enumerate()
                .map(|(i, (name, _))| {
                    let style = if i == self.tab {
                        theme.style(Slot::PopupFocus)
                    } else {
                        theme.style(Slot::PopupLabel)
                    };
                    Span::styled(format!(" {name} "), style)
                })
                .collect();
            lines.push(Line::from(spans));
            lines.push(Line::default());
        }
        let label_width = fields
            .iter()
            .map(|f| f.label.chars().count())
            .max()
            .unwrap_or(0)
            + 1;
        let mut cursor = None;
        for (i, f) in fields.iter().enumerate() {
            let focused = i == self.focus;
            let value_style = if focused {
                theme.style(Slot::PopupFocus)
            } else {
                theme.style(Slot::PopupText)
            };
            let label = format!("{:>label_width$} ", f.label);
            let shown = f.shown();
            let width = (inner_width as usize)
                .saturating_sub(label_width + 2)
                .max(1);
            if focused && !matches!(f.kind, Kind::Choice(_)) {
                let x = (label_width + 1) as u16 + f.input.cursor().min(width) as u16;
                cursor = Some((x, lines.len() as u16));
            }
            lines.push(Line::from(vec![
                Span::styled(label, theme.style(Slot::PopupLabel)),
                Span::styled(format!("{shown:<width$}"), value_style),
            ]));
            let under = match (&f.error, &f.hint) {
                (Some(e), _) => Span::styled(
                    format!("{:label_width$} {e}", ""),
                    theme.style(Slot::PopupError),
                ),
                (None, Some(h)) => Span::styled(
                    format!("{:label_width$} {h}", ""),
                    theme.style(Slot::PopupLabel),
                ),
                (None, None) => Span::raw(""),
            };
            // Errors and hints wrap under the value.
            lines.extend(wrap(&Line::from(under), usize::from(inner_width)));
        }
        if let Some(m) = &self.message {
            let line = Line::styled(m.clone(), theme.style(Slot::PopupError));
            lines.extend(wrap(&line, usize::from(inner_width)));
        }
        let height =
            (lines.len() as u16 + 4).max(fields.len() as u16 * 2 + 4 + u16::from(tabbed) * 2);
        let area = centered(frame.area(), 76, height);
        let footer = Line::styled(s::KEYS, theme.style(Slot::PopupLabel));
        let inner = frame_box(frame, area, &self.title, theme, Some(footer));
        frame.render_widget(Paragraph::new(lines), inner);
        let cursor = cursor.map(|(x, y)| Position::new(inner.x + x, inner.y + y));
        if let Some(p) = cursor {
            let inside = Rect::new(inner.x, inner.y, inner.width, inner.height);
            if inside.contains(p) {
                frame.set_cursor_position(p);
            }
        }
    }
}
