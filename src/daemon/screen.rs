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

/// The largest screen a client may ask for (a buffer of this many cells per session at most).
const MAX_WIDTH: u16 = 1000;
const MAX_HEIGHT: u16 = 500;

fn size(width: u16, height: u16) -> Size {
    Size::new(width.clamp(1, MAX_WIDTH), height.clamp(1, MAX_HEIGHT))
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
            size: size(width, height),
            cursor: Position::ORIGIN,
        }
    }

    /// The client's terminal changed size (the next draw resizes and redraws all).
    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = size(width, height);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_cannot_ask_for_a_screen_larger_than_the_limit_or_an_empty_one() {
        let mut r = Remote::new(Drawn::default(), u16::MAX, u16::MAX);
        assert_eq!(r.size().unwrap(), Size::new(MAX_WIDTH, MAX_HEIGHT));
        r.resize(0, 0);
        assert_eq!(r.size().unwrap(), Size::new(1, 1));
    }

    #[test]
    fn a_frame_is_ansi_bytes_of_what_was_drawn() {
        let drawn = Drawn::default();
        let mut t = ratatui::Terminal::new(Remote::new(drawn.clone(), 20, 2)).unwrap();
        t.draw(|f| f.render_widget(ratatui::widgets::Paragraph::new("hello"), f.area()))
            .unwrap();
        let bytes = String::from_utf8(drawn.take()).unwrap();
        assert!(
            bytes.contains("hello") && bytes.contains('\x1b'),
            "{bytes:?}"
        );
        assert!(drawn.take().is_empty());
    }
}
