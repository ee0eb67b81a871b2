//! The `raw` provider: AppSocket/JetDirect, the document's bytes written to TCP `host:port`.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::print::{Accepted, PrintRequest, PrinterStatus, SendError};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

async fn connect(target: &str) -> Result<TcpStream, SendError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(target)).await {
        Err(_) => Err(SendError::Retryable(format!(
            "{target}: no answer within {CONNECT_TIMEOUT:?}"
        ))),
        Ok(Err(e)) => Err(SendError::Retryable(format!(
            "{target}: cannot connect: {e}"
        ))),
        Ok(Ok(stream)) => Ok(stream),
    }
}

/// Sends each copy as its own connection: connect, write the PDF, shut the connection down.
///
/// A raw printer does not acknowledge jobs: "accepted" means every byte was written.
pub async fn send(target: &str, req: &PrintRequest<'_>) -> Result<Accepted, SendError> {
    let copies = req.copies.max(1);
    for copy in 0..copies {
        match send_once(target, req.document).await {
            Ok(()) => {}
            // Copies already written may have printed.
            Err(SendError::Retryable(e)) if copy > 0 => {
                return Err(SendError::InDoubt(format!(
                    "{e} ({copy} of {copies} copies sent)"
                )));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Accepted {
        remote_ref: None,
        already_had: false,
    })
}

async fn send_once(target: &str, document: &[u8]) -> Result<(), SendError> {
    let mut stream = connect(target).await?;
    let write = async {
        stream.write_all(document).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    // Once connected, the bytes written may print even when the write then fails.
    match tokio::time::timeout(WRITE_TIMEOUT, write).await {
        Err(_) => Err(SendError::InDoubt(format!(
            "{target}: writing the document timed out after {WRITE_TIMEOUT:?}"
        ))),
        Ok(Err(e)) => Err(SendError::InDoubt(format!("{target}: writing failed: {e}"))),
        Ok(Ok(())) => Ok(()),
    }
}

/// A TCP connect (closed at once without sending anything).
pub async fn check(target: &str) -> Result<PrinterStatus, SendError> {
    let stream = connect(target).await?;
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| target.to_string());
    drop(stream);
    Ok(PrinterStatus {
        ready: true,
        state: "reachable".to_string(),
        reasons: Vec::new(),
        trays: Vec::new(),
        detail: format!("TCP connection to {peer} accepted"),
    })
}
