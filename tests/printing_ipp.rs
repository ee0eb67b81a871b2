//! Print jobs against a real IPP printer (CUPS's ippeveprinter): byte-identical delivery, retries
//! while the printer is off, reschedule after failure, and a worker killed with SIGKILL mid-send.

mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
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
            {"description": "Visitenkarten 250 Stück", "quantity": 2, "unit_price": "19.90", "vat_rate": 19},
            {"description": "Versand", "quantity": 1, "unit_price": "4.90", "vat_rate": 19}
        ]
    })
}

fn setup(printer: &IppPrinter) -> TestEnv {
    let env = TestEnv::new();
    let mut conn = backroom::store::open(&env.db()).unwrap();
    backroom::store::printers::insert(
        &mut conn,
        &backroom::store::printers::NewPrinter {
            name: "office".into(),
            provider: backroom::printing::Provider::Ipp,
            target: printer.url(),
            api_key: None,
            tray: None,
            copies: 1,
            enabled: true,
            make_default: true,
        },
    )
    .unwrap();
    env
}

fn emit(env: &TestEnv, number: &str) -> (i64, String) {
    let f = env.path().join(format!("{number}.json"));
    std::fs::write(&f, order(number).to_string()).unwrap();
    let out = env.json(&[
        "events",
        "emit",
        "order.received",
        "--file",
        f.to_str().unwrap(),
    ]);
    (
        out["jobs"][0]["id"].as_i64().unwrap(),
        out["documents"][0]["sha256"].as_str().unwrap().to_string(),
    )
}

fn job(env: &TestEnv, id: i64) -> Value {
    env.json(&["jobs", "show", &id.to_string()])
}

/// Short retries so a test does not wait out production backoff; the job lease stays the
/// production one (a killed worker's jobs are taken over because its process is gone).
const FAST: [(&str, &str); 1] = [("BACKROOM_PRINT_RETRY_BASE_MS", "100")];

fn until_idle(env: &TestEnv) {
    let out = env
        .command()
        .envs(FAST)
        .args(["worker", "--until-idle"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `worker --until-idle` until `done` holds.
fn work_until(env: &TestEnv, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(40);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        until_idle(env);
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sha(p: &PathBuf) -> String {
    backroom::printing::document::sha256_hex(&std::fs::read(p).unwrap())
}

#[test]
fn a_job_reaches_the_ipp_printer_byte_for_byte_and_its_remote_state_is_followed() {
    let printer = IppPrinter::start();
    let env = setup(&printer);
    let (id, doc_sha) = emit(&env, "SO-IPP-1");
    until_idle(&env);
    let j = job(&env, id);
    assert_eq!(j["state"], "succeeded", "{j}\n{}", printer.log());
    assert!(j["remote_ref"].is_string(), "{j}");
    let received = printer.wait_received(1, Duration::from_secs(10));
    assert_eq!(received.len(), 1, "{}", printer.log());
    assert_eq!(sha(&received[0]), doc_sha);
    work_until(&env, "the remote state to be completed", || {
        job(&env, id)["remote_state"] == "completed"
    });
    let listed = env.ok(&["jobs", "list"]);
    assert!(listed.contains("completed"), "{listed}");
}

#[test]
fn while_the_printer_is_off_the_job_stays_pending_with_growing_attempts_then_prints() {
    let mut printer = IppPrinter::start();
    let env = setup(&printer);
    printer.stop();
    let (id, doc_sha) = emit(&env, "SO-IPP-2");
    work_until(&env, "a second failed attempt", || {
        job(&env, id)["attempts"].as_i64().unwrap() >= 2
    });
    let j = job(&env, id);
    assert_eq!(j["state"], "pending", "{j}");
    assert!(
        j["last_error"].is_string() && j["next_attempt_at"].is_string(),
        "{j}"
    );
    printer.restart();
    work_until(&env, "the job to succeed", || {
        job(&env, id)["state"] == "succeeded"
    });
    let received = printer.wait_received(1, Duration::from_secs(10));
    assert_eq!(received.len(), 1);
    assert_eq!(sha(&received[0]), doc_sha);
    let outcomes: Vec<String> = job(&env, id)["attempt_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes.last().unwrap(), "accepted");
    assert!(
        outcomes[..outcomes.len() - 1]
            .iter()
            .all(|o| o == "retryable"),
        "{outcomes:?}"
    );
}

#[test]
fn a_job_that_exhausted_its_attempts_fails_and_prints_once_rescheduled() {
    let mut printer = IppPrinter::start();
    let env = setup(&printer);
    printer.stop();
    let f = env.path().join("p.json");
    std::fs::write(&f, order("SO-IPP-3").to_string()).unwrap();
    let out = env
        .command()
        .env("BACKROOM_PRINT_MAX_ATTEMPTS", "2")
        .args([
            "--json",
            "events",
            "emit",
            "order.received",
            "--file",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let id = serde_json::from_slice::<Value>(&out.stdout).unwrap()["jobs"][0]["id"]
        .as_i64()
        .unwrap();
    work_until(&env, "the job to fail", || {
        job(&env, id)["state"] == "failed"
    });
    let j = job(&env, id);
    assert_eq!(j["attempts"], 2);
    assert!(
        j["last_error"]
            .as_str()
            .unwrap()
            .contains("gave up after 2 attempts"),
        "{j}"
    );
    printer.restart();
    env.ok(&["jobs", "reschedule", &id.to_string()]);
    until_idle(&env);
    assert_eq!(job(&env, id)["state"], "succeeded");
    assert_eq!(printer.wait_received(1, Duration::from_secs(10)).len(), 1);
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_worker_killed_while_sending_neither_loses_nor_duplicates_the_job() {
    let printer = IppPrinter::start();
    let env = setup(&printer);
    let (id, _) = emit(&env, "SO-IPP-4");
    // The real headless worker pauses after the printer accepted the job, before recording it.
    let mut worker = Child(
        env.command()
            .args(["worker"])
            .envs(FAST)
            .env("BACKROOM_PRINT_TEST_PAUSE_AFTER_SEND_MS", "60000")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let received = printer.wait_received(1, Duration::from_secs(20));
    assert_eq!(received.len(), 1, "the worker never sent the job");
    worker.0.kill().unwrap(); // SIGKILL
    worker.0.wait().unwrap();
    assert_eq!(job(&env, id)["state"], "sending");

    // A second job is queued meanwhile; the restarted worker sends it once, and finds the first.
    let (second, _) = emit(&env, "SO-IPP-5");
    std::thread::sleep(Duration::from_millis(1100));
    let mut restarted = Child(
        env.command()
            .args(["worker"])
            .envs(FAST)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    while job(&env, id)["state"] != "succeeded" || job(&env, second)["state"] != "succeeded" {
        assert!(
            Instant::now() < deadline,
            "jobs not done: {}",
            job(&env, id)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    restarted.0.kill().unwrap();
    let j = job(&env, id);
    let outcomes: Vec<&str> = j["attempt_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["interrupted", "recovered"], "{j}");
    assert_eq!(j["maybe_duplicate"], false);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(printer.received().len(), 2, "{}", printer.log());
}
