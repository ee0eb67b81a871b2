//! TUI benchmark: time to the first frame with rows, key-to-frame latency (down, page down, end,
//! a filter keystroke), the time from the last key typed at ten characters a second to the rows of
//! that filter on screen, on a large store (contacts with shuffled, accented names), and peak
//! memory.
//!
//! Scale: `BACKROOM_BENCH_JOBS` print jobs (default 1,000,000; `10_000_000` for the large store)
//! and `BACKROOM_BENCH_CONTACTS` contacts (default 100,000). The database is built first, in bulk
//! statements; the measurement runs in a fresh process so that its peak RSS is the console's,
//! not the builder's. `BACKROOM_BENCH_DB=PATH` keeps the store there (and reuses it when it
//! exists); `BACKROOM_BENCH_KEYS` scales the number of keys timed (default 1.0).
//!
//! The purge of the oldest 100,000 jobs runs on a copy of the store (in `TMPDIR`), timing another
//! writer's longest wait, then the search index's merge steps and two bulk actions (every failed
//! job rescheduled, every pending one cancelled) and the removal of a printer the same way; `BACKROOM_BENCH_PURGE=0` skips it, `BACKROOM_BENCH_FTS='automerge=0
//! crisismerge=64'` sets FTS5 options of the copy's trigram index first (to try other settings).
//!
//! Then the same from outside (`BACKROOM_BENCH_OUTSIDE=0` skips it, `=N` types each filter N times,
//! default 5): the release binary in a real
//! terminal (tmux, 120×40, `backroom --db STORE --read-only`), keys sent with `send-keys` and the
//! screen read with `capture-pane` (colours included, so a moved selection counts): from a key
//! sent until the screen first changes and until it stopped changing (250 ms quiet), the
//! filters typed at ten characters a second and timed from their last key.
//!
//! Then the same store through the daemon (a copy whose jobs are moved into the last 30 days, so
//! that its worker's hourly purge has an hour of jobs to purge, as on a store server, and not
//! 980,000): `backroom daemon` (worker, web service, socket) hosts
//! the TUI session and a client on its socket sends keys as a person's terminal would; each key
//! is timed to the first screen frame that answers it, and to the last frame it caused (the
//! screen then stays quiet for 40 ms); then `backroom --socket` itself in tmux, its console hosted
//! by that daemon, measured from outside as above. `BACKROOM_BENCH_DAEMON=0` skips this part.

#[path = "common/probe.rs"]
mod probe;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backroom::context::Context;
use backroom::tui::harness::Harness;
use backroom::tui::key::KeyPress;
use probe::Probe;

fn scale(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}
/// Merge steps of the search index taken by `step` (true while it merged something) 20 ms apart
/// until nothing is left, while another writer ([`Probe`]) on `db` records its longest wait.
fn merge_steps(
    db: &Path,
    mut step: impl FnMut() -> rusqlite::Result<bool>,
) -> anyhow::Result<String> {
    let writer = Probe::start(db);
    let (mut steps, mut longest) = (0, Duration::ZERO);
    let t = Instant::now();
    loop {
        let one = Instant::now();
        let merged = step()?;
        longest = longest.max(one.elapsed());
        steps += 1;
        if !merged || steps >= 100_000 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = t.elapsed();
    let (wait, whole, commits) = writer.stop()?;
    Ok(format!(
        "{steps} steps, {:.1} s, longest step {:.1} ms (with any checkpoint its commit ran, after \
         the lock is released); another writer's longest wait for the lock meanwhile {:.1} ms, \
         longest transaction {:.1} ms, over {commits} commits",
        took.as_secs_f64(),
        longest.as_secs_f64() * 1e3,
        wait.as_secs_f64() * 1e3,
        whole.as_secs_f64() * 1e3
    ))
}

/// Queues 500 print jobs, one commit each as the worker queues them (the trigram index's
/// trigger writes each); returns the longest.
fn queue_jobs(conn: &rusqlite::Connection, tag: &str) -> anyhow::Result<Duration> {
    let mut longest = Duration::ZERO;
    for i in 0..500 {
        let t = Instant::now();
        conn.execute(
            "INSERT INTO print_jobs (uuid, document_id, printer_id, state, attempts,
                                     next_attempt_at, created_at)
             VALUES (printf('bench-%s-%d', ?1, ?2), 1, 1, 'pending', 0,
                     strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            rusqlite::params![tag, i],
        )?;
        longest = longest.max(t.elapsed());
    }
    Ok(longest)
}

/// A copy of the store at `db` as `dir/name` (the bench's own store stays as built).
fn copy_store(db: &Path, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let copy = dir.join(name);
    for f in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{f}", copy.display()));
    }
    // Through backroom's own opening: the copy's indexes use the `unicode_key` function.
    let conn = backroom::store::open(db)?;
    conn.execute("VACUUM INTO ?1", [copy.display().to_string()])?;
    Ok(copy)
}

