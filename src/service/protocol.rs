//! The control socket's protocol: length-prefixed JSON frames (a 4-byte big-endian length, then
//! one [`Request`] or [`Reply`]); the client says hello with its protocol version first.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Identity;

/// Bumped whenever a frame changes shape; client and daemon must speak the same.
pub const PROTOCOL: u32 = 2;
/// The largest frame either side accepts (a file travels in chunks below this).
pub const MAX_FRAME: usize = 16 * 1024 * 1024;
/// A file's bytes travel in chunks of this size.
pub const CHUNK: usize = 1024 * 1024;

/// What a client asks. Its `Debug` names the request only: a sign-in carries a password and a
/// command or a key may carry anything the operator typed.
#[derive(Clone, Serialize, Deserialize)]
pub enum Request {
    /// The first frame: the client's protocol and program version.
    Hello { protocol: u32, version: String },
    /// A shared terminal account's operator signs in.
    SignIn { operator: String, password: String },
    /// A `backroom <noun> <verb> ...` command, judged and run by the daemon.
    Command(CommandLine),
    /// Open the TUI: the daemon hosts the session and draws it at this size. A shared
    /// terminal account may send this instead of `SignIn`: it signs in on the screen.
    Tui {
        width: u16,
        height: u16,
        /// The client's `NO_COLOR`.
        no_color: bool,
        /// The client's `--read-only`: the session changes nothing.
        read_only: bool,
    },
    /// A terminal event of the client's TUI (keys, mouse, paste, resize).
    Input(crossterm::event::Event),
}

impl Request {
    /// The request's kind, without its contents (for messages and logs).
    pub fn name(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "Hello",
            Request::SignIn { .. } => "SignIn",
            Request::Command(_) => "Command",
            Request::Tui { .. } => "Tui",
            Request::Input(_) => "Input",
        }
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A command line with the client's files: paths are replaced by `@@in:N@@` / `@@out:N@@`
/// markers and their bytes travel here, so the daemon never opens a path a client names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CommandLine {
    pub args: Vec<String>,
    /// Standard input, sent when an argument is `-`.
    pub stdin: Option<Vec<u8>>,
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
    /// The client's downloads folder (for commands that write there by default).
    pub downloads_dir: String,
}

/// A file the client read for the command (`@@in:N@@`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Input {
    /// The path as the client typed it (for messages).
    pub path: String,
    pub data: Vec<u8>,
}

/// A file or folder the command writes into the client's own files (`@@out:N@@`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Output {
    /// The path as the client typed it.
    pub path: String,
    /// True when it names an existing folder on the client.
    pub is_dir: bool,
}

/// What the daemon answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reply {
    /// The answer to `Hello`: who the kernel says the client is, and whether it must sign in.
    Welcome {
        protocol: u32,
        version: String,
        identity: Identity,
        sign_in: bool,
    },
    SignedIn {
        identity: Identity,
    },
    /// Lines of the command's output and messages (secrets masked).
    Stdout(String),
    Stderr(String),
    /// A chunk of a file for the client to write: `slot` is the output index, or `None` for
    /// the client's downloads folder; `name` is relative to it; the first chunk truncates.
    File {
        slot: Option<usize>,
        name: String,
        data: Vec<u8>,
        first: bool,
    },
    /// Bytes for the client's terminal (ANSI drawing of the TUI session, OSC 52 copies).
    Screen(String),
    /// The command ended with this exit code.
    Exit {
        code: u8,
    },
    /// The request was not run (version mismatch, sign-in needed or refused, bad request).
    Error {
        code: u8,
        message: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("the connection closed")]
    Closed,
    #[error("a frame of {0} bytes is larger than the protocol allows")]
    TooLarge(usize),
    #[error("socket I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("a frame could not be read as the protocol says: {0}")]
    Json(#[from] serde_json::Error),
}

pub async fn write<W: AsyncWrite + Unpin, T: Serialize>(
    w: &mut W,
    value: &T,
) -> Result<(), FrameError> {
    let body = serde_json::to_vec(value)?;
    if body.len() > MAX_FRAME {
        return Err(FrameError::TooLarge(body.len()));
    }
    let len = u32::try_from(body.len()).map_err(|_| FrameError::TooLarge(body.len()))?;
    w.write_all(&len.to_be_bytes()).await?;
    w.write_all(&body).await?;
    w.flush().await?;
    Ok(())
}

pub async fn read<R: AsyncRead + Unpin, T: DeserializeOwned>(r: &mut R) -> Result<T, FrameError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    Ok(serde_json::from_slice(&body)?)
}

/// The marker standing for input `n` in a command line.
pub fn input_marker(n: usize) -> String {
    format!("@@in:{n}@@")
}

/// The marker standing for output `n` in a command line.
pub fn output_marker(n: usize) -> String {
    format!("@@out:{n}@@")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_in_a_message_or_log_never_shows_a_password() {
        let sign_in = Request::SignIn {
            operator: "lea".into(),
            password: "Tr0ub4dor&3".into(),
        };
        let shown = format!("{sign_in:?} / {}", sign_in.name());
        assert!(!shown.contains("Tr0ub4dor"), "{shown}");
        assert!(shown.contains("SignIn"), "{shown}");
    }
}
