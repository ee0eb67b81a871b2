//! What a person and a client see of the printing truth: a raw printer's policy for jobs it
//! cannot account for (`--on-unknown`), `jobs confirm`, unknown payload fields, the 1 MB cap on
//! the CLI and the API, and the API's JSON error shape. Real binary, real TCP printer.

mod support;

use std::io::{BufRead as _, Read as _, Write as _};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::TestEnv;

fn order(number: &str) -> Value {
    json!({
        "order_number": number,
        "date": "2026-11-20",
        "currency": "EUR",
        "customer": {"name": "Camille Martin"},
        "billing_address": {"name": "Camille Martin", "street": "12 rue des Lilas",
            "postal_code": "69003", "city": "Lyon", "country": "FR"},
        "lines": [{"description": "Paper A4", "quantity": 3, "unit_price": 4.5, "vat_rate": 20}]
    })
}

/// A raw (AppSocket) printer on 127.0.0.1: counts the documents it receives.
fn raw_printer() -> (u16, Arc<AtomicUsize>) {
    support::raw::printer()
}

fn emit(env: &TestEnv, v: &Value) -> (std::process::Output, Value) {
    let f = env.path().join("payload.json");
    std::fs::write(&f, v.to_string()).unwrap();
    let out = env.run(&[
        "--json",
        "events",
        "emit",
        "order.received",
        "--file",
        f.to_str().unwrap(),
    ]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

fn job(env: &TestEnv, id: i64) -> Value {
    env.json(&["jobs", "show", &id.to_string()])
}

/// The real worker, paused after the send, SIGKILLed there; then a new worker.
fn crash_after_send_and_restart(env: &TestEnv, sent: &dyn Fn() -> usize, id: i64) {
    let mut worker = env
        .command()
        .arg("worker")
        .env("BACKROOM_PRINT_TEST_PAUSE_AFTER_SEND_MS", "600000")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while sent() == 0 {
        assert!(Instant::now() < deadline, "the worker never sent the job");
        std::thread::sleep(Duration::from_millis(20));
    }
    worker.kill().unwrap();
    worker.wait().unwrap();
    assert_eq!(job(env, id)["state"], "sending");
    let mut restarted = env
        .command()
        .arg("worker")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = restarted.stderr.take().unwrap();
    std::thread::spawn(move || for _ in std::io::BufReader::new(stderr).lines() {});
    let started = Instant::now();
    while job(env, id)["state"] == "sending" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the dead worker's job was not taken over within 10 s: {}",
            job(env, id)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    restarted.kill().unwrap();
    restarted.wait().unwrap();
}

#[test]
fn a_raw_printer_that_cannot_be_asked_follows_its_on_unknown_policy() {
    // Default for raw: resend, flagged maybe duplicate.
    let env = TestEnv::new();
    let (port, count) = raw_printer();
    env.ok(&[
        "printers",
        "add",
        "counter",
        "--provider",
        "raw",
        "--target",
        &format!("127.0.0.1:{port}"),
    ]);
    assert_eq!(
        env.json(&["printers", "show", "counter"])["on_unknown"],
        "resend"
    );
    let (_, out) = emit(&env, &order("SO-RAW-1"));
    let id = out["jobs"][0]["id"].as_i64().unwrap();
    crash_after_send_and_restart(&env, &|| count.load(Ordering::SeqCst), id);
    let j = job(&env, id);
    assert_eq!(j["state"], "succeeded", "{j}");
    assert_eq!(j["maybe_duplicate"], true, "{j}");
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // ask: the job waits for a person, nothing is sent again.
    let env = TestEnv::new();
    let (port, count) = raw_printer();
    env.ok(&[
        "printers",
        "add",
        "counter",
        "--provider",
        "raw",
        "--target",
        &format!("127.0.0.1:{port}"),
        "--on-unknown",
        "ask",
    ]);
    let (_, out) = emit(&env, &order("SO-RAW-2"));
    let id = out["jobs"][0]["id"].as_i64().unwrap();
    crash_after_send_and_restart(&env, &|| count.load(Ordering::SeqCst), id);
    let j = job(&env, id);
    assert_eq!(j["state"], "unconfirmed", "{j}");
    assert!(
        j["last_error"]
            .as_str()
            .unwrap()
            .contains("may have printed"),
        "{j}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let listed = env.run(&["jobs", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("UNCONFIRMED"));
    assert!(String::from_utf8_lossy(&listed.stderr).contains("jobs confirm"));

    // A confirm on a job that does not exist changes nothing (exit 3), then --reprint prints it.
    let err = env.fails(3, &["jobs", "confirm", "999", "--printed"]);
    assert!(err.contains("999"), "{err}");
    env.fails(2, &["jobs", "confirm", &id.to_string()]);
    let changed = env.json(&["jobs", "confirm", "--state", "unconfirmed", "--reprint"]);
    assert_eq!(changed["changed"], json!([id]));
    assert_eq!(changed["state"], "pending");
    env.ok(&["worker", "--until-idle"]);
    let j = job(&env, id);
    assert_eq!(j["state"], "succeeded", "{j}");
    assert_eq!(j["maybe_duplicate"], false, "{j}");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    let outcomes: Vec<&str> = j["attempt_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "interrupted",
            "unconfirmed",
            "confirmed-reprint",
            "accepted"
        ],
        "{j}"
    );
    // The OS user the kernel knows, not $USER.
    let me = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap()
        .stdout;
    assert_eq!(
        j["attempt_history"][2]["worker"],
        String::from_utf8_lossy(&me).trim(),
        "the person who decided is named"
    );
    let err = env.fails(4, &["jobs", "confirm", &id.to_string(), "--printed"]);
    assert!(
        err.contains("only unconfirmed jobs can be confirmed"),
        "{err}"
    );
}

#[test]
fn a_printnode_409_to_a_resend_after_a_crash_proves_one_print() {
    let env = TestEnv::new();
    let server = support::printnode::PrintNode::start("pn-key", 34567);
    // The PrintNode test server speaks HTTPS with a self-signed CA: the worker trusts it.
    env.write_config(&format!(
        "[tls]\nextra_ca_file = \"{}\"\n",
        server.ca_file.display()
    ));
    let mut conn = backroom::store::open(&env.db()).unwrap();
    backroom::store::printers::insert(
        &mut conn,
        &backroom::store::printers::NewPrinter {
            name: "cloud".into(),
            provider: backroom::printing::Provider::PrintNode,
            target: server.target(),
            api_key: Some("pn-key".into()),
            tray: None,
            copies: 1,
            enabled: true,
            make_default: true,
        },
    )
    .unwrap();
    drop(conn);
    let (_, out) = emit(&env, &order("SO-PN-1"));
    let id = out["jobs"][0]["id"].as_i64().unwrap();
    crash_after_send_and_restart(&env, &|| server.jobs().len(), id);
    let j = job(&env, id);
    assert_eq!(j["state"], "succeeded", "{j}");
    // Resent with the same X-Idempotency-Key, answered 409: one print, not a maybe-duplicate.
    assert_eq!(j["maybe_duplicate"], false, "{j}");
    assert_eq!(server.jobs().len(), 1);

    // A job a person is asked about (unconfirmed) and told "print it again" is a new print: a
    // new idempotency key, so PrintNode prints it instead of answering 409 to the old one.
    let conn = backroom::store::open(&env.db()).unwrap();
    conn.execute(
        "UPDATE print_jobs SET state = 'unconfirmed', finished_at = NULL WHERE id = ?1",
        [id],
    )
    .unwrap();
    drop(conn);
    env.ok(&["jobs", "confirm", &id.to_string(), "--reprint"]);
    env.ok(&["worker", "--until-idle"]);
    let again = job(&env, id);
    assert_eq!(again["state"], "succeeded", "{again}");
    let received = server.jobs();
    assert_eq!(received.len(), 2, "printed again");
    assert_ne!(received[0].idempotency_key, received[1].idempotency_key);
    assert_eq!(
        received[1].idempotency_key.as_deref(),
        again["uuid"].as_str()
    );
    assert_ne!(again["uuid"], j["uuid"]);
    let decision = again["attempt_history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["outcome"] == "confirmed-reprint")
        .unwrap()
        .clone();
    assert!(
        decision["error"]
            .as_str()
            .unwrap()
            .contains(&format!("sent before as {}", j["uuid"].as_str().unwrap())),
        "{decision}"
    );
}

#[test]
fn unknown_fields_are_dropped_and_named_and_payloads_are_capped_at_1_mb_on_the_cli() {
    let env = TestEnv::new();
    let dir = env.path().join("spool");
    std::fs::create_dir_all(&dir).unwrap();
    env.ok(&[
        "printers",
        "add",
        "front",
        "--provider",
        "spool",
        "--target",
        dir.to_str().unwrap(),
    ]);
    let mut p = order("SO-EXTRA");
    p["tracking"] = json!("x".repeat(1000));
    p["lines"][0]["colour"] = json!("red");
    let (out, v) = emit(&env, &p);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 unknown field(s) dropped, not stored: $.tracking, $.lines[0].colour"),
        "{stderr}"
    );
    assert_eq!(
        v["dropped_fields"],
        json!(["$.tracking", "$.lines[0].colour"])
    );
    let conn = backroom::store::open(&env.db()).unwrap();
    let stored: String = conn
        .query_row("SELECT payload FROM events", [], |r| r.get(0))
        .unwrap();
    assert!(
        !stored.contains("tracking") && !stored.contains("colour"),
        "{stored}"
    );

    let mut big = order("SO-BIG");
    big["customer"]["note"] = json!("x".repeat(1_100_000));
    let (out, _) = emit(&env, &big);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("payload.json") && stderr.contains("1 MB"),
        "{stderr}"
    );
    assert_eq!(env.json(&["events", "list"]).as_array().unwrap().len(), 1);
}

/// One HTTP/1.1 request; returns (status, content type, body).
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let _ = write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer tok\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(body.as_bytes());
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp).to_string();
    let status = resp.split(' ').nth(1).unwrap().parse().unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    let ctype = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    (status, ctype, body.to_string())
}

