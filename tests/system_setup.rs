//! `backroom setup --system` on the CI machine (which runs as root) with real OS accounts, and the
//! Debian package built by `cargo deb`, installed with `dpkg -i`, checked, used, and removed.

mod support;

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

fn require_root() {
    let uid = std::fs::metadata("/proc/self").unwrap().uid();
    assert_eq!(
        uid, 0,
        "these tests create OS accounts and install a package: run them as root (CI does)"
    );
}

fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn getent(db: &str, name: &str) -> Option<String> {
    let (ok, out) = sh(&format!("getent {db} {name}"));
    ok.then(|| out.trim().to_string())
}

fn uid_gid(user: &str) -> (u32, u32) {
    let line = getent("passwd", user).unwrap_or_else(|| panic!("no account {user}"));
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().unwrap(), f[3].parse().unwrap())
}

/// (mode, uid, gid) of a path.
fn stat(p: &Path) -> (u32, u32, u32) {
    let m = std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.permissions().mode() & 0o7777, m.uid(), m.gid())
}

/// Removes the test's account and group, even when the test fails.
struct Accounts(Vec<(&'static str, String)>);

impl Drop for Accounts {
    fn drop(&mut self) {
        for (kind, name) in &self.0 {
            let _ = Command::new(if *kind == "user" {
                "userdel"
            } else {
                "groupdel"
            })
            .arg(name)
            .output();
        }
    }
}

#[test]
fn setup_system_creates_the_account_group_folders_config_and_unit_and_twice_changes_nothing() {
    require_root();
    let env = support::TestEnv::new();
    let root = env.path().join("image");
    let tag = std::process::id() % 100_000;
    let user = format!("brsvc{tag}");
    let group = format!("bradm{tag}");
    let _cleanup = Accounts(vec![("user", user.clone()), ("group", group.clone())]);
    let args = [
        "setup",
        "--system",
        "--root",
        root.to_str().unwrap(),
        "--user",
        &user,
        "--admin-group",
        &group,
    ];
    let first = env.ok(&args);
    assert!(first.contains("created"), "{first}");

    let passwd = getent("passwd", &user).expect("service account created");
    assert!(
        passwd.ends_with(":/var/lib/backroom:/usr/sbin/nologin"),
        "{passwd}"
    );
    assert!(getent("group", &group).is_some(), "admin group created");
    let (uid, gid) = uid_gid(&user);
    assert!(uid < 1000, "a system account: uid {uid}");
    let at = |p: &str| root.join(p);
    assert_eq!(stat(&at("etc/backroom")), (0o750, 0, gid));
    assert_eq!(stat(&at("etc/backroom/config.toml")), (0o640, 0, gid));
    assert_eq!(stat(&at("etc/backroom/secrets.toml")), (0o600, uid, gid));
    assert_eq!(stat(&at("var/lib/backroom")), (0o700, uid, gid));
    assert_eq!(stat(&at("var/log/backroom")), (0o700, uid, gid));
    let unit_path = at("etc/systemd/system/backroom.service");
    assert_eq!(stat(&unit_path), (0o644, 0, 0));
    let unit = std::fs::read_to_string(&unit_path).unwrap();
    for line in [
        "ExecStart=/usr/bin/backroom daemon",
        &format!("User={user}"),
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "RuntimeDirectory=backroom",
        "ReadWritePaths=/var/lib/backroom /var/log/backroom",
    ] {
        assert!(unit.lines().any(|l| l == line), "missing {line}:\n{unit}");
    }
    // The skeleton is a valid config for backroom itself, and holds no secret.
    let config = std::fs::read_to_string(at("etc/backroom/config.toml")).unwrap();
    backroom::config::Config::parse(&config, Path::new("config.toml")).expect("valid config");
    assert!(!config.contains("api_token ="), "{config}");

    // An administrator edits the config; a second run changes nothing at all.
    std::fs::write(
        at("etc/backroom/config.toml"),
        format!("{config}\n# edited\n"),
    )
    .unwrap();
    let before: Vec<_> = walk(&root)
        .into_iter()
        .map(|p| {
            (
                p.clone(),
                std::fs::metadata(&p).unwrap().mtime_nsec(),
                stat(&p),
            )
        })
        .collect();
    let json = env.json(&args);
    assert_eq!(json["changed"], 0, "{json}");
    let second = env.ok(&args);
    assert!(second.contains("nothing changed"), "{second}");
    let after: Vec<_> = walk(&root)
        .into_iter()
        .map(|p| {
            (
                p.clone(),
                std::fs::metadata(&p).unwrap().mtime_nsec(),
                stat(&p),
            )
        })
        .collect();
    assert_eq!(before, after);
    assert!(
        std::fs::read_to_string(at("etc/backroom/config.toml"))
            .unwrap()
            .ends_with("# edited\n")
    );

    // A mode someone loosened is put back, and said so.
    std::fs::set_permissions(
        at("etc/backroom/secrets.toml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let third = env.ok(&args);
    assert!(
        third.contains("fixed") && third.contains("secrets.toml"),
        "{third}"
    );
    assert_eq!(stat(&at("etc/backroom/secrets.toml")), (0o600, uid, gid));
}

#[test]
fn setup_without_system_or_root_is_refused_clearly() {
    let env = support::TestEnv::new();
    let err = env.fails(2, &["setup"]);
    assert!(err.contains("--system"), "{err}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Removes the package, the account, the group and the folders it made, even on failure.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = sh("dpkg --purge backroom");
        let _ = sh("userdel backroom; groupdel backroom; groupdel backroom-admin");
        let _ = sh("rm -rf /etc/backroom /var/lib/backroom /var/log/backroom");
    }
}

#[test]
fn the_debian_package_installs_a_ready_store_server_and_a_normal_user_runs_a_client() {
    require_root();
    support::require_program("dpkg", "dpkg");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (ok, out) = sh(&format!("cd {} && cargo deb --version", repo.display()));
    assert!(
        ok,
        "cargo-deb is missing: `cargo install --locked cargo-deb` (bash tests/run.sh does): {out}"
    );
    // Package the binary this test run built (the same sources), without a second build.
    let out_dir = tempfile::tempdir().unwrap();
    let (ok, out) = sh(&format!(
        "cd {} && cargo deb --no-build --no-strip --fast --compress-type gz --profile dev --output {} 2>&1",
        repo.display(),
        out_dir.path().display()
    ));
    assert!(ok, "cargo deb failed: {out}");
    let deb = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .unwrap_or_else(|| panic!("no .deb written: {out}"));

    let _installed = Installed;
    let (ok, out) = sh(&format!("dpkg -i {} 2>&1", deb.display()));
    assert!(ok, "dpkg -i failed: {out}");
    assert_eq!(stat(Path::new("/usr/bin/backroom")).0, 0o755);
    let (uid, gid) = uid_gid("backroom");
    assert!(getent("group", "backroom-admin").is_some());
    assert_eq!(stat(Path::new("/etc/backroom")), (0o750, 0, gid));
    assert_eq!(
        stat(Path::new("/etc/backroom/config.toml")),
        (0o640, 0, gid)
    );
    assert_eq!(
        stat(Path::new("/etc/backroom/secrets.toml")),
        (0o600, uid, gid)
    );
    assert_eq!(stat(Path::new("/var/lib/backroom")), (0o700, uid, gid));
    assert_eq!(stat(Path::new("/var/log/backroom")), (0o700, uid, gid));
    let unit = std::fs::read_to_string("/etc/systemd/system/backroom.service").unwrap();
    assert!(
        unit.contains("ExecStart=/usr/bin/backroom daemon"),
        "{unit}"
    );
    assert!(unit.contains("ProtectSystem=strict") && unit.contains("NoNewPrivileges=yes"));
    // The postinst said what it did; where systemd does not run, how to start the daemon.
    if !Path::new("/run/systemd/system").is_dir() {
        assert!(out.contains("runuser -u backroom"), "{out}");
    }

    // A normal user runs a client from the installed binary, on their own database.
    let tag = std::process::id() % 100_000;
    let user = format!("brclerk{tag}");
    let _accounts = Accounts(vec![("user", user.clone())]);
    let (ok, out) = sh(&format!("useradd -m -s /bin/sh {user}"));
    assert!(ok, "{out}");
    let (ok, out) = sh(&format!(
        "runuser -u {user} -- sh -c 'cd && /usr/bin/backroom --version && /usr/bin/backroom --json printers list'"
    ));
    assert!(ok && out.contains("backroom"), "{out}");
    // The service's folders stay closed to that user.
    let (ok, _) = sh(&format!("runuser -u {user} -- ls /var/lib/backroom"));
    assert!(!ok, "a normal user must not list the data folder");
    let (ok, _) = sh(&format!(
        "runuser -u {user} -- cat /etc/backroom/secrets.toml"
    ));
    assert!(!ok, "a normal user must not read the secrets file");
    let _ = sh(&format!("userdel -r {user}"));

    let (ok, out) = sh("dpkg --purge backroom 2>&1");
    assert!(ok, "{out}");
    assert!(!Path::new("/usr/bin/backroom").exists());
}
