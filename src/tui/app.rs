//! The app's state and how it reacts to events and effects; drawing is in `ui.rs`, keys in `keys.rs`.

use std::time::{Duration, Instant};

use ratatui::layout::Rect;
use tokio::sync::mpsc::UnboundedSender;

use crate::context::Context;
use crate::store::views::Filter;
use crate::worker::{Command as WorkerCommand, Notification};

use super::effect::Effect;
use super::event::{Event, Look};
use super::header::Header;
use super::input::LineInput;
use super::keymap::Keymap;
use super::layered::FileError;
use super::loader::{self, Reader};
use super::palette::Palette;
use super::panes::Pane;
use super::panes::table::{LoadRequest, Table};
use super::popups::{DetailView, Popup};
use super::status::Status;
use super::strings::status as s;
use super::theme::{self, Theme};

const HEADER_EVERY: Duration = Duration::from_secs(2);
const REFRESH_EVERY: Duration = Duration::from_secs(3);
const COUNT_EVERY_NTH_REFRESH: u64 = 5;

/// What the bottom line is doing.
pub enum Mode {
    Normal,
    /// Typing a filter; `before` comes back on esc.
    Filter {
        input: LineInput,
        before: Filter,
    },
    Palette,
}

/// Where things were drawn, for the mouse.
#[derive(Debug, Default, Clone)]
pub struct Hits {
    pub tabs: Vec<(Rect, Pane)>,
    /// The table's rows (below its column header).
    pub rows: Rect,
}

pub struct App {
    pub ctx: Context,
    pub keymap: Keymap,
    pub theme: Theme,
    pub no_color: bool,
    pub active: Pane,
    /// One table per pane, in `Pane::ALL` order.
    pub tables: [Table; Pane::ALL.len()],
    pub popups: Vec<Popup>,
    pub mode: Mode,
    pub palette: Palette,
    pub status: Status,
    pub header: Header,
    pub hits: Hits,
    pub quit: bool,
    /// Background work not answered yet (tests wait for it to reach zero).
    pub pending: usize,
    /// Database work of actions still running (a session's downloads wait for it).
    pub db_running: usize,
    /// A row action asked for before the active pane's first rows arrived (pane, action name).
    pub deferred: Option<(Pane, &'static str)>,
    /// The marked rows an action runs on, by pane: unmarked once its change is done.
    pub acting: Option<(Pane, Vec<i64>)>,
    /// Text last put on the clipboard.
    pub clipboard: Option<String>,
    /// Escape sequences to write to the terminal after the next draw (OSC 52 copies).
    pub terminal_writes: Vec<String>,
    pub(super) tx: UnboundedSender<Event>,
    pub(super) reader: Reader,
    pub(super) worker: Option<UnboundedSender<WorkerCommand>>,
    last_header: Option<Instant>,
    last_refresh: Instant,
    refreshes: u64,
    /// Theme and keymap names, shipped and the user's.
    names: (Vec<String>, Vec<String>),
}

impl App {
    /// A new app on `ctx`'s database; `worker` is the in-process worker's command channel, if any.
    pub fn new(
        mut ctx: Context,
        tx: UnboundedSender<Event>,
        worker: Option<UnboundedSender<WorkerCommand>>,
        no_color: bool,
    ) -> App {
        // The session's own pane state (a context cloned from the daemon's would share it).
        ctx.link_focus = Default::default();
        crate::sync::status::set_allow_unsigned(ctx.config.till.allow_unsigned);
        let (keymap, keymap_errors) = Keymap::load(&ctx.config.ui.keymap);
        let (theme, theme_errors) = Theme::load(&ctx.config.ui.theme);
        let reads_lease = worker.is_none();
        let mut app = App {
            reader: Reader::new(&ctx.db_path),
            ctx,
            keymap,
            theme: Theme::default_theme(),
            no_color,
            active: Pane::Printers,
            tables: Pane::ALL.map(|p| Table::new(p.view())),
            popups: Vec::new(),
            mode: Mode::Normal,
            palette: Palette::default(),
            status: Status::default(),
            header: Header::new(reads_lease),
            hits: Hits::default(),
            quit: false,
            pending: 0,
            db_running: 0,
            deferred: None,
            acting: None,
            clipboard: None,
            terminal_writes: Vec::new(),
            tx,
            worker,
            last_header: None,
            last_refresh: Instant::now(),
            refreshes: 0,
            names: (theme::names(), super::keymap::names()),
        };
        app.set_theme(theme);
        app.report(keymap_errors.into_iter().chain(theme_errors).collect());
        app
    }

