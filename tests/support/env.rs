//! A fresh, private environment per test: its own HOME, XDG dirs, database and config.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "data", "config", "state", "home/Downloads"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("create dir");
        }
        TestEnv { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db(&self) -> PathBuf {
        self.path().join("data/backroom/backroom.db")
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("config/backroom/config.toml")
    }

    /// Writes `config.toml`.
    pub fn write_config(&self, text: &str) {
        let p = self.config_path();
        std::fs::create_dir_all(p.parent().expect("parent")).expect("config dir");
        std::fs::write(p, text).expect("write config");
    }

    /// The environment variables that point backroom at this test's dirs.
    pub fn vars(&self) -> Vec<(String, String)> {
        let p = |s: &str| self.path().join(s).display().to_string();
        vec![
            ("HOME".into(), p("home")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_STATE_HOME".into(), p("state")),
            ("XDG_DOWNLOAD_DIR".into(), p("home/Downloads")),
            ("USER".into(), "tester".into()),
            ("NO_COLOR".into(), "1".into()),
            // A daemon on this machine (the system service) must not answer a test's client.
            ("BACKROOM_NO_DAEMON".into(), "1".into()),
        ]
    }

    /// A `backroom` command in this environment.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_backroom"));
        c.env_remove("BACKROOM_DB")
            .env_remove("BACKROOM_CONFIG")
            .env_remove("BACKROOM_SOCKET");
        for (k, v) in self.vars() {
            c.env(k, v);
        }
        c
    }

    /// A `backroom` command with the printing worker's production settings: the tuning
    /// variables a test may have set (retry base, job lease, attempts, the pause after a send)
    /// are removed.
    pub fn production_command(&self) -> Command {
        let mut c = self.command();
        for var in [
            "BACKROOM_PRINT_RETRY_BASE_MS",
            "BACKROOM_PRINT_JOB_LEASE_MS",
            "BACKROOM_PRINT_MAX_ATTEMPTS",
            "BACKROOM_PRINT_TEST_PAUSE_AFTER_SEND_MS",
        ] {
            c.env_remove(var);
        }
        c
    }

    /// Runs `backroom ARGS...` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run backroom")
    }

    /// Runs `backroom ARGS...`, asserting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "backroom {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `backroom --json ARGS...`, asserting success; returns the parsed JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("backroom {args:?}: bad JSON ({e}): {out}"))
    }

    /// Runs `backroom ARGS...`, asserting failure with `code`; returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "backroom {args:?}: expected exit {code}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        TestEnv::new()
    }
}
