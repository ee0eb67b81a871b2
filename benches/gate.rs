//! Benchmark of the gate: commit → send measured from outside, as a script sees it. A daemon
//! (worker + socket) runs under the current user with a spool printer; each round runs
//! `backroom events emit` as its own process, and times from the moment that process returns to
//! the moment the PDF is in the spool folder (p50, p95), plus the whole client command.
//! Rounds: 200 × BACKROOM_BENCH_SCALE (at least 10).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ORDER: &str = r#"{"order_number": "B-1", "date": "2026-11-20", "currency": "EUR",
 "customer": {"name": "Bench"},
 "billing_address": {"name": "Bench", "street": "1 Main St", "postal_code": "10115", "city": "Berlin", "country": "DE"},
 "lines": [{"description": "Paper", "quantity": 2, "unit_price": "4.50", "vat_rate": 19}]}"#;

fn rounds() -> usize {
    let scale: f64 = std::env::var("BACKROOM_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((200.0 * scale).round() as usize).max(10)
}

fn backroom(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_backroom"));
    c.env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env_remove("BACKROOM_DB")
        .env_remove("BACKROOM_CONFIG")
        .env_remove("BACKROOM_NO_DAEMON");
    c
}

/// Finished PDFs (the spool provider renames a temporary file to `<uuid>.pdf`).
fn files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|f| f.path().extension().is_some_and(|e| e == "pdf"))
                .count()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let spool = dir.join("spool");
    std::fs::create_dir_all(&spool).expect("spool dir");
    let me = String::from_utf8(Command::new("id").arg("-un").output().expect("id").stdout)
        .expect("user name");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[operators]\n{} = \"admin\"\n[server]\nlisten = \"127.0.0.1:0\"\n",
            me.trim()
        ),
    )
    .expect("config");
    let socket = dir.join("backroom.sock");
    let db = dir.join("backroom.db");
    let mut daemon = backroom(dir)
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .arg("daemon")
        .arg("--socket")
        .arg(&socket)
        .stderr(Stdio::null())
        .spawn()
        .expect("start the daemon");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(Instant::now() < deadline, "the daemon did not answer");
        std::thread::sleep(Duration::from_millis(20));
    }
    let client = |args: &[&str]| {
        let out = backroom(dir)
            .arg("--socket")
            .arg(&socket)
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run a client");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let spool_text = spool.display().to_string();
    client(&[
        "printers",
        "add",
        "bench",
        "--provider",
        "spool",
        "--target",
        &spool_text,
    ]);
    std::fs::write(dir.join("order.json"), ORDER).expect("order");

    let n = rounds();
    let (mut send, mut command) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let started = Instant::now();
        client(&["events", "emit", "order.received", "--file", "order.json"]);
        let returned = Instant::now();
        while files(&spool) <= i {
            assert!(
                returned.elapsed() < Duration::from_secs(10),
                "job {i} never printed"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        send.push(returned.elapsed());
        command.push(returned - started);
    }
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    let _ = daemon.wait();
    send.sort();
    command.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("gate bench: {n} rounds through the daemon's socket");
    println!(
        "  emit returns -> file in the spool folder: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        ms(percentile(&send, 0.5)),
        ms(percentile(&send, 0.95)),
        ms(send[send.len() - 1])
    );
    println!(
        "  the whole `backroom events emit` client: p50 {:.1} ms, p95 {:.1} ms",
        ms(percentile(&command, 0.5)),
        ms(percentile(&command, 0.95))
    );
}
