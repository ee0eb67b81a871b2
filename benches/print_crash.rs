//! Crash benchmark of printing: a real headless `backroom worker` printing to ippeveprinter is
//! SIGKILLed again and again (each time after it said "running here"), with production leases.
//! Prints lost jobs, silent duplicates (printed twice, unflagged), flagged duplicates,
//! unconfirmed jobs, how many kills came while jobs were still open, and the seconds the last
//! worker took to finish. Scale with BACKROOM_BENCH_SCALE (1.0 = 1,000 jobs, 50 kills: enough
//! work that every kill comes while jobs are open).

use std::collections::HashMap;
use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "../tests/support/mod.rs"]
mod support;
use sha2::Digest as _;

fn scale() -> f64 {
    std::env::var("BACKROOM_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn order(i: usize) -> serde_json::Value {
    json!({
        "order_number": format!("SO-CRASH-{i:06}"),
        "date": "2026-11-23",
        "currency": "EUR",
        "customer": {"name": "Bench Customer"},
        "billing_address": {"name": "Bench Customer", "street": "1 Main St", "postal_code": "10115",
            "city": "Berlin", "country": "DE"},
        "lines": [{"description": "Paper A4", "quantity": 3, "unit_price": "4.50", "vat_rate": 19}]
    })
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A headless worker on `db`; returns once it holds the lease.
fn worker(db: &Path) -> Killed {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backroom"))
        .arg("--db")
        .arg(db)
        .arg("worker")
        .env_remove("BACKROOM_PRINT_JOB_LEASE_MS")
        .env_remove("BACKROOM_PRINT_RETRY_BASE_MS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start backroom worker");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("running here") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the worker never said it holds the lease");
    Killed(child)
}

fn open_jobs(db: &Path) -> i64 {
    let conn = backroom::store::open(db).expect("open");
    conn.query_row(
        "SELECT COUNT(*) FROM print_jobs WHERE state IN ('pending', 'sending')",
        [],
        |r| r.get(0),
    )
    .expect("count")
}

fn main() {
    let jobs = ((1000.0 * scale()).round() as usize).max(10);
    let kills = ((50.0 * scale()).round() as usize).max(1);
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("crash.db");
    // The tests' printer: ippeveprinter completing each job at once (`-c /bin/true`).
    let printer = support::ipp::IppPrinter::start_in(dir.path());
    let spool = printer.spool_dir().to_path_buf();
    let mut conn = backroom::store::open(&db).expect("open db");
    backroom::store::printers::insert(
        &mut conn,
        &backroom::store::printers::NewPrinter {
            name: "crash".into(),
            provider: backroom::printing::Provider::Ipp,
            target: printer.url(),
            api_key: None,
            tray: None,
            copies: 1,
            enabled: true,
            make_default: true,
        },
    )
    .expect("add printer");
    for i in 0..jobs {
        backroom::printing::outbox::ingest(
            &mut conn,
            backroom::printing::EventKind::OrderReceived,
            &order(i),
            "cli",
            "Bench",
        )
        .expect("ingest");
    }
    println!("print crash benchmark: {jobs} jobs, {kills} SIGKILLs (production leases)");
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    // A kill counts when jobs were still open at that moment: once the queue is done, the
    // workers killed after it prove nothing.
    let mut in_flight = 0;
    for _ in 0..kills {
        let w = worker(&db);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(seed % 120));
        if open_jobs(&db) > 0 {
            in_flight += 1;
        }
        drop(w);
    }
    let left = open_jobs(&db);
    let started = Instant::now();
    let last = worker(&db);
    while open_jobs(&db) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "jobs still open after 120 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let recover = started.elapsed();
    drop(last);

    let mut copies: HashMap<String, usize> = HashMap::new();
    for entry in std::fs::read_dir(&spool).expect("spool").flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "pdf") {
            let sha: String = sha2::Sha256::digest(std::fs::read(&p).expect("read"))
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            *copies.entry(sha).or_default() += 1;
        }
    }
    let mut stmt = conn
        .prepare(
            "SELECT j.state, j.maybe_duplicate, d.sha256 FROM print_jobs j
             JOIN documents d ON d.id = j.document_id",
        )
        .expect("query");
    let rows: Vec<(String, bool, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let (mut lost, mut silent, mut flagged, mut unconfirmed) = (0, 0, 0, 0);
    for (state, dup, sha) in rows {
        let n = copies.get(&sha).copied().unwrap_or(0);
        if state == "unconfirmed" {
            unconfirmed += 1;
        } else if n == 0 {
            lost += 1;
        }
        match (n > 1, dup) {
            (true, true) => flagged += 1,
            (true, false) => silent += 1,
            _ => {}
        }
    }
    println!("lost: {lost}");
    println!("silent duplicates: {silent}");
    println!("flagged duplicates: {flagged}");
    println!("unconfirmed: {unconfirmed}");
    println!("kills while jobs were open: {in_flight} of {kills}");
    println!(
        "seconds to recover (last worker, start to every job settled; {left} jobs open then): {:.2}",
        recover.as_secs_f64()
    );
    assert!(
        lost == 0 && silent == 0,
        "goal missed: {lost} job(s) lost, {silent} printed twice without the flag"
    );
}
