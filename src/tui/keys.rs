//! Terminal input: keys through the keymap to actions, the filter and palette lines, and the mouse.

use ratatui::crossterm::event::{
    Event as TermEvent, KeyCode, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Position;

use crate::store::views::Filter;

use super::action::{Action, Section};
use super::app::{App, Mode};
use super::input::LineInput;
use super::key::KeyPress;
use super::palette::{self, Command, Step};
use super::panes::Pane;
use super::popups::{Help, Outcome, Popup};
use super::strings::status as s;

/// Rows the mouse wheel moves.
const WHEEL: isize = 3;

impl App {
    pub(super) fn on_terminal(&mut self, e: TermEvent) {
        match e {
            TermEvent::Key(k) => {
                if let Some(key) = KeyPress::from_event(&k) {
                    self.on_key(key);
                }
            }
            TermEvent::Mouse(m) => self.on_mouse(m),
            _ => {}
        }
    }

    /// Reacts to a key press.
    pub fn on_key(&mut self, key: KeyPress) {
        if key.is_interrupt() {
            self.quit = true;
            return;
        }
        self.status.key_pressed();
        if let Some(popup) = self.popups.last_mut() {
            let action = self.keymap.lookup(Section::Popup, key);
            match popup.handle(key, action) {
                Outcome::Ignored | Outcome::Consumed => {}
                Outcome::Close => {
                    self.popups.pop();
                    // A cancelled question: the marked rows were not acted on.
                    self.acting = None;
                }
                Outcome::Run(effect) => {
                    self.popups.pop();
                    self.apply(effect);
                }
            }
            return;
        }
        match self.mode {
            Mode::Filter { .. } => return self.on_filter_key(key),
            Mode::Palette => return self.on_palette_key(key),
            Mode::Normal => {}
        }
        let action = self
            .keymap
            .lookup(Section::Pane(self.active), key)
            .or_else(|| self.keymap.lookup(Section::List, key))
            .or_else(|| self.keymap.lookup(Section::Global, key));
        if let Some(a) = action {
            self.dispatch(a);
        }
    }

    /// Does what a named action says.
    pub fn dispatch(&mut self, action: Action) {
        let page = self.table().page();
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.open_help(),
            Action::Palette => {
                self.palette.open();
                self.mode = Mode::Palette;
            }
            Action::Filter => {
                let before = self.table().query.filter.clone();
                self.mode = Mode::Filter {
                    input: LineInput::new(&before.text),
                    before,
                };
            }
            Action::NextPane | Action::PrevPane => {
                let i = Pane::ALL
                    .iter()
                    .position(|p| *p == self.active)
                    .unwrap_or(0);
                let n = Pane::ALL.len();
                let next = if action == Action::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.show(Pane::ALL[next]);
            }
            Action::Show(p) => self.show(p),
            Action::Reload => {
                let req = self.table_mut().reload();
                self.load(self.active, req);
            }
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(page),
            Action::PageUp => self.move_by(-page),
            Action::First => {
                let req = self.table_mut().first();
                self.load(self.active, req);
            }
            Action::Last => {
                let req = self.table_mut().last();
                self.load(self.active, req);
            }
            Action::Detail => self.open_detail(),
            Action::SortNext => {
                let req = self.table_mut().sort_next();
                self.load(self.active, req);
            }
            Action::SortReverse => {
                let req = self.table_mut().sort_reverse();
                self.load(self.active, req);
            }
            Action::Mark => {
                let req = self.table_mut().toggle_mark();
                self.load_active(req);
            }
            Action::MarkAll => {
                self.table_mut().mark_all();
                let n = self.table().marked.len();
                self.status.info(s::marked(n));
            }
            Action::Clear => {
                if !self.table().marked.is_empty() {
                    self.table_mut().marked.clear();
                    self.status.info(s::CLEARED_MARKS);
                } else if !self.table().query.filter.is_empty() {
                    let req = self.table_mut().set_filter(Filter::default());
                    self.load(self.active, req);
                    self.status.info(s::CLEARED_FILTER);
                }
            }
            Action::Yank => match self.table().selected_row() {
                Some(row) => {
                    let text = row.cells.join("\t");
                    self.apply(super::effect::Effect::Copy {
                        text,
                        what: s::THE_ROW.to_string(),
                    });
                }
                None => self.status.error(s::NO_ROW),
            },
            Action::ScrollLeft => {
                let table = self.table_mut();
                table.scroll = table.scroll.saturating_sub(1);
            }
            Action::ScrollRight => {
                let table = self.table_mut();
                if table.hidden_right > 0 {
                    table.scroll += 1;
                }
            }
            Action::Close | Action::Confirm => {}
            Action::Row(_, name) => self.run_row_action(name),
        }
    }

    fn move_by(&mut self, delta: isize) {
        let req = self.table_mut().move_by(delta);
        self.load_active(req);
    }

    fn open_help(&mut self) {
        let help = Help::new(&self.keymap, self.active, &self.theme);
        self.popups.push(Popup::Help(help));
    }

    fn on_filter_key(&mut self, key: KeyPress) {
        let Mode::Filter { input, before } = &mut self.mode else {
            return;
        };
        match key.code {
            KeyCode::Enter => {
                // A mistake keeps the bar open with its explanation: Enter closed it and left
                // applied the last prefix that parsed (`state` of `state:fai`), a filter nobody
                // meant, its explanation gone with the next key.
                let text = input.text().to_string();
                match Filter::parse(self.active.view(), &text) {
                    Ok(_) => self.mode = Mode::Normal,
                    Err(e) => self.status.error(e.to_string()),
                }
            }
            KeyCode::Esc => {
                let before = before.clone();
                self.mode = Mode::Normal;
                let req = self.table_mut().set_filter(before);
                self.load(self.active, req);
            }
            _ => {
                if !input.edit(key) {
                    return;
                }
                let text = input.text().to_string();
                self.apply_filter(&text);
            }
        }
    }

    /// Parses and applies a filter to the active pane; a bad one is explained, the rows stay.
    pub fn apply_filter(&mut self, text: &str) {
        match Filter::parse(self.active.view(), text) {
            Ok(f) => {
                if self.status.message.as_ref().is_some_and(|m| m.error) {
                    self.status.message = None;
                }
                let req = self.table_mut().set_filter(f);
                self.load(self.active, req);
            }
            Err(e) => self.status.error(e.to_string()),
        }
    }

    fn on_palette_key(&mut self, key: KeyPress) {
        let (themes, keymaps) = self.names();
        let pane = self.active;
        let step = self.palette.handle(key, |text| {
            palette::candidates(text, pane, &themes, &keymaps)
        });
        match step {
            Step::Editing => {}
            Step::Close => self.mode = Mode::Normal,
            Step::Run(text) => {
                self.mode = Mode::Normal;
                self.run_command(&text);
            }
        }
    }

    /// Runs a palette command line.
    pub fn run_command(&mut self, text: &str) {
        let command = match palette::parse(text, self.active) {
            Ok(c) => c,
            Err(e) => return self.status.error(e),
        };
        match command {
            Command::Show(p) => self.show(p),
            Command::Theme(name) => self.switch_theme(&name),
            Command::Keymap(name) => self.switch_keymap(&name),
            Command::Sort { column, desc } => {
                if let Some((i, _)) = self.active.view().column(&column) {
                    let table = self.table_mut();
                    table.query.sort = i;
                    table.query.desc = desc;
                    let req = table.first();
                    self.load(self.active, req);
                }
            }
            Command::Filter(text) => self.apply_filter(&text),
            Command::ReadOnly => self.read_only_on(),
            Command::Reload => self.dispatch(Action::Reload),
            Command::Help => self.open_help(),
            Command::Quit => self.quit = true,
            Command::Row(name) => self.run_row_action(name),
        }
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        let at = Position::new(m.column, m.row);
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                if let Some(p) = self.popups.last_mut() {
                    p.scroll(down);
                } else {
                    self.move_by(if down { WHEEL } else { -WHEEL });
                }
            }
            MouseEventKind::Down(MouseButton::Left) if self.popups.is_empty() => {
                let tab = self
                    .hits
                    .tabs
                    .iter()
                    .find(|(r, _)| r.contains(at))
                    .map(|(_, p)| *p);
                if let Some(p) = tab {
                    self.show(p);
                } else if self.hits.rows.contains(at) {
                    let line = (m.row - self.hits.rows.y) as usize;
                    let req = self.table_mut().click(line);
                    self.load_active(req);
                }
            }
            _ => {}
        }
    }
}
