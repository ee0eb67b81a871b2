//! A real FTP server for tests: pyftpdlib on 127.0.0.1, a free control port and its own passive
//! ports, one user, a temporary root folder; killed on Drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct FtpServer {
    pub port: u16,
    pub user: String,
    pub password: String,
    pub root: tempfile::TempDir,
    child: Child,
    _certs: Option<tempfile::TempDir>,
}

/// The user and password every test server accepts.
pub const USER: &str = "caisse";
pub const PASSWORD: &str = "ftp-pass-42";

impl FtpServer {
    /// Starts pyftpdlib with write access for [`USER`]/[`PASSWORD`].
    pub fn start() -> FtpServer {
        FtpServer::launch(None, "127.0.0.1")
    }

    /// Starts pyftpdlib on the IPv6 loopback `::1` (data connections then need EPSV).
    pub fn start_ipv6() -> FtpServer {
        FtpServer::launch(None, "::1")
    }

    /// Starts pyftpdlib with explicit TLS (`AUTH TLS`) using a certificate for 127.0.0.1 signed by
    /// a throwaway CA; returns the server and the CA file to trust (`SSL_CERT_FILE`).
    pub fn start_tls() -> (FtpServer, PathBuf) {
        let ok = Command::new("python3")
            .args(["-c", "import OpenSSL"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "pyOpenSSL is missing (pyftpdlib needs it for TLS): install python3-openssl or `pip install pyOpenSSL` (bash tests/run.sh does)"
        );
        let certs = tempfile::tempdir().expect("cert dir");
        let ca = make_certificates(certs.path());
        let server = FtpServer::launch(Some(certs), "127.0.0.1");
        (server, ca)
    }

    fn launch(certs: Option<tempfile::TempDir>, interface: &str) -> FtpServer {
        ensure_pyftpdlib();
        let root = tempfile::tempdir().expect("ftp root");
        let port = super::free_port();
        let passive = passive_range();
        let child = Command::new("python3")
            .args(["-m", "pyftpdlib", "-i", interface])
            .args(["-p", &port.to_string()])
            .arg("-w")
            .args(["-d", &root.path().display().to_string()])
            .args(["-u", USER, "-P", PASSWORD])
            .args(["-r", &passive])
            .args(match &certs {
                Some(dir) => vec![
                    "--tls".to_string(),
                    "--certfile".to_string(),
                    dir.path().join("server.pem").display().to_string(),
                    "--keyfile".to_string(),
                    dir.path().join("server.key").display().to_string(),
                ],
                None => vec![],
            })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m pyftpdlib");
        let server = FtpServer {
            port,
            user: USER.to_string(),
            password: PASSWORD.to_string(),
            root,
            child,
            _certs: certs,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect((interface, port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "pyftpdlib did not listen on {interface} port {port} within 20 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        server
    }

    /// `ftp://127.0.0.1:PORT`, with `{}target` when given.
    pub fn address(&self, target: Option<&str>) -> String {
        match target {
            Some(t) => format!("ftp://127.0.0.1:{}{{}}{t}", self.port),
            None => format!("ftp://127.0.0.1:{}", self.port),
        }
    }

    /// A path inside the server's root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Creates a folder (and parents) inside the root.
    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(&p).expect("mkdir in ftp root");
        p
    }

    /// Writes a file inside the root (parents created).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).expect("mkdir in ftp root");
        }
        std::fs::write(&p, bytes).expect("write in ftp root");
        p
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

impl Drop for FtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ten passive ports no other server of this test binary uses: blocks of 10 handed out in turn
/// from 20000-29999 (below the kernel's ephemeral range, so free_port() never returns them),
/// starting at an offset taken from the process id, each port checked free.
fn passive_range() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        (std::process::id() % 100) * 100,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let offset = NEXT.fetch_add(10, Ordering::SeqCst) % 10000;
        let start = 20000 + offset as u16;
        let free =
            (start..start + 10).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
        if free {
            return format!("{}-{}", start, start + 9);
        }
    }
}

fn ensure_pyftpdlib() {
    let ok = Command::new("python3")
        .args(["-c", "import pyftpdlib"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "pyftpdlib is missing: install the Debian package python3-pyftpdlib or `pip install pyftpdlib` (bash tests/run.sh does)"
    );
}

/// A CA and a server certificate for 127.0.0.1/localhost made with the openssl CLI; returns the CA.
fn make_certificates(dir: &Path) -> PathBuf {
    super::require_program("openssl", "openssl");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write ext.cnf");
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=backroom test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    dir.join("ca.pem")
}
