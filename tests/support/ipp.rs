//! Launcher for CUPS's `ippeveprinter`: a real IPP Everywhere printer on 127.0.0.1.
//!
//! `IppPrinter::start()` completes jobs in about a second (`-c /bin/true`);
//! `IppPrinter::start_slow()` fakes printing for ~12 s per job and answers `server-error-busy`
//! meanwhile. Received documents stay in the spool dir (`-k`). `stop()` / `restart()` keep the
//! port and the spool dir, for "printer off → printer back" scenarios. Killed on Drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PROGRAM: &str = "/usr/sbin/ippeveprinter";
const PDF: &str = "application/pdf,application/octet-stream";

pub struct IppPrinter {
    child: Option<Child>,
    pub port: u16,
    pub spool: tempfile::TempDir,
    fast: bool,
    formats: &'static str,
}

impl IppPrinter {
    /// A printer that completes each job in about a second.
    pub fn start() -> IppPrinter {
        IppPrinter::launch(true, PDF)
    }

    /// Like [`IppPrinter::start`], its spool folder under `base` (a bench keeps the printer's
    /// files on the disk it measures).
    pub fn start_in(base: &Path) -> IppPrinter {
        let spool = tempfile::tempdir_in(base).expect("ippeveprinter spool dir");
        IppPrinter::launch_in(true, PDF, spool)
    }

    /// A printer that takes ~12 s per job and answers `server-error-busy` while printing.
    pub fn start_slow() -> IppPrinter {
        IppPrinter::launch(false, PDF)
    }

    /// A raster-only printer: PDF documents get `client-error-document-format-not-supported`.
    pub fn start_without_pdf() -> IppPrinter {
        IppPrinter::launch(true, "image/pwg-raster")
    }

    fn launch(fast: bool, formats: &'static str) -> IppPrinter {
        let spool = tempfile::tempdir().expect("ippeveprinter spool dir");
        IppPrinter::launch_in(fast, formats, spool)
    }

    fn launch_in(fast: bool, formats: &'static str, spool: tempfile::TempDir) -> IppPrinter {
        let mut printer = IppPrinter {
            child: None,
            port: super::free_port(),
            spool,
            fast,
            formats,
        };
        printer.restart();
        printer
    }

    /// The printer's URI, as a backroom `ipp` target.
    pub fn url(&self) -> String {
        format!("ipp://127.0.0.1:{}/ipp/print", self.port)
    }

    pub fn spool_dir(&self) -> &Path {
        self.spool.path()
    }

    /// Stops the printer (connections are refused until `restart`).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts (again) on the same port with the same spool dir; waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        let program = Path::new(PROGRAM);
        if !program.is_file() {
            super::require_program("ippeveprinter", "cups-ipp-utils");
        }
        ensure_system_bus();
        let log = std::fs::File::create(self.spool.path().join("ippeveprinter.log"))
            .expect("ippeveprinter log file");
        let mut cmd = Command::new(program);
        cmd.args(["-r", "off", "-n", "localhost", "-k"])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-d")
            .arg(self.spool.path())
            .arg("-f")
            .arg(self.formats);
        if self.fast {
            cmd.args(["-c", "/bin/true"]);
        }
        cmd.arg("backroom-test")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = cmd.spawn().expect("start ippeveprinter");
        self.child = Some(child);
        super::wait_for_port(self.port, "ippeveprinter");
        self.wait_until_answering();
    }

    /// The port may accept before IPP answers: wait for a Get-Printer-Attributes reply.
    fn wait_until_answering(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("ippeveprinter exited ({status}); log: {}", self.log());
            }
            let req = "POST /ipp/print HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                if s.write_all(req.as_bytes()).is_ok() {
                    let mut buf = [0u8; 16];
                    if matches!(s.read(&mut buf), Ok(n) if n > 0) {
                        return;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "ippeveprinter did not answer within 20 s; log: {}",
            self.log()
        );
    }

    /// ippeveprinter's own log (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.spool.path().join("ippeveprinter.log")).unwrap_or_default()
    }

    /// The documents the printer received so far (ippeveprinter keeps `<job-id>-<name>.<ext>`).
    pub fn received(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = walk(self.spool.path())
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
            .collect();
        files.sort();
        files
    }

    /// Waits until at least `count` documents were received; returns them.
    pub fn wait_received(&self, count: usize, within: Duration) -> Vec<PathBuf> {
        let deadline = Instant::now() + within;
        loop {
            let files = self.received();
            if files.len() >= count || Instant::now() > deadline {
                return files;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for IppPrinter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// ippeveprinter refuses to start without a D-Bus system bus (DNS-SD): start one when missing.
pub fn ensure_system_bus() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if Path::new("/run/dbus/system_bus_socket").exists() {
            return;
        }
        let _ = std::fs::create_dir_all("/run/dbus");
        let _ = std::fs::remove_file("/run/dbus/pid");
        let status = Command::new("dbus-daemon")
            .args(["--system", "--fork"])
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "no D-Bus system bus and `dbus-daemon --system --fork` failed ({status:?}): \
             ippeveprinter needs one (install the Debian package dbus, run as root, or bash tests/run.sh)"
        );
    });
}
