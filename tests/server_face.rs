//! The web service's network face through the real binary, with its production settings: slow
//! clients closed after the header timeout, a connection flood, the connection limit's 503,
//! HTTPS with a certificate made by `openssl` (reloaded on SIGHUP), and plain HTTP refused off
//! loopback.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::TestEnv;
use support::serve::{Killed, Serve};

/// How long `/health` may take here. A silenced health check waits for the 10 s header timeout or
/// forever; an answer under the full suite's load on 2 cores once took 1.01 s of a 1 s bound.
const HEALTH_LIMIT: Duration = Duration::from_secs(3);

/// `GET /health` on a fresh connection: the status line, within `limit` or a panic.
fn health_within(port: u16, limit: Duration) -> String {
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect for /health");
    s.set_read_timeout(Some(limit)).unwrap();
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(
        started.elapsed() <= limit && out.starts_with("HTTP/1.1"),
        "/health did not answer within {limit:?} (after {:?}): {out:?}",
        started.elapsed()
    );
    out
}

#[test]
fn slow_clients_are_closed_after_the_header_timeout_while_health_answers() {
    let env = TestEnv::new();
    let port = support::free_port();
    let _server = Serve::start(&env, port);
    let request = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let started = Instant::now();
    let slow: Vec<_> = (0..50)
        .map(|_| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                s.set_read_timeout(Some(Duration::from_millis(1000)))
                    .unwrap();
                let opened = Instant::now();
                let mut buf = [0u8; 256];
                // One byte, then a read that waits up to 1 s: one byte per second.
                for byte in request.iter() {
                    if s.write_all(&[*byte]).is_err() {
                        return opened.elapsed();
                    }
                    match s.read(&mut buf) {
                        Ok(_) => return opened.elapsed(),
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) => {}
                        Err(_) => return opened.elapsed(),
                    }
                }
                panic!("the slow client sent its whole request without being closed");
            })
        })
        .collect();
    while slow.iter().any(|t| !t.is_finished()) && started.elapsed() < Duration::from_secs(30) {
        assert!(health_within(port, HEALTH_LIMIT).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(250));
    }
    for t in slow {
        let closed_after = t.join().expect("slow client");
        assert!(
            closed_after >= Duration::from_secs(9) && closed_after <= Duration::from_secs(14),
            "a slow client was closed after {closed_after:?}, expected about 10 s (the header timeout)"
        );
    }
}

