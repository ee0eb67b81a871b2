//! TUI benchmark: time to the first frame with rows, key-to-frame latency (down, page down, end,
//! a filter keystroke), the time from the last key typed at ten characters a second to the rows of
//! that filter on screen, on a large store (contacts with shuffled, accented names), and peak
//! memory.
//!
//! Scale: `BACKROOM_BENCH_JOBS` print jobs (default 1,000,000) and `BACKROOM_BENCH_CONTACTS`
//! contacts (default 100,000). The database is built first; the measurement runs in a fresh
//! process so that its peak RSS is the console's, not the builder's.
//!
//! Then the same store through the daemon: `backroom daemon` (worker, web service, socket) hosts
//! the TUI session and a client on its socket sends keys as a person's terminal would; each key
//! is timed to the first screen frame that answers it, and to the last frame it caused (the
//! screen then stays quiet for 40 ms). `BACKROOM_BENCH_DAEMON=0` skips this part.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backroom::context::Context;
use backroom::tui::harness::Harness;
use backroom::tui::key::KeyPress;

fn scale(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    if let Ok(db) = std::env::var("BACKROOM_BENCH_MEASURE") {
        return measure(Path::new(&db));
    }
    let jobs = scale("BACKROOM_BENCH_JOBS", 1_000_000);
    let contacts = scale("BACKROOM_BENCH_CONTACTS", 100_000);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let t = Instant::now();
    build(&db, jobs, contacts)?;
    println!(
        "built {jobs} print jobs and {contacts} contacts in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let status = std::process::Command::new(std::env::current_exe()?)
        .env("BACKROOM_BENCH_MEASURE", &db)
        .status()?;
    anyhow::ensure!(status.success(), "the measurement failed: {status}");
    if std::env::var("BACKROOM_BENCH_DAEMON").as_deref() != Ok("0") {
        tokio::runtime::Runtime::new()?.block_on(daemon::measure(dir.path(), &db))?;
    }
    Ok(())
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

    pub async fn measure(dir: &Path, db: &Path) -> anyhow::Result<()> {
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
        Ok(())
    }
}

fn build(db: &Path, jobs: usize, contacts: usize) -> anyhow::Result<()> {
    let mut conn = backroom::store::open(db)?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "INSERT INTO printers (name, provider, target, is_default, created_at) VALUES
           ('front', 'ipp', 'ipp://127.0.0.1:631/ipp/print', 1, '2026-01-01T00:00:00.000Z'),
           ('back', 'raw', '127.0.0.1:9100', 0, '2026-01-01T00:00:00.000Z'),
           ('office', 'spool', '/srv/spool', 0, '2026-01-01T00:00:00.000Z');",
    )?;
    {
        let mut doc = tx.prepare(
            "INSERT INTO documents (kind, title, sha256, bytes, created_at)
             VALUES ('invoice', ?1, 'x', x'25504446', '2026-01-01T00:00:00.000Z')",
        )?;
        for i in 0..1000 {
            doc.execute([format!("Invoice 2026-{i:05}")])?;
        }
        let mut job = tx.prepare(
            "INSERT INTO print_jobs (uuid, document_id, printer_id, state, attempts, next_attempt_at,
                                     last_error, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)",
        )?;
        // Within the retention (25 days up to now): the daemon's worker purges nothing.
        let span = chrono::Duration::days(25);
        let start = chrono::Utc::now() - span;
        let step_ms = span.num_milliseconds() / jobs.max(1) as i64;
        for i in 0..jobs {
            let state = match i % 50 {
                0 => "failed",
                1 => "pending",
                _ => "succeeded",
            };
            let at = backroom::store::to_text(
                start + chrono::Duration::milliseconds(i as i64 * step_ms),
            );
            job.execute(rusqlite::params![
                format!("{i:016x}"),
                (i % 1000 + 1) as i64,
                (i % 3 + 1) as i64,
                state,
                if state == "failed" { 8 } else { 1 },
                at,
                (state == "failed").then_some("connection refused"),
            ])?;
        }
        let mut contact = tx.prepare(
            "INSERT INTO contacts (name, email, company, state, created_at)
             VALUES (?1, ?2, ?3, ?4, '2026-01-01T00:00:00.000Z')",
        )?;
        let states = ["not_registered", "inactive", "active", "deactivated"];
        let first = [
            "Élodie",
            "Zoé",
            "Jürgen",
            "Özlem",
            "Anaïs",
            "François",
            "Søren",
            "Łukasz",
            "Chloé",
            "Björn",
            "anna",
            "Paul",
            "Ängel",
            "Giulia",
            "Oskar",
        ];
        let last = [
            "Müller",
            "Lefèvre",
            "Dubois",
            "García",
            "Weiß",
            "Nowak",
            "Núñez",
            "Öztürk",
            "Martin",
            "Rossi",
            "de la Tour",
            "Ørsted",
            "Schäfer",
        ];
        for i in 0..contacts {
            // Shuffled, accented names, as an office's address book holds them.
            let k = (i * 7919) % contacts.max(1);
            contact.execute(rusqlite::params![
                format!(
                    "{} {} {k}",
                    first[k % first.len()],
                    last[(k / 15) % last.len()]
                ),
                format!("c{i}@example.org"),
                format!("Company {}", i % 500),
                states[i % 4],
            ])?;
        }
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

fn report(what: &str, samples: Vec<Duration>) {
    let n = samples.len();
    let (p50, p99) = percentiles(samples);
    println!("{what:<42} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   ({n} keys)");
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
        println!(
            "{:<42} {:>7.2} ms",
            "first frame of the print jobs pane",
            t.elapsed().as_secs_f64() * 1e3
        );
        h.settle().await;

        report("print jobs: down", timed(&mut h, &["j"], 400).await?);
        report(
            "print jobs: page down",
            timed(&mut h, &["pgdown"], 200).await?,
        );
        report(
            "print jobs: end, home",
            timed(&mut h, &["G", "g"], 50).await?,
        );
        // A keystroke in the filter: the key handled and the frame drawn (the rows follow).
        h.app.on_key(key("/"));
        let mut keystroke = Vec::new();
        let mut rows_after_last_key = Vec::new();
        for word in ["front", "jam", "printer:back", "state:failed connection"] {
            for _ in 0..5 {
                for c in word.chars() {
                    let t = Instant::now();
                    h.app
                        .on_key(KeyPress::plain(ratatui::crossterm::event::KeyCode::Char(c)));
                    h.draw()?;
                    keystroke.push(t.elapsed());
                    // Ten characters a second, as a person types.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let t = Instant::now();
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
        report("print jobs: filter keystroke to frame", keystroke);
        report(
            "print jobs: last filter key to its rows",
            rows_after_last_key,
        );
        h.app.on_key(key("esc"));
        h.settle().await;

        h.app.on_key(key("3"));
        h.settle().await;
        report("contacts: down", timed(&mut h, &["j"], 400).await?);
        report(
            "contacts: page down",
            timed(&mut h, &["pgdown"], 200).await?,
        );
        report("contacts: end, home", timed(&mut h, &["G", "g"], 50).await?);
        println!("{:<42} {:>7.1} MB", "peak RSS", peak_rss_mb());
        anyhow::Ok(())
    })
}
