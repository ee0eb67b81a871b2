//! Launcher for the real SMTP peer: aiosmtpd saving every message it receives into a maildir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// aiosmtpd on 127.0.0.1 with the Mailbox handler; killed on drop.
pub struct Smtp {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

/// A message the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub raw: String,
    pub headers: Vec<(String, String)>,
    /// The body, quoted-printable decoded.
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Smtp {
    pub fn start() -> Smtp {
        super::require_program("python3", "python3");
        let probe = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .expect("run python3");
        assert!(
            probe.success(),
            "aiosmtpd is missing: install the Debian package python3-aiosmtpd (bash tests/run.sh does)"
        );
        let dir = tempfile::tempdir().expect("maildir");
        let port = super::free_port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        super::wait_for_port(port, "aiosmtpd");
        Smtp { port, dir, child }
    }

    /// The `[smtp]` section that sends through this server.
    pub fn config(&self) -> String {
        format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"Print Shop <shop@example.com>\"\ntls = \"none\"\n",
            self.port
        )
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("mail/new"))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
    }

    /// Waits (up to 10 s) until at least `n` messages arrived; returns them, oldest first.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let files = self.files();
            if files.len() >= n {
                return files
                    .iter()
                    .map(|p| parse(&std::fs::read_to_string(p).expect("read mail")))
                    .collect();
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd received {} messages, expected {n}",
                files.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many messages arrived so far.
    pub fn count(&self) -> usize {
        self.files().len()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Splits headers (unfolded) from the body and decodes a quoted-printable body.
pub fn parse(raw: &str) -> Received {
    let normalized = raw.replace("\r\n", "\n");
    let (head, body) = normalized.split_once("\n\n").unwrap_or((&normalized, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let qp = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("Content-Transfer-Encoding")
            && v.eq_ignore_ascii_case("quoted-printable")
    });
    let body = if qp {
        decode_qp(body)
    } else {
        body.to_string()
    };
    Received {
        raw: raw.to_string(),
        headers,
        body,
    }
}

fn decode_qp(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
