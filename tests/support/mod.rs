//! Shared test support: a fresh environment per test and launchers for the real peers.
#![allow(dead_code)]

pub mod env;
pub mod ftp;
pub mod gate;
pub mod ipp;
pub mod keys;
pub mod postgres;
pub mod printnode;
pub mod raw;
pub mod serve;
pub mod smtp;
pub mod tls;
pub mod tmux;
pub mod users;

pub use env::TestEnv;

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// Fails loudly when a peer's program is missing: tests never skip silently.
pub fn require_program(program: &str, package: &str) -> std::path::PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "{program} is missing: install the Debian package {package} (bash tests/run.sh does)"
        )
    })
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{what} did not start listening on 127.0.0.1:{port} within 20 s");
}
