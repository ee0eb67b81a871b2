//! Per-job truth against a real IPP printer (CUPS's ippeveprinter) with PRODUCTION leases and
//! timeouts: a worker killed right after a send and restarted once the printer forgot the job,
//! fifty kills over 500 jobs, and a one-minute printer outage with 20 waiting jobs.
//!
//! These tests are slow (one to two minutes each) and run concurrently under nextest.

mod support;

use std::collections::HashMap;
use std::io::BufRead as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::Digest as _;
use support::TestEnv;
use support::ipp::IppPrinter;

fn order(number: &str) -> Value {
    json!({
        "order_number": number,
        "date": "2026-11-21",
        "currency": "EUR",
        "customer": {"name": "Jonas Weber"},
        "billing_address": {"name": "Jonas Weber", "street": "Hauptstraße 5",
            "postal_code": "10115", "city": "Berlin", "country": "DE"},
        "lines": [
            {"description": "Visitenkarten 250 Stück", "quantity": 2, "unit_price": "19.90", "vat_rate": 19}
        ]
    })
}

fn setup(printer: &IppPrinter) -> TestEnv {
    let env = TestEnv::new();
    env.ok(&[
        "printers",
        "add",
        "office",
        "--provider",
        "ipp",
        "--target",
        &printer.url(),
    ]);
    env
}

/// Queues `n` order events in-process (one transaction each, as the CLI and the API do).
fn queue(env: &TestEnv, prefix: &str, n: usize) -> Vec<i64> {
    let mut conn = backroom::store::open(&env.db()).unwrap();
    (0..n)
        .map(|i| {
            let out = backroom::printing::outbox::ingest(
                &mut conn,
                backroom::printing::EventKind::OrderReceived,
                &order(&format!("{prefix}-{i:04}")),
                "cli",
                "Shop",
            )
            .unwrap();
            out.jobs[0].id
        })
        .collect()
}

fn job(env: &TestEnv, id: i64) -> Value {
    env.json(&["jobs", "show", &id.to_string()])
}

fn all_jobs(env: &TestEnv) -> Vec<Value> {
    env.json(&["jobs", "list"]).as_array().unwrap().clone()
}

/// A headless `backroom worker` with production settings; killed (SIGKILL) on drop.
struct Worker(std::process::Child);

impl Worker {
    fn start(env: &TestEnv, pause_after_send_ms: Option<u64>) -> Worker {
        let mut c = env.production_command();
        c.arg("worker").stdout(Stdio::null()).stderr(Stdio::piped());
        if let Some(ms) = pause_after_send_ms {
            c.env("BACKROOM_PRINT_TEST_PAUSE_AFTER_SEND_MS", ms.to_string());
        }
        Worker(c.spawn().unwrap())
    }

