//! A real terminal for end-to-end tests: a private tmux server (its own socket), one 120×40 pane
//! running a command in the test's environment, keys sent with send-keys, the screen read with
//! capture-pane. The pane stays after the command exits (`remain-on-exit`) so its exit status and
//! last output can be read. The server is killed on Drop.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::TestEnv;

pub const WIDTH: u16 = 120;
pub const HEIGHT: u16 = 40;

pub struct Tmux {
    socket: String,
    conf: PathBuf,
}

/// The backroom binary, copied once per build: other builds sharing the target dir may replace
/// the original while the tests run. The copy lives in cargo's temp dir under the original's
/// size and time, so every test process of one build shares it, and copies made more than
/// two hours old are removed (one copy per test process filled the disk: 100 MB × 369).
pub fn backroom_binary() -> PathBuf {
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let original = PathBuf::from(env!("CARGO_BIN_EXE_backroom"));
        let meta = std::fs::metadata(&original).expect("the backroom binary");
        let built = meta
            .modified()
            .expect("the binary's time")
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a time after 1970");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("backroom-bin");
        std::fs::create_dir_all(&dir).expect("create the binary's dir");
        let name = format!("backroom-{}-{}", meta.len(), built.as_nanos());
        let to = dir.join(&name);
        if !to.exists() {
            let part = dir.join(format!("{name}.part-{}", std::process::id()));
            std::fs::copy(&original, &part).expect("copy the backroom binary");
            std::fs::rename(&part, &to).expect("put the binary's copy in place");
        }
        remove_old_copies(&dir, &to);
        to
    })
    .clone()
}

fn remove_old_copies(dir: &std::path::Path, keep: &std::path::Path) {
    const OLD: Duration = Duration::from_secs(2 * 3600);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if path != keep && age.is_some_and(|a| a > OLD) {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Tmux {
    /// Starts `command` (run by `sh -c`) in a fresh 120×40 tmux pane with `env`'s variables
    /// and `extra` ones.
    pub fn start(env: &TestEnv, command: &str, extra: &[(&str, &str)]) -> Tmux {
        let mut vars = env.vars();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Tmux::launch(env.path(), command, &vars)
    }

    /// Starts `command` with only tmux's own environment (the command sets what it needs, e.g.
    /// `runuser -u USER -- env -i ...`); tmux's config goes into `dir`.
    pub fn bare(dir: &std::path::Path, command: &str) -> Tmux {
        Tmux::launch(dir, command, &[])
    }

    fn launch(dir: &std::path::Path, command: &str, vars: &[(String, String)]) -> Tmux {
        super::require_program("tmux", "tmux");
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let socket = format!("backroom-test-{}-{n}", std::process::id());
        let conf = dir.join(format!("tmux-{n}.conf"));
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g status off\nset -g history-limit 1000\n",
        )
        .expect("write tmux.conf");
        let tmux = Tmux { socket, conf };
        let mut c = tmux.command();
        c.env_remove("BACKROOM_DB")
            .env_remove("BACKROOM_CONFIG")
            .env_remove("TMUX")
            .env("TERM", "xterm-256color")
            .env("RUST_BACKTRACE", "0");
        for (k, v) in vars {
            c.env(k, v);
        }
        c.args(["new-session", "-d", "-s", "t", "-x"])
            .arg(WIDTH.to_string())
            .arg("-y")
            .arg(HEIGHT.to_string())
            // The shell reports the exit status itself: tmux sometimes leaves its child a zombie
            // on a loaded machine, and then `pane_dead_status` stays empty.
            .arg(format!("{command}; printf '\\n{EXIT_MARK}%d]]\\n' $?"));
        let out = c.output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket).arg("-f").arg(&self.conf);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run tmux")
    }

    /// Sends keys by tmux name (`Enter`, `Escape`, `C-c`, `Down`) or literal single characters.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.send(k);
            // A key at a time, as a person types: escape sequences are not merged with the next key.
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Sends one key by tmux name and returns at once (for timing: no pause after it).
    pub fn send(&self, key: &str) {
        let out = self.run(&["send-keys", "-t", "t", key]);
        assert!(out.status.success(), "send-keys {key}: {:?}", out);
    }

    /// Sends text literally and returns at once.
    pub fn send_text(&self, text: &str) {
        let out = self.run(&["send-keys", "-t", "t", "-l", text]);
        assert!(out.status.success(), "send-keys -l {text}: {:?}", out);
    }

    /// The visible screen with its colours and attributes: a selection that moved is a change.
    pub fn styled_screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-e", "-t", "t"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        self.send_text(text);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Resizes the window (the program gets SIGWINCH).
    pub fn resize(&self, width: u16, height: u16) {
        let out = self.run(&[
            "resize-window",
            "-t",
            "t",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        assert!(out.status.success(), "resize-window: {:?}", out);
    }

    /// The visible screen.
    pub fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", "t"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Everything the pane printed, scrolled-off lines included (read after the program exits).
    pub fn output(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", "t", "-S", "-", "-E", "-"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane's output (history included) shows `needle`.
    pub fn wait_output(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self.output();
            if out.contains(needle) {
                return out;
            }
            if Instant::now() > deadline {
                panic!("waited 10 s for {needle}; the pane printed:\n{out}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A tmux format about the pane (`#{alternate_on}`, `#{pane_dead_status}`...).
    pub fn format(&self, f: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "t", f]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the screen shows `needle`; panics with the screen after 10 s.
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |s| s.contains(needle))
    }

    /// Waits until the screen no longer shows `needle`.
    pub fn wait_gone(&self, needle: &str) -> String {
        self.wait_until(&format!("`{needle}` to go"), |s| !s.contains(needle))
    }

    /// Waits until `ok` holds for the screen; panics with the screen after 10 s.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("waited 10 s for {what}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the command to exit; returns its exit status.
    pub fn wait_exit(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if let Some(status) = screen
                .lines()
                .filter_map(|l| l.trim().strip_prefix(EXIT_MARK)?.strip_suffix("]]"))
                .find_map(|n| n.parse().ok())
            {
                return status;
            }
            if self.format("#{pane_dead}") == "1"
                && let Ok(status) = self.format("#{pane_dead_status}").parse()
            {
                return status;
            }
            if Instant::now() > deadline {
                panic!("the command did not exit within 10 s:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// What the shell prints once the command under test exited: `[[exit N]]`.
const EXIT_MARK: &str = "[[exit ";

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
