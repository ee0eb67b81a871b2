//! The fleet: many tills pushing at once to one `backroom serve` backed by PostgreSQL, with
//! replies dropped on the way back; every ticket must arrive exactly once.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::postgres::Postgres;

const FOLDER: &str = "FLEET";
/// Tickets a till queues between two pushes (one request each).
const PER_PUSH: usize = 100;

pub fn run() {
    let tills = crate::env_count("SYNC_BENCH_TILLS", 200);
    let per_till = crate::env_count("SYNC_BENCH_TILL_TICKETS", 1_000);
    let drop_every = crate::env_count("SYNC_BENCH_DROP_EVERY", 50).max(1);
    let dir = tempfile::tempdir().unwrap();
    let pg = Postgres::start();
    pg.create_database("fleet");

    // The server: till tokens for the whole fleet, the folder on PostgreSQL.
    let server = dir.path().join("server");
    std::fs::create_dir_all(&server).unwrap();
    let store = server.join("backroom.db");
    let config = server.join("config.toml");
    let mut text = String::from("[operators]\nbench = \"admin\"\n[server.till_tokens]\n");
    for t in 0..tills {
        text.push_str(&format!("\"{t}\" = \"token-{t}\"\n"));
    }
    std::fs::write(&config, text).unwrap();
    let port = crate::support::free_port();
    let base = |c: &mut Command| {
        c.env("USER", "bench")
            .args(["--db", &store.display().to_string()])
            .args(["--config", &config.display().to_string()]);
    };
    let mut add = Command::new(env!("CARGO_BIN_EXE_backroom"));
    base(&mut add);
    let pg_port = pg.port.to_string();
    let status = add
        .args(["pos", "folders", "add", FOLDER, "--db-kind", "postgresql"])
        .args([
            "--db-host",
            "127.0.0.1",
            "--db-port",
            &pg_port,
            "--db-name",
            "fleet",
        ])
        .args(["--db-user", &pg.user, "--db-password", &pg.password])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "pos folders add failed");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_backroom"));
    base(&mut serve);
    let mut serve = serve
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    crate::support::wait_for_port(port, "backroom serve");
    // Every `drop_every`-th reply is cut: the server committed, the till must send again, and
    // nothing may double.
    let proxy = crate::support::serve::Proxy::dropping_every(port, drop_every);
    let ws = format!("http://127.0.0.1:{proxy}");

    // The tills: a store each, with the folder pointing at the proxy.
    let t = Instant::now();
    let stores: Vec<_> = (0..tills)
        .map(|n| {
            let till = dir.path().join(format!("till-{n}/backroom.db"));
            let conn = backroom::store::open(&till).unwrap();
            conn.execute(
                "INSERT INTO pos_folders (code, db_kind, db_name, ftp_mode, ftp_share, ws_url, created_at)
                 VALUES (?1, 'sqlite', 'none', 'copy', '/nonexistent', ?2, ?3)",
                rusqlite::params![FOLDER, ws, backroom::store::now()],
            )
            .unwrap();
            let folder = backroom::store::sync::folder(&conn, FOLDER).unwrap().unwrap();
            (n, till, folder)
        })
        .collect();
    println!(
        "fleet setup: {tills} till stores in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = Instant::now();
    let results: Vec<(Vec<Duration>, usize)> = rt.block_on(async {
        let tasks: Vec<_> = stores
            .into_iter()
            .map(|(n, till, folder)| tokio::spawn(till_loop(n, till, folder, per_till)))
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    });
    let took = t.elapsed();
    let mut latencies: Vec<Duration> = results.iter().flat_map(|r| r.0.clone()).collect();
    let retries: usize = results.iter().map(|r| r.1).sum();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let rss_mb = peak_rss_kb(serve.id()) as f64 / 1024.0;
    let _ = serve.kill();
    let _ = serve.wait();

    let total = tills * per_till;
    let counts = pg.psql(
        "fleet",
        "SELECT count(*) || ' ' || count(DISTINCT uuid) FROM backroom_tickets",
    );
    let mut it = counts
        .split_whitespace()
        .map(|v| v.parse::<usize>().unwrap());
    let (rows, distinct) = (it.next().unwrap(), it.next().unwrap());
    println!(
        "fleet   {tills} tills x {per_till} tickets ({PER_PUSH} per push, every {drop_every}th reply dropped): \
         {:.1} s, {:.0} tickets/s | push latency p50 {:.0} ms, p99 {:.0} ms ({} pushes, {retries} retried) | \
         server peak RSS {rss_mb:.0} MB | lost {}, duplicated {}",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        latencies.len(),
        total.saturating_sub(distinct),
        rows - distinct,
    );
    assert_eq!(
        (rows, distinct),
        (total, total),
        "every ticket exactly once"
    );
}

/// One till: queues its tickets a push at a time and pushes them, retrying after a lost reply.
/// Returns the latency of every push that succeeded, and how many were retried.
async fn till_loop(
    n: usize,
    till: std::path::PathBuf,
    folder: backroom::sync::Folder,
    per_till: usize,
) -> (Vec<Duration>, usize) {
    let me = backroom::sync::push::Identity {
        number: n.to_string(),
        token: format!("token-{n}"),
    };
    let mut latencies = Vec::new();
    let mut retries = 0;
    let mut sold = 0;
    while sold < per_till {
        let (db, from) = (till.clone(), sold);
        let count = PER_PUSH.min(per_till - sold);
        tokio::task::spawn_blocking(move || queue(&db, n, from, count))
            .await
            .unwrap();
        sold += count;
        loop {
            let t = Instant::now();
            match backroom::sync::push::run(&till, &folder, &me, PER_PUSH, &|_| {}).await {
                Ok(p) if p.waiting == 0 => {
                    latencies.push(t.elapsed());
                    break;
                }
                Ok(_) | Err(_) => {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    (latencies, retries)
}

fn queue(db: &Path, till: usize, from: usize, count: usize) {
    let mut conn = backroom::store::open(db).unwrap();
    for i in from..from + count {
        let ticket = backroom::sync::queue::Ticket {
            uuid: uuid::Uuid::new_v4().to_string(),
            till: till.to_string(),
            number: format!("T{till}-{i:06}"),
            sold_at: "2026-11-23T10:00:00Z".into(),
            total_cents: 1220,
            customer: None,
            lines: vec![backroom::sync::queue::TicketLine {
                article: "ART-0000001".into(),
                quantity: 2.0,
                price_cents: 610,
            }],
            invoice: None,
        };
        backroom::sync::queue::record_ticket(&mut conn, FOLDER, &ticket).unwrap();
    }
}

/// Peak resident memory (VmHWM) of process `pid`, in kB.
fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
