//! The POS area against real peers: PostgreSQL 15, pyftpdlib (plain and explicit TLS) and
//! `backroom serve`, through the FTP client and through the real binary's connection tests.

mod support;

use std::time::Duration;

use backroom::net::ftp::{FtpError, FtpParams, FtpSession};
use support::TestEnv;
use support::ftp::FtpServer;
use support::serve::Serve;

fn params<'a>(server: &'a FtpServer, password: &'a str, target: Option<&'a str>) -> FtpParams<'a> {
    FtpParams {
        host: "127.0.0.1",
        port: server.port,
        tls: false,
        user: &server.user,
        password,
        target,
        timeout: Duration::from_secs(5),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn ftp_session_moves_bytes_unchanged_in_the_target_folder() {
    let server = FtpServer::start();
    server.write("store12/outbox/test.txt", b"line1\nline2\n");
    rt().block_on(async {
        let mut s = FtpSession::connect(&params(&server, &server.password, Some("store12/outbox")))
            .await
            .unwrap();
        assert_eq!(s.current_dir(), "/store12/outbox");
        // Binary mode: LF stays LF both ways.
        assert_eq!(s.get("test.txt").await.unwrap(), b"line1\nline2\n");
        let batch = b"a;b\nc;d\n\x00\xff".to_vec();
        s.put_atomic("batch-1.csv", &batch).await.unwrap();
        let mut names = s.list_names().await.unwrap();
        names.sort();
        assert_eq!(names, vec!["batch-1.csv", "test.txt"]);
        s.delete("test.txt").await.unwrap();
        s.quit().await;
    });
    assert_eq!(
        std::fs::read(server.path("store12/outbox/batch-1.csv")).unwrap(),
        b"a;b\nc;d\n\x00\xff"
    );
}

#[test]
fn ftp_session_over_ipv6_uses_extended_passive_mode() {
    let server = FtpServer::start_ipv6();
    server.write("in/test.txt", b"v6\n");
    rt().block_on(async {
        let mut p = params(&server, &server.password, Some("in"));
        p.host = "::1";
        let mut s = FtpSession::connect(&p).await.unwrap();
        assert_eq!(s.get("test.txt").await.unwrap(), b"v6\n");
        s.put("up.bin", b"\r\n\n").await.unwrap();
        s.quit().await;
    });
    assert_eq!(std::fs::read(server.path("in/up.bin")).unwrap(), b"\r\n\n");
}

#[test]
fn ftp_session_names_each_failure() {
    let server = FtpServer::start();
    server.mkdir("store12");
    rt().block_on(async {
        let e = FtpSession::connect(&params(&server, "wrong", None))
            .await
            .err()
            .unwrap();
        assert!(matches!(e, FtpError::LoginFailed { .. }), "{e}");
        assert!(e.to_string().contains("530"), "{e}");

        let e = FtpSession::connect(&params(&server, &server.password, Some("nowhere/out")))
            .await
            .err()
            .unwrap();
        assert!(matches!(e, FtpError::FolderMissing { .. }), "{e}");

        let mut s = FtpSession::connect(&params(&server, &server.password, Some("store12")))
            .await
            .unwrap();
        let e = s.get("test.txt").await.unwrap_err();
        match &e {
            FtpError::FileMissing { path, .. } => assert_eq!(path, "/store12/test.txt"),
            other => panic!("{other}"),
        }

        let mut tls = params(&server, &server.password, None);
        tls.tls = true;
        let e = FtpSession::connect(&tls).await.err().unwrap();
        assert!(matches!(e, FtpError::Tls { .. }), "{e}");
        assert!(e.to_string().contains("AUTH TLS"), "{e}");

        let closed = support::free_port();
        let mut p = params(&server, &server.password, None);
        p.port = closed;
        let e = FtpSession::connect(&p).await.err().unwrap();
        assert!(matches!(e, FtpError::Refused { .. }), "{e}");
    });
}

#[test]
fn postgres_peer_starts_and_creates_databases() {
    let pg = support::postgres::Postgres::start();
    pg.create_database("erp");
    pg.psql("erp", "CREATE TABLE art (id int)");
    assert_eq!(pg.psql("erp", "SELECT count(*) FROM art").trim(), "0");
}

// ---- connection tests through the binary ----

fn admin_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_config("[operators]\ntester = \"admin\"\n");
    env
}

