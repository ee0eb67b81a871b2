//! A daemon under its own service account and real OS users who talk to it (an admin by
//! group, a staff member, a shared terminal account), for the gate tests. Needs root.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::users::{OsUser, require_root};

pub const API_TOKEN: &str = "api-token-never-shown-4711";
pub const TILL_TOKEN: &str = "till-token-never-shown-0815";
pub const API_KEY: &str = "printnode-key-never-shown-1234";

/// A daemon under its own service account and the users who talk to it.
pub struct Gate {
    pub daemon: std::process::Child,
    pub root: PathBuf,
    pub bin: PathBuf,
    pub socket: PathBuf,
    pub web: u16,
    pub spool: PathBuf,
    pub service: OsUser,
    pub admin: OsUser,
    pub staff: OsUser,
    pub shared: OsUser,
    _group: OsUser,
}

impl Gate {
    pub fn start() -> Gate {
        Gate::start_with("")
    }

    /// A gate whose daemon config ends with `extra` (more sections, e.g. `[ui]`).
    pub fn start_with(extra: &str) -> Gate {
        require_root();
        let group = OsUser::group("grp");
        let service = OsUser::create("svc", &[]);
        let admin = OsUser::create("adm", &[&group.name]);
        let staff = OsUser::create("stf", &[]);
        let shared = OsUser::create("tty", &[]);
        let root = std::env::temp_dir().join(super::users::unique("gate"));
        for dir in ["bin", "run", "data", "spool", "etc"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        for user in [&admin, &staff, &shared] {
            let home = root.join("home").join(&user.name);
            std::fs::create_dir_all(home.join("Downloads")).unwrap();
            user.own(&home);
        }
        set_mode(&root, 0o755);
        set_mode(&root.join("home"), 0o755);
        let bin = root.join("bin/backroom");
        std::fs::copy(env!("CARGO_BIN_EXE_backroom"), &bin).unwrap();
        set_mode(&bin, 0o755);
        let web = super::free_port();
        let socket = root.join("run/backroom.sock");
        let config = format!(
            "[operators]\n{admin} = \"admin\"\nadmin_groups = [\"{group}\"]\nshared_accounts = [\"{shared}\"]\n\
             [server]\nlisten = \"127.0.0.1:{web}\"\napi_token = \"{API_TOKEN}\"\n\
             [server.till_tokens]\n\"7\" = \"{TILL_TOKEN}\"\n",
            admin = "nobody-by-name",
            group = group.name,
            shared = shared.name,
        ) + extra;
        std::fs::write(root.join("etc/config.toml"), config).unwrap();
        for dir in ["run", "data", "spool", "etc"] {
            service.own(&root.join(dir));
        }
        set_mode(&root.join("data"), 0o700);
        set_mode(&root.join("etc"), 0o700);
        set_mode(&root.join("run"), 0o755);
        let daemon = Command::new("runuser")
            .args(["-m", "-u", &service.name, "--"])
            .arg(&bin)
            .arg("--config")
            .arg(root.join("etc/config.toml"))
            .arg("--db")
            .arg(root.join("data/backroom.db"))
            .arg("daemon")
            .arg("--socket")
            .arg(&socket)
            .env("HOME", root.join("data"))
            .env("XDG_STATE_HOME", root.join("data/state"))
            .env_remove("BACKROOM_NO_DAEMON")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the daemon");
        let gate = Gate {
            daemon,
            spool: root.join("spool"),
            root,
            bin,
            socket,
            web,
            service,
            admin,
            staff,
            shared,
            _group: group,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::os::unix::net::UnixStream::connect(&gate.socket).is_err() {
            assert!(
                Instant::now() < deadline,
                "the daemon never answered on its socket"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // The web service listens a moment after the socket: a test that went straight to it
        // was refused now and then.
        while std::net::TcpStream::connect(("127.0.0.1", gate.web)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the daemon's web service never listened on {}",
                gate.web
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        gate
    }

    pub fn home(&self, user: &OsUser) -> PathBuf {
        self.root.join("home").join(&user.name)
    }

    /// `backroom ARGS` run as `user` through the daemon's socket, with extra environment.
    pub fn client(
        &self,
        user: &OsUser,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: &[u8],
    ) -> Output {
        let home = self.home(user);
        let mut c = Command::new("runuser");
        // -m: keep the environment (HOME, and the USER a client may claim).
        c.args(["-m", "-u", &user.name, "--"])
            .arg(&self.bin)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
            .env("HOME", &home)
            .env("USER", &user.name)
            .env("XDG_DOWNLOAD_DIR", home.join("Downloads"))
            .env("BACKROOM_SOCKET", &self.socket)
            .current_dir(&home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("run a client");
        {
            use std::io::Write as _;
            let mut input = child.stdin.take().unwrap();
            input.write_all(stdin).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    pub fn run(&self, user: &OsUser, args: &[&str]) -> Output {
        self.client(user, args, &[], b"")
    }

    pub fn ok(&self, user: &OsUser, args: &[&str]) -> String {
        let out = self.run(user, args);
        assert!(
            out.status.success(),
            "{} {args:?}: exit {:?}\n{}{}",
            user.name,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The admin adds the spool printer `archive` writing into the gate's spool folder.
    pub fn add_spool_printer(&self) {
        let spool = self.spool.display().to_string();
        let add = [
            "printers",
            "add",
            "archive",
            "--provider",
            "spool",
            "--target",
            &spool,
        ];
        self.ok(&self.admin, &add);
    }

    /// The admin adds the admin operator `lea` whose password is "right password" (shared
    /// accounts sign in as her).
    pub fn add_operator_lea(&self) {
        let add = [
            "operators",
            "add",
            "lea",
            "--role",
            "admin",
            "--password",
            "-",
        ];
        let out = self.client(&self.admin, &add, &[], b"right password\n");
        assert!(out.status.success(), "{}", stderr(&out));
    }

    pub fn json(&self, user: &OsUser, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(user, &all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: bad JSON ({e}): {out}"))
    }

    /// True when `printers list` says printing is switched off for the store.
    pub fn printing_off(&self) -> bool {
        let out = self.run(&self.staff, &["printers", "list"]);
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out).contains("printing is switched off")
    }

    /// The TUI run as `user` in a real terminal (tmux), through the daemon: only the
    /// environment a login would have, plus `env` (a client's tricks) and `args`.
    pub fn tui(&self, user: &OsUser, args: &[&str], env: &[(&str, &str)]) -> super::tmux::Tmux {
        let home = self.home(user);
        let mut command = format!(
            "runuser -u {user} -- env -i PATH=/usr/bin:/bin HOME={home} USER={user} TERM=xterm-256color BACKROOM_SOCKET={socket}",
            user = user.name,
            home = home.display(),
            socket = self.socket.display(),
        );
        for (k, v) in env {
            command.push_str(&format!(" {k}='{v}'"));
        }
        command.push_str(&format!(" {}", self.bin.display()));
        for a in args {
            command.push_str(&format!(" '{a}'"));
        }
        super::tmux::Tmux::bare(&self.root, &command)
    }

    /// Waits (10 s at most) until the audit log has an entry that `matches`; returns the log.
    pub fn wait_audit(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let audit = self.audit();
            if audit.iter().any(&matches) {
                return audit;
            }
            assert!(
                Instant::now() < deadline,
                "no audit entry for {what} within 10 s:\n{audit:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn audit(&self) -> Vec<Value> {
        self.json(&self.admin, &["audit", "list", "--limit", "1000"])
            .as_array()
            .unwrap()
            .clone()
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.daemon.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.daemon.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        // runuser's child may outlive it for a moment: nothing of the service account may run
        // when its user is removed.
        let _ = Command::new("pkill")
            .args(["-KILL", "-u", &self.service.name])
            .status();
        std::thread::sleep(Duration::from_millis(100));
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

pub fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
