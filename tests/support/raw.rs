//! A raw (AppSocket, port 9100) printer for tests: a loopback TCP sink counting the PDFs it receives.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Starts the printer; returns its port and the count of PDFs received so far.
pub fn printer() -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a raw printer");
    let port = listener.local_addr().expect("its address").port();
    (port, counting(listener))
}

/// Receives on `listener` for good, counting the PDFs.
fn counting(listener: std::net::TcpListener) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = Vec::new();
            if s.read_to_end(&mut buf).is_ok() && buf.starts_with(b"%PDF") {
                c.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    count
}

/// A printer that takes `connections` documents, then stops listening (switched off mid-job);
/// returns its port and the count of PDFs received.
pub fn printer_taking(connections: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a raw printer");
    let port = listener.local_addr().expect("its address").port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    // The connections are accepted first and the listener closed before any is read: a
    // connection made after the last one must be refused, not left waiting in the backlog.
    let mut taken = Vec::new();
    std::thread::spawn(move || {
        while taken.len() < connections {
            if let Ok((s, _)) = listener.accept() {
                taken.push(std::thread::spawn({
                    let c = c.clone();
                    move || {
                        let mut s = s;
                        let mut buf = Vec::new();
                        if s.read_to_end(&mut buf).is_ok() && buf.starts_with(b"%PDF") {
                            c.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }));
            }
        }
        drop(listener);
        for t in taken {
            let _ = t.join();
        }
    });
    (port, count)
}

/// A printer on `port` again (after [`printer_taking`] stopped listening there).
pub fn printer_on(port: u16) -> Arc<AtomicUsize> {
    counting(std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind the port again"))
}