/// Runs `backroom --json pos test-X FOLDER`; returns the exit code and the verdict.
fn verdict(env: &TestEnv, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["--json", "pos"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--timeout", "5"]);
    let out = env.run(&all);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{all:?}: bad JSON ({e})\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn assert_failed(env: &TestEnv, args: &[&str], failure: &str, words: &[&str]) -> serde_json::Value {
    let (code, v) = verdict(env, args);
    assert_eq!(code, 5, "{args:?}: {v}");
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["failure"], failure, "{args:?}: {v}");
    let msg = v["message"].as_str().unwrap();
    for w in words {
        assert!(msg.contains(w), "{args:?}: {w:?} not in {msg}");
    }
    v
}

fn set(env: &TestEnv, folder: &str, flags: &[&str]) {
    let mut args = vec!["pos", "folders", "set", folder];
    args.extend_from_slice(flags);
    env.ok(&args);
}

#[test]
fn db_test_against_a_real_postgresql() {
    let pg = support::postgres::Postgres::start();
    pg.create_database("erp");
    pg.psql(
        "erp",
        "CREATE TABLE art (code text); CREATE TABLE cli (code text)",
    );
    let env = admin_env();
    let port = pg.port.to_string();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--db-host",
        "127.0.0.1",
        "--db-port",
        &port,
        "--db-name",
        "erp",
        "--db-user",
        &pg.user,
        "--db-password",
        "wrong-password",
    ]);
    let v = assert_failed(
        &env,
        &["test-db", "S1"],
        "auth_failed",
        &["store_admin", "password"],
    );
    assert!(v["message"].as_str().unwrap().contains("28P01"), "{v}");

    set(
        &env,
        "S1",
        &["--db-password", &pg.password, "--db-name", "nowhere"],
    );
    assert_failed(
        &env,
        &["test-db", "S1"],
        "unknown_database",
        &["nowhere", "3D000"],
    );

    let closed = support::free_port().to_string();
    set(&env, "S1", &["--db-name", "erp", "--db-port", &closed]);
    assert_failed(&env, &["test-db", "S1"], "refused", &[&closed]);

    set(&env, "S1", &["--db-host", "no-such-host.invalid"]);
    assert_failed(
        &env,
        &["test-db", "S1"],
        "unknown_host",
        &["no-such-host.invalid"],
    );

    set(&env, "S1", &["--db-host", "127.0.0.1", "--db-port", &port]);
    let (code, v) = verdict(&env, &["test-db", "S1"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["ok"], true);
    assert!(
        v["detail"].as_str().unwrap().starts_with("PostgreSQL 15"),
        "{v}"
    );
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains("PostgreSQL 15") && msg.contains("round trip"),
        "{msg}"
    );
    assert!(!v.to_string().contains(&pg.password));

    // Every result is kept; the folder shows the last known state.
    let shown = env.ok(&["pos", "folders", "show", "S1"]);
    assert!(
        shown.contains("DB server    ok: logged in to erp"),
        "{shown}"
    );
    assert!(!shown.contains(&pg.password), "{shown}");
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let kept: i64 = conn
        .query_row(
            "SELECT count(*) FROM connection_tests WHERE target = 'db'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 5);

    // Now that the DB test works, tables missing on the server are flagged.
    env.ok(&[
        "sync",
        "tables",
        "add",
        "S1",
        "ART",
        "--type",
        "incremental",
        "--direction",
        "server-to-till",
    ]);
    let out = env.run(&[
        "sync",
        "tables",
        "add",
        "S1",
        "ZZZ",
        "--type",
        "full",
        "--direction",
        "server-to-till",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: table ZZZ") && err.contains("does not exist"),
        "{err}"
    );
    let list = env.json(&["sync", "tables", "list", "S1"]);
    let exists = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["table_name"] == name)
            .map(|r| r["exists_on_server"].clone())
            .unwrap()
    };
    assert_eq!(exists("ART"), true);
    assert_eq!(exists("ZZZ"), false);
    let err = env.fails(3, &["sync", "tables", "check", "S1"]);
    assert!(err.contains("ZZZ"), "{err}");
}

#[test]
fn db_test_of_an_sqlite_file() {
    let env = admin_env();
    let file = env.path().join("store.db");
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("CREATE TABLE ART (code TEXT)")
        .unwrap();
    let path = file.display().to_string();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--db-kind",
        "sqlite",
        "--db-name",
        &path,
    ]);
    let (code, v) = verdict(&env, &["test-db", "S1"]);
    assert_eq!(code, 0, "{v}");
    assert!(v["detail"].as_str().unwrap().starts_with("SQLite 3"), "{v}");
    env.ok(&[
        "sync",
        "tables",
        "add",
        "S1",
        "ART",
        "--type",
        "full",
        "--direction",
        "server-to-till",
    ]);
    env.ok(&[
        "sync",
        "tables",
        "add",
        "S1",
        "CLI",
        "--type",
        "full",
        "--direction",
        "server-to-till",
    ]);
    let err = env.fails(3, &["sync", "tables", "check", "S1"]);
    assert!(err.contains("CLI") && !err.contains("table ART"), "{err}");

    let missing = env.path().join("gone.db").display().to_string();
    set(&env, "S1", &["--db-name", &missing]);
    assert_failed(&env, &["test-db", "S1"], "unknown_database", &[&missing]);
}

