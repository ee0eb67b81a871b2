//! The web service's front: accepts connections within a limit, closes slow and idle clients,
//! and speaks TLS when configured.
//!
//! Each connection holds a slot. A client has `header_timeout` to send a request's headers and
//! the same time between two requests; past it the connection is closed (slow and idle clients
//! cannot pile up). At `max_connections`, a new connection takes the slot of the connection that
//! has been idle longest (no request in progress); when every connection is busy with a request,
//! the new one gets a `503` and is closed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use super::tls::Reloadable;

/// How long connections may wait, and how many may be open.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    pub fn from_config(server: &crate::config::ServerSection) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(server.header_timeout_secs.max(1)),
            max_connections: server.max_connections.max(1),
        }
    }
}

/// One open connection.
struct Slot {
    id: u64,
    in_flight: AtomicUsize,
    idle_since: Mutex<Instant>,
    close: tokio::sync::Notify,
}

impl Slot {
    fn idle_since(&self) -> Instant {
        *self
            .idle_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) > 0
    }
}

/// Marks a request in progress on its connection for as long as it lives.
struct InFlight(Arc<Slot>);

impl InFlight {
    fn begin(slot: Arc<Slot>) -> InFlight {
        slot.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(slot)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        *self
            .0
            .idle_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Registry {
    slots: Mutex<HashMap<u64, Arc<Slot>>>,
    next: AtomicU64,
}

impl Registry {
    /// A slot for a new connection: a free one, else the longest-idle connection's; None when
    /// every connection has a request in progress.
    fn admit(&self, max: usize) -> Option<Arc<Slot>> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.len() >= max {
            let victim = slots
                .values()
                .filter(|s| !s.busy())
                .min_by_key(|s| s.idle_since())
                .map(|s| s.id)?;
            if let Some(v) = slots.remove(&victim) {
                v.close.notify_one();
            }
        }
        let slot = Arc::new(Slot {
            id: self.next.fetch_add(1, Ordering::SeqCst),
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            close: tokio::sync::Notify::new(),
        });
        slots.insert(slot.id, slot.clone());
        Some(slot)
    }

    fn release(&self, id: u64) {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<Reloadable>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let registry = Arc::new(Registry::default());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: let connections close, then go on.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let slot = registry.admit(limits.max_connections);
        let tls = tls.as_ref().map(Reloadable::current);
        let conn = Connection {
            peer,
            router: router.clone(),
            limits,
            registry: registry.clone(),
        };
        tokio::spawn(async move {
            match tls {
                Some(config) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await
                    {
                        Ok(Ok(io)) => conn.serve(io, slot).await,
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake");
                            conn.release(slot);
                        }
                        Err(_) => conn.release(slot),
                    }
                }
                None => conn.serve(stream, slot).await,
            }
        });
    }
}

struct Connection {
    /// The client's address, which handlers read as axum's `ConnectInfo<SocketAddr>`.
    peer: std::net::SocketAddr,
    router: Router,
    limits: Limits,
    registry: Arc<Registry>,
}

impl Connection {
    fn release(&self, slot: Option<Arc<Slot>>) {
        if let Some(s) = slot {
            self.registry.release(s.id);
        }
    }

    async fn serve<S>(self, io: S, slot: Option<Arc<Slot>>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Some(slot) = slot else {
            refuse(io, self.limits.max_connections).await;
            return;
        };
        let router = self.router.clone();
        let in_slot = slot.clone();
        let peer = self.peer;
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            let router = router.clone();
            let guard = InFlight::begin(in_slot.clone());
            async move {
                let response = router.oneshot(request).await;
                drop(guard);
                response
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        let timeout = self.limits.header_timeout;
        loop {
            let wait = if slot.busy() {
                timeout
            } else {
                timeout.saturating_sub(slot.idle_since().elapsed())
            };
            tokio::select! {
                _ = conn.as_mut() => break,
                _ = slot.close.notified() => break,
                _ = tokio::time::sleep(wait.max(Duration::from_millis(10))) => {
                    if !slot.busy() && slot.idle_since().elapsed() >= timeout {
                        break;
                    }
                }
            }
        }
        self.registry.release(slot.id);
    }
}

/// Answers a connection beyond the limit with a 503 that says why, then closes it.
async fn refuse<S>(mut io: S, max: usize)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let body = serde_json::json!({
        "error": format!(
            "backroom serve is at its connection limit ([server] max_connections = {max}) with every connection busy; try again in a moment"
        )
    })
    .to_string();
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        // Read what the client already sent, so closing does not reset the connection before
        // it reads the answer.
        let mut scratch = [0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_millis(50), io.read(&mut scratch)).await;
        io.write_all(reply.as_bytes()).await?;
        io.flush().await?;
        io.shutdown().await?;
        while io.read(&mut scratch).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_limit_the_longest_idle_connection_gives_way_and_busy_ones_do_not() {
        let r = Registry::default();
        let a = r.admit(2).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let b = r.admit(2).unwrap();
        let c = r.admit(2).unwrap();
        let slots = r.slots.lock().unwrap();
        assert!(!slots.contains_key(&a.id) && slots.contains_key(&b.id));
        drop(slots);
        let _busy_b = InFlight::begin(b.clone());
        let _busy_c = InFlight::begin(c.clone());
        assert!(r.admit(2).is_none());
    }
}
