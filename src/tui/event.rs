//! The one event enum the loop feeds on: terminal input, worker notifications, ticks and finished work.

use crate::store::views::{Detail, QueueDepth, Window};
use crate::worker::{Notification, WorkerStatus};

use super::effect::Effect;
use super::keymap::Keymap;
use super::layered::FileError;
use super::panes::{Notice, Pane};
use super::theme::Theme;

pub enum Event {
    Terminal(ratatui::crossterm::event::Event),
    Tick,
    Worker(Notification),
    /// A pane's window (and count and notices) came back from the database.
    Loaded {
        pane: Pane,
        seq: u64,
        result: Result<Loaded, String>,
    },
    /// A pane's filtered rows were counted.
    Counted {
        pane: Pane,
        count_seq: u64,
        result: Result<crate::store::counts::Count, String>,
    },
    /// The header's counts, and who holds the worker lease when this process does not run it.
    Header {
        queue: QueueDepth,
        lease: Option<WorkerStatus>,
    },
    /// Database work of an action finished; its result is the next effect.
    Done {
        label: String,
        result: Effect,
    },
    /// A theme or keymap was read (`:theme`, `:keymap`), with what was wrong in the user's file.
    Look(Look, Vec<FileError>),
    /// Long work reports how far it got.
    Progress {
        label: String,
        done: u64,
        total: u64,
    },
    /// The selected row's detail came back.
    Detail(Result<Option<Detail>, String>),
}

/// A theme or a keymap to use from now on.
pub enum Look {
    Theme(Theme),
    Keymap(Keymap),
}

/// What a pane load brings back.
pub struct Loaded {
    pub window: Window,
    /// What the pane says above its table; `None` when only scrolling.
    pub notices: Option<Vec<Notice>>,
}