    /// Starts the first loads (the active pane and the header).
    pub fn start(&mut self) {
        self.show(self.active);
        self.refresh_header();
    }

    /// Shows configuration errors (bad theme or keymap files) in the status line.
    pub fn report(&mut self, errors: Vec<FileError>) {
        if !errors.is_empty() {
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            self.status
                .error(format!("{} (defaults used)", text.join("; ")));
        }
    }

    pub fn set_theme(&mut self, theme: Theme) {
        self.theme = if self.no_color {
            theme.without_colour()
        } else {
            theme
        };
    }

    pub fn table(&self) -> &Table {
        &self.tables[self.active.index()]
    }

    pub fn table_mut(&mut self) -> &mut Table {
        &mut self.tables[self.active.index()]
    }

    /// Shows `pane`, loading it when it was never loaded or changed since.
    pub fn show(&mut self, pane: Pane) {
        if pane == Pane::Audit
            && let Err(e) = self.ctx.allowed(
                crate::service::Access::AdminRead,
                super::strings::audit::READ,
            )
        {
            self.status.error(e.to_string());
            return;
        }
        if self.active != pane {
            self.deferred = None;
            // Messages are about the pane they came from.
            self.status.clear();
        }
        self.active = pane;
        let table = self.table_mut();
        if table.stale || !table.loaded {
            let req = table.reload();
            self.load(pane, req);
        }
    }

    pub fn load(&mut self, pane: Pane, req: LoadRequest) {
        self.pending += 1 + usize::from(req.count.is_some());
        let focus = self
            .ctx
            .link_focus
            .load(std::sync::atomic::Ordering::Relaxed);
        loader::load(&self.reader, pane, req, focus, &self.tx);
    }

    /// Loads the active pane after a movement, if the movement asked for it.
    pub fn load_active(&mut self, req: Option<LoadRequest>) {
        if let Some(r) = req {
            self.load(self.active, r);
        }
    }

    fn refresh_header(&mut self) {
        self.last_header = Some(Instant::now());
        self.pending += 1;
        loader::header(&self.reader, self.header.reads_lease, &self.tx);
    }

    pub fn open_detail(&mut self) {
        let Some(id) = self.table().selected_row().map(|r| r.id) else {
            self.status.error(s::NO_ROW);
            return;
        };
        self.pending += 1;
        loader::detail(&self.reader, self.active.view(), id, &self.tx);
    }

    /// Reacts to one event.
    pub fn handle(&mut self, event: Event) {
        match event {
            Event::Terminal(e) => self.on_terminal(e),
            Event::Tick => self.on_tick(),
            Event::Worker(n) => self.on_worker(n),
            Event::Loaded { pane, seq, result } => {
                self.pending = self.pending.saturating_sub(1);
                let table = &mut self.tables[pane.index()];
                match result {
                    Ok(l) => {
                        let more = table.apply(seq, l.window, l.notices);
                        if let Some(req) = more {
                            self.load(pane, req);
                        }
                    }
                    Err(e) => table.fail(seq, s::load_failed(pane.title(), &e)),
                }
                self.run_deferred(pane);
            }
            Event::Counted {
                pane,
                count_seq,
                result,
            } => {
                self.pending = self.pending.saturating_sub(1);
                match result {
                    Ok(n) => self.tables[pane.index()].counted(count_seq, n),
                    Err(e) if e == loader::SUPERSEDED => {}
                    Err(e) => self.status.error(s::load_failed(pane.title(), &e)),
                }
            }
            Event::Header { queue, lease } => {
                self.pending = self.pending.saturating_sub(1);
                self.header.queue = Some(queue);
                if lease.is_some() {
                    self.header.worker = lease;
                }
            }
            Event::Done { label, result } => {
                self.pending = self.pending.saturating_sub(1);
                self.db_running = self.db_running.saturating_sub(1);
                self.status.busy.remove(&label);
                self.unmark_acted(&result);
                self.apply(result);
            }
            Event::Look(look, errors) => {
                self.pending = self.pending.saturating_sub(1);
                self.on_look(look, errors);
            }
            Event::Progress { label, done, total } => {
                self.status.busy.insert(label, Some((done, total)));
            }
            Event::Detail(result) => {
                self.pending = self.pending.saturating_sub(1);
                match result {
                    Ok(Some(d)) => {
                        let view = DetailView::new(&d, &self.theme);
                        self.popups.push(Popup::Detail(view));
                    }
                    Ok(None) => {
                        self.status.error(s::NO_DETAIL);
                        self.apply(Effect::Reload);
                    }
                    Err(e) => self.status.error(e),
                }
            }
        }
    }