#[test]
fn a_flood_of_idle_connections_does_not_silence_health() {
    let env = TestEnv::new();
    let port = support::free_port();
    let _server = Serve::start(&env, port);
    let mut flood = Vec::new();
    for i in 0..3000 {
        flood.push(TcpStream::connect(("127.0.0.1", port)).expect("flood connect"));
        if i % 250 == 0 {
            assert!(health_within(port, HEALTH_LIMIT).starts_with("HTTP/1.1 200"));
        }
    }
    // 3,000 idle connections against a limit of 1,024: the longest idle ones made way.
    for _ in 0..10 {
        assert!(health_within(port, HEALTH_LIMIT).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut buf = [0u8; 16];
    flood[0]
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    assert!(
        matches!(flood[0].read(&mut buf), Ok(0) | Err(_)),
        "the oldest idle connection should have been closed"
    );
}

#[test]
fn beyond_the_limit_with_every_connection_busy_a_new_one_gets_a_clear_503() {
    let env = TestEnv::new();
    env.write_config("[server]\napi_token = \"t0ken\"\n");
    let port = support::free_port();
    let _server = Serve::start(&env, port);
    // 1,024 requests in progress (their bodies still arriving, with the token): every slot is
    // busy.
    let mut busy = Vec::new();
    for _ in 0..1024 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        write!(
            s,
            "POST /api/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t0ken\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
        )
        .unwrap();
        busy.push(s);
    }
    std::thread::sleep(Duration::from_millis(500));
    let reply = health_within(port, HEALTH_LIMIT);
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(
        reply.contains("connection limit") && reply.contains("max_connections = 1024"),
        "{reply}"
    );
    // Once they end (the server answers each aborted upload first), /health is served again.
    drop(busy);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = health_within(port, Duration::from_secs(5));
        if reply.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {reply}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn https_with_a_self_signed_certificate_is_trusted_by_a_client_that_has_it_and_reloads_on_sighup() {
    let env = TestEnv::new();
    let first = support::tls::self_signed(env.path(), "first");
    let port = support::free_port();
    env.write_config(&format!(
        "[server]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
        env.path().join("served.crt").display(),
        env.path().join("served.key").display()
    ));
    std::fs::copy(&first.cert, env.path().join("served.crt")).unwrap();
    std::fs::copy(&first.key, env.path().join("served.key")).unwrap();
    let server = Serve::start(&env, port);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let get = |ca: &std::path::Path| {
        let pem = std::fs::read(ca).unwrap();
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap();
        rt.block_on(async {
            client
                .get(format!("https://localhost:{port}/health"))
                .send()
                .await
        })
    };
    let reply = get(&first.ca).expect("a client trusting the certificate connects");
    assert_eq!(reply.status(), 200);
    let untrusting = reqwest::Client::new();
    let refused = rt.block_on(async {
        untrusting
            .get(format!("https://localhost:{port}/health"))
            .send()
            .await
    });
    assert!(refused.is_err(), "a client without the CA must refuse it");
    // Plain HTTP on the TLS port gets no page.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    write!(plain, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let _ = plain.read_to_end(&mut out);
    assert!(!String::from_utf8_lossy(&out).contains("\"status\""));

    // A renewed certificate: the files change, SIGHUP, new connections get it.
    let second = support::tls::self_signed(env.path(), "second");
    assert_eq!(
        support::tls::served_fingerprint(port),
        support::tls::file_fingerprint(&first.cert)
    );
    std::fs::copy(&second.cert, env.path().join("served.crt")).unwrap();
    std::fs::copy(&second.key, env.path().join("served.key")).unwrap();
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while support::tls::served_fingerprint(port) != support::tls::file_fingerprint(&second.cert) {
        assert!(
            Instant::now() < deadline,
            "the certificate was not reloaded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get(&second.ca).expect("trusted").status(), 200);
}

#[test]
fn plain_http_is_refused_off_loopback_unless_allowed() {
    let env = TestEnv::new();
    let port = support::free_port();
    let err = env.fails(2, &["serve", "--listen", &format!("0.0.0.0:{port}")]);
    assert!(
        err.contains("refusing plain HTTP on 0.0.0.0")
            && err.contains("tls_cert")
            && err.contains("allow_plain_http"),
        "{err}"
    );
    env.write_config("[server]\nallow_plain_http = true\n");
    let _server = Killed(
        env.command()
            .args(["serve", "--listen", &format!("0.0.0.0:{port}")])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    support::wait_for_port(port, "backroom serve");
    assert!(health_within(port, HEALTH_LIMIT).starts_with("HTTP/1.1 200"));
}

/// A request without the token is answered 401 before its body is read: a client without one
/// cannot hold a connection busy by trickling a body in (before, 1,024 such requests took every
/// slot for as long as they sent a byte now and then).
#[test]
fn a_request_without_its_token_is_refused_before_its_body_is_read() {
    let env = TestEnv::new();
    env.write_config(
        "[server]\napi_token = \"t0ken\"\n[server.till_tokens]\n\"1\" = \"till-one\"\n",
    );
    let port = support::free_port();
    let _server = Serve::start(&env, port);
    for (path, auth) in [
        ("/api/events", ""),
        (
            "/api/events/order.received",
            "Authorization: Bearer wrong\r\n",
        ),
        ("/api/till/push", ""),
        ("/api/till/customers", "Authorization: Bearer t0ken\r\n"),
        ("/api/till/status", ""),
    ] {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
        )
        .unwrap();
        let started = Instant::now();
        let mut reply = [0u8; 12];
        s.read_exact(&mut reply)
            .unwrap_or_else(|e| panic!("{path}: no answer before the body: {e}"));
        assert_eq!(&reply, b"HTTP/1.1 401", "{path}");
        assert!(started.elapsed() < Duration::from_secs(2), "{path}");
    }
}
