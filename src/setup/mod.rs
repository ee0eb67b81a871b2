//! `backroom setup --system`: the store server's service account, admin group, folders with
//! their modes, config and secrets skeletons and sandboxed systemd unit. Every step looks first
//! and changes only what differs, so running it twice changes nothing.

pub mod skeleton;
pub mod unit;

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the system service lives, and under which names.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Prefix on disk (`/`; another folder to stage an image).
    pub root: PathBuf,
    /// The service account (and its group).
    pub user: String,
    /// Members of this group are admins.
    pub admin_group: String,
    /// The binary the unit starts.
    pub exec: PathBuf,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub unit_file: PathBuf,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            root: PathBuf::from("/"),
            user: "backroom".to_string(),
            admin_group: "backroom-admin".to_string(),
            exec: PathBuf::from("/usr/bin/backroom"),
            config_dir: PathBuf::from("/etc/backroom"),
            data_dir: PathBuf::from("/var/lib/backroom"),
            log_dir: PathBuf::from("/var/log/backroom"),
            unit_file: PathBuf::from("/etc/systemd/system/backroom.service"),
        }
    }
}

impl Layout {
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn secrets_file(&self) -> PathBuf {
        crate::config_secrets::path_for(&self.config_file())
    }

    pub fn db_file(&self) -> PathBuf {
        self.data_dir.join("backroom.db")
    }

    /// The path as the running system sees it.
    pub fn system_path(&self, p: &Path) -> PathBuf {
        p.to_path_buf()
    }

    /// The path on disk, under `root`.
    pub fn on_disk(&self, p: &Path) -> PathBuf {
        self.root.join(p.strip_prefix("/").unwrap_or(p))
    }

    fn unit_name(&self) -> String {
        self.unit_file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "backroom.service".to_string())
    }
}

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Created,
    Fixed,
    Unchanged,
    Skipped,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub what: String,
    pub change: Change,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("backroom setup --system must run as root (it creates an account and system folders)")]
    NotRoot,
    #[error("{command} failed: {message}")]
    Command { command: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SetupError + '_ {
    move |source| SetupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Whether systemd manages this machine (`sd_booted`: /run/systemd/system exists).
pub fn systemd_runs() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// Runs every step; `enable` asks systemd to enable and start the unit where systemd runs.
pub fn system(layout: &Layout, enable: bool) -> Result<Vec<Step>, SetupError> {
    let euid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0);
    if euid != 0 {
        return Err(SetupError::NotRoot);
    }
    let mut steps = vec![group(&layout.admin_group)?, account(layout)?];
    let (uid, gid) = ids(&layout.user)?;
    let dirs = [
        (&layout.config_dir, 0o750, 0, gid),
        (&layout.data_dir, 0o700, uid, gid),
        (&layout.log_dir, 0o700, uid, gid),
    ];
    for (dir, mode, owner, group) in dirs {
        steps.push(folder(&layout.on_disk(dir), mode, owner, group)?);
    }
    steps.push(file(
        &layout.on_disk(&layout.config_file()),
        skeleton::CONFIG,
        Mode::KeepContent(0o640, 0, gid),
    )?);
    steps.push(file(
        &layout.on_disk(&layout.secrets_file()),
        skeleton::SECRETS,
        Mode::KeepContent(0o600, uid, gid),
    )?);
    if let Some(parent) = layout.on_disk(&layout.unit_file).parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let unit = file(
        &layout.on_disk(&layout.unit_file),
        &unit::text(layout),
        Mode::OwnContent(0o644, 0, 0),
    )?;
    let unit_changed = unit.change != Change::Unchanged;
    steps.push(unit);
    steps.push(service(layout, enable, unit_changed)?);
    Ok(steps)
}

