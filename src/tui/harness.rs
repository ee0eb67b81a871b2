//! A headless app for render tests and benchmarks: press named keys, wait for the background
//! work, draw into ratatui's `TestBackend` and read the screen as lines.

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::{self, UnboundedReceiver};

use crate::context::Context;

use super::app::App;
use super::event::Event;
use super::key::KeyPress;

pub struct Harness {
    pub app: App,
    pub terminal: Terminal<TestBackend>,
    rx: UnboundedReceiver<Event>,
}

impl Harness {
    /// An app on `ctx`'s database without a worker, drawn `width` × `height`, first load done.
    pub async fn new(ctx: Context, width: u16, height: u16) -> anyhow::Result<Harness> {
        Harness::with_colour(ctx, width, height, true).await
    }

    /// Like [`Harness::new`]; `colour: false` draws as under `NO_COLOR`.
    pub async fn with_colour(
        ctx: Context,
        width: u16,
        height: u16,
        colour: bool,
    ) -> anyhow::Result<Harness> {
        Harness::build(ctx, width, height, colour, None).await
    }

    /// Like [`Harness::new`], with `worker` receiving the commands the app sends to the worker.
    pub async fn with_worker(
        ctx: Context,
        width: u16,
        height: u16,
        worker: mpsc::UnboundedSender<crate::worker::Command>,
    ) -> anyhow::Result<Harness> {
        Harness::build(ctx, width, height, true, Some(worker)).await
    }

    async fn build(
        ctx: Context,
        width: u16,
        height: u16,
        colour: bool,
        worker: Option<mpsc::UnboundedSender<crate::worker::Command>>,
    ) -> anyhow::Result<Harness> {
        let (tx, rx) = mpsc::unbounded_channel();
        let app = App::new(ctx, tx, worker, !colour);
        let terminal = Terminal::new(TestBackend::new(width, height))?;
        let mut h = Harness { app, terminal, rx };
        h.draw()?;
        h.app.start();
        h.settle().await;
        h.draw()?;
        Ok(h)
    }

    /// Waits until every background load and action has answered (at most 10 s).
    pub async fn settle(&mut self) {
        while self.app.pending > 0 {
            match tokio::time::timeout(Duration::from_secs(10), self.rx.recv()).await {
                Ok(Some(e)) => self.app.handle(e),
                _ => break,
            }
        }
    }

    /// Waits only until the active pane's rows are loaded (not its count), then draws:
    /// what the operator sees as the finished frame after a key.
    pub async fn settle_rows(&mut self) -> anyhow::Result<()> {
        while self.app.table().loading {
            match tokio::time::timeout(Duration::from_secs(10), self.rx.recv()).await {
                Ok(Some(e)) => self.app.handle(e),
                _ => break,
            }
        }
        self.draw()
    }

    /// Presses keys given by keymap names (`"j"`, `"ctrl-c"`, `"enter"`), settling after each;
    /// a name that is not a key types its characters (`"state:failed"`).
    pub async fn press(&mut self, keys: &[&str]) -> anyhow::Result<()> {
        for k in keys {
            match KeyPress::parse(k) {
                Some(key) => self.app.on_key(key),
                None => {
                    for c in k.chars() {
                        self.app.on_key(KeyPress::parse(&c.to_string()).unwrap_or(
                            KeyPress::plain(ratatui::crossterm::event::KeyCode::Char(c)),
                        ));
                    }
                }
            }
            self.settle().await;
            self.draw()?;
        }
        Ok(())
    }

    /// Types text character by character (into a filter, the palette or a form).
    pub async fn type_text(&mut self, text: &str) -> anyhow::Result<()> {
        for c in text.chars() {
            self.app
                .on_key(KeyPress::plain(ratatui::crossterm::event::KeyCode::Char(c)));
            self.settle().await;
        }
        self.draw()
    }

    pub fn draw(&mut self) -> anyhow::Result<()> {
        self.terminal.draw(|f| super::ui::draw(f, &mut self.app))?;
        Ok(())
    }

    /// The screen as text, one string per line (trailing spaces trimmed).
    pub fn lines(&self) -> Vec<String> {
        let buf = self.terminal.backend().buffer();
        let area = buf.area;
        (0..area.height)
            .map(|y| {
                let mut line = String::new();
                for x in 0..area.width {
                    line.push_str(buf[(x, y)].symbol());
                }
                line.trim_end().to_string()
            })
            .collect()
    }

    /// The screen as one string.
    pub fn screen(&self) -> String {
        self.lines().join("\n")
    }
}
