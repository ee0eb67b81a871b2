//! Named actions: what a key does, as the keymap files and the help popup call it.
//!
//! Each keymap section accepts its own names: `[global]` and `[list]` the built-in actions below,
//! `[popup]` the popup actions, and a pane's section (`[printers]`, ...) the row actions that
//! pane declares in `panes/<pane>.rs`.

use super::panes::Pane;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Palette,
    Filter,
    NextPane,
    PrevPane,
    Show(Pane),
    Reload,
    Down,
    Up,
    PageDown,
    PageUp,
    First,
    Last,
    Detail,
    SortNext,
    SortReverse,
    Mark,
    MarkAll,
    Clear,
    Yank,
    ScrollLeft,
    ScrollRight,
    Close,
    Confirm,
    /// A row action declared by a pane (`panes/<pane>.rs`), by name.
    Row(Pane, &'static str),
}

/// A keymap section: where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Global,
    List,
    Popup,
    Pane(Pane),
}

impl Section {
    pub fn all() -> Vec<Section> {
        let mut all = vec![Section::Global, Section::List, Section::Popup];
        all.extend(Pane::ALL.iter().map(|p| Section::Pane(*p)));
        all
    }

    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::List => "list",
            Section::Popup => "popup",
            Section::Pane(p) => p.name(),
        }
    }

    pub fn from_name(name: &str) -> Option<Section> {
        Section::all().into_iter().find(|s| s.name() == name)
    }

    /// The actions this section accepts, by name.
    pub fn actions(self) -> Vec<(&'static str, Action)> {
        match self {
            Section::Global => {
                let mut v = vec![
                    ("quit", Action::Quit),
                    ("help", Action::Help),
                    ("palette", Action::Palette),
                    ("filter", Action::Filter),
                    ("next_pane", Action::NextPane),
                    ("prev_pane", Action::PrevPane),
                    ("reload", Action::Reload),
                ];
                v.extend(Pane::ALL.iter().map(|p| (p.name(), Action::Show(*p))));
                v
            }
            Section::List => vec![
                ("down", Action::Down),
                ("up", Action::Up),
                ("page_down", Action::PageDown),
                ("page_up", Action::PageUp),
                ("first", Action::First),
                ("last", Action::Last),
                ("detail", Action::Detail),
                ("sort_next", Action::SortNext),
                ("sort_reverse", Action::SortReverse),
                ("mark", Action::Mark),
                ("mark_all", Action::MarkAll),
                ("clear", Action::Clear),
                ("yank", Action::Yank),
                ("scroll_left", Action::ScrollLeft),
                ("scroll_right", Action::ScrollRight),
            ],
            Section::Popup => vec![
                ("close", Action::Close),
                ("confirm", Action::Confirm),
                ("down", Action::Down),
                ("up", Action::Up),
                ("page_down", Action::PageDown),
                ("page_up", Action::PageUp),
                ("first", Action::First),
                ("last", Action::Last),
            ],
            Section::Pane(p) => p
                .actions()
                .iter()
                .map(|a| (a.name, Action::Row(p, a.name)))
                .collect(),
        }
    }

    /// The action called `name` in this section.
    pub fn action(self, name: &str) -> Option<Action> {
        self.actions()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| a)
    }
}

impl Action {
    /// What the help popup says the action does.
    pub fn description(self) -> &'static str {
        use super::strings::actions as s;
        match self {
            Action::Quit => s::QUIT,
            Action::Help => s::HELP,
            Action::Palette => s::PALETTE,
            Action::Filter => s::FILTER,
            Action::NextPane => s::NEXT_PANE,
            Action::PrevPane => s::PREV_PANE,
            Action::Show(_) => s::SHOW,
            Action::Reload => s::RELOAD,
            Action::Down => s::DOWN,
            Action::Up => s::UP,
            Action::PageDown => s::PAGE_DOWN,
            Action::PageUp => s::PAGE_UP,
            Action::First => s::FIRST,
            Action::Last => s::LAST,
            Action::Detail => s::DETAIL,
            Action::SortNext => s::SORT_NEXT,
            Action::SortReverse => s::SORT_REVERSE,
            Action::Mark => s::MARK,
            Action::MarkAll => s::MARK_ALL,
            Action::Clear => s::CLEAR,
            Action::Yank => s::YANK,
            Action::ScrollLeft => s::SCROLL_LEFT,
            Action::ScrollRight => s::SCROLL_RIGHT,
            Action::Close => s::CLOSE,
            Action::Confirm => s::CONFIRM,
            Action::Row(pane, name) => pane
                .actions()
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.description)
                .unwrap_or(""),
        }
    }
}