#[test]
fn ftp_test_against_a_real_ftp_server() {
    let server = FtpServer::start();
    let env = admin_env();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--ftp-mode",
        "put",
        "--ftp-address",
        &server.address(Some("store12/outbox")),
        "--ftp-user",
        &server.user,
        "--ftp-password",
        &server.password,
    ]);
    assert_failed(
        &env,
        &["test-ftp", "S1"],
        "target_missing",
        &["store12/outbox", "create the folder"],
    );

    server.mkdir("store12/outbox");
    assert_failed(
        &env,
        &["test-ftp", "S1"],
        "test_file_missing",
        &["/store12/outbox/test.txt", "by hand", "test.txt is missing"],
    );

    server.write("store12/outbox/test.txt", b"hello from the server\n");
    let (code, v) = verdict(&env, &["test-ftp", "S1"]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("downloaded /store12/outbox/test.txt (22 bytes)"),
        "{v}"
    );

    set(&env, "S1", &["--ftp-password", "not-the-password"]);
    let v = assert_failed(&env, &["test-ftp", "S1"], "auth_failed", &["caisse", "530"]);
    assert!(!v.to_string().contains("not-the-password"));

    set(
        &env,
        "S1",
        &[
            "--ftp-password",
            &server.password,
            "--ftp-address",
            &format!("ftps://127.0.0.1:{}{{}}store12/outbox", server.port),
        ],
    );
    assert_failed(&env, &["test-ftp", "S1"], "tls", &["AUTH TLS"]);

    let closed = support::free_port();
    set(
        &env,
        "S1",
        &["--ftp-address", &format!("ftp://127.0.0.1:{closed}")],
    );
    assert_failed(&env, &["test-ftp", "S1"], "refused", &[&closed.to_string()]);

    // Copy mode: the share folder must exist and be writable too.
    let share = env.path().join("share");
    let share_text = share.display().to_string();
    set(
        &env,
        "S1",
        &[
            "--ftp-address",
            &server.address(Some("store12/outbox")),
            "--ftp-mode",
            "copy",
            "--ftp-share",
            &share_text,
        ],
    );
    assert_failed(
        &env,
        &["test-ftp", "S1"],
        "share_missing",
        &[&share_text, "does not exist"],
    );
    set(&env, "S1", &["--ftp-share", "/proc"]);
    assert_failed(
        &env,
        &["test-ftp", "S1"],
        "share_not_writable",
        &["/proc", "cannot write"],
    );
    std::fs::create_dir_all(&share).unwrap();
    set(&env, "S1", &["--ftp-share", &share_text]);
    let (code, v) = verdict(&env, &["test-ftp", "S1"]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("is writable"),
        "{v}"
    );
    assert_eq!(
        std::fs::read_dir(&share).unwrap().count(),
        0,
        "the probe file is removed"
    );

    // Even at the most verbose log level, the password never reaches the log file.
    let out = env
        .command()
        .args(["pos", "test-ftp", "S1"])
        .env("BACKROOM_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = std::fs::read_to_string(env.path().join("state/backroom/backroom.log")).unwrap();
    assert!(log.contains("connection test"), "{log}");
    assert!(
        !log.contains(&server.password),
        "the FTP password is in the log"
    );

    let shown = env.ok(&["pos", "folders", "show", "S1"]);
    assert!(shown.contains("FTP server   ok"), "{shown}");
    assert!(!shown.contains(&server.password), "{shown}");
}

#[test]
fn ftp_test_with_explicit_tls() {
    let (server, ca) = FtpServer::start_tls();
    server.write("in/test.txt", b"tls\n");
    let env = admin_env();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--ftp-address",
        &format!("ftps://127.0.0.1:{}{{}}in", server.port),
        "--ftp-user",
        &server.user,
        "--ftp-password",
        &server.password,
    ]);
    // A certificate this machine does not trust is a TLS failure, said as such.
    assert_failed(
        &env,
        &["test-ftp", "S1"],
        "tls",
        &["TLS with 127.0.0.1 failed"],
    );
    // Trusting the server's CA, login, TLS data connection and download all work.
    let out = env
        .command()
        .args(["--json", "pos", "test-ftp", "S1", "--timeout", "5"])
        .env("SSL_CERT_FILE", &ca)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{v} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        v["message"].as_str().unwrap().contains("with explicit TLS"),
        "{v}"
    );
}

