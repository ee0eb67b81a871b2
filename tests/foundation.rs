//! The foundation through the real binary: store, config, CLI conventions.

mod support;

use support::TestEnv;

#[test]
fn the_database_is_created_private_and_migrated() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.ok(&["completions", "bash"]);
    let out = env.run(&["worker", "--until-idle"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(env.db())
        .expect("db created")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, backroom::store::SCHEMA_VERSION);
}

#[test]
fn an_older_database_is_migrated_on_open_and_keeps_its_rows() {
    let env = TestEnv::new();
    {
        let conn = backroom::store::open_at_version(&env.db(), 1).unwrap();
        backroom::store::settings::set(&conn, "store.note", "kept").unwrap();
        assert_eq!(backroom::store::version(&conn).unwrap(), 1);
    }
    let conn = backroom::store::open(&env.db()).unwrap();
    assert_eq!(
        backroom::store::version(&conn).unwrap(),
        backroom::store::SCHEMA_VERSION
    );
    assert_eq!(
        backroom::store::settings::get(&conn, "store.note")
            .unwrap()
            .as_deref(),
        Some("kept")
    );
}

#[test]
fn a_bad_config_names_the_file_and_exits_with_usage() {
    let env = TestEnv::new();
    env.write_config("[operators]\ntester = \"boss\"\n");
    let err = env.fails(2, &["worker", "--until-idle"]);
    assert!(err.contains("config.toml"), "{err}");
    assert!(err.contains("boss") || err.contains("tester"), "{err}");
}

#[test]
fn version_and_unknown_commands() {
    let env = TestEnv::new();
    assert!(env.ok(&["--version"]).contains(env!("CARGO_PKG_VERSION")));
    env.fails(2, &["no-such-noun"]);
}

/// Kills the child process when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_answers_health_on_the_configured_address() {
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config(&format!("[server]\nlisten = \"127.0.0.1:{port}\"\n"));
    let _server = Child(
        env.command()
            .arg("serve")
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn serve"),
    );
    support::wait_for_port(port, "backroom serve");
    let reply = http_get(port, "/health");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\"status\":\"ok\""), "{reply}");
    assert!(http_get(port, "/nothing-here").starts_with("HTTP/1.1 404"));
}

#[test]
fn serve_says_clearly_when_the_address_is_taken() {
    let env = TestEnv::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = env.fails(1, &["serve", "--listen", &addr]);
    assert!(
        err.contains(&addr) && err.contains("cannot listen"),
        "{err}"
    );
}

#[test]
fn the_headless_worker_takes_the_lease_and_gives_it_back_on_sigterm() {
    let env = TestEnv::new();
    let child = env
        .command()
        .arg("worker")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn worker");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let held = loop {
        if let Ok(conn) = rusqlite::Connection::open(env.db())
            && let Ok(Some(h)) = backroom::worker::lease::holder(&conn)
        {
            break h;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "worker never took the lease"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(held.ends_with(&format!(":{}", child.id())), "{held}");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    assert_eq!(backroom::worker::lease::holder(&conn).unwrap(), None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("worker: running here"));
}

#[test]
fn read_only_creates_nothing_and_refuses_the_worker() {
    let env = TestEnv::new();
    let missing = env.path().join("typo/backroom.db");
    let err = env.fails(
        3,
        &[
            "--read-only",
            "--db",
            missing.to_str().unwrap(),
            "printers",
            "list",
        ],
    );
    assert!(err.contains("does not exist"), "{err}");
    assert!(!missing.exists() && !missing.parent().unwrap().exists());

    env.ok(&["printers", "list"]);
    let err = env.fails(4, &["--read-only", "worker", "--until-idle"]);
    assert!(err.contains("read-only"), "{err}");
    env.ok(&["--read-only", "printers", "list"]);
}

#[test]
fn read_only_serve_answers_reads_and_refuses_changes() {
    use std::io::{Read, Write};
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    let port = support::free_port();
    let _server = Child(
        env.command()
            .args([
                "--read-only",
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn serve"),
    );
    support::wait_for_port(port, "backroom serve");
    assert!(http_get(port, "/health").starts_with("HTTP/1.1 200"));
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = r#"{"kind":"order.received","payload":{}}"#;
    write!(
        s,
        "POST /api/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    assert!(reply.contains("read-only"), "{reply}");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(r#""$0" --json events list | true; "$0" completions bash | true; exit "${PIPESTATUS[0]}""#)
        .arg(env!("CARGO_BIN_EXE_backroom"))
        .envs(env.vars())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn the_demo_has_a_store_name_of_its_own() {
    let env = TestEnv::new();
    env.ok(&["--demo", "printers", "list"]);
    assert!(env.path().join("data/backroom/demo/demo.db").is_file());
    assert!(
        !env.db().exists(),
        "the demo must not touch the real database"
    );
}

#[test]
fn several_processes_opening_a_new_database_at_once_migrate_it_once() {
    let env = TestEnv::new();
    let children: Vec<_> = (0..6)
        .map(|_| {
            env.command()
                .args(["printers", "list"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let conn = backroom::store::open(&env.db()).unwrap();
    assert_eq!(
        backroom::store::version(&conn).unwrap(),
        backroom::store::SCHEMA_VERSION
    );
}

/// `serve` and its worker open a new store at the same moment: neither may fail with "database
/// is locked" (the switch to WAL does not wait on SQLite's busy handler).
#[test]
fn two_parts_of_a_process_opening_a_new_store_at_once_both_get_it() {
    for _ in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("backroom.db");
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let (db, start) = (db.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    backroom::store::open(&db).map(drop)
                })
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().expect("both open the new store");
        }
    }
}

/// The demo keeps its job files, spool folders and key in a folder of its own, owner-only: it
/// shared `shop-jobs/` with the real store under overlapping job ids (the demo's backup zipped a
/// real customer's file, its delete removed one), and left the data folder and its files
/// readable by all, which `doctor` then reported for the real store.
#[test]
fn the_demo_keeps_its_files_apart_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.ok(&["--demo", "contacts", "list"]);
    let data = env.path().join("data/backroom");
    let jobs = data.join("demo/shop-jobs");
    assert!(jobs.is_dir(), "no {}", jobs.display());
    assert!(
        !data.join("shop-jobs").exists(),
        "the real store's job folder"
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let job = std::fs::read_dir(&jobs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = std::fs::read_dir(&job)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        (
            mode(&data),
            mode(&data.join("demo")),
            mode(&job),
            mode(&file)
        ),
        (0o700, 0o700, 0o700, 0o600),
        "{}",
        file.display()
    );
    let out = env.command().args(["doctor", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "permissions_too_open")
        .cloned()
        .unwrap_or_default();
    assert_eq!(finding["severity"], "ok", "{finding}");
}
