//! The TUI hosted by the daemon: one [`App`] per client session, in the daemon's process, with
//! the session's identity (peer credentials, or the operator signed in on a shared account).
//! It draws with ratatui into bytes that travel to the client as `Reply::Screen`; the client
//! sends its terminal events back. It shares the daemon's worker and its notifications, and
//! audits every change and refusal. A shared account signs in on the screen, and is signed
//! out after `[ui] idle_sign_out_minutes` without a key.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use ratatui::Terminal;
use tokio::net::UnixStream;
use tokio::sync::mpsc;

use super::Daemon;
use super::screen::{Drawn, Remote};
use crate::config::Role;
use crate::service::Identity;
use crate::service::audit::{self, Outcome, Sink};
use crate::service::protocol::{self, FrameError, Reply, Request};
use crate::tui::app::App;
use crate::tui::event::Event;
use crate::tui::sign_in::{Ask, SignIn};
use crate::worker::Notification;

type Screen = Terminal<Remote>;

/// What the session shows.
enum Stage {
    SignIn(SignIn),
    App(Box<App>),
}

/// How the client asked for the TUI.
pub struct Opening {
    pub width: u16,
    pub height: u16,
    pub no_color: bool,
    /// The client asked for `--read-only`.
    pub read_only: bool,
}

