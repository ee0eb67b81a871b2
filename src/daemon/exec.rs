//! Runs one client command: parse it as the CLI would, ask the policy, audit, then run it in a
//! child process on the daemon's database with the client's files, streaming its output back.

use std::process::Stdio;

use clap::CommandFactory;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::mpsc;

use super::Daemon;
use super::files::{Work, sanitize};
use crate::cli::action;
use crate::service::audit::{self, Outcome};
use crate::service::protocol::{self, CHUNK, CommandLine, FrameError, Reply};
use crate::service::{Identity, policy};

/// Commands that run on their own, never on a client's behalf.
const NOT_REMOTE: &[&str] = &["daemon", "worker", "serve", "completions", "setup"];

pub async fn run(
    daemon: &Daemon,
    who: &Identity,
    line: CommandLine,
    stream: &mut UnixStream,
) -> Result<(), FrameError> {
    let mut args = sanitize(&line.args);
    let mut argv = vec!["backroom".to_string()];
    argv.extend(args.iter().cloned());
    let root = crate::cli::Cli::command();
    let matches = match root.clone().try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => {
            let code = u8::try_from(e.exit_code()).unwrap_or(2);
            let text = e.render().to_string();
            let reply = if e.use_stderr() {
                Reply::Stderr(text)
            } else {
                Reply::Stdout(text)
            };
            protocol::write(stream, &reply).await?;
            return protocol::write(stream, &Reply::Exit { code }).await;
        }
    };
    let named = action::name(&root, &matches);
    let top = named.action.split('.').next().unwrap_or_default();
    if named.action.is_empty() || NOT_REMOTE.contains(&top) {
        let message = format!(
            "`{}` does not run through the daemon",
            if named.action.is_empty() {
                "backroom"
            } else {
                top
            }
        );
        return protocol::write(stream, &Reply::Error { code: 2, message }).await;
    }
    // A path is exactly the marker of a file the client sent or will receive, nothing around it:
    // `@@out:0@@/../x` would be a path in the daemon's own folders.
    let is_marker = |v: &String| {
        (0..line.inputs.len()).any(|k| *v == protocol::input_marker(k))
            || (0..line.outputs.len()).any(|k| *v == protocol::output_marker(k))
    };
    let unmarked = named
        .paths
        .iter()
        .flat_map(|p| p.values.iter())
        .find(|v| !is_marker(v));
    if let Some(path) = unmarked {
        let message = format!(
            "{path}: files travel from the client over the socket; the daemon opens no path a client names"
        );
        return protocol::write(stream, &Reply::Error { code: 2, message }).await;
    }
    let who = Identity {
        read_only: matches.get_flag("read_only"),
        ..who.clone()
    };
    let (access, description) = policy::rule(&named.action);
    if let Err(refused) = policy::check(&who, access, &description) {
        record(daemon, &who, &named, &Outcome::Refused(refused.to_string()));
        let message = if matches.get_flag("json") {
            crate::cli::output::error_json(crate::cli::output::REFUSED, &refused.to_string())
        } else {
            format!("error: {refused}")
        };
        protocol::write(stream, &Reply::Stderr(format!("{message}\n"))).await?;
        return protocol::write(
            stream,
            &Reply::Exit {
                code: crate::cli::output::REFUSED,
            },
        )
        .await;
    }

    let root_dir = daemon
        .ctx
        .db_path
        .parent()
        .map(|p| p.join("commands"))
        .unwrap_or_else(|| std::path::PathBuf::from("commands"));
    let work = match Work::prepare(&root_dir, &line, &mut args) {
        Ok(w) => w,
        Err(e) => {
            let message = format!(
                "preparing the command's files in {}: {e}",
                root_dir.display()
            );
            return protocol::write(stream, &Reply::Error { code: 1, message }).await;
        }
    };
    // A client gone before the end (its socket closed) does not end the command or its audit
    // entry: the change was made, so it is recorded (before, the first failed write returned
    // early, and closing the socket at once hid a change from the audit log).
    let (code, gone) = child(daemon, &who, &args, &line, &work, stream).await?;
    let mut delivered = gone.map_or(Ok(()), Err);
    if delivered.is_ok() {
        for (slot, name, path) in work.produced() {
            if let Err(e) = send_file(stream, slot, &name, &path).await {
                delivered = Err(e);
                break;
            }
        }
    }
    if access.changes() {
        crate::worker::wake();
        let outcome = match code {
            0 => Outcome::Ok,
            crate::cli::output::REFUSED => Outcome::Refused(format!("exit {code}")),
            _ => Outcome::Failed(format!("exit {code}")),
        };
        record(daemon, &who, &named, &outcome);
    }
    delivered?;
    protocol::write(stream, &Reply::Exit { code }).await
}