fn main() -> anyhow::Result<()> {
    if let Ok(db) = std::env::var("BACKROOM_BENCH_MEASURE") {
        return measure(Path::new(&db));
    }
    let jobs = scale("BACKROOM_BENCH_JOBS", 1_000_000);
    let contacts = scale("BACKROOM_BENCH_CONTACTS", 100_000);
    let dir = tempfile::tempdir()?;
    // `BACKROOM_BENCH_DB`: build there (once) and keep it, e.g. for `tui-latency` or `jobs list`.
    let db = match std::env::var_os("BACKROOM_BENCH_DB") {
        Some(path) => PathBuf::from(path),
        None => dir.path().join("bench.db"),
    };
    if db.exists() {
        println!("measuring the store already built at {}", db.display());
    } else {
        let t = Instant::now();
        build(&db, jobs, contacts)?;
        println!(
            "built {jobs} print jobs and {contacts} contacts in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let status = std::process::Command::new(std::env::current_exe()?)
        .env("BACKROOM_BENCH_MEASURE", &db)
        .status()?;
    // The other parts run even when the in-process part missed a goal; the bench fails at the end.
    let measured = status.success();
    if scale("BACKROOM_BENCH_OUTSIDE", 1) > 0 {
        outside::measure(&db, dir.path())?;
    }
    jobs_list(&db)?;
    if scale("BACKROOM_BENCH_PURGE", 1) > 0 {
        purge(&db, dir.path())?;
        bulk(&db, dir.path())?;
    }
    if std::env::var("BACKROOM_BENCH_DAEMON").as_deref() != Ok("0") {
        tokio::runtime::Runtime::new()?.block_on(daemon::measure(dir.path(), &db))?;
    }
    anyhow::ensure!(
        measured,
        "the in-process part failed or missed a goal ({status}; its `goal:` lines say which)"
    );
    goals_met()
}

mod outside {
    //! Key → screen from outside, in a real terminal, as a person at the keyboard meets it.

    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::support::tmux::{Tmux, backroom_binary};
    use super::{goal, report, scale};

    /// The screen has settled once it has not changed for this long.
    const QUIET: Duration = Duration::from_millis(250);
    /// A key that changed nothing within this long changed nothing (the end of a table).
    const NOTHING: Duration = Duration::from_secs(1);

    /// From `sent`, until the screen first differs from `before`, until `mark` first shows on it
    /// (its text, styles aside), and until it has been quiet for [`QUIET`]; `None` when nothing
    /// changed.
    fn settle(
        t: &Tmux,
        before: String,
        sent: Instant,
        mark: Option<&str>,
    ) -> Option<(Duration, Option<Duration>, Duration)> {
        let (mut prev, mut first, mut marked, mut last) = (before, None, None, None);
        loop {
            let screen = t.styled_screen();
            let now = Instant::now();
            if screen != prev {
                first.get_or_insert(now - sent);
                last = Some(now);
                if marked.is_none() && mark.is_some_and(|m| unstyled(&screen).contains(m)) {
                    marked = Some(now - sent);
                }
                prev = screen;
            }
            match last {
                Some(at) if now - at > QUIET => return Some((first?, marked, at - sent)),
                None if now - sent > NOTHING => return None,
                _ => {}
            }
            assert!(
                now - sent < Duration::from_secs(10),
                "the screen never settled"
            );
        }
    }

    /// A styled screen's text: its escape sequences (`ESC [ … letter`) left out.
    fn unstyled(screen: &str) -> String {
        let mut out = String::with_capacity(screen.len());
        let mut chars = screen.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                chars.by_ref().find(|c| c.is_ascii_alphabetic());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Sends `key` and waits until the screen settled.
    fn setup(t: &Tmux, key: &str) {
        let before = t.styled_screen();
        t.send(key);
        settle(t, before, Instant::now(), None);
    }

    /// A navigation key `times` times: the first change and the settled screen of each.
    fn keys(t: &Tmux, key: &str, times: usize) -> (Vec<Duration>, Vec<Duration>) {
        let (mut first, mut last) = (Vec::new(), Vec::new());
        for _ in 0..times {
            let before = t.styled_screen();
            let sent = Instant::now();
            t.send(key);
            if let Some((f, _, l)) = settle(t, before, sent, None) {
                first.push(f);
                last.push(l);
            }
        }
        (first, last)
    }

    /// The console on the store `db` in its own process (personal mode).
    pub fn measure(db: &Path, dir: &Path) -> anyhow::Result<()> {
        let command = format!(
            "exec {} --db {} --read-only",
            backroom_binary().display(),
            db.display()
        );
        measure_command("outside", &command, dir)
    }

    /// The keys and filters from outside on the console `command` starts; figures prefixed
    /// with `label`.
    pub fn measure_command(label: &str, command: &str, dir: &Path) -> anyhow::Result<()> {
        let reps = scale("BACKROOM_BENCH_OUTSIDE", 5);
        let started = Instant::now();
        let t = Tmux::bare(dir, command);
        t.wait_for("Print jobs");
        println!(
            "{:<42} {:>7.1} ms (tmux and the process started)",
            format!("{label}: launch to the first frame"),
            started.elapsed().as_secs_f64() * 1e3
        );
        std::thread::sleep(QUIET);
        setup(&t, "2");
        let (first, last) = keys(&t, "j", 60);
        report(&format!("{label}: print jobs down, first change"), first);
        report(&format!("{label}: print jobs down, settled"), last);
        let (_, last) = keys(&t, "PageDown", 30);
        report(&format!("{label}: print jobs page down, settled"), last);
        setup(&t, "g");
        setup(&t, "/");
        for word in ["front", "jam", "printer:back", "state:failed connection"] {
            let (mut shown, mut rows) = (Vec::new(), Vec::new());
            // The title names a filter once its rows are on screen (the count may come later).
            let title = format!("filter: {word} ·");
            for _ in 0..reps {
                let (head, tail) = word.split_at(word.len() - 1);
                for c in head.chars() {
                    t.send_text(&c.to_string());
                    // Ten characters a second, as a person types.
                    std::thread::sleep(Duration::from_millis(100));
                }
                let before = t.styled_screen();
                let sent = Instant::now();
                t.send_text(tail);
                let (_, marked, settled) = settle(&t, before, sent, Some(&title))
                    .ok_or_else(|| anyhow::anyhow!("the filter {word:?} changed nothing"))?;
                shown.push(marked.ok_or_else(|| {
                    anyhow::anyhow!("the title never showed {title:?} (its rows on screen)")
                })?);
                rows.push(settled);
                setup(&t, "C-u");
            }
            report(&format!("{label}: last key of {word:?} to its rows"), shown);
            let p99 = report(
                &format!("{label}: last key of {word:?} to rows and count"),
                rows,
            );
            goal(
                &format!("{label}, the last key of {word:?} to its rows and count, p99"),
                p99,
                100.0,
                "ms",
            );
        }
        setup(&t, "Escape");
        setup(&t, "3");
        let (_, last) = keys(&t, "j", 60);
        report(&format!("{label}: contacts down, settled"), last);
        let (_, last) = keys(&t, "PageDown", 30);
        report(&format!("{label}: contacts page down, settled"), last);
        Ok(())
    }
}

mod daemon {
    //! Key → frame through the daemon's socket.

    use std::path::Path;
    use std::time::{Duration, Instant};

    use backroom::service::protocol::{self, PROTOCOL, Reply, Request};
    use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use tokio::sync::mpsc;

    /// The screen is quiet this long after the last frame a key caused.
    const QUIET: Duration = Duration::from_millis(40);

    struct Daemon(std::process::Child);

    impl Drop for Daemon {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    struct Client {
        write: tokio::net::unix::OwnedWriteHalf,
        /// Arrival time and size of each screen frame.
        frames: mpsc::UnboundedReceiver<(Instant, usize)>,
    }

    impl Client {
        async fn key(&mut self, code: KeyCode, mods: KeyModifiers) -> anyhow::Result<()> {
            let event = Event::Key(KeyEvent::new(code, mods));
            protocol::write(&mut self.write, &Request::Input(event)).await?;
            Ok(())
        }

        /// Frames until the screen is quiet: (first frame, last frame) after `sent`; `None`
        /// when the key changed nothing on the screen within a second (the end of a table).
        async fn answer(&mut self, sent: Instant) -> anyhow::Result<Option<(Duration, Duration)>> {
            let mut first = None;
            let mut last = None;
            loop {
                match tokio::time::timeout(QUIET, self.frames.recv()).await {
                    Ok(Some((at, _))) => {
                        first.get_or_insert(at);
                        last = Some(at);
                    }
                    Ok(None) => anyhow::bail!("the daemon closed the session"),
                    Err(_) if last.is_some() => break,
                    Err(_) if sent.elapsed() > Duration::from_secs(1) => return Ok(None),
                    Err(_) => {}
                }
            }
            let at = |t: Option<Instant>| t.map(|t| t - sent).unwrap_or_default();
            Ok(Some((at(first), at(last))))
        }

        /// Drops frames until the screen is quiet.
        async fn settle(&mut self) {
            while let Ok(Some(_)) = tokio::time::timeout(QUIET * 3, self.frames.recv()).await {}
        }
    }

    async fn timed(
        c: &mut Client,
        keys: &[(KeyCode, KeyModifiers)],
        times: usize,
    ) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
        let (mut first, mut last) = (Vec::new(), Vec::new());
        for _ in 0..times {
            for (code, mods) in keys {
                let sent = Instant::now();
                c.key(*code, *mods).await?;
                if let Some((f, l)) = c.answer(sent).await? {
                    first.push(f);
                    last.push(l);
                }
            }
        }
        Ok((first, last))
    }

    fn report(what: &str, (first, last): (Vec<Duration>, Vec<Duration>)) {
        let n = first.len();
        if n == 0 {
            println!("{what:<34} no key changed the screen");
            return;
        }
        let (f50, f99) = super::percentiles(first);
        let (l50, l99) = super::percentiles(last);
        println!(
            "{what:<34} first frame p50 {f50:>6.2} p99 {f99:>6.2} ms · last frame p50 {l50:>6.2} p99 {l99:>6.2} ms ({n} keys that changed the screen)"
        );
    }

    /// Moves the jobs of the store at `db` into the last 30 days and an hour, keeping their
    /// order: the bench builds them over most of a year, and the daemon's worker would purge
    /// 980,000 of them (everything past the 30-day retention) while the keys are timed, so that
    /// the keys would be timed on a store shrinking to 20,000 jobs under a purge that never
    /// stops. A store server has about an hour of jobs past the retention at each hourly purge
    /// (some 1,300 here), and that purge runs as the keys are timed.
    fn as_if_current(db: &Path) -> anyhow::Result<()> {
        let conn = backroom::store::open(db)?;
        conn.execute(
            "UPDATE print_jobs SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ',
                 julianday('now') - 30.04 + (julianday(created_at) - (SELECT julianday(min(created_at)) FROM print_jobs))
                 * 30.04 / max((SELECT julianday(max(created_at)) - julianday(min(created_at)) FROM print_jobs), 0.001))",
            [],
        )?;
        let past: i64 = conn.query_row(
            "SELECT count(*) FROM print_jobs
             WHERE state IN ('succeeded', 'failed', 'cancelled')
             AND COALESCE(finished_at, created_at) < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days')",
            [],
            |r| r.get(0),
        )?;
        println!(
            "daemon: the store's jobs moved into the last 30 days; {past} past the retention for its hourly purge"
        );
        Ok(())
    }

    pub async fn measure(dir: &Path, db: &Path) -> anyhow::Result<()> {
        // On a copy, made current: the daemon's worker purges the jobs finished more than 30
        // days ago (while the keys are timed, as on a store server every hour), which would
        // leave the bench's own store smaller for the next run.
        let copy = super::copy_store(db, dir, "daemon.db")?;
        let db = copy.as_path();
        as_if_current(db)?;
        // Printing off: the daemon's worker would otherwise send the store's pending jobs to
        // the bench's made-up printers while keys are timed.
        backroom::store::printers::set_printing_enabled(&backroom::store::open(db)?, false)?;
        let socket = dir.join("bench.sock");
        let config = dir.join("config.toml");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        std::fs::write(
            &config,
            format!("[server]\nlisten = \"127.0.0.1:{port}\"\n"),
        )?;
        let _daemon = Daemon(
            std::process::Command::new(env!("CARGO_BIN_EXE_backroom"))
                .arg("--config")
                .arg(&config)
                .arg("--db")
                .arg(db)
                .arg("daemon")
                .arg("--socket")
                .arg(&socket)
                .env("XDG_STATE_HOME", dir.join("state"))
                .env_remove("BACKROOM_NO_DAEMON")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()?,
        );
        let started = Instant::now();
        let stream = loop {
            match tokio::net::UnixStream::connect(&socket).await {
                Ok(s) => break s,
                Err(_) if started.elapsed() < Duration::from_secs(60) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Err(e) => anyhow::bail!("the daemon never answered: {e}"),
            }
        };
        let (mut read, mut write) = stream.into_split();
        protocol::write(
            &mut write,
            &Request::Hello {
                protocol: PROTOCOL,
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
        )
        .await?;
        let welcome: Reply = protocol::read(&mut read).await?;
        anyhow::ensure!(matches!(welcome, Reply::Welcome { .. }), "{welcome:?}");
        let opened = Instant::now();
        protocol::write(
            &mut write,
            &Request::Tui {
                width: 120,
                height: 40,
                no_color: false,
                read_only: false,
            },
        )
        .await?;
        let (tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(reply) = protocol::read::<_, Reply>(&mut read).await {
                if let Reply::Screen(bytes) = reply
                    && tx.send((Instant::now(), bytes.len())).is_err()
                {
                    break;
                }
            }
        });
        let mut c = Client { write, frames };
        let (first, last) = c.answer(opened).await?.unwrap_or_default();
        println!(
            "daemon: {:<26} first frame {:>7.2} ms · last frame {:>7.2} ms",
            "session opened",
            first.as_secs_f64() * 1e3,
            last.as_secs_f64() * 1e3
        );
        c.settle().await;
        let none = KeyModifiers::NONE;
        let sent = Instant::now();
        c.key(KeyCode::Char('2'), none).await?;
        let (first, last) = c.answer(sent).await?.unwrap_or_default();
        println!(
            "daemon: {:<26} first frame {:>7.2} ms · last frame {:>7.2} ms",
            "print jobs pane",
            first.as_secs_f64() * 1e3,
            last.as_secs_f64() * 1e3
        );
        c.settle().await;
        let down = [(KeyCode::Char('j'), none)];
        let page = [(KeyCode::PageDown, none)];
        let ends = [
            (KeyCode::Char('G'), KeyModifiers::SHIFT),
            (KeyCode::Char('g'), none),
        ];
        report("daemon: print jobs: down", timed(&mut c, &down, 200).await?);
        report(
            "daemon: print jobs: page down",
            timed(&mut c, &page, 100).await?,
        );
        report(
            "daemon: print jobs: end, home",
            timed(&mut c, &ends, 25).await?,
        );
        c.key(KeyCode::Char('/'), none).await?;
        c.settle().await;
        let typed: Vec<_> = "state:failed connection"
            .chars()
            .map(|ch| (KeyCode::Char(ch), none))
            .collect();
        report(
            "daemon: print jobs: filter keys",
            timed(&mut c, &typed, 1).await?,
        );
        c.key(KeyCode::Esc, none).await?;
        c.settle().await;
        c.key(KeyCode::Char('3'), none).await?;
        c.settle().await;
        report("daemon: contacts: down", timed(&mut c, &down, 200).await?);
        report(
            "daemon: contacts: page down",
            timed(&mut c, &page, 100).await?,
        );
        report(
            "daemon: contacts: end, home",
            timed(&mut c, &ends, 25).await?,
        );
        c.key(KeyCode::Char('q'), none).await?;
        drop(c);
        if super::scale("BACKROOM_BENCH_OUTSIDE", 1) > 0 {
            // The same from outside: `backroom` in a terminal, its console hosted by the daemon,
            // as a store admin over SSH meets it.
            let command = format!(
                "exec {} --socket {}",
                super::support::tmux::backroom_binary().display(),
                socket.display()
            );
            let dir = dir.to_path_buf();
            tokio::task::spawn_blocking(move || {
                super::outside::measure_command("outside, daemon", &command, &dir)
            })
            .await??;
        }
        Ok(())
    }
}

/// `backroom jobs list` (its default limit) as a process, as a script or a person runs it.
fn jobs_list(db: &Path) -> anyhow::Result<()> {
    let mut times = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_backroom"))
            .arg("--db")
            .arg(db)
            .args(["--read-only", "jobs", "list"])
            .output()?;
        times.push(t.elapsed());
        anyhow::ensure!(out.status.success(), "jobs list failed: {out:?}");
        let lines = out.stdout.iter().filter(|b| **b == b'\n').count();
        anyhow::ensure!(lines <= 52, "jobs list printed {lines} lines");
    }
    let (p50, _) = percentiles(times.clone());
    let max = times.iter().max().copied().unwrap_or_default();
    println!(
        "{:<42} p50 {p50:>7.2} ms   max {:>7.2} ms   (21 runs)",
        "`backroom jobs list` process",
        max.as_secs_f64() * 1e3
    );
    goal("`backroom jobs list`, p50", p50, 50.0, "ms");
    Ok(())
}

/// The purge of the oldest 100,000 jobs (on a copy of the store), then the search index's merge
/// steps, each while another writer ([`Probe`]) records its longest wait for the write lock.
fn purge(db: &Path, dir: &Path) -> anyhow::Result<()> {
    let copy = copy_store(db, dir, "purge.db")?;
    let mut conn = backroom::store::open(&copy)?;
    if let Ok(opts) = std::env::var("BACKROOM_BENCH_FTS") {
        for opt in opts.split_whitespace() {
            let (k, v) = opt.split_once('=').unwrap_or((opt, "1"));
            conn.execute(
                &format!(
                    "INSERT INTO print_jobs_search(print_jobs_search, rank) VALUES('{k}', {v})"
                ),
                [],
            )?;
            println!("fts option {k}={v}");
        }
    }
    // Jobs are one every 30 s from 2025-01-01: the 100,000th was created 3,000,000 s later.
    let cutoff: String = conn.query_row(
        "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 1735689600 + 100000 * 30, 'unixepoch')",
        [],
        |r| r.get(0),
    )?;
    let before = queue_jobs(&conn, "before")?;
    let writer = Probe::start(&copy);
    let t = Instant::now();
    let mut last = Instant::now();
    let mut gaps = Vec::new();
    let purged =
        backroom::store::jobs::purge_finished_before_with(&mut conn, &cutoff, &mut |_| {
            gaps.push(last.elapsed());
            last = Instant::now();
        })?;
    let took = t.elapsed();
    anyhow::ensure!(
        !gaps.is_empty(),
        "nothing to purge: the store's old jobs are gone (build a new store)"
    );
    let (gap50, gap99) = percentiles(gaps.clone());
    println!(
        "purge: from one batch's commit to the next (the pause, then the batch) p50 \
         {gap50:.1} ms, p99 {gap99:.1} ms, max {:.1} ms",
        gaps.iter().max().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let (wait, whole, commits) = writer.stop()?;
    println!(
        "purge: {} jobs in {:.1} s; another writer's longest wait for the lock {:.1} ms, longest \
         transaction with its commit (and any checkpoint it ran) {:.1} ms, over {commits} commits",
        purged.jobs,
        took.as_secs_f64(),
        wait.as_secs_f64() * 1e3,
        whole.as_secs_f64() * 1e3
    );
    goal(
        "another writer's longest wait during the purge",
        wait.as_secs_f64() * 1e3,
        100.0,
        "ms",
    );
    let after = queue_jobs(&conn, "after")?;
    println!(
        "purge: 500 jobs queued one commit each (trigram index written), longest commit {:.1} ms \
         before the purge, {:.1} ms right after it",
        before.as_secs_f64() * 1e3,
        after.as_secs_f64() * 1e3
    );
    // The worker's steps of merging the trigram index (it takes one a second, the purge one
    // after each batch), here 20 ms apart until nothing is left, with the other writer at work
    // again. (Back to back, the merging connection takes the lock again before a waiting writer
    // looks, and that writer waits through two steps.)
    let merged = merge_steps(&copy, || backroom::store::jobs::tidy_search(&conn))?;
    println!(
        "purge: then the search index merged, steps of at most {} pages 20 ms apart: {merged}",
        backroom::store::jobs::SEARCH_MERGE_PAGES,
    );
    // The worst a merge step meets: every segment of the index merged into one (`merge` with a
    // negative page count: across levels, as a store's biggest segments meet once it has
    // rewritten its whole index's worth of jobs), so that each trigram's whole list is written
    // by one step; 16 pages a step.
    let merged = merge_steps(&copy, || {
        let before = conn.total_changes();
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             INSERT INTO print_jobs_search (print_jobs_search, rank) VALUES ('merge', -16);
             COMMIT;",
        )?;
        Ok(conn.total_changes() - before > 1)
    })?;
    println!(
        "purge: then every segment of the search index merged into one, steps of at least 16 \
         pages 20 ms apart: {merged}"
    );
    drop(conn);
    for f in ["purge.db", "purge.db-wal", "purge.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    Ok(())
}

/// The bulk actions and a printer's removal on a copy of the store as it is (its search index
/// as the worker left it, a merge perhaps under way), each while another writer ([`Probe`])
/// records its longest wait for the write lock.
fn bulk(db: &Path, dir: &Path) -> anyhow::Result<()> {
    let copy = copy_store(db, dir, "bulk.db")?;
    let mut conn = backroom::store::open(&copy)?;
    println!(
        "bulk: the search index before: {}",
        backroom::store::search_index::describe(&backroom::store::search_index::levels(&conn)?)
    );
    // Bulk actions on the million jobs: every failed job rescheduled, then every pending one
    // cancelled (the TUI's "all filtered" and `jobs reschedule|cancel --state`).
    for (what, state) in [("reschedule", "failed"), ("cancel", "pending")] {
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM print_jobs WHERE state = ?1 ORDER BY id")?
            .query_map([state], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let writer = Probe::start(&copy);
        let t = Instant::now();
        let done = match what {
            "reschedule" => backroom::store::jobs::reschedule(&mut conn, &ids)?,
            _ => backroom::store::jobs::cancel(&mut conn, &ids)?,
        };
        let took = t.elapsed();
        let (wait, whole, commits) = writer.stop()?;
        println!(
            "bulk {what}: {} {state} jobs in {:.2} s; another writer's longest wait for the lock \
             {:.1} ms, longest transaction {:.1} ms, over {commits} commits",
            done.len(),
            took.as_secs_f64(),
            wait.as_secs_f64() * 1e3,
            whole.as_secs_f64() * 1e3
        );
    }
    // A printer removed, with its third of the million jobs in the history.
    let writer = Probe::start(&copy);
    let t = Instant::now();
    let removed = backroom::store::printers::remove(&mut conn, "back", None)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let took = t.elapsed();
    let (wait, whole, commits) = writer.stop()?;
    println!(
        "printer removed ({} unfinished jobs to the default): {:.2} s; another writer's longest \
         wait for the lock {:.1} ms, longest transaction {:.1} ms, over {commits} commits",
        removed.jobs_to_default,
        took.as_secs_f64(),
        wait.as_secs_f64() * 1e3,
        whole.as_secs_f64() * 1e3
    );
    drop(conn);
    for f in ["bulk.db", "bulk.db-wal", "bulk.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    Ok(())
}

/// Builds the store in a few statements (no row-by-row loop, so that ten million jobs take
/// minutes): jobs and contacts come from recursive CTEs; the triggers that keep the counts and
/// the free-word index are set aside during the load, and what they keep is then built in bulk
/// (the same rows they would have written), before they are put back.
fn build(db: &Path, jobs: usize, contacts: usize) -> anyhow::Result<()> {
    let mut conn = backroom::store::open(db)?;
    conn.pragma_update(None, "cache_size", -262_144)?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "INSERT INTO printers (name, provider, target, is_default, created_at) VALUES
           ('front', 'ipp', 'ipp://127.0.0.1:631/ipp/print', 1, '2026-01-01T00:00:00.000Z'),
           ('back', 'raw', '127.0.0.1:9100', 0, '2026-01-01T00:00:00.000Z'),
           ('office', 'spool', '/srv/spool', 0, '2026-01-01T00:00:00.000Z');
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
         INSERT INTO documents (kind, title, sha256, bytes, created_at)
         SELECT 'invoice', printf('Invoice 2026-%05d', i), 'x', x'25504446',
                '2026-01-01T00:00:00.000Z' FROM n;",
    )?;
    let set_aside: Vec<(String, String)> = tx
        .prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'
             AND name IN ('print_jobs_count_insert', 'print_jobs_search_insert',
                          'contacts_count_insert')",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &set_aside {
        tx.execute_batch(&format!("DROP TRIGGER {name}"))?;
    }
    // One job every 30 s from 2025-01-01: 1 in 50 failed, 1 in 50 pending.
    tx.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
         INSERT INTO print_jobs (uuid, document_id, printer_id, state, attempts, next_attempt_at,
                                 last_error, created_at)
         SELECT printf('%016x', i), i % 1000 + 1, i % 3 + 1,
                CASE i % 50 WHEN 0 THEN 'failed' WHEN 1 THEN 'pending' ELSE 'succeeded' END,
                CASE i % 50 WHEN 0 THEN 8 ELSE 1 END,
                strftime('%Y-%m-%dT%H:%M:%fZ', 1735689600 + i * 30, 'unixepoch'),
                CASE i % 50 WHEN 0 THEN 'connection refused' END,
                strftime('%Y-%m-%dT%H:%M:%fZ', 1735689600 + i * 30, 'unixepoch')
         FROM n",
        [jobs as i64],
    )?;
    // Shuffled, accented names, as an office's address book holds them.
    tx.execute_batch(
        "CREATE TEMP TABLE first_names (k INTEGER PRIMARY KEY, v TEXT);
         CREATE TEMP TABLE last_names (k INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO first_names (v) VALUES ('Élodie'), ('Zoé'), ('Jürgen'), ('Özlem'), ('Anaïs'),
           ('François'), ('Søren'), ('Łukasz'), ('Chloé'), ('Björn'), ('anna'), ('Paul'),
           ('Ängel'), ('Giulia'), ('Oskar');
         INSERT INTO last_names (v) VALUES ('Müller'), ('Lefèvre'), ('Dubois'), ('García'),
           ('Weiß'), ('Nowak'), ('Núñez'), ('Öztürk'), ('Martin'), ('Rossi'), ('de la Tour'),
           ('Ørsted'), ('Schäfer');",
    )?;
    tx.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1),
              s(i, k) AS (SELECT i, (i * 7919) % ?1 FROM n)
         INSERT INTO contacts (name, email, company, state, created_at)
         SELECT (SELECT v FROM first_names WHERE k = s.k % 15 + 1) || ' ' ||
                (SELECT v FROM last_names WHERE k = (s.k / 15) % 13 + 1) || ' ' || s.k,
                'c' || i || '@example.org', 'Company ' || (i % 500),
                CASE i % 4 WHEN 0 THEN 'not_registered' WHEN 1 THEN 'inactive'
                           WHEN 2 THEN 'active' ELSE 'deactivated' END,
                '2026-01-01T00:00:00.000Z'
         FROM s",
        [contacts.max(1) as i64],
    )?;
    // The trigram index is filled as migration `search_rowids.sql` filled a store's: with FTS5's
    // automatic merging on while it writes, then off. Filled with it off (as the store is now
    // set), the million jobs left 21 segments of some 240 pages each on the first level, which
    // neither the migration nor the worker's merge steps leave: within eleven commits that level
    // reached 32 segments and FTS5 merged all 5,000 pages in one commit (a queued job's 319 ms,
    // a bulk batch's 248 ms).
    tx.execute_batch(
        "INSERT INTO print_jobs_search (print_jobs_search, rank) VALUES ('automerge', 4);
         INSERT INTO print_jobs_search (rowid, document, printer, error)
           SELECT j.id, d.title, p.name, j.last_error
           FROM print_jobs j LEFT JOIN documents d ON d.id = j.document_id
           LEFT JOIN printers p ON p.id = j.printer_id;
         INSERT INTO print_jobs_search (print_jobs_search, rank) VALUES ('automerge', 0);
         DELETE FROM row_counts WHERE name = 'print_jobs' OR name LIKE 'print_jobs.%'
           OR name = 'contacts' OR name LIKE 'contacts.%';
         INSERT INTO row_counts (name, n) SELECT 'print_jobs', COUNT(*) FROM print_jobs;
         INSERT INTO row_counts (name, n) SELECT 'print_jobs.' || state, COUNT(*) FROM print_jobs
           GROUP BY state;
         INSERT INTO row_counts (name, n)
           SELECT 'print_jobs.maybe_duplicate', COUNT(*) FROM print_jobs WHERE maybe_duplicate = 1;
         INSERT INTO row_counts (name, n) SELECT 'contacts', COUNT(*) FROM contacts;
         INSERT INTO row_counts (name, n) SELECT 'contacts.' || state, COUNT(*) FROM contacts
           GROUP BY state;",
    )?;
    for (_, sql) in &set_aside {
        tx.execute_batch(sql)?;
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE")?;
    Ok(())
}

/// p50 and p99 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at =
        |q: usize| samples[(samples.len() * q / 100).min(samples.len() - 1)].as_secs_f64() * 1e3;
    (at(50), at(99))
}