    /// Waits until the worker says it holds the lease ("running here").
    fn wait_running(&mut self) {
        let stderr = self.0.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("running here") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(20))
            .expect("the worker never said it holds the lease");
    }

    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// `worker --until-idle` with production settings (and the pause after a send, if any).
    fn start_until_idle(env: &TestEnv, pause_after_send_ms: Option<u64>) -> Worker {
        let mut c = env.production_command();
        c.args(["worker", "--until-idle"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(ms) = pause_after_send_ms {
            c.env("BACKROOM_PRINT_TEST_PAUSE_AFTER_SEND_MS", ms.to_string());
        }
        Worker(c.spawn().unwrap())
    }

    /// Waits for the worker to end on its own, successfully.
    fn wait(mut self) {
        let status = self.0.wait().unwrap();
        assert!(status.success(), "the worker failed: {status}");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn outcomes(j: &Value) -> Vec<String> {
    j["attempt_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_job_killed_after_its_send_and_restarted_after_the_printer_forgot_it_prints_once() {
    let printer = IppPrinter::start();
    let env = setup(&printer);
    let id = queue(&env, "SO-FORGOT", 1)[0];
    let worker = Worker::start(&env, Some(600_000));
    assert_eq!(
        printer.wait_received(1, Duration::from_secs(30)).len(),
        1,
        "the worker never sent the job"
    );
    worker.kill();
    assert_eq!(job(&env, id)["state"], "sending");

    // ippeveprinter forgets a finished job after about 60 s: restart 90 s later.
    std::thread::sleep(Duration::from_secs(90));
    let started = Instant::now();
    let mut worker = Worker::start(&env, None);
    worker.wait_running();
    while ["sending", "pending"].contains(&job(&env, id)["state"].as_str().unwrap()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not settled within 10 s: {}",
            job(&env, id)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    worker.kill();
    eprintln!("after the restart: {}", job(&env, id));
    assert_eq!(
        printer.received().len(),
        1,
        "printed twice: {}",
        job(&env, id)
    );
    let j = job(&env, id);
    let proven = j["state"] == "succeeded" && outcomes(&j).last().unwrap() == "recovered";
    assert!(j["state"] == "unconfirmed" || proven, "{j}");
    if j["state"] == "unconfirmed" {
        assert_eq!(outcomes(&j), ["interrupted", "unconfirmed"], "{j}");
        let listed = env.run(&["jobs", "list"]);
        let stderr = String::from_utf8_lossy(&listed.stderr);
        assert!(stderr.contains("UNCONFIRMED"), "{stderr}");
        let row = all_jobs(&env).into_iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(row["state"], "unconfirmed");
        assert_eq!(row["reference"], "SO-FORGOT-0000");
        // Only a person's word moves it: mark it printed.
        env.ok(&["jobs", "confirm", &id.to_string(), "--printed"]);
        let j = job(&env, id);
        assert_eq!(j["state"], "succeeded");
        assert_eq!(outcomes(&j).last().unwrap(), "confirmed-printed");
        assert_eq!(printer.received().len(), 1);
    }
}

#[test]
fn fifty_kills_over_500_jobs_lose_none_and_flag_every_duplicate() {
    let printer = IppPrinter::start();
    let env = setup(&printer);
    let ids = queue(&env, "SO-KILL", 500);
    let mut rng_state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    for _ in 0..50 {
        let before = printer.received().len();
        let mut worker = Worker::start(&env, None);
        worker.wait_running();
        // Killed once the printer has received 1 to 8 more files (a send just done, the next
        // one perhaps under way), so all 50 kills land among the 500 jobs however fast the
        // machine is; a worker that sends nothing for 2 s is killed anyway.
        let more = 1 + (next() % 8) as usize;
        let deadline = Instant::now() + Duration::from_secs(2);
        while printer.received().len() < before + more && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        worker.kill();
    }
    let conn = backroom::store::open(&env.db()).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM print_jobs WHERE state IN ('pending', 'sending')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        left > 0 && left < 500,
        "the kills must land among the jobs: {left} of 500 still open"
    );
    let started = Instant::now();
    let mut last = Worker::start(&env, None);
    last.wait_running();
    loop {
        let open: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM print_jobs WHERE state IN ('pending', 'sending')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if open == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{open} job(s) still open 10 s after the last worker started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "the last worker settled the {left} open job(s) in {:?}",
        started.elapsed()
    );
    last.kill();

    // What the printer received, by document checksum.
    let mut copies: HashMap<String, usize> = HashMap::new();
    for f in printer.received() {
        let sha = hex(&sha2::Sha256::digest(std::fs::read(&f).unwrap()));
        *copies.entry(sha).or_default() += 1;
    }
    let (mut lost, mut silent, mut flagged, mut unconfirmed) = (0, 0, 0, 0);
    for id in &ids {
        let (state, dup, sha): (String, bool, String) = conn
            .query_row(
                "SELECT j.state, j.maybe_duplicate, d.sha256 FROM print_jobs j
                 JOIN documents d ON d.id = j.document_id WHERE j.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let n = copies.get(&sha).copied().unwrap_or(0);
        match state.as_str() {
            "unconfirmed" => unconfirmed += 1,
            "succeeded" if n == 0 => lost += 1,
            "succeeded" => {}
            other => panic!("job {id} ended {other}"),
        }
        if n > 1 && dup {
            flagged += 1;
        } else if n > 1 {
            silent += 1;
        }
    }
    let interrupted: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM print_attempts WHERE outcome = 'interrupted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    eprintln!(
        "50 kills over 500 jobs ({interrupted} in the middle of a send): {lost} lost, {silent} silent duplicates, {flagged} flagged, {unconfirmed} unconfirmed"
    );
    assert_eq!(lost, 0, "jobs marked printed that the printer never got");
    assert_eq!(
        silent, 0,
        "documents printed twice without a maybe-duplicate flag"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_one_minute_outage_with_20_waiting_jobs_prints_all_within_15_s_of_the_return() {
    let mut printer = IppPrinter::start();
    let env = setup(&printer);
    printer.stop();
    let ids = queue(&env, "SO-OUTAGE", 20);
    let mut worker = Worker::start(&env, None);
    worker.wait_running();
    std::thread::sleep(Duration::from_secs(60));
    printer.restart();
    let back = Instant::now();
    let received = printer.wait_received(20, Duration::from_secs(15));
    assert_eq!(
        received.len(),
        20,
        "only {} of 20 printed within 15 s of the printer's return",
        received.len()
    );
    eprintln!(
        "20 jobs printed {:?} after the printer's return",
        back.elapsed()
    );
    std::thread::sleep(Duration::from_secs(1));
    worker.kill();

    let mut charged_only_once = 0;
    for id in &ids {
        let j = job(&env, *id);
        assert_eq!(j["state"], "succeeded", "{j}");
        let history = j["attempt_history"].as_array().unwrap();
        // Every charged attempt is a real send: one attempt row each, no "not sent" among them.
        assert_eq!(
            j["attempts"].as_u64().unwrap() as usize,
            history.len(),
            "{j}"
        );
        for a in history {
            if a["outcome"] == "retryable" {
                let error = a["error"].as_str().unwrap();
                assert!(
                    error.starts_with(&format!(
                        "office ({}) refused the connection",
                        printer.url()
                    )),
                    "{error}"
                );
                assert!(error.contains("is it switched on"), "{error}");
                let detail = a["detail"].as_str().unwrap();
                assert!(detail.contains("os error 111"), "{detail}");
            }
        }
        if history.len() == 1 {
            charged_only_once += 1;
        }
    }
    // Only the job at the head of the queue met the closed door; those behind it waited uncharged.
    assert!(
        charged_only_once >= 19,
        "{charged_only_once} of 20 jobs sent once"
    );
}

/// A printer whose probe answers ready while its sends fail (here a spool folder in which each
/// job's file name is taken by a directory, as a full disk would refuse it) keeps its jobs'
/// backoff, with production settings: before, every ready answer made the jobs due at once and
/// a queue spent its eight attempts within 50 ms.
#[test]
fn a_printer_that_answers_ready_while_its_sends_fail_keeps_the_backoff() {
    let env = TestEnv::new();
    let spool = env.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    env.ok(&[
        "printers",
        "add",
        "shelf",
        "--provider",
        "spool",
        "--target",
        spool.to_str().unwrap(),
    ]);
    let ids = queue(&env, "FULL", 3);
    for id in &ids {
        let uuid = env.json(&["jobs", "show", &id.to_string()])["uuid"]
            .as_str()
            .unwrap()
            .to_string();
        std::fs::create_dir_all(spool.join(format!("{uuid}.pdf")).join("taken")).unwrap();
    }
    let worker = Worker::start(&env, None);
    std::thread::sleep(Duration::from_secs(12));
    drop(worker);
    for id in &ids {
        let j = env.json(&["jobs", "show", &id.to_string()]);
        assert_eq!(j["state"], "pending", "{j}");
        // Attempts at 0 s and 5 s (the backoff doubles from 5 s), the next at 15 s.
        assert!(j["attempts"].as_i64().unwrap() <= 3, "{j}");
    }
}

/// A send that outlasts the 60 s job lease (here the worker pauses 70 s after the printer took
/// the job, as a slow printer's answer could) keeps its lease: another worker started after 62 s
/// finds nothing to take over, and the job prints once. Before, the second worker took the job
/// over at 60 s and, the raw printer unable to say, sent it again (flagged maybe duplicate).
#[test]
fn a_send_longer_than_the_lease_keeps_its_job_from_another_worker() {
    let env = TestEnv::new();
    let (port, count) = support::raw::printer();
    env.ok(&[
        "printers",
        "add",
        "labels",
        "--provider",
        "raw",
        "--target",
        &format!("127.0.0.1:{port}"),
    ]);
    let id = queue(&env, "LONG", 1)[0];
    let first = Worker::start_until_idle(&env, Some(70_000));
    std::thread::sleep(Duration::from_secs(62));
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    let second = env
        .production_command()
        .args(["worker", "--until-idle"])
        .status()
        .unwrap();
    assert!(second.success());
    first.wait();
    let j = env.json(&["jobs", "show", &id.to_string()]);
    assert_eq!(j["state"], "succeeded", "{j}");
    assert_eq!(j["maybe_duplicate"], false, "{j}");
    assert_eq!(outcomes(&j), vec!["accepted"], "{j}");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
}