/// Runs the command in a child process; streams its output lines (secrets masked, private
/// paths turned into the client's) and returns its exit code, with the error that ended the
/// streaming if the client went away (the command still runs to its end).
async fn child(
    daemon: &Daemon,
    who: &Identity,
    args: &[String],
    line: &CommandLine,
    work: &Work,
    stream: &mut UnixStream,
) -> Result<(u8, Option<FrameError>), FrameError> {
    let secrets = match daemon.conn.lock() {
        Ok(conn) => crate::service::mask::secrets(&daemon.ctx.config, Some(&conn)),
        Err(_) => crate::service::mask::secrets(&daemon.ctx.config, None),
    };
    let mut cmd = tokio::process::Command::new(&daemon.exe);
    cmd.arg("--no-daemon")
        .arg("--db")
        .arg(&daemon.ctx.db_path)
        .arg("--config")
        .arg(&daemon.ctx.config_path)
        .args(args)
        .env_remove("BACKROOM_DB")
        .env_remove("BACKROOM_CONFIG")
        .env_remove("BACKROOM_SOCKET")
        .env_remove("BACKROOM_OPERATOR")
        .env(crate::cli::DELEGATED_ENV, who.who())
        .env("HOME", &work.home)
        // The daemon's own data and log folders stay where they are.
        .envs(xdg_home("XDG_DATA_HOME", crate::paths::data_dir()))
        .envs(xdg_home("XDG_STATE_HOME", crate::paths::state_dir()))
        .env_remove("XDG_DOWNLOAD_DIR")
        .env("XDG_CONFIG_HOME", work.home.join(".config"))
        .current_dir(&work.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let message = format!("starting {}: {e}", daemon.exe.display());
            protocol::write(stream, &Reply::Error { code: 1, message }).await?;
            return Ok((1, None));
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let data = line.stdin.clone().unwrap_or_default();
        tokio::spawn(async move {
            let _ = stdin.write_all(&data).await;
        });
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<(bool, String)>();
    let readers = [
        child
            .stdout
            .take()
            .map(|o| forward(BufReader::new(o), true, tx.clone())),
        child
            .stderr
            .take()
            .map(|e| forward(BufReader::new(e), false, tx.clone())),
    ];
    drop(tx);
    let mut gone = None;
    while let Some((is_out, text)) = rx.recv().await {
        if gone.is_some() {
            continue;
        }
        let text = work.rewrite(&crate::service::mask::scrub(&text, &secrets));
        let reply = if is_out {
            Reply::Stdout(text)
        } else {
            Reply::Stderr(text)
        };
        if let Err(e) = protocol::write(stream, &reply).await {
            gone = Some(e);
        }
    }
    for r in readers.into_iter().flatten() {
        let _ = r.await;
    }
    let status = child.wait().await?;
    let code = status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(1);
    Ok((code, gone))
}

/// `(var, parent of dir)`: the XDG variable that keeps `dir` (…/backroom) where it is.
fn xdg_home(
    var: &'static str,
    dir: std::path::PathBuf,
) -> Option<(&'static str, std::path::PathBuf)> {
    dir.parent().map(|p| (var, p.to_path_buf()))
}

fn forward<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    mut reader: BufReader<R>,
    is_out: bool,
    tx: mpsc::UnboundedSender<(bool, String)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let _ = tx.send((is_out, String::from_utf8_lossy(&buf).into_owned()));
                }
            }
        }
    })
}

async fn send_file(
    stream: &mut UnixStream,
    slot: Option<usize>,
    name: &str,
    path: &std::path::Path,
) -> Result<(), FrameError> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await?;
    let mut first = true;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 && !first {
            return Ok(());
        }
        protocol::write(
            stream,
            &Reply::File {
                slot,
                name: name.to_string(),
                data: buf[..n].to_vec(),
                first,
            },
        )
        .await?;
        if n == 0 {
            return Ok(());
        }
        first = false;
    }
}

fn record(daemon: &Daemon, who: &Identity, named: &action::Named, outcome: &Outcome) {
    match daemon.conn.lock() {
        Ok(conn) => audit::record(&conn, who, &named.action, &named.target, outcome),
        Err(_) => {
            tracing::error!(action = %named.action, "the daemon's connection lock is poisoned: not audited")
        }
    }
}