fn key(name: &str) -> KeyPress {
    KeyPress::parse(name).unwrap_or_else(|| panic!("{name} is a key"))
}

async fn timed(h: &mut Harness, keys: &[&str], times: usize) -> anyhow::Result<Vec<Duration>> {
    let factor: f64 = std::env::var("BACKROOM_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let times = ((times as f64 * factor) as usize).max(1);
    let mut out = Vec::with_capacity(times * keys.len());
    for _ in 0..times {
        for k in keys {
            let t = Instant::now();
            h.app.on_key(key(k));
            h.settle_rows().await?;
            out.push(t.elapsed());
            h.settle().await;
        }
    }
    Ok(out)
}

fn report(what: &str, samples: Vec<Duration>) -> f64 {
    let n = samples.len();
    let (p50, p99) = percentiles(samples);
    println!("{what:<42} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   ({n} keys)");
    p99
}

/// Goals the issue set (issue 12), missed so far in this process.
static MISSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Says whether `value` meets its goal `bound` (in `unit`); a missed goal fails the bench at its
/// end, once every figure is printed.
fn goal(what: &str, value: f64, bound: f64, unit: &str) {
    let verdict = if value <= bound {
        "met"
    } else {
        MISSED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        "MISSED"
    };
    println!("goal: {what} {value:.1} {unit}, at most {bound} {unit}: {verdict}");
}

/// Fails when a goal was missed in this process.
fn goals_met() -> anyhow::Result<()> {
    let missed = MISSED.load(std::sync::atomic::Ordering::SeqCst);
    anyhow::ensure!(
        missed == 0,
        "{missed} goal(s) missed (the `goal:` lines say which)"
    );
    Ok(())
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn measure(db: &Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let ctx = Context::for_db(PathBuf::from(db));
        let t = Instant::now();
        let mut h = Harness::new(ctx, 120, 40).await?;
        println!(
            "{:<42} {:>7.2} ms",
            "first frame with rows (printers)",
            t.elapsed().as_secs_f64() * 1e3
        );
        let t = Instant::now();
        h.app.on_key(key("2"));
        h.settle_rows().await?;
        let first = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "{:<42} {first:>7.2} ms",
            "first frame of the print jobs pane"
        );
        goal("the jobs pane's first frame", first, 16.0, "ms");
        h.settle().await;

        let keys = [
            report("print jobs: down", timed(&mut h, &["j"], 400).await?),
            report(
                "print jobs: page down",
                timed(&mut h, &["pgdown"], 200).await?,
            ),
            report(
                "print jobs: end, home",
                timed(&mut h, &["G", "g"], 50).await?,
            ),
        ];
        // A keystroke in the filter: the key handled and the frame drawn (the rows follow).
        h.app.on_key(key("/"));
        let mut keystroke = Vec::new();
        let mut rows_after_last_key = Vec::new();
        for word in ["front", "jam", "printer:back", "state:failed connection"] {
            for _ in 0..5 {
                let mut last_key = Instant::now();
                for (n, c) in word.chars().enumerate() {
                    if n > 0 {
                        // Ten characters a second, as a person types.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    let t = Instant::now();
                    last_key = t;
                    h.app
                        .on_key(KeyPress::plain(ratatui::crossterm::event::KeyCode::Char(c)));
                    h.draw()?;
                    keystroke.push(t.elapsed());
                }
                // From the last key itself (its debounce included) to its rows.
                let t = last_key;
                for _ in 0..10_000 {
                    if h.app.table().shown_filter == h.app.table().query.filter.text {
                        break;
                    }
                    h.settle_rows().await?;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                rows_after_last_key.push(t.elapsed());
                h.settle().await;
                h.app.on_key(key("ctrl-u"));
                h.settle().await;
            }
        }
        let keystroke = report("print jobs: filter keystroke to frame", keystroke);
        goal("a filter keystroke, p99", keystroke, 16.0, "ms");
        report(
            "print jobs: last filter key to its rows",
            rows_after_last_key,
        );
        h.app.on_key(key("esc"));
        h.settle().await;

        h.app.on_key(key("3"));
        h.settle().await;
        let contacts = [
            report("contacts: down", timed(&mut h, &["j"], 400).await?),
            report(
                "contacts: page down",
                timed(&mut h, &["pgdown"], 200).await?,
            ),
            report("contacts: end, home", timed(&mut h, &["G", "g"], 50).await?),
        ];
        let slowest = keys.into_iter().chain(contacts).fold(0.0, f64::max);
        goal("every navigation key, p99", slowest, 16.0, "ms");
        let rss = peak_rss_mb();
        println!("{:<42} {rss:>7.1} MB", "peak RSS");
        goal("the console's peak RSS", rss, 100.0, "MB");
        goals_met()
    })
}
