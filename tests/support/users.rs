//! Real OS users and groups for role tests (CI runs as root): created with `useradd`/`groupadd`
//! under unique names, removed with `userdel`/`groupdel` on Drop.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A user (or group) that exists while this value lives.
pub struct OsUser {
    pub name: String,
    group: bool,
}

/// Fails loudly unless the tests run as root (they create users and switch to them).
pub fn require_root() {
    let out = Command::new("id").arg("-u").output().expect("run id");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "0",
        "the role tests create OS users and run clients as them: run them as root (CI does)"
    );
    super::require_program("runuser", "util-linux");
    super::require_program("useradd", "passwd");
}

/// A unique name with `prefix` (OS names are at most 32 characters).
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "br{prefix}{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

impl OsUser {
    /// `useradd -M -s /usr/sbin/nologin NAME [-G groups]`.
    pub fn create(prefix: &str, groups: &[&str]) -> OsUser {
        let name = unique(prefix);
        let mut c = Command::new("useradd");
        c.args(["-M", "-s", "/usr/sbin/nologin"]);
        if !groups.is_empty() {
            c.args(["-G", &groups.join(",")]);
        }
        let status = c.arg(&name).status().expect("run useradd");
        assert!(status.success(), "useradd {name} failed");
        OsUser { name, group: false }
    }

    /// `groupadd NAME`.
    pub fn group(prefix: &str) -> OsUser {
        let name = unique(prefix);
        let status = Command::new("groupadd")
            .arg(&name)
            .status()
            .expect("run groupadd");
        assert!(status.success(), "groupadd {name} failed");
        OsUser { name, group: true }
    }

    /// `chown NAME: path`.
    pub fn own(&self, path: &std::path::Path) {
        let status = Command::new("chown")
            .args(["-R", &format!("{}:", self.name)])
            .arg(path)
            .status()
            .expect("run chown");
        assert!(status.success(), "chown {} {}", self.name, path.display());
    }
}

impl Drop for OsUser {
    fn drop(&mut self) {
        let (cmd, what) = if self.group {
            ("groupdel", "group")
        } else {
            ("userdel", "user")
        };
        if !Command::new(cmd)
            .arg(&self.name)
            .status()
            .is_ok_and(|s| s.success())
        {
            eprintln!("warning: could not remove the test {what} {}", self.name);
        }
    }
}
