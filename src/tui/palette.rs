//! The `:` command palette: commands, Tab completion and a history walked with Up/Down.

use super::input::LineInput;
use super::key::KeyPress;
use super::panes::Pane;
use super::strings::palette as s;
use ratatui::crossterm::event::KeyCode;

/// A palette command, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Show(Pane),
    Theme(String),
    Keymap(String),
    Sort {
        column: String,
        desc: bool,
    },
    Filter(String),
    ReadOnly,
    Reload,
    Help,
    Quit,
    /// A row action of the active pane, by name.
    Row(&'static str),
}

/// What a key did in the palette.
pub enum Step {
    Editing,
    Run(String),
    Close,
}

#[derive(Debug, Default)]
pub struct Palette {
    pub input: LineInput,
    history: Vec<String>,
    browsing: Option<usize>,
    /// Candidates of the current completion, shown above the line.
    pub completions: Vec<String>,
    completion_at: Option<usize>,
}

impl Palette {
    pub fn open(&mut self) {
        self.input = LineInput::default();
        self.browsing = None;
        self.completions.clear();
        self.completion_at = None;
    }

    /// Handles a key; `candidates` completes the typed text.
    pub fn handle(&mut self, key: KeyPress, candidates: impl Fn(&str) -> Vec<String>) -> Step {
        match key.code {
            KeyCode::Esc => return Step::Close,
            KeyCode::Enter => {
                let text = self.input.text().trim().to_string();
                if text.is_empty() {
                    return Step::Close;
                }
                self.history.retain(|h| h != &text);
                self.history.push(text.clone());
                return Step::Run(text);
            }
            KeyCode::Tab | KeyCode::BackTab => {
                if self.completion_at.is_none() {
                    self.completions = candidates(self.input.text());
                    // First what every candidate shares (shells do so); one left: done.
                    let common = super::completion::common_prefix(&self.completions);
                    if common.len() > self.input.text().len() || self.completions.len() == 1 {
                        self.input.set(&common);
                        if self.completions.len() == 1 {
                            self.completions.clear();
                        }
                        return Step::Editing;
                    }
                }
                let n = self.completions.len();
                if n > 0 {
                    let next = match (self.completion_at, key.code) {
                        (None, KeyCode::BackTab) => n - 1,
                        (None, _) => 0,
                        (Some(i), KeyCode::BackTab) => (i + n - 1) % n,
                        (Some(i), _) => (i + 1) % n,
                    };
                    self.completion_at = Some(next);
                    let text = self.completions[next].clone();
                    self.input.set(&text);
                }
                return Step::Editing;
            }
            KeyCode::Up => {
                let at = match self.browsing {
                    None => self.history.len().checked_sub(1),
                    Some(i) => Some(i.saturating_sub(1)),
                };
                if let Some(i) = at {
                    self.browsing = Some(i);
                    let text = self.history[i].clone();
                    self.input.set(&text);
                }
            }
            KeyCode::Down => match self.browsing {
                Some(i) if i + 1 < self.history.len() => {
                    self.browsing = Some(i + 1);
                    let text = self.history[i + 1].clone();
                    self.input.set(&text);
                }
                Some(_) => {
                    self.browsing = None;
                    self.input.set("");
                }
                None => {}
            },
            _ => {
                self.input.edit(key);
            }
        }
        self.completion_at = None;
        self.completions.clear();
        Step::Editing
    }
}

/// Every full command line that extends `text`, for the active `pane` (see `completion.rs`).
pub fn candidates(text: &str, pane: Pane, themes: &[String], keymaps: &[String]) -> Vec<String> {
    super::completion::candidates(text, pane, themes, keymaps)
}

/// Parses a command line for the active `pane`.
pub fn parse(text: &str, pane: Pane) -> Result<Command, String> {
    let text = text.trim().trim_start_matches(':');
    let (cmd, arg) = match text.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (text, ""),
    };
    let cmd = cmd.to_lowercase();
    if let Some(p) = Pane::from_name(&cmd) {
        return Ok(Command::Show(p));
    }
    match cmd.as_str() {
        "theme" if arg.is_empty() => Err(s::THEME_NEEDS_NAME.to_string()),
        "theme" => Ok(Command::Theme(arg.to_string())),
        "keymap" if arg.is_empty() => Err(s::KEYMAP_NEEDS_NAME.to_string()),
        "keymap" => Ok(Command::Keymap(arg.to_string())),
        "sort" => {
            let mut words = arg.split_whitespace();
            let column = words
                .next()
                .ok_or_else(|| s::SORT_NEEDS_COLUMN.to_string())?;
            if pane.view().column(column).is_none() {
                let names: Vec<&str> = pane.view().columns.iter().map(|c| c.name).collect();
                return Err(s::unknown_column(column, &names.join(", ")));
            }
            let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
            Ok(Command::Sort {
                column: column.to_string(),
                desc,
            })
        }
        "filter" => Ok(Command::Filter(arg.to_string())),
        "readonly" | "read-only" | "ro" => Ok(Command::ReadOnly),
        "reload" => Ok(Command::Reload),
        "help" | "h" => Ok(Command::Help),
        "quit" | "q" | "exit" => Ok(Command::Quit),
        other => pane
            .actions()
            .iter()
            .find(|a| a.name == other)
            .map(|a| Command::Row(a.name))
            .ok_or_else(|| {
                let names: Vec<&str> = s::COMMANDS.iter().map(|(c, _)| *c).collect();
                s::unknown(other, &names.join(" "))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_aliases_and_arguments() {
        assert_eq!(
            parse(":jobs", Pane::Printers),
            Ok(Command::Show(Pane::PrintJobs))
        );
        assert_eq!(
            parse("theme light", Pane::Printers),
            Ok(Command::Theme("light".into()))
        );
        assert!(parse("theme", Pane::Printers).is_err());
        assert!(
            parse("sort colour", Pane::PrintJobs)
                .unwrap_err()
                .contains("state")
        );
        assert!(
            parse("frobnicate", Pane::Printers)
                .unwrap_err()
                .contains("frobnicate")
        );
    }

    #[test]
    fn completion_extends_commands_and_theme_names() {
        let themes = vec!["dark".to_string(), "light".to_string()];
        assert_eq!(
            candidates("th", Pane::Printers, &themes, &[]),
            vec!["theme "]
        );
        assert_eq!(
            candidates("theme l", Pane::Printers, &themes, &[]),
            vec!["theme light"]
        );
        assert!(candidates("p", Pane::Printers, &themes, &[]).contains(&"pos".to_string()));
    }
}
