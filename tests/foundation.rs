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
