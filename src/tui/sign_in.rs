//! The sign-in screen of a shared terminal account's TUI session (hosted by the daemon): an
//! operator name and a password that is never drawn. The daemon checks it.

use ratatui::Frame;
use ratatui::crossterm::event::{Event, KeyCode, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::input::LineInput;
use super::key::KeyPress;
use super::strings::sign_in as s;

#[derive(Debug, Default)]
pub struct SignIn {
    /// The shared OS account.
    account: String,
    operator: LineInput,
    password: LineInput,
    on_password: bool,
    /// Why the screen is shown again (a wrong password, an idle sign-out).
    pub message: Option<String>,
    /// A check is running: keys wait.
    pub checking: bool,
}

/// What a key asks of the session.
#[derive(Debug, PartialEq, Eq)]
pub enum Ask {
    Nothing,
    SignIn { operator: String, password: String },
    Quit,
}

impl SignIn {
    pub fn new(account: &str, message: Option<String>) -> SignIn {
        SignIn {
            account: account.to_string(),
            message,
            ..SignIn::default()
        }
    }

    /// A wrong or locked sign-in: the password is cleared, the reason shown.
    pub fn refused(&mut self, why: String) {
        self.checking = false;
        self.password = LineInput::default();
        self.on_password = true;
        self.message = Some(why);
    }

    pub fn handle(&mut self, event: &Event) -> Ask {
        let Event::Key(k) = event else {
            return Ask::Nothing;
        };
        let Some(key) = KeyPress::from_event(k) else {
            return Ask::Nothing;
        };
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return Ask::Quit,
            KeyCode::Char('c') if ctrl => return Ask::Quit,
            _ if self.checking => {}
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                self.on_password = !self.on_password;
            }
            KeyCode::Enter if !self.on_password => self.on_password = true,
            KeyCode::Enter => {
                let operator = self.operator.text().trim().to_string();
                let password = self.password.text().to_string();
                if operator.is_empty() || password.is_empty() {
                    self.message = Some(s::EMPTY.to_string());
                    return Ask::Nothing;
                }
                self.checking = true;
                self.message = Some(s::CHECKING.to_string());
                return Ask::SignIn { operator, password };
            }
            _ => {
                let field = if self.on_password {
                    &mut self.password
                } else {
                    &mut self.operator
                };
                field.edit(key);
            }
        }
        Ask::Nothing
    }

    pub fn draw(&self, frame: &mut Frame<'_>) {
        let area = super::popups::centered(frame.area(), 64, 9);
        frame.render_widget(Clear, area);
        let block = Block::default().borders(Borders::ALL).title(s::TITLE);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let focus = Style::default().add_modifier(Modifier::REVERSED);
        let field = |label: &str, text: String, on: bool| {
            Line::from(vec![
                label.to_string().into(),
                ratatui::text::Span::styled(
                    format!("{text:<24}"),
                    if on { focus } else { Style::default() },
                ),
            ])
        };
        let stars = "•".repeat(self.password.text().chars().count());
        let lines = vec![
            Line::from(s::shared(&self.account)),
            Line::from(""),
            field(
                s::OPERATOR,
                self.operator.text().to_string(),
                !self.on_password,
            ),
            field(s::PASSWORD, stars, self.on_password),
            Line::from(""),
            Line::from(self.message.clone().unwrap_or_default()),
            Line::from(s::KEYS),
        ];
        frame.render_widget(
            Paragraph::new(lines),
            Rect {
                x: inner.x + 1,
                width: inner.width.saturating_sub(2),
                ..inner
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyEvent, KeyModifiers};

    fn key(code: KeyCode) -> Event {
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(form: &mut SignIn, text: &str) {
        for c in text.chars() {
            assert_eq!(form.handle(&key(KeyCode::Char(c))), Ask::Nothing);
        }
    }

    #[test]
    fn the_password_is_never_drawn_and_enter_asks_to_sign_in() {
        let mut form = SignIn::new("caisse1", None);
        typed(&mut form, "lea");
        assert_eq!(form.handle(&key(KeyCode::Enter)), Ask::Nothing);
        typed(&mut form, "s3cret pw");
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 20)).unwrap();
        t.draw(|f| form.draw(f)).unwrap();
        let screen = format!("{:?}", t.backend().buffer());
        assert!(
            screen.contains("lea") && screen.contains("caisse1"),
            "{screen}"
        );
        assert!(!screen.contains("s3cret"), "{screen}");
        assert_eq!(
            form.handle(&key(KeyCode::Enter)),
            Ask::SignIn {
                operator: "lea".into(),
                password: "s3cret pw".into()
            }
        );
        form.refused("wrong operator name or password".into());
        assert_eq!(form.handle(&key(KeyCode::Enter)), Ask::Nothing);
        assert_eq!(form.handle(&key(KeyCode::Esc)), Ask::Quit);
    }
}
