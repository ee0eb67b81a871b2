//! A real, private PostgreSQL 15 for tests: `initdb` + `pg_ctl` in a temporary folder (as the
//! `postgres` OS user when the tests run as root), scram-sha-256 password auth on 127.0.0.1 and a
//! free port, its socket in the temporary folder; stopped on Drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Where Debian installs PostgreSQL 15's programs.
pub const BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct Postgres {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    dir: tempfile::TempDir,
}

impl Postgres {
    /// Initialises and starts a server (about a second); panics loudly when PostgreSQL is missing.
    pub fn start() -> Postgres {
        let initdb = Path::new(BIN).join("initdb");
        assert!(
            initdb.is_file(),
            "{} is missing: install the Debian package postgresql (bash tests/run.sh does)",
            initdb.display()
        );
        let dir = tempfile::tempdir().expect("postgres temp dir");
        let pg = Postgres {
            host: "127.0.0.1".to_string(),
            port: super::free_port(),
            user: "store_admin".to_string(),
            password: "pg-pass-42".to_string(),
            dir,
        };
        std::fs::write(pg.dir.path().join("pwfile"), &pg.password).expect("write pwfile");
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(pg.dir.path())
                .status()
                .expect("chown the postgres temp dir");
            assert!(
                status.success(),
                "chown postgres {}",
                pg.dir.path().display()
            );
        }
        let data = pg.data_dir();
        pg.run_ok(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                &pg.user,
                &format!("--pwfile={}", pg.dir.path().join("pwfile").display()),
                "--auth=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            pg.port,
            pg.dir.path().display()
        );
        pg.run_ok(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-o",
                &opts,
                "-l",
                &pg.dir.path().join("server.log").display().to_string(),
                "-w",
                "start",
            ],
        );
        pg
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL program (as `postgres` when root) with the password in the environment.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let exe = Path::new(BIN).join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args)
            .env("PGPASSWORD", &self.password)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
    }

    fn run_ok(&self, program: &str, args: &[&str]) -> Output {
        let out = self.run(program, args);
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}\n{}\nserver log: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
        out
    }

    /// Creates a database owned by the test user.
    pub fn create_database(&self, name: &str) {
        let port = self.port.to_string();
        self.run_ok(
            "createdb",
            &["-h", &self.host, "-p", &port, "-U", &self.user, name],
        );
    }

    /// Runs SQL in a database with psql (stops at the first error); returns its output.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = self.run_ok(
            "psql",
            &[
                "-h",
                &self.host,
                "-p",
                &port,
                "-U",
                &self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-qAt",
                "-c",
                sql,
            ],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data_dir().display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
