//! The TUI through the daemon, client side: this process only owns the terminal. It sends the
//! terminal's events to the daemon, which hosts the session, and writes the screen it sends
//! back. It never opens the database. The terminal is restored on every way out.

use std::io::Write as _;

use futures::StreamExt;
use ratatui::crossterm::event::EventStream;
use tokio::net::UnixStream;

use super::terminal;
use crate::service::protocol::{self, FrameError, Reply, Request};

/// Runs the session the daemon hosts until it ends; returns its exit code.
pub async fn run(stream: UnixStream, read_only: bool) -> anyhow::Result<u8> {
    let (width, height) = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    let tui = terminal::enter()?;
    drop(tui);
    let result = session(stream, width, height, read_only).await;
    terminal::restore();
    result
}

async fn session(
    mut stream: UnixStream,
    width: u16,
    height: u16,
    read_only: bool,
) -> anyhow::Result<u8> {
    protocol::write(
        &mut stream,
        &Request::Tui {
            width,
            height,
            no_color: super::theme::no_color(),
            read_only,
        },
    )
    .await?;
    let (rd, mut wr) = stream.into_split();
    let mut replies = Box::pin(futures::stream::unfold(rd, |mut rd| async move {
        let r = protocol::read::<_, Reply>(&mut rd).await;
        Some((r, rd))
    }));
    let mut events = EventStream::new();
    let mut out = std::io::stdout();
    // Downloads and backups made in the session land in this user's own downloads folder.
    let files = crate::service::protocol::CommandLine {
        downloads_dir: crate::paths::downloads_dir().display().to_string(),
        ..Default::default()
    };
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            // Killed or its terminal gone: the terminal is restored by the caller.
            _ = term.recv() => return Ok(1),
            _ = hangup.recv() => return Ok(1),
            reply = replies.next() => match reply {
                Some(Ok(Reply::Screen(bytes))) => {
                    out.write_all(bytes.as_bytes())?;
                    out.flush()?;
                }
                Some(Ok(Reply::File { slot: None, name, data, first })) => {
                    crate::cli::remote::write_file(&files, None, &name, &data, first)?;
                }
                Some(Ok(Reply::Exit { code })) => return Ok(code),
                Some(Ok(Reply::Error { code, message })) => {
                    return Err(crate::cli::Failure::new(code, message).into());
                }
                Some(Ok(other)) => anyhow::bail!("unexpected frame from the daemon: {other:?}"),
                None | Some(Err(FrameError::Closed)) => {
                    anyhow::bail!("the daemon ended the session (it stopped, or restarted)")
                }
                Some(Err(e)) => return Err(anyhow::Error::from(e).context("reading from the daemon")),
            },
            event = events.next() => match event {
                Some(Ok(e)) => protocol::write(&mut wr, &Request::Input(e)).await?,
                Some(Err(e)) => return Err(anyhow::Error::from(e).context("reading the terminal")),
                None => return Ok(0),
            },
        }
    }
}
