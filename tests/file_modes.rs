//! Files that hold customers' data or secrets are 0600 in 0700 folders, whatever the umask:
//! the database, spool files, downloads, backups, templates, the log, portal uploads, and the
//! worker's wake socket; and the secrets file laid over config.toml.

mod support;

use std::io::{Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Stdio;

use support::TestEnv;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn order() -> serde_json::Value {
    serde_json::json!({
        "order_number": "SO-MODES", "date": "2026-11-20", "currency": "EUR",
        "customer": {"name": "Camille Martin"},
        "billing_address": {"name": "Camille Martin", "street": "12 rue des Lilas",
            "postal_code": "69003", "city": "Lyon", "country": "FR"},
        "lines": [{"description": "Paper", "quantity": 1, "unit_price": 4.5, "vat_rate": 20}]
    })
}

#[test]
fn documents_spool_files_downloads_backups_and_the_log_are_private() {
    let env = TestEnv::new();
    let spool = env.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    // backroom creates the downloads folder itself: owner-only.
    std::fs::remove_dir(env.path().join("home/Downloads")).unwrap();
    env.ok(&[
        "printers",
        "add",
        "front",
        "--provider",
        "spool",
        "--target",
        spool.to_str().unwrap(),
    ]);
    let payload = env.path().join("order.json");
    std::fs::write(&payload, order().to_string()).unwrap();
    env.ok(&[
        "events",
        "emit",
        "order.received",
        "--file",
        payload.to_str().unwrap(),
    ]);
    env.ok(&["worker", "--until-idle"]);

    let data = env.path().join("data/backroom");
    assert_eq!(mode(&data), 0o700, "data folder");
    assert_eq!(mode(&env.db()), 0o600, "database");
    let spooled: Vec<_> = std::fs::read_dir(&spool)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(spooled.len(), 1, "{spooled:?}");
    assert_eq!(mode(&spooled[0]), 0o600, "spool file");

    let downloaded = env.ok(&["jobs", "download", "1"]);
    let downloads = env.path().join("home/Downloads");
    assert_eq!(mode(&downloads), 0o700, "downloads folder made by backroom");
    let file = std::fs::read_dir(&downloads)
        .unwrap()
        .next()
        .unwrap_or_else(|| panic!("nothing downloaded: {downloaded}"))
        .unwrap()
        .path();
    assert_eq!(mode(&file), 0o600, "download");
    env.ok(&["contacts", "template"]);
    assert_eq!(mode(&downloads.join("users_template.csv")), 0o600);

    env.ok(&["contacts", "add", "Alice Martin", "alice@x.org"]);
    let backups = env.path().join("backups/nested");
    env.ok(&[
        "contacts",
        "backup",
        "alice@x.org",
        "--out",
        backups.to_str().unwrap(),
    ]);
    assert_eq!(mode(&backups), 0o700, "backup folder");
    assert_eq!(mode(&backups.join("Alice Martin.zip")), 0o600, "backup");

    let state = env.path().join("state/backroom");
    assert_eq!(mode(&state), 0o700, "log folder");
    assert_eq!(mode(&state.join("backroom.log")), 0o600, "log");
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn portal_uploads_and_the_wake_socket_are_private() {
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config(&format!(
        "[portal]\nbase_url = \"http://127.0.0.1:{port}/portal\"\n"
    ));
    let link = env.json(&["links", "show"])["generic_link"]
        .as_str()
        .unwrap()
        .to_string();
    let path = link
        .strip_prefix(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .to_string();
    let _server = Child(
        env.command()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    support::wait_for_port(port, "backroom serve");
    let body = b"%PDF-1.4\n% a customer's poster\n%%EOF\n";
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST {path}/jobs?title=Poster&name=poster.pdf&email=walkin@x.org HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");

    let jobs = env.path().join("data/backroom/shop-jobs");
    let dirs: Vec<_> = std::fs::read_dir(&jobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    assert_eq!(mode(&dirs[0]), 0o700, "job folder");
    assert_eq!(mode(&dirs[0].join("input.pdf")), 0o600, "uploaded PDF");
    assert_eq!(mode(&jobs.join(".incoming")), 0o700, "upload folder");

    // serve runs the worker, which listens for wake-ups next to the database, owner-only.
    let socket = env.path().join("data/backroom/backroom.db.wake");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !socket.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no wake socket at {}",
            socket.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(mode(&socket), 0o600, "wake socket");
}

#[test]
fn secrets_come_from_a_private_secrets_file_laid_over_the_config() {
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config("[server]\nlisten = \"127.0.0.1:1\"\n");
    let secrets = env.config_path().with_file_name("secrets.toml");
    std::fs::write(&secrets, "[server]\napi_token = \"tok-from-secrets-77\"\n").unwrap();

    // Readable by others: refused, naming the file and the fix.
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = env.fails(2, &["printers", "list"]);
    assert!(
        err.contains("secrets.toml") && err.contains("chmod 600") && !err.contains("tok-from"),
        "{err}"
    );
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).unwrap();

    // Only secrets belong there.
    std::fs::write(
        &secrets,
        "[server]\napi_token = \"tok-from-secrets-77\"\nlisten = \"0.0.0.0:80\"\n",
    )
    .unwrap();
    let err = env.fails(2, &["printers", "list"]);
    assert!(err.contains("[server] listen is not a secret"), "{err}");
    std::fs::write(&secrets, "[server]\napi_token = \"tok-from-secrets-77\"\n").unwrap();

    let _server = Child(
        env.command()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    support::wait_for_port(port, "backroom serve");
    let post = |token: &str| {
        let body = serde_json::json!({"kind": "order.received", "payload": order()}).to_string();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "POST /api/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    };
    assert!(post("tok-from-secrets-77").starts_with("HTTP/1.1 201"));
    assert!(post("wrong").starts_with("HTTP/1.1 401"));
}