fn run(program: &str, args: &[&str]) -> Result<String, SetupError> {
    let command = format!("{program} {}", args.join(" "));
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| SetupError::Command {
            command: command.clone(),
            message: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(SetupError::Command {
            command,
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `getent` line of a name, if it exists.
fn getent(database: &str, name: &str) -> Option<String> {
    let out = Command::new("getent")
        .args([database, name])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn group(name: &str) -> Result<Step, SetupError> {
    let what = format!("group {name}");
    if getent("group", name).is_some() {
        return Ok(unchanged(what));
    }
    run("groupadd", &["--system", name])?;
    Ok(Step {
        what,
        change: Change::Created,
        detail: "its members are backroom administrators".to_string(),
    })
}

fn account(layout: &Layout) -> Result<Step, SetupError> {
    let what = format!("service account {}", layout.user);
    if getent("passwd", &layout.user).is_some() {
        return Ok(unchanged(what));
    }
    let home = layout.system_path(&layout.data_dir).display().to_string();
    run(
        "useradd",
        &[
            "--system",
            "--user-group",
            "--home-dir",
            &home,
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "--comment",
            "backroom service",
            &layout.user,
        ],
    )?;
    Ok(Step {
        what,
        change: Change::Created,
        detail: format!("home {home}, no login shell"),
    })
}

fn ids(user: &str) -> Result<(u32, u32), SetupError> {
    let line = getent("passwd", user).ok_or_else(|| SetupError::Command {
        command: format!("getent passwd {user}"),
        message: "the service account does not exist".to_string(),
    })?;
    let fields: Vec<&str> = line.split(':').collect();
    let parse = |i: usize| fields.get(i).and_then(|f| f.parse::<u32>().ok());
    match (parse(2), parse(3)) {
        (Some(uid), Some(gid)) => Ok((uid, gid)),
        _ => Err(SetupError::Command {
            command: format!("getent passwd {user}"),
            message: format!("unexpected line {line:?}"),
        }),
    }
}

fn unchanged(what: String) -> Step {
    Step {
        what,
        change: Change::Unchanged,
        detail: String::new(),
    }
}

/// Makes `path`'s mode and owner right; says whether it had to.
fn fix_owner_and_mode(path: &Path, mode: u32, uid: u32, gid: u32) -> Result<bool, SetupError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    let mut fixed = false;
    if meta.uid() != uid || meta.gid() != gid {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io(path))?;
        fixed = true;
    }
    if meta.permissions().mode() & 0o7777 != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io(path))?;
        fixed = true;
    }
    Ok(fixed)
}

fn folder(path: &Path, mode: u32, uid: u32, gid: u32) -> Result<Step, SetupError> {
    let what = format!("folder {} ({mode:04o})", path.display());
    let created = if path.is_dir() {
        false
    } else {
        std::fs::create_dir_all(path).map_err(io(path))?;
        true
    };
    let fixed = fix_owner_and_mode(path, mode, uid, gid)?;
    Ok(Step {
        what,
        change: if created {
            Change::Created
        } else if fixed {
            Change::Fixed
        } else {
            Change::Unchanged
        },
        detail: String::new(),
    })
}

enum Mode {
    /// Written only when missing: the administrator's edits stay.
    KeepContent(u32, u32, u32),
    /// backroom's own file: rewritten when it differs.
    OwnContent(u32, u32, u32),
}

fn file(path: &Path, content: &str, mode: Mode) -> Result<Step, SetupError> {
    let (m, uid, gid, own) = match mode {
        Mode::KeepContent(m, u, g) => (m, u, g, false),
        Mode::OwnContent(m, u, g) => (m, u, g, true),
    };
    let what = format!("file {} ({m:04o})", path.display());
    let existing = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(path)(e)),
    };
    let change = match existing {
        None => {
            write_new(path, content, m)?;
            Change::Created
        }
        Some(old) if own && old != content => {
            write_new(path, content, m)?;
            Change::Fixed
        }
        Some(_) => Change::Unchanged,
    };
    let fixed = fix_owner_and_mode(path, m, uid, gid)?;
    Ok(Step {
        what,
        change: if change == Change::Unchanged && fixed {
            Change::Fixed
        } else {
            change
        },
        detail: String::new(),
    })
}

/// Writes through a temporary file created with the final mode, then renames it into place.
fn write_new(path: &Path, content: &str, mode: u32) -> Result<(), SetupError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("setup-tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode & 0o600)
        .open(&tmp)
        .map_err(io(&tmp))?;
    f.write_all(content.as_bytes()).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Enables and starts the unit where systemd runs; says how to start the daemon elsewhere.
fn service(layout: &Layout, enable: bool, unit_changed: bool) -> Result<Step, SetupError> {
    let name = layout.unit_name();
    let what = format!("systemd unit {name}");
    let by_hand = format!(
        "start the daemon by hand: runuser -u {} -- {} daemon",
        layout.user,
        layout.exec.display()
    );
    if layout.root != Path::new("/") {
        return Ok(Step {
            what,
            change: Change::Skipped,
            detail: format!("staged under {}", layout.root.display()),
        });
    }
    if !enable || !systemd_runs() {
        let why = if enable {
            "systemd is not running here"
        } else {
            "--no-enable"
        };
        return Ok(Step {
            what,
            change: Change::Skipped,
            detail: format!("{why}; {by_hand}"),
        });
    }
    if unit_changed {
        run("systemctl", &["daemon-reload"])?;
    }
    let enabled = Command::new("systemctl")
        .args(["is-enabled", "--quiet", &name])
        .status()
        .is_ok_and(|s| s.success());
    if enabled && !unit_changed {
        return Ok(unchanged(what));
    }
    run("systemctl", &["enable", "--now", &name])?;
    if unit_changed && enabled {
        run("systemctl", &["try-restart", &name])?;
    }
    Ok(Step {
        what,
        change: if enabled {
            Change::Fixed
        } else {
            Change::Created
        },
        detail: "enabled and started".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_is_sandboxed_and_starts_the_daemon() {
        let text = unit::text(&Layout::default());
        for line in [
            "ExecStart=/usr/bin/backroom daemon",
            "User=backroom",
            "ProtectSystem=strict",
            "NoNewPrivileges=yes",
            "RuntimeDirectory=backroom",
            "ReadWritePaths=/var/lib/backroom /var/log/backroom",
            "Environment=BACKROOM_CONFIG=/etc/backroom/config.toml",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }

    #[test]
    fn the_skeletons_parse_as_a_config_and_a_secrets_file() {
        crate::config::Config::parse(skeleton::CONFIG, Path::new("config.toml")).unwrap();
        let secrets: toml::Table = toml::from_str(skeleton::SECRETS).unwrap();
        assert!(secrets.is_empty());
    }
}
