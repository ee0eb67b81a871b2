//! A ratatui backend for a TUI session the daemon hosts: it draws with crossterm's ANSI
//! sequences into bytes for the client's terminal, at the size the client reports, and never
//! asks a terminal anything (the daemon has none).

use std::sync::{Arc, Mutex};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// The bytes drawn since the last [`Drawn::take`].
#[derive(Clone, Default)]
pub struct Drawn(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Drawn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the screen buffer's lock is poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drawn {
    pub fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

/// The client's screen, seen from the daemon.
pub struct Remote {
    ansi: CrosstermBackend<Drawn>,
    size: Size,
    cursor: Position,
}

impl Remote {
    pub fn new(drawn: Drawn, width: u16, height: u16) -> Remote {
        Remote {
            ansi: CrosstermBackend::new(drawn),
            size: Size::new(width, height),
            cursor: Position::ORIGIN,
        }
    }

    /// The client's terminal changed size (the next draw resizes and redraws all).
    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = Size::new(width, height);
    }
}

impl Backend for Remote {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.ansi.draw(content)
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.ansi.hide_cursor()
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.ansi.show_cursor()
    }

    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.cursor = position.into();
        self.ansi.set_cursor_position(self.cursor)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.ansi.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.ansi.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut self.ansi)
    }
}
