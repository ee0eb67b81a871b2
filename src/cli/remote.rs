//! The client side of the daemon's socket: find the daemon, say hello, sign in on a shared
//! account, send the command with the client's own files, print what comes back.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tokio::net::UnixStream;

use super::action::Named;
use super::output::{Failure, UNREACHABLE, USAGE};
use crate::service::protocol::{
    self, CommandLine, Input, Output, PROTOCOL, Reply, Request, input_marker, output_marker,
};

/// The system service's socket.
pub const DEFAULT_SOCKET: &str = "/run/backroom/backroom.sock";

/// A command ended remotely with this exit code (its messages were already printed).
#[derive(Debug, thiserror::Error)]
#[error("the daemon's command exited with code {0}")]
pub struct Exit(pub u8);

/// The socket to try: `--socket`/`BACKROOM_SOCKET` (explicit), else `[daemon] socket` of the
/// client's config, else the default path.
pub fn socket_path(flag: Option<&Path>, config: Option<&Path>) -> (PathBuf, bool) {
    if let Some(p) = flag {
        return (p.to_path_buf(), true);
    }
    let configured = config
        .and_then(|c| crate::config::Config::load(c).ok())
        .and_then(|c| c.daemon.socket);
    match configured {
        Some(p) => (p, false),
        None => (PathBuf::from(DEFAULT_SOCKET), false),
    }
}

/// Connects when a daemon answers; `None` (personal mode) when no daemon listens on an
/// implicit path; an error when an explicit socket does not answer.
pub async fn connect(path: &Path, explicit: bool) -> anyhow::Result<Option<UnixStream>> {
    match UnixStream::connect(path).await {
        Ok(s) => Ok(Some(s)),
        Err(e) if !explicit && !matches!(e.kind(), std::io::ErrorKind::PermissionDenied) => {
            tracing::debug!(path = %path.display(), error = %e, "no daemon: personal mode");
            Ok(None)
        }
        Err(e) => Err(Failure::new(
            UNREACHABLE,
            format!(
                "no backroom daemon answers on {}: {e} (start it with backroom daemon, or leave out --socket/BACKROOM_SOCKET for personal mode)",
                path.display()
            ),
        )
        .into()),
    }
}

/// Says hello and signs in when the daemon asks; returns who the daemon says we are.
pub async fn open(
    stream: &mut UnixStream,
    operator: Option<&str>,
) -> anyhow::Result<crate::service::Identity> {
    let (identity, sign_in) = hello(stream).await?;
    if !sign_in {
        return Ok(identity);
    }
    let operator = match operator {
        Some(o) => o.to_string(),
        None => {
            return Err(Failure::refused(format!(
                "{} is a shared terminal account: sign in as an operator with --operator NAME (or BACKROOM_OPERATOR)",
                identity.user
            ))
            .into());
        }
    };
    let password = match std::env::var("BACKROOM_OPERATOR_PASSWORD") {
        Ok(p) => p,
        Err(_) => super::password::prompt(&format!("password of operator {operator}: "))?,
    };
    protocol::write(stream, &Request::SignIn { operator, password }).await?;
    match protocol::read(stream).await? {
        Reply::SignedIn { identity } => Ok(identity),
        Reply::Error { code, message } => Err(Failure::new(code, message).into()),
        other => anyhow::bail!("the daemon answered the sign-in with {other:?}"),
    }
}

/// Says hello; returns who the daemon says we are and whether we must sign in.
pub async fn hello(stream: &mut UnixStream) -> anyhow::Result<(crate::service::Identity, bool)> {
    protocol::write(
        stream,
        &Request::Hello {
            protocol: PROTOCOL,
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
    )
    .await?;
    let (identity, sign_in) = match protocol::read(stream).await? {
        Reply::Welcome {
            identity, sign_in, ..
        } => (identity, sign_in),
        Reply::Error { code, message } => return Err(Failure::new(code, message).into()),
        other => anyhow::bail!("the daemon answered hello with {other:?}"),
    };
    Ok((identity, sign_in))
}

/// Runs `argv` (without the program name) on the daemon; returns its exit code.
pub async fn run(
    stream: &mut UnixStream,
    mut argv: Vec<String>,
    named: &Named,
) -> anyhow::Result<u8> {
    let mut line = CommandLine {
        downloads_dir: crate::paths::downloads_dir().display().to_string(),
        ..CommandLine::default()
    };
    let mut replaced = vec![false; argv.len()];
    for arg in &named.paths {
        for value in &arg.values {
            let marker = if arg.output {
                line.outputs.push(Output {
                    path: value.clone(),
                    is_dir: Path::new(value).is_dir(),
                });
                output_marker(line.outputs.len() - 1)
            } else {
                let data = read_input(value)?;
                line.inputs.push(Input {
                    path: value.clone(),
                    data,
                });
                input_marker(line.inputs.len() - 1)
            };
            let suffix = format!("={value}");
            if let Some(i) = (0..argv.len())
                .find(|&i| !replaced[i] && (argv[i] == *value || argv[i].ends_with(&suffix)))
            {
                argv[i] = if argv[i] == *value {
                    marker
                } else {
                    format!("{}={marker}", &argv[i][..argv[i].len() - suffix.len()])
                };
                replaced[i] = true;
            }
        }
    }
    if argv.iter().any(|a| a == "-") {
        line.stdin = Some(read_input("-")?);
    }
    line.args = argv;
    protocol::write(stream, &Request::Command(line.clone())).await?;
    loop {
        match protocol::read(stream).await? {
            Reply::Stdout(text) => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
            Reply::Stderr(text) => eprint!("{text}"),
            Reply::File {
                slot,
                name,
                data,
                first,
            } => write_file(&line, slot, &name, &data, first)?,
            Reply::Exit { code } => return Ok(code),
            Reply::Error { code, message } => {
                eprintln!("error: {message}");
                return Ok(code);
            }
            other => anyhow::bail!("unexpected frame from the daemon: {other:?}"),
        }
    }
}

fn read_input(path: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    if path == "-" {
        let mut data = Vec::new();
        std::io::stdin()
            .read_to_end(&mut data)
            .context("reading standard input")?;
        return Ok(data);
    }
    std::fs::read(path).map_err(|e| Failure::new(USAGE, format!("cannot read {path}: {e}")).into())
}

/// Writes a chunk of a file the daemon sent into the client's own files (see [`Reply::File`]).
pub(crate) fn write_file(
    line: &CommandLine,
    slot: Option<usize>,
    name: &str,
    data: &[u8],
    first: bool,
) -> anyhow::Result<()> {
    let base = match slot.and_then(|s| line.outputs.get(s)) {
        Some(o) if o.is_dir => PathBuf::from(&o.path),
        Some(o) => Path::new(&o.path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        None => PathBuf::from(&line.downloads_dir),
    };
    // The daemon names files relative to the folder; nothing may climb out of it.
    let rel = Path::new(name);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        anyhow::bail!("the daemon sent a file named {name}, outside the folder it may write");
    }
    let path = base.join(rel);
    // Owner-only, as in personal mode: a download, an export or a backup holds customers' data
    // (they followed the umask here, 0644 in 0755 folders, until 2026-11-30).
    if let Some(dir) = path.parent() {
        crate::private_files::create_missing_dir(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let opened = if first {
        crate::private_files::create_file(&path)
    } else {
        crate::private_files::open_append(&path)
    };
    let mut file = opened.with_context(|| format!("writing {}", path.display()))?;
    file.write_all(data)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
