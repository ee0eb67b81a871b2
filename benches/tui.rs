//! TUI benchmark: time to the first frame with rows, key-to-frame latency (down, page down, end,
//! a filter keystroke), the time from the last key typed at ten characters a second to the rows of
//! that filter on screen, on a large store (contacts with shuffled, accented names), and peak
//! memory.
//!
//! Scale: `BACKROOM_BENCH_JOBS` print jobs (default 1,000,000) and `BACKROOM_BENCH_CONTACTS`
//! contacts (default 100,000). The database is built first; the measurement runs in a fresh
//! process so that its peak RSS is the console's, not the builder's.

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
    Ok(())
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
        let start = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")?.to_utc();
        for i in 0..jobs {
            let state = match i % 50 {
                0 => "failed",
                1 => "pending",
                _ => "succeeded",
            };
            let at = backroom::store::to_text(start + chrono::Duration::seconds(i as i64 * 30));
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