    fn on_tick(&mut self) {
        self.status.expire();
        self.status.spin();
        let due = self.last_header.is_none_or(|t| t.elapsed() >= HEADER_EVERY);
        if due {
            self.refresh_header();
        }
        if self.last_refresh.elapsed() >= REFRESH_EVERY && !self.table().loading {
            self.last_refresh = Instant::now();
            self.refreshes += 1;
            // Counting a large filtered table costs more than reading a window: less often.
            let with_count = self.refreshes.is_multiple_of(COUNT_EVERY_NTH_REFRESH);
            let req = self.table_mut().refresh(with_count);
            self.load(self.active, req);
        }
    }

    fn on_worker(&mut self, n: Notification) {
        match &n {
            Notification::Status(status) => self.header.worker = Some(status.clone()),
            Notification::Error(e) => self.status.error(e.clone()),
            _ => {}
        }
        let mut effects = Vec::new();
        for pane in Pane::ALL {
            if let Some(e) = pane.on_notification(&n) {
                effects.push(e);
            }
        }
        // Several panes may ask for a reload; once is enough.
        let mut reloaded = false;
        for e in effects {
            if matches!(e, Effect::Reload) {
                if reloaded {
                    continue;
                }
                reloaded = true;
            }
            self.apply(e);
        }
    }

    /// Marks go with the rows they marked: once an action on the marked rows has changed
    /// something (its work ends with a reload), they are unmarked; none survive a delete.
    fn unmark_acted(&mut self, result: &Effect) {
        let changed = match result {
            Effect::Reload => true,
            Effect::All(v) => v.iter().any(|e| matches!(e, Effect::Reload)),
            _ => false,
        };
        if changed && let Some((pane, ids)) = self.acting.take() {
            let table = &mut self.tables[pane.index()];
            for id in ids {
                table.marked.remove(&id);
            }
        }
    }

    /// Turns read-only mode on (`:readonly`). Nothing inside the console turns it off: an
    /// operator started with `--read-only` stays read-only until backroom restarts.
    pub fn read_only_on(&mut self) {
        if self.ctx.read_only {
            self.status.info(s::READ_ONLY_STAYS);
        } else {
            self.ctx.read_only = true;
            self.status.info(s::READ_ONLY_ON);
        }
    }

    /// Switches theme (`:theme NAME`): the user's file is read off the loop; a bad file is
    /// reported and the defaults are used.
    pub fn switch_theme(&mut self, name: &str) {
        self.pending += 1;
        let name = name.to_string();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let (theme, errors) = Theme::load(&name);
            let _ = tx.send(Event::Look(Look::Theme(theme), errors));
        });
    }

    /// Switches keymap (`:keymap NAME`), read off the loop like a theme.
    pub fn switch_keymap(&mut self, name: &str) {
        self.pending += 1;
        let name = name.to_string();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let (keymap, errors) = Keymap::load(&name);
            let _ = tx.send(Event::Look(Look::Keymap(keymap), errors));
        });
    }

    fn on_look(&mut self, look: Look, errors: Vec<FileError>) {
        let ok = errors.is_empty();
        let message = match look {
            Look::Theme(t) => {
                let m = s::theme(&t.name);
                self.set_theme(t);
                m
            }
            Look::Keymap(k) => {
                let m = s::keymap(&k.name);
                self.keymap = k;
                m
            }
        };
        self.report(errors);
        if ok {
            self.status.info(message);
        }
    }

    /// Names the palette completes `:theme` and `:keymap` with (read when the app starts).
    pub fn names(&self) -> (Vec<String>, Vec<String>) {
        self.names.clone()
    }
}