#[test]
fn ws_test_against_backroom_serve() {
    let env = admin_env();
    // Only the web service is under test: no worker in serve.
    let serve = Serve::with(&env, support::free_port(), &["--no-worker"]);
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--ws-url",
        &format!("http://127.0.0.1:{}", serve.port),
    ]);
    let (code, v) = verdict(&env, &["test-ws", "S1"]);
    assert_eq!(code, 0, "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains("/health answered 200 OK") && msg.contains("backroom"),
        "{msg}"
    );

    set(
        &env,
        "S1",
        &[
            "--ws-url",
            &format!("http://127.0.0.1:{}/nowhere", serve.port),
        ],
    );
    assert_failed(&env, &["test-ws", "S1"], "http_status", &["404"]);

    let closed = support::free_port();
    set(
        &env,
        "S1",
        &["--ws-url", &format!("http://127.0.0.1:{closed}")],
    );
    assert_failed(&env, &["test-ws", "S1"], "refused", &[&closed.to_string()]);

    let list = env.json(&["pos", "folders", "list"]);
    assert_eq!(list[0]["last_tests"][0]["target"], "ws");
    assert_eq!(list[0]["last_tests"][0]["failure"], "refused");

    // Another web server answering 200 at /health is not backroom: the test names what answered.
    let other = TestEnv::new();
    std::fs::write(other.path().join("health"), "OK\n").unwrap();
    let port = support::free_port();
    let mut http = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(other.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    support::wait_for_port(port, "python3 -m http.server");
    set(
        &env,
        "S1",
        &["--ws-url", &format!("http://127.0.0.1:{port}")],
    );
    let v = assert_failed(
        &env,
        &["test-ws", "S1"],
        "protocol",
        &["200", "SimpleHTTP", "not as backroom serve does"],
    );
    let _ = http.kill();
    let _ = http.wait();
    assert_eq!(v["ok"], false);
}

#[test]
fn a_connection_test_timeout_outside_1_to_300_seconds_is_refused() {
    let env = admin_env();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--ws-url",
        "http://127.0.0.1:9",
    ]);
    for bad in ["0", "301", "99999999999"] {
        let err = env.fails(2, &["pos", "test-ws", "S1", "--timeout", bad]);
        assert!(
            err.contains("--timeout") && err.contains("1..=300"),
            "{bad}: {err}"
        );
    }
}

/// A server that accepts connections and never says a word (a hung peer).
fn silent_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        for _ in 0..3 {
            if let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
        }
        std::thread::sleep(Duration::from_secs(3));
    });
    (port, handle)
}

#[test]
fn a_silent_server_is_a_timeout_and_all_three_tests_run_together() {
    let (port, _silent) = silent_server();
    let env = admin_env();
    let p = port.to_string();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--db-host",
        "127.0.0.1",
        "--db-port",
        &p,
        "--db-name",
        "erp",
        "--db-user",
        "u",
        "--ftp-address",
        &format!("ftp://127.0.0.1:{port}"),
        "--ws-url",
        &format!("http://127.0.0.1:{port}"),
    ]);
    let out = env.run(&["--json", "pos", "test", "S1", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(5));
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    for v in all {
        assert_eq!(v["failure"], "timeout", "{v}");
    }
    assert!(
        all[0]["message"].as_str().unwrap().contains("logging in"),
        "{}",
        all[0]
    );
    assert!(
        all[1]["message"]
            .as_str()
            .unwrap()
            .contains("welcome message"),
        "{}",
        all[1]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("3 of 3 connection tests of S1 failed"),
        "{err}"
    );
}

/// A real pyftpdlib whose RETR never answers (the handler sleeps, and so the whole server: the
/// QUIT that follows would hang as well).
const HANGING_RETR: &str = "
import sys, time
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
class Hang(FTPHandler):
    def ftp_RETR(self, file):
        time.sleep(60)
a = DummyAuthorizer()
a.add_user('u', 'p', sys.argv[2], perm='elr')
Hang.authorizer = a
FTPServer(('127.0.0.1', int(sys.argv[1])), Hang).serve_forever()
";

#[test]
fn an_ftp_server_hanging_in_retr_is_a_timeout_within_the_timeout_given() {
    support::require_program("python3", "python3");
    let root = TestEnv::new();
    std::fs::write(root.path().join("test.txt"), "x").unwrap();
    let port = support::free_port();
    let mut ftp = std::process::Command::new("python3")
        .args(["-c", HANGING_RETR, &port.to_string()])
        .arg(root.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    support::wait_for_port(port, "a pyftpdlib hanging in RETR");
    let env = admin_env();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--ftp-address",
        &format!("ftp://127.0.0.1:{port}"),
        "--ftp-user",
        "u",
        "--ftp-password",
        "p",
    ]);
    let v = assert_failed(
        &env,
        &["test-ftp", "S1"],
        "timeout",
        &["within 5 s", "downloading"],
    );
    let _ = ftp.kill();
    let _ = ftp.wait();
    // The download's timeout holds: the hung server's goodbye is not awaited a second time.
    let ms = v["elapsed_ms"].as_u64().unwrap();
    assert!(ms < 10_000, "took {ms} ms for a 5 s timeout");
}
