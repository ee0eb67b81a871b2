//! Benchmark of the printing area: jobs/s through `spool` and through a real IPP printer
//! (ippeveprinter), each queue drained by `backroom worker --until-idle` (a process), latency from
//! commit to the provider call (p50, p99, a worker inside the bench), and the same documents sent
//! by CUPS's `ipptool` (a process too) for a ratio. Scale with BACKROOM_BENCH_SCALE (1.0 = the issue's:
//! 10,000 spool jobs, 1,000 IPP jobs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use backroom::printing::{EventKind, outbox};
use serde_json::json;

#[path = "../tests/support/mod.rs"]
mod support;

fn scale() -> f64 {
    std::env::var("BACKROOM_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn scaled(n: usize) -> usize {
    ((n as f64 * scale()).round() as usize).max(10)
}

fn order(i: usize) -> serde_json::Value {
    json!({
        "order_number": format!("SO-{i:06}"),
        "date": "2026-11-23",
        "currency": "EUR",
        "customer": {"name": "Bench Customer"},
        "billing_address": {"name": "Bench Customer", "street": "1 Main St", "postal_code": "10115",
            "city": "Berlin", "country": "DE"},
        "lines": [
            {"description": "Paper A4", "quantity": 3, "unit_price": "4.50", "vat_rate": 19},
            {"description": "Book", "quantity": 1, "unit_price": "12.00", "vat_rate": 7}
        ]
    })
}

fn add_printer(db: &Path, provider: &str, target: &str) {
    let mut conn = backroom::store::open(db).expect("open db");
    backroom::store::printers::insert(
        &mut conn,
        &backroom::store::printers::NewPrinter {
            name: "bench".into(),
            provider: provider.parse().expect("provider"),
            target: target.into(),
            api_key: None,
            tray: None,
            copies: 1,
            enabled: true,
            make_default: true,
        },
    )
    .expect("add printer");
}

fn ingest(db: &Path, n: usize) -> Duration {
    let mut conn = backroom::store::open(db).expect("open db");
    let t = Instant::now();
    for i in 0..n {
        outbox::ingest(
            &mut conn,
            EventKind::OrderReceived,
            &order(i),
            "bench",
            "Bench",
        )
        .expect("ingest");
    }
    t.elapsed()
}

/// An order whose names, addresses and lines are in eight scripts (the CJK line needs a system font).
fn order_in_every_script(i: usize) -> serde_json::Value {
    json!({
        "order_number": format!("ע-١٢٣-注文-{i:06}"),
        "date": "2026-11-23",
        "currency": "EUR",
        "customer": {"name": "Şükrü Çağlar Öztürk"},
        "billing_address": {"name": "Łukasz Żółkiewski", "street": "ul. Świętokrzyska 12",
            "postal_code": "31-000", "city": "Kraków", "country": "PL"},
        "shipping_address": {"name": "Jiří Dvořák", "street": "Náměstí Míru 7",
            "postal_code": "261 01", "city": "Příbram", "country": "CZ"},
        "lines": [
            {"description": "Χαρτί εκτύπωσης Α4", "quantity": 3, "unit_price": "4.50", "vat_rate": 24},
            {"description": "Бумага для принтера", "quantity": 1, "unit_price": "3.00", "vat_rate": 20},
            {"description": "נייר מדפסת", "quantity": 1, "unit_price": "2.00", "vat_rate": 17},
            {"description": "ورق طباعة ملون", "quantity": 5, "unit_price": "1.00", "vat_rate": 15},
            {"description": "印刷用紙 東京都千代田区", "quantity": 1, "unit_price": "9.00", "vat_rate": 10}
        ]
    })
}

/// Renders `n` invoices of each kind of order (no database): documents/s and mean size.
fn render_cost(n: usize) {
    for (what, make) in [
        ("Latin", order as fn(usize) -> serde_json::Value),
        ("eight scripts", order_in_every_script),
    ] {
        let payloads: Vec<serde_json::Value> = (0..n).map(make).collect();
        let t = Instant::now();
        let mut bytes = 0;
        for p in &payloads {
            let doc = outbox::prepare(EventKind::OrderReceived, p, "Bench").expect("render");
            bytes += doc.document.bytes.len();
        }
        let took = t.elapsed().as_secs_f64();
        println!(
            "render ({what}): {n} invoices in {took:.2} s = {:.0} documents/s, {:.1} KB each",
            n as f64 / took,
            bytes as f64 / n as f64 / 1024.0
        );
    }
}

/// CPU time (user, system) of the child processes waited for so far: apart, because the system
/// part carries the disk's own costs (on an ext4 without a journal, creating a file skips every
/// inode deleted in the last minute or more, so a run right after another one's clean-up pays
/// for it) and the user part is backroom's.
fn children_cpu() -> (Duration, Duration) {
    use nix::sys::resource::{UsageWho, getrusage};
    use nix::sys::time::TimeValLike;
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let us = |t: i64| Duration::from_micros(t.max(0) as u64);
    (
        us(usage.user_time().num_microseconds()),
        us(usage.system_time().num_microseconds()),
    )
}

/// Drains the queue as `backroom worker --until-idle` (a process, as an admin or cron runs it:
/// one dispatcher, then the follow-up and purge it ends with); returns the process's wall time
/// and CPU time (user, system).
fn drain(db: &Path) -> (Duration, (Duration, Duration)) {
    let (user, sys) = children_cpu();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_backroom"))
        .arg("--db")
        .arg(db)
        .args(["worker", "--until-idle"])
        .output()
        .expect("run backroom worker");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "backroom worker --until-idle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (user2, sys2) = children_cpu();
    (took, (user2 - user, sys2 - sys))
}

/// A temporary folder for the store and the spool folder: under BACKROOM_BENCH_DIR when set
/// (the disk a store would spool to), else the system's temporary folder.
fn bench_dir() -> tempfile::TempDir {
    match std::env::var_os("BACKROOM_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base).expect("tmp in BACKROOM_BENCH_DIR"),
        None => tempfile::tempdir().expect("tmp"),
    }
}

/// The machine's one-minute load average, said next to the figure.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn count(db: &Path, state: &str) -> i64 {
    let conn = backroom::store::open(db).expect("open db");
    conn.query_row(
        "SELECT COUNT(*) FROM print_jobs WHERE state = ?1",
        [state],
        |r| r.get(0),
    )
    .expect("count")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Commit → provider call, with the in-process worker idle and woken on commit: one event at a
/// time, measured from the commit to the attempt's start (when the worker calls the provider).
async fn idle_latency(db: &Path, n: usize) -> (f64, f64) {
    let ctx = backroom::context::Context::for_db(db.to_path_buf());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = backroom::worker::spawn(ctx, tx);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut commits = Vec::new();
    for i in 0..n {
        let db2 = db.to_path_buf();
        let (id, at) = tokio::task::spawn_blocking(move || {
            let mut conn = backroom::store::open(&db2).expect("open");
            let out = outbox::ingest(
                &mut conn,
                EventKind::OrderReceived,
                &order(900_000 + i),
                "bench",
                "Bench",
            )
            .expect("ingest");
            (out.jobs[0].id, chrono::Utc::now())
        })
        .await
        .expect("ingest task");
        commits.push((id, at));
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = handle.commands.send(backroom::worker::Command::Shutdown);
    let _ = handle.join.await;
    let conn = backroom::store::open(db).expect("open");
    let summary: Vec<(String, i64, Option<String>)> = conn
        .prepare("SELECT state, COUNT(*), MAX(last_error) FROM print_jobs GROUP BY state")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .expect("summary");
    if summary.iter().any(|(state, _, _)| state != "succeeded") {
        eprintln!("not all jobs succeeded: {summary:?}");
    }
    let mut lat: Vec<f64> = commits
        .iter()
        .filter_map(|(id, at)| {
            let started: String = conn
                .query_row(
                    "SELECT MIN(started_at) FROM print_attempts WHERE job_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .ok()?;
            let s = chrono::DateTime::parse_from_rfc3339(&started).ok()?;
            Some(
                ((s.with_timezone(&chrono::Utc) - *at).num_microseconds()? as f64 / 1000.0)
                    .max(0.0),
            )
        })
        .collect();
    lat.sort_by(f64::total_cmp);
    (percentile(&lat, 0.5), percentile(&lat, 0.99))
}

/// The same documents sent by `ipptool`, one Print-Job each, in one run; like backroom, it
/// repeats a Print-Job the printer answers "busy" (every millisecond).
fn ipptool(db: &Path, dir: &Path, uri: &str) -> (usize, Duration) {
    let conn = backroom::store::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT d.id, d.bytes FROM documents d ORDER BY d.id")
        .expect("docs");
    let docs: Vec<(i64, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("docs")
        .collect::<Result<_, _>>()
        .expect("docs");
    let mut test = String::new();
    for (id, bytes) in &docs {
        let file: PathBuf = dir.join(format!("doc-{id}.pdf"));
        std::fs::write(&file, bytes).expect("write doc");
        test.push_str(&format!(
            "{{\n NAME \"Print-Job {id}\"\n OPERATION Print-Job\n GROUP operation-attributes-tag\n \
             ATTR charset attributes-charset utf-8\n ATTR naturalLanguage attributes-natural-language en\n \
             ATTR uri printer-uri $uri\n ATTR name requesting-user-name bench\n \
             ATTR mimeMediaType document-format application/pdf\n ATTR name job-name \"doc-{id}\"\n \
             FILE {}\n STATUS successful-ok REPEAT-NO-MATCH REPEAT-LIMIT 100000\n DELAY 0.001\n}}\n",
            file.display()
        ));
    }
    let test_file = dir.join("print-jobs.test");
    std::fs::write(&test_file, test).expect("write test");
    let t = Instant::now();
    let out = Command::new("ipptool")
        .arg("-q")
        .arg(uri)
        .arg(&test_file)
        .status()
        .expect("ipptool (Debian cups-ipp-utils) must be installed");
    let took = t.elapsed();
    assert!(out.success(), "ipptool reported failures");
    (docs.len(), took)
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let n_spool = scaled(10_000);
    let n_ipp = scaled(1_000);
    let n_latency = scaled(200).min(200);
    println!("printing benchmark (scale {})", scale());
    render_cost(scaled(2_000));

    // 1. spool: a backlog of jobs, drained by one worker.
    let dir = bench_dir();
    let db = dir.path().join("bench.db");
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).expect("spool dir");
    add_printer(&db, "spool", spool.to_str().expect("utf-8 path"));
    let took = ingest(&db, n_spool);
    println!(
        "ingest (validate + render PDF + one transaction): {n_spool} events in {:.2} s = {:.0} events/s",
        took.as_secs_f64(),
        n_spool as f64 / took.as_secs_f64()
    );
    let (took, (user, sys)) = drain(&db);
    assert_eq!(
        count(&db, "succeeded") as usize,
        n_spool,
        "every spool job succeeded"
    );
    println!(
        "spool: {n_spool} jobs by `backroom worker --until-idle` (a process) in {:.2} s = {:.0} jobs/s ({:.0} µs of CPU per job: {:.0} user + {:.0} system, load {})",
        took.as_secs_f64(),
        n_spool as f64 / took.as_secs_f64(),
        (user + sys).as_secs_f64() * 1e6 / n_spool as f64,
        user.as_secs_f64() * 1e6 / n_spool as f64,
        sys.as_secs_f64() * 1e6 / n_spool as f64,
        load()
    );
    let (p50, p99) = rt.block_on(idle_latency(&db, n_latency));
    println!(
        "spool: commit -> provider call when idle ({n_latency} events): p50 {p50:.1} ms, p99 {p99:.1} ms"
    );

    // 2. IPP: ippeveprinter, then ipptool with the same documents.
    let dir = bench_dir();
    let db = dir.path().join("bench.db");
    // The printer's received documents on the bench's disk too, as before.
    let printer = support::ipp::IppPrinter::start_in(dir.path());
    let uri = printer.url();
    add_printer(&db, "ipp", &uri);
    ingest(&db, n_ipp);
    let (took, _) = drain(&db);
    let ok = count(&db, "succeeded") as usize;
    let ours = ok as f64 / took.as_secs_f64();
    println!(
        "ipp: {ok}/{n_ipp} jobs accepted, `backroom worker --until-idle` (a process), in {:.2} s = {ours:.0} jobs/s",
        took.as_secs_f64()
    );
    let tool_dir = dir.path().join("ipptool");
    std::fs::create_dir_all(&tool_dir).expect("ipptool dir");
    let (n, took_tool) = ipptool(&db, &tool_dir, &uri);
    let theirs = n as f64 / took_tool.as_secs_f64();
    println!(
        "ipptool: the same {n} documents in {:.2} s = {theirs:.0} jobs/s",
        took_tool.as_secs_f64()
    );
    println!("ipp: backroom / ipptool = {:.2}", ours / theirs);
    let (p50, p99) = rt.block_on(idle_latency(&db, n_latency.min(100)));
    println!("ipp: commit -> provider call when idle: p50 {p50:.1} ms, p99 {p99:.1} ms");
    drop(printer);
}
