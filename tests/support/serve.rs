//! `backroom serve` for a test (killed on drop), and a loopback proxy in front of it that can lose
//! the server's replies: shared by the tests that talk HTTP to the real binary.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::TestEnv;

/// A child process, killed and waited for on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `backroom serve` listening on `127.0.0.1:port`; killed on drop.
pub struct Serve {
    pub port: u16,
    child: Killed,
}

impl Serve {
    /// With its worker, as a store server runs it.
    pub fn start(env: &TestEnv, port: u16) -> Serve {
        Serve::with(env, port, &[])
    }

    /// With more arguments after `serve` (`--no-worker` when the test drives the processes).
    pub fn with(env: &TestEnv, port: u16, args: &[&str]) -> Serve {
        let child = env
            .command()
            .arg("serve")
            .args(args)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start backroom serve");
        // Killed even when it never answers.
        let serve = Serve {
            port,
            child: Killed(child),
        };
        super::wait_for_port(port, "backroom serve");
        serve
    }

    /// The server's process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// A loopback proxy in front of a server that can cut the connection once the server answered,
/// instead of passing the answer on (the server committed; the client never hears it).
pub struct Proxy {
    pub port: u16,
    /// While set, every reply is cut ([`Proxy::start`]).
    pub drop_replies: Arc<AtomicBool>,
}

impl Proxy {
    /// Passes replies on until `drop_replies` is set.
    pub fn start(upstream: u16) -> Proxy {
        let drop_replies = Arc::new(AtomicBool::new(false));
        let flag = drop_replies.clone();
        let port = listen(upstream, move || flag.load(Ordering::SeqCst));
        Proxy { port, drop_replies }
    }

    /// Cuts every `n`-th reply (counted over every connection); returns the proxy's port.
    pub fn dropping_every(upstream: u16, n: usize) -> u16 {
        let replies = Arc::new(AtomicUsize::new(0));
        listen(upstream, move || {
            (replies.fetch_add(1, Ordering::Relaxed) + 1).is_multiple_of(n)
        })
    }
}

/// Listens on a loopback port and relays each connection to `upstream`, asking `cut` as each
/// piece of a reply comes back; returns the port.
fn listen(upstream: u16, cut: impl Fn() -> bool + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cut = Arc::new(cut);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let cut = cut.clone();
            std::thread::spawn(move || relay(client, upstream, &*cut));
        }
    });
    port
}

fn relay(client: TcpStream, upstream: u16, cut: &dyn Fn() -> bool) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut c_read, &mut s_write);
        let _ = s_write.shutdown(Shutdown::Write);
    });
    let (mut s_read, mut c_write) = (server, client);
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match s_read.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if cut() {
            // The server answered (so it committed): the reply is lost on the way back.
            let _ = c_write.shutdown(Shutdown::Both);
            let _ = s_read.shutdown(Shutdown::Both);
            return;
        }
        if c_write.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = c_write.shutdown(Shutdown::Both);
}
