//! Benchmark of `backroom doctor` with every peer down, measured from outside (the CLI process):
//! peers that refuse the connection, and peers that accept it and never answer (a hung printer,
//! database, FTP server and web service). The bound is 5 s for the whole run.
//!
//! Runs: `BACKROOM_BENCH_RUNS` (default 5).

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

fn backroom(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_backroom"))
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("BACKROOM_DB")
        .env_remove("BACKROOM_CONFIG")
        .env_remove("BACKROOM_SOCKET")
        .env("USER", "bencher")
        .args(args)
        .output()
        .expect("run backroom")
}

fn ok(home: &std::path::Path, args: &[&str]) {
    let out = backroom(home, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A loopback port that accepts connections and never says a word.
fn silent() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    (l, port)
}

/// A loopback port nobody listens on.
fn closed() -> u16 {
    let (l, port) = silent();
    drop(l);
    port
}

fn main() {
    let runs: usize = std::env::var("BACKROOM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path();
    std::fs::create_dir_all(home.join("config/backroom")).expect("config dir");
    std::fs::write(
        home.join("config/backroom/config.toml"),
        "[operators]\nbencher = \"admin\"\n",
    )
    .expect("config");
    let (_ipp, ipp) = silent();
    let (_pg, pg) = silent();
    let (_ftp, ftp) = silent();
    ok(
        home,
        &[
            "printers",
            "add",
            "hung-ipp",
            "--provider",
            "ipp",
            "--target",
            &format!("ipp://127.0.0.1:{ipp}/ipp/print"),
        ],
    );
    ok(
        home,
        &[
            "printers",
            "add",
            "off-raw",
            "--provider",
            "raw",
            "--target",
            &format!("127.0.0.1:{}", closed()),
        ],
    );
    ok(
        home,
        &[
            "pos",
            "folders",
            "add",
            "HUNG",
            "--db-host",
            "127.0.0.1",
            "--db-port",
            &pg.to_string(),
            "--db-name",
            "erp",
            "--db-user",
            "erp",
            "--db-password",
            "x",
            "--ftp-mode",
            "put",
            "--ftp-address",
            &format!("ftp://127.0.0.1:{ftp}"),
            "--ftp-user",
            "u",
            "--ftp-password",
            "p",
        ],
    );
    ok(
        home,
        &[
            "pos",
            "folders",
            "add",
            "OFF",
            "--db-host",
            "127.0.0.1",
            "--db-port",
            &closed().to_string(),
            "--db-name",
            "erp",
            "--db-user",
            "erp",
            "--db-password",
            "x",
            "--ftp-mode",
            "put",
            "--ftp-address",
            &format!("ftp://127.0.0.1:{}", closed()),
            "--ftp-user",
            "u",
            "--ftp-password",
            "p",
        ],
    );
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let out = backroom(home, &["--json", "doctor"]);
        times.push(started.elapsed());
        assert_eq!(out.status.code(), Some(2), "every peer is down: problems");
    }
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!(
        "doctor, every peer down (2 hung, 2 refusing): median {:.2} s, max {:.2} s over {runs} runs (bound 5 s)",
        median.as_secs_f64(),
        max.as_secs_f64()
    );
    assert!(
        max < Duration::from_secs(5),
        "the doctor took {max:?} with every peer down (bound 5 s)"
    );
}
