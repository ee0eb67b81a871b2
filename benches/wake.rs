//! Commit → send, measured from outside: a `backroom events emit` process returns (its commit
//! done) → the PDF is in a spool printer's folder, with a `backroom worker` running in another
//! process (personal mode: woken through its wake socket, no poll); and a `POST /api/events` to
//! `backroom serve` answered → the PDF is there (the worker runs inside serve, woken in-process).
//! Targets: p50 ≤ 20 ms, p95 ≤ 50 ms. Events: BACKROOM_BENCH_WAKE_EVENTS (default 200).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_backroom");

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "data", "config", "state", "spool"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("dir");
        }
        Env { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env_remove("BACKROOM_DB")
            .env_remove("BACKROOM_CONFIG")
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("USER", "bench");
        c
    }

    fn ok(&self, args: &[&str]) {
        let out = self.command().args(args).output().expect("run backroom");
        assert!(
            out.status.success(),
            "backroom {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn spooled(&self) -> usize {
        std::fs::read_dir(self.path("spool"))
            .map(|r| {
                r.filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Waits until the spool folder holds `n` files; the time it took.
    fn wait_for(&self, n: usize, since: Instant) -> Duration {
        while self.spooled() < n {
            assert!(
                since.elapsed() < Duration::from_secs(30),
                "the document never reached the spool folder"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        since.elapsed()
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn payload(i: usize) -> String {
    serde_json::json!({
        "order_number": format!("SO-WAKE-{i:05}"), "date": "2026-11-23", "currency": "EUR",
        "customer": {"name": "Bench Customer"},
        "billing_address": {"name": "Bench Customer", "street": "1 Main St",
            "postal_code": "10115", "city": "Berlin", "country": "DE"},
        "lines": [{"description": "Paper A4", "quantity": 3, "unit_price": "4.50", "vat_rate": 19}]
    })
    .to_string()
}

fn report(what: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{what}: {} events, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (targets: p50 <= 20 ms, p95 <= 50 ms)",
        ms.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    );
}

fn setup(env: &Env) {
    let spool = env.path("spool");
    env.ok(&[
        "printers",
        "add",
        "bench",
        "--provider",
        "spool",
        "--target",
        spool.to_str().expect("utf-8 path"),
    ]);
}

fn wait_for_file(p: &Path) {
    let t = Instant::now();
    while !p.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{} never appeared",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn personal(events: usize) {
    let env = Env::new();
    setup(&env);
    let _worker = Running(
        env.command()
            .arg("worker")
            .stderr(Stdio::null())
            .spawn()
            .expect("start the worker"),
    );
    wait_for_file(&env.path("data/backroom/backroom.db.wake"));
    let file = env.path("payload.json");
    let mut ms = Vec::new();
    for i in 0..events {
        std::fs::write(&file, payload(i)).expect("payload");
        let out = env
            .command()
            .args(["events", "emit", "order.received", "--file"])
            .arg(&file)
            .output()
            .expect("emit");
        let returned = Instant::now();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ms.push(env.wait_for(i + 1, returned).as_secs_f64() * 1000.0);
    }
    report(
        "personal: `events emit` returns -> PDF in the spool folder (worker in another process)",
        ms,
    );
}

fn served(events: usize) {
    let env = Env::new();
    setup(&env);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    std::fs::create_dir_all(env.path("config/backroom")).expect("config dir");
    std::fs::write(
        env.path("config/backroom/config.toml"),
        "[server]\napi_token = \"bench-token\"\n",
    )
    .expect("config");
    let _serve = Running(
        env.command()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stderr(Stdio::null())
            .spawn()
            .expect("start serve"),
    );
    wait_for_file(&env.path("data/backroom/backroom.db.wake"));
    let mut ms = Vec::new();
    for i in 0..events {
        let body = format!("{{\"kind\":\"order.received\",\"payload\":{}}}", payload(i));
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        write!(
            s,
            "POST /api/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer bench-token\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut reply = String::new();
        s.read_to_string(&mut reply).expect("reply");
        let answered = Instant::now();
        assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
        ms.push(env.wait_for(i + 1, answered).as_secs_f64() * 1000.0);
    }
    report(
        "serve: POST /api/events answered -> PDF in the spool folder (worker in-process)",
        ms,
    );
}

fn main() {
    let events = std::env::var("BACKROOM_BENCH_WAKE_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    personal(events);
    served(events);
}