/// Hosts one TUI session until the client quits or goes. On a `shared` terminal account, a
/// `who` without an operator signs in on the screen first, and idle sessions sign out.
pub async fn host(
    daemon: Arc<Daemon>,
    mut who: Identity,
    shared: bool,
    opening: Opening,
    stream: &mut UnixStream,
) -> Result<(), FrameError> {
    let (rd, mut wr) = stream.split();
    // Reading a frame is not cancel-safe: the stream keeps a started read across select!s.
    let inputs = futures::stream::unfold(rd, |mut rd| async move {
        let r = protocol::read::<_, Request>(&mut rd).await;
        Some((r, rd))
    });
    tokio::pin!(inputs);
    let outbox = Outbox::create(&daemon)?;
    let drawn = Drawn::default();
    let mut screen = screen(drawn.clone(), opening.width, opening.height)?;
    let (app_tx, mut app_rx) = mpsc::unbounded_channel::<Event>();
    let mut stage = if shared && who.operator.is_none() {
        Stage::SignIn(SignIn::new(&who.user, None))
    } else {
        Stage::App(open_app(&daemon, &who, &opening, &outbox, app_tx))
    };
    let idle = daemon.ctx.config.ui.idle_sign_out().filter(|_| shared);
    let mut notes = daemon.notifications.subscribe();
    let mut tick = tokio::time::interval(crate::tui::TICK);
    let mut last_key = Instant::now();
    // The operator as signed in (see `session::operator_now`): checked again at each key.
    let mut signed_as = who
        .operator
        .as_deref()
        .filter(|_| shared)
        .and_then(|op| super::session::operator_now(&daemon, op));
    let (checked_tx, mut checked) = mpsc::unbounded_channel::<(String, Result<Role, String>)>();
    // The last screen sent: a draw that changed nothing (a tick) sends nothing.
    let mut shown: Option<ratatui::buffer::Buffer> = None;
    loop {
        let changed = draw(&mut screen, &mut stage, &mut shown)?;
        let mut bytes = drawn.take();
        if !changed {
            bytes.clear();
        }
        if let Stage::App(app) = &mut stage {
            for seq in app.terminal_writes.drain(..) {
                bytes.extend_from_slice(seq.as_bytes());
            }
            if app.quit {
                send_screen(&mut wr, bytes).await?;
                return protocol::write(&mut wr, &Reply::Exit { code: 0 }).await;
            }
        }
        send_screen(&mut wr, bytes).await?;
        let signed_in = matches!(stage, Stage::App(_));
        let idle_at = tokio::time::Instant::from_std(last_key + idle.unwrap_or(Duration::ZERO));
        tokio::select! {
            request = inputs.next() => {
                let event = match request {
                    None | Some(Err(FrameError::Closed)) => return Ok(()),
                    Some(Err(e)) => return Err(e),
                    Some(Ok(Request::Input(e))) => e,
                    Some(Ok(_)) => {
                        // Not echoed: it may carry a password.
                        let message = "a TUI session takes terminal input only".to_string();
                        return protocol::write(&mut wr, &Reply::Error { code: 2, message }).await;
                    }
                };
                use ratatui::crossterm::event::Event as Term;
                match &event {
                    Term::Resize(w, h) => screen.backend_mut().resize(*w, *h),
                    Term::Key(_) | Term::Paste(_) | Term::Mouse(_) => last_key = Instant::now(),
                    _ => {}
                }
                // An operator removed, locked or changed since signing in is signed out before
                // the key acts (it kept the operator's role until the idle sign-out).
                if let (Stage::App(_), Some(operator), Some(then)) =
                    (&stage, who.operator.clone(), signed_as.as_ref())
                    && super::session::operator_now(&daemon, &operator).as_ref() != Some(then)
                {
                    who.operator = None;
                    who.role = Identity::of_peer(who.uid, &daemon.ctx.config).role;
                    signed_as = None;
                    app_rx = mpsc::unbounded_channel().1;
                    stage = Stage::SignIn(SignIn::new(
                        &who.user,
                        Some(format!("operator {operator} was removed, locked or changed: sign in again")),
                    ));
                    screen.clear()?;
                    continue;
                }
                match &mut stage {
                    Stage::App(app) => app.handle(Event::Terminal(event)),
                    Stage::SignIn(form) => match form.handle(&event) {
                        Ask::Nothing => {}
                        Ask::Quit => return protocol::write(&mut wr, &Reply::Exit { code: 0 }).await,
                        Ask::SignIn { operator, password } => {
                            let (daemon, who, tx) = (daemon.clone(), who.clone(), checked_tx.clone());
                            tokio::task::spawn_blocking(move || {
                                let result = super::session::sign_in(&daemon, &who, &operator, &password);
                                let _ = tx.send((operator, result));
                            });
                        }
                    },
                }
            }
            Some((operator, result)) = checked.recv() => match result {
                Ok(role) => {
                    signed_as = super::session::operator_now(&daemon, &operator);
                    who.operator = Some(operator);
                    who.role = role;
                    let (app_tx, rx) = mpsc::unbounded_channel();
                    app_rx = rx;
                    stage = Stage::App(open_app(&daemon, &who, &opening, &outbox, app_tx));
                    screen.clear()?;
                    last_key = Instant::now();
                }
                Err(why) => {
                    if let Stage::SignIn(form) = &mut stage {
                        form.refused(why);
                    }
                }
            },
            note = notes.recv() => match note {
                Ok(n) => {
                    if let Stage::App(app) = &mut stage {
                        app.handle(Event::Worker(n));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a TUI session fell behind the worker's notifications");
                    if let Stage::App(app) = &mut stage {
                        app.apply(crate::tui::effect::Effect::Reload);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
            },
            Some(e) = app_rx.recv() => {
                if let Stage::App(app) = &mut stage {
                    let done = matches!(e, Event::Done { .. });
                    app.handle(e);
                    // Only once every running work ended: a file may still be being written.
                    if done && app.db_running == 0 {
                        outbox.deliver(&mut wr, app).await?;
                    }
                }
            }
            _ = tick.tick() => {
                if let Stage::App(app) = &mut stage {
                    app.handle(Event::Tick);
                }
            }
            _ = tokio::time::sleep_until(idle_at), if signed_in && idle.is_some() => {
                let operator = who.operator.take().unwrap_or_default();
                let minutes = daemon.ctx.config.ui.idle_sign_out_minutes.unwrap_or_default();
                let signed_out = Identity { operator: Some(operator.clone()), ..who.clone() };
                let _ = daemon.audit.send(audit::entry(
                    &signed_out,
                    "operators.sign-out",
                    &operator,
                    &Outcome::Ok,
                ));
                tracing::info!(%operator, user = %who.user, "signed out after {minutes} idle minute(s)");
                who.role = Identity::of_peer(who.uid, &daemon.ctx.config).role;
                // The old app's late results go nowhere.
                app_rx = mpsc::unbounded_channel().1;
                stage = Stage::SignIn(SignIn::new(&who.user, Some(crate::tui::strings::sign_in::idle(minutes))));
                screen.clear()?;
            }
        }
    }
}

/// A screen of the client's size that draws into bytes.
fn screen(drawn: Drawn, width: u16, height: u16) -> Result<Screen, FrameError> {
    let mut screen = Terminal::new(Remote::new(drawn, width, height))?;
    screen.clear()?;
    Ok(screen)
}

/// Draws the stage (into the session's [`Drawn`] bytes); false when the screen is the one
/// `shown` already.
fn draw(
    screen: &mut Screen,
    stage: &mut Stage,
    shown: &mut Option<ratatui::buffer::Buffer>,
) -> Result<bool, FrameError> {
    let frame = match stage {
        Stage::SignIn(form) => screen.draw(|f| form.draw(f))?,
        Stage::App(app) => screen.draw(|f| crate::tui::ui::draw(f, app))?,
    };
    if shown.as_ref() == Some(frame.buffer) {
        return Ok(false);
    }
    *shown = Some(frame.buffer.clone());
    Ok(true)
}

async fn send_screen(
    wr: &mut tokio::net::unix::WriteHalf<'_>,
    bytes: Vec<u8>,
) -> Result<(), FrameError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    protocol::write(wr, &Reply::Screen(text)).await
}

/// An app for `who`: the daemon's database, worker and config; the session's role; audited.
fn open_app(
    daemon: &Daemon,
    who: &Identity,
    opening: &Opening,
    outbox: &Outbox,
    tx: mpsc::UnboundedSender<Event>,
) -> Box<App> {
    let mut ctx = daemon.ctx.clone();
    ctx.operator = who.who();
    ctx.role = who.role;
    ctx.read_only = opening.read_only;
    ctx.json = false;
    ctx.personal = false;
    ctx.audit = Some(Sink::new(who.clone(), daemon.audit.clone()));
    ctx.outbox = Some(outbox.dir.clone());
    let mut app = Box::new(App::new(
        ctx,
        tx,
        Some(daemon.worker.clone()),
        opening.no_color,
    ));
    app.start();
    let status = daemon.worker_status.lock().ok().and_then(|s| s.clone());
    if let Some(s) = status {
        app.handle(Event::Worker(Notification::Status(s)));
    }
    app
}

/// The session's private folder (0700, the service account's) where its downloads, backups
/// and templates are written; each file is sent to the client's downloads folder, then removed.
struct Outbox {
    dir: std::path::PathBuf,
}

impl Outbox {
    fn create(daemon: &Daemon) -> Result<Outbox, FrameError> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = daemon
            .ctx
            .db_path
            .parent()
            .map(|p| p.join("commands"))
            .unwrap_or_else(|| std::path::PathBuf::from("commands"));
        let dir = root.join(format!(
            "tui-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        crate::private_files::create_missing_dir(&dir)?;
        Ok(Outbox { dir })
    }

    /// Sends every file the session wrote, in chunks, and says where it went.
    async fn deliver(
        &self,
        wr: &mut tokio::net::unix::WriteHalf<'_>,
        app: &mut App,
    ) -> Result<(), FrameError> {
        use tokio::io::AsyncReadExt;
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut file = tokio::fs::File::open(&path).await?;
            let mut buf = vec![0u8; protocol::CHUNK];
            let mut first = true;
            loop {
                let n = file.read(&mut buf).await?;
                if n == 0 && !first {
                    break;
                }
                let reply = Reply::File {
                    slot: None,
                    name: name.clone(),
                    data: buf[..n].to_vec(),
                    first,
                };
                protocol::write(wr, &reply).await?;
                first = false;
                if n == 0 {
                    break;
                }
            }
            let _ = std::fs::remove_file(&path);
            app.status
                .info(crate::tui::strings::status::delivered(&name));
        }
        Ok(())
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