#[test]
fn every_api_error_is_json_and_a_payload_over_1_mb_is_a_json_413() {
    let env = TestEnv::new();
    env.write_config("[server]\napi_token = \"tok\"\n");
    let port = support::free_port();
    let mut server = env
        .command()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    support::wait_for_port(port, "backroom serve");

    let mut big = order("SO-BIG");
    big["customer"]["note"] = json!("x".repeat(1_100_000));
    let (status, ctype, body) = http(port, "POST", "/api/events/order.received", &big.to_string());
    assert_eq!(status, 413, "{body}");
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["error"].as_str().unwrap().contains("1000000 bytes"),
        "{v}"
    );

    for (method, path) in [("GET", "/api/events"), ("POST", "/api/nothing-here")] {
        let (status, ctype, body) = http(port, method, path, "");
        assert!(status >= 400, "{method} {path}: {status}");
        assert!(
            ctype.starts_with("application/json"),
            "{method} {path}: {ctype}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(v["error"].is_string(), "{v}");
    }

    let mut p = order("SO-API-EXTRA");
    p["source_system"] = json!("shop");
    let (status, _, body) = http(port, "POST", "/api/events/order.received", &p.to_string());
    assert_eq!(status, 201, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["dropped_fields"], json!(["$.source_system"]));
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn upgrading_a_database_keeps_every_job_and_attempt_and_allows_unconfirmed() {
    let env = TestEnv::new();
    let db = env.db();
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    // The version just before print_truth's migration (it rebuilds print_jobs).
    let conn = backroom::store::open_before(&db, "print_truth").unwrap();
    conn.execute_batch(
        "INSERT INTO documents (id, kind, title, sha256, bytes, created_at)
             VALUES (1, 'invoice', 'Invoice 1', 'x', x'25504446', '2026-01-01T00:00:00.000Z');
         INSERT INTO print_jobs (id, uuid, document_id, state, attempts, next_attempt_at, created_at)
             VALUES (1, 'u1', 1, 'succeeded', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
                    (2, 'u2', 1, 'sending', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
         UPDATE print_jobs SET reprint_of = 1 WHERE id = 2;
         INSERT INTO print_attempts (job_id, started_at, outcome, worker)
             VALUES (1, '2026-01-01T00:00:00.000Z', 'accepted', 'w'),
                    (2, '2026-01-01T00:00:00.000Z', 'sending', 'w');",
    )
    .unwrap();
    drop(conn);
    let conn = backroom::store::open(&db).unwrap();
    let attempts: i64 = conn
        .query_row("SELECT COUNT(*) FROM print_attempts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(attempts, 2, "the rebuild of print_jobs must not cascade");
    let reprint_of: Option<i64> = conn
        .query_row("SELECT reprint_of FROM print_jobs WHERE id = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(reprint_of, Some(1));
    conn.execute(
        "UPDATE print_jobs SET state = 'unconfirmed' WHERE id = 2",
        [],
    )
    .unwrap();
    let fk: bool = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert!(fk, "foreign keys are on again after migrating");
    let err = conn
        .execute("DELETE FROM documents WHERE id = 1", [])
        .unwrap_err();
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
}

#[tokio::test]
async fn the_print_jobs_pane_shows_unconfirmed_jobs_loudly_and_takes_both_decisions() {
    use backroom::tui::harness::Harness;
    let dir = tempfile::tempdir().unwrap();
    let ctx = backroom::context::Context::for_db(dir.path().join("b.db"));
    let state = |id: i64| -> String {
        let conn = backroom::store::open(&ctx.db_path).unwrap();
        conn.query_row("SELECT state FROM print_jobs WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    {
        let mut conn = backroom::store::open(&ctx.db_path).unwrap();
        let spool = dir.path().join("spool");
        std::fs::create_dir_all(&spool).unwrap();
        backroom::store::printers::insert(
            &mut conn,
            &backroom::store::printers::NewPrinter {
                name: "front".into(),
                provider: backroom::printing::Provider::Spool,
                target: spool.display().to_string(),
                api_key: None,
                tray: None,
                copies: 1,
                enabled: true,
                make_default: true,
            },
        )
        .unwrap();
        for n in 1..=2 {
            backroom::printing::outbox::ingest(
                &mut conn,
                backroom::printing::EventKind::OrderReceived,
                &order(&format!("SO-ASK-{n}")),
                "test",
                "Shop",
            )
            .unwrap();
        }
        // As the worker leaves them when the printer can no longer say (see print_truth.rs).
        conn.execute(
            "UPDATE print_jobs SET state = 'unconfirmed', attempts = 1,
                 last_error = 'front does not know job x: it may have printed'",
            [],
        )
        .unwrap();
    }
    let mut h = Harness::new(ctx.clone(), 180, 30).await.unwrap();
    h.press(&["2"]).await.unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("2 UNCONFIRMED print job(s)") && screen.contains("O: it printed"),
        "{screen}"
    );
    assert!(screen.contains("unconfirmed"), "{screen}");

    // The newest job is selected: it came out.
    h.press(&["O"]).await.unwrap();
    assert!(
        h.screen().contains("Job 2 marked printed"),
        "{}",
        h.screen()
    );
    assert_eq!(state(2), "succeeded");
    // The other one did not: print it again.
    h.press(&["j", "Z"]).await.unwrap();
    assert!(
        h.screen().contains("Job 1 queued to print again"),
        "{}",
        h.screen()
    );
    assert_eq!(state(1), "pending");
    // A job that is not unconfirmed is left alone, and says so.
    h.press(&["k", "O"]).await.unwrap();
    assert!(
        h.screen().contains("left alone: job 2 is succeeded"),
        "{}",
        h.screen()
    );
}

/// A raw job of two copies whose second copy cannot be sent (the printer went off after the
/// first): the attempt is in doubt, and the next one, five seconds later as in production, does
/// not resend silently: a raw printer cannot be asked, so its `on-unknown` policy resends flagged
/// maybe duplicate. Before, the retry sent both copies again as if nothing had printed.
#[test]
fn a_raw_job_cut_between_its_copies_is_resent_flagged_not_silently() {
    let worker = |env: &TestEnv| {
        let status = env
            .production_command()
            .args(["worker", "--until-idle"])
            .status()
            .unwrap();
        assert!(status.success());
    };
    // The kernel may complete the second copy's connection before the printer's listener is
    // closed (a race of microseconds with the test's printer, not with backroom): then nothing
    // was cut, and the scenario is set up again.
    let (env, id, port) = (0..10)
        .find_map(|_| {
            let env = TestEnv::new();
            let (port, first) = support::raw::printer_taking(1);
            env.ok(&[
                "printers",
                "add",
                "labels",
                "--provider",
                "raw",
                "--target",
                &format!("127.0.0.1:{port}"),
                "--copies",
                "2",
            ]);
            let (_, out) = emit(&env, &order("SO-RAW-CUT"));
            let id = out["jobs"][0]["id"].as_i64().unwrap();
            worker(&env);
            (job(&env, id)["state"] == "pending" && first.load(Ordering::SeqCst) == 1)
                .then_some((env, id, port))
        })
        .expect("the printer never cut the job between its copies");
    let j = job(&env, id);
    let last = j["attempt_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["outcome"], "in-doubt", "{last}");
    assert!(
        last["detail"]
            .as_str()
            .unwrap()
            .contains("1 of 2 copies sent"),
        "{last}"
    );
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .contains("it may have printed"),
        "{last}"
    );

    // The printer is back; the next attempt is due after the production backoff.
    let second = support::raw::printer_on(port);
    std::thread::sleep(Duration::from_secs(6));
    worker(&env);
    let j = job(&env, id);
    assert_eq!(j["state"], "succeeded", "{j}");
    assert_eq!(j["maybe_duplicate"], true, "{j}");
    assert_eq!(second.load(Ordering::SeqCst), 2);
}
