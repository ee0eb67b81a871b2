//! The daemon as the one gate, with real OS users: a service account runs `backroom daemon`,
//! clients run as an admin, a staff member and a shared terminal account (`runuser`), and the
//! kernel (peer credentials) says who they are. Needs root (CI runs as root).

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::gate::{API_KEY, API_TOKEN, Gate, TILL_TOKEN, code, set_mode, stderr};

/// A way a client may claim a role: extra flags and environment.
type Trick<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

/// Admin-only actions staff must be refused, whatever the client claims.
const ADMIN_ONLY: &[&[&str]] = &[
    &["printers", "disable"],
    &["triggers", "disable", "order.received"],
    &["jobs", "purge"],
    &["links", "regenerate"],
    &["pos", "folders", "remove", "NOPE"],
    &[
        "sync",
        "tables",
        "remove",
        "NOPE",
        "ART",
        "--direction",
        "server-to-till",
    ],
    &["audit", "list"],
    &["operators", "list"],
];

#[test]
fn staff_is_refused_every_admin_only_action_whatever_it_claims_and_the_admin_is_allowed() {
    let gate = Gate::start();
    // A config of the staff member's own that names them admin, and a database of their own.
    let evil = gate.home(&gate.staff).join("evil.toml");
    std::fs::write(
        &evil,
        format!("[operators]\n{} = \"admin\"\n", gate.staff.name),
    )
    .unwrap();
    gate.staff.own(&evil);
    let evil = evil.display().to_string();
    let admin_name = gate.admin.name.clone();
    let tricks: [Trick; 4] = [
        (&[], &[]),
        (
            &[],
            &[
                ("USER", admin_name.as_str()),
                ("LOGNAME", admin_name.as_str()),
            ],
        ),
        (&["--config", evil.as_str()], &[]),
        (&[], &[("BACKROOM_CONFIG", evil.as_str())]),
    ];
    for action in ADMIN_ONLY {
        for (flags, env) in &tricks {
            let mut args: Vec<&str> = flags.to_vec();
            args.extend_from_slice(action);
            let out = gate.client(&gate.staff, &args, env, b"");
            assert_eq!(
                code(&out),
                Some(4),
                "staff {args:?} {env:?}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains("is for administrators"),
                "{}",
                stderr(&out)
            );
        }
    }
    // Printing is still on: none of the refused changes happened.
    assert!(!gate.printing_off());

    // The admin (by group) may.
    gate.ok(&gate.admin, &["printers", "disable"]);
    assert!(gate.printing_off());

    // Every refusal and the change are in the audit log, with the kernel's user names.
    let audit = gate.audit();
    let refused = audit
        .iter()
        .filter(|e| {
            e["user"] == gate.staff.name.as_str()
                && e["role"] == "staff"
                && e["outcome"].as_str().unwrap_or("").starts_with("refused")
        })
        .count();
    assert_eq!(refused, ADMIN_ONLY.len() * tricks.len(), "{audit:#?}");
    assert!(audit.iter().any(|e| e["user"] == gate.admin.name.as_str()
        && e["role"] == "admin"
        && e["action"] == "printers.disable"
        && e["outcome"] == "ok"));
    for e in &audit {
        for key in ["time", "user", "role", "action", "target", "outcome"] {
            assert!(e.get(key).is_some(), "{key} missing in {e}");
        }
    }
    let mine = gate.json(
        &gate.admin,
        &[
            "audit",
            "list",
            "--user",
            &gate.staff.name,
            "--action",
            "printers.disable",
        ],
    );
    assert_eq!(mine.as_array().unwrap().len(), tricks.len(), "{mine}");
}

#[test]
fn staff_cannot_open_the_database_the_data_folder_or_the_config() {
    let gate = Gate::start();
    let db = gate.root.join("data/backroom.db");
    assert!(db.is_file());
    for (prog, path) in [
        ("cat", db.clone()),
        ("ls", gate.root.join("data")),
        ("cat", gate.root.join("etc/config.toml")),
    ] {
        let out = Command::new("runuser")
            .args(["-u", &gate.staff.name, "--", prog])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!out.status.success(), "staff could read {}", path.display());
    }
    // Personal mode on the daemon's database is no way around it.
    let out = gate.run(
        &gate.staff,
        &[
            "--no-daemon",
            "--db",
            db.to_str().unwrap(),
            "printers",
            "disable",
        ],
    );
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(!gate.printing_off());
}

#[test]
fn files_travel_over_the_socket_and_the_worker_prints_at_once() {
    let gate = Gate::start();
    gate.add_spool_printer();
    // The payload is the staff member's own file (0600): the daemon could not open it.
    let order = gate.home(&gate.staff).join("order.json");
    std::fs::write(&order, ORDER).unwrap();
    set_mode(&order, 0o600);
    gate.staff.own(&order);
    let start = Instant::now();
    gate.ok(
        &gate.staff,
        &["events", "emit", "order.received", "--file", "order.json"],
    );
    let printed = loop {
        // The spool provider writes a temporary file, then renames it to `<uuid>.pdf`.
        let pdf = std::fs::read_dir(&gate.spool)
            .unwrap()
            .flatten()
            .map(|f| f.path())
            .find(|p| p.extension().is_some_and(|e| e == "pdf"));
        if let Some(pdf) = pdf {
            break pdf;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "nothing printed");
        std::thread::sleep(Duration::from_millis(10));
    };
    // Standard input travels too.
    let out = gate.client(
        &gate.staff,
        &["events", "emit", "order.shipped", "--file", "-"],
        &[],
        ORDER.as_bytes(),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // The download lands in the client's own file, owned by the client.
    let jobs = gate.json(&gate.staff, &["jobs", "list"]);
    let id = jobs["jobs"][0]["id"]
        .as_i64()
        .or_else(|| jobs[0]["id"].as_i64());
    let id = id
        .unwrap_or_else(|| panic!("no job id in {jobs}"))
        .to_string();
    gate.ok(&gate.staff, &["jobs", "download", &id, "--out", "copy.pdf"]);
    let copy = gate.home(&gate.staff).join("copy.pdf");
    let bytes = std::fs::read(&copy).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    use std::os::unix::fs::MetadataExt;
    // Owner-only whatever the client's umask, as in personal mode.
    assert_eq!(std::fs::metadata(&copy).unwrap().mode() & 0o777, 0o600);
    let owner = std::fs::metadata(&copy).unwrap().uid();
    let staff_uid = String::from_utf8(
        Command::new("id")
            .args(["-u", &gate.staff.name])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(owner.to_string(), staff_uid.trim());
    let sent = std::fs::read(&printed).unwrap();
    assert!(sent.starts_with(b"%PDF"));

    // Without --out, it goes to the client's downloads folder.
    gate.ok(&gate.staff, &["jobs", "download", &id]);
    let downloads: Vec<_> = std::fs::read_dir(gate.home(&gate.staff).join("Downloads"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(downloads.len(), 1, "{downloads:?}");

    // A path the client did not send is refused: the daemon opens no path a client names.
    let mut raw = std::os::unix::net::UnixStream::connect(&gate.socket).unwrap();
    hello(&mut raw, backroom::service::protocol::PROTOCOL);
    let reply = frame(
        &mut raw,
        &serde_json::json!({"Command": {"args": ["contacts", "import", "/etc/shadow"], "stdin": null, "inputs": [], "outputs": [], "downloads_dir": "/tmp"}}),
    );
    assert!(
        reply.to_string().contains("opens no path a client names"),
        "{reply}"
    );
    // Nor a path built around a marker (it would lead out of the command's own folder into the
    // daemon's), nor a marker for a file the client did not send.
    for (args, outputs) in [
        (
            serde_json::json!([
                "contacts",
                "export",
                "--out",
                "@@out:0@@/../../../PWNED.csv"
            ]),
            serde_json::json!([{"path": "/tmp/x", "is_dir": true}]),
        ),
        (
            serde_json::json!(["contacts", "export", "--out=@@out:0@@/../../../PWNED.csv"]),
            serde_json::json!([{"path": "/tmp/x", "is_dir": true}]),
        ),
        (
            serde_json::json!(["contacts", "import", "@@in:0@@"]),
            serde_json::json!([]),
        ),
    ] {
        let mut raw = std::os::unix::net::UnixStream::connect(&gate.socket).unwrap();
        hello(&mut raw, backroom::service::protocol::PROTOCOL);
        let reply = frame(
            &mut raw,
            &serde_json::json!({"Command": {"args": args, "stdin": null, "inputs": [], "outputs": outputs, "downloads_dir": "/tmp"}}),
        );
        assert!(
            reply.to_string().contains("opens no path a client names"),
            "{args}: {reply}"
        );
    }
    let planted = files_named(&gate.root, "PWNED");
    assert!(planted.is_empty(), "{planted:?}");
    let audit = gate.audit();
    assert!(audit.iter().any(|e| e["user"] == gate.staff.name.as_str()
        && e["action"] == "events.emit"
        && e["target"] == "order.received"
        && e["outcome"] == "ok"));
}

#[test]
fn no_configured_secret_appears_in_any_json_reply() {
    let gate = Gate::start();
    let out = gate.client(
        &gate.admin,
        &[
            "printers",
            "add",
            "cloud",
            "--provider",
            "printnode",
            "--target",
            "34567",
            "--api-key",
            "-",
        ],
        &[],
        API_KEY.as_bytes(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut replies = String::new();
    for user in [&gate.admin, &gate.staff] {
        for args in [
            &["printers", "list"][..],
            &["printers", "show", "cloud"],
            &["triggers", "list"],
            &["jobs", "list"],
            &["links", "show"],
            &["pos", "folders", "list"],
            &["sync", "status"],
        ] {
            let mut all = vec!["--json"];
            all.extend_from_slice(args);
            let out = gate.run(user, &all);
            replies.push_str(&String::from_utf8_lossy(&out.stdout));
            replies.push_str(&stderr(&out));
        }
    }
    replies.push_str(&serde_json::to_string(&gate.audit()).unwrap());
    assert!(replies.contains("cloud"), "{replies}");
    for secret in [API_TOKEN, TILL_TOKEN, API_KEY] {
        assert!(!replies.contains(secret), "{secret} was sent to a client");
    }
}

#[test]
fn a_shared_account_signs_in_as_an_operator_and_five_failures_lock_it() {
    let gate = Gate::start();
    gate.add_operator_lea();
    gate.client(
        &gate.admin,
        &["operators", "add", "tom", "--password", "-"],
        &[],
        b"toms password\n",
    );
    // Staff may not manage operators.
    let out = gate.client(
        &gate.staff,
        &["operators", "add", "eve", "--password", "-"],
        &[],
        b"evil password\n",
    );
    assert_eq!(code(&out), Some(4), "{}", stderr(&out));

    // Without signing in, the shared account gets nothing.
    let out = gate.run(&gate.shared, &["printers", "list"]);
    assert_eq!(code(&out), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("shared terminal account"),
        "{}",
        stderr(&out)
    );

    // Signed in as lea (admin), it may switch printing off; as tom (staff) it may not.
    let lea = [
        ("BACKROOM_OPERATOR", "lea"),
        ("BACKROOM_OPERATOR_PASSWORD", "right password"),
    ];
    let out = gate.client(&gate.shared, &["printers", "disable"], &lea, b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let tom = [
        ("BACKROOM_OPERATOR", "tom"),
        ("BACKROOM_OPERATOR_PASSWORD", "toms password"),
    ];
    let out = gate.client(&gate.shared, &["printers", "enable"], &tom, b"");
    assert_eq!(code(&out), Some(4), "{}", stderr(&out));

    // Five wrong passwords lock lea, even for the right one.
    let wrong = [
        ("BACKROOM_OPERATOR", "lea"),
        ("BACKROOM_OPERATOR_PASSWORD", "guess"),
    ];
    for attempt in 1..=5 {
        let out = gate.client(&gate.shared, &["printers", "list"], &wrong, b"");
        assert_eq!(code(&out), Some(4), "attempt {attempt}: {}", stderr(&out));
    }
    let out = gate.client(&gate.shared, &["printers", "list"], &lea, b"");
    assert_eq!(code(&out), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("locked"), "{}", stderr(&out));

    // The audit names the operator and the OS account.
    let audit = gate.audit();
    assert!(
        audit.iter().any(|e| e["user"] == gate.shared.name.as_str()
            && e["operator"] == "lea"
            && e["action"] == "printers.disable"
            && e["outcome"] == "ok"),
        "{audit:#?}"
    );
    assert!(audit.iter().any(|e| e["operator"] == "tom"
        && e["action"] == "printers.enable"
        && e["outcome"].as_str().unwrap_or("").starts_with("refused")));
    let lockouts = audit
        .iter()
        .filter(|e| {
            e["action"] == "operators.sign-in"
                && e["operator"] == "lea"
                && e["outcome"].as_str().unwrap_or("").contains("locked")
        })
        .count();
    assert!(lockouts >= 2, "{audit:#?}");
}

#[test]
fn a_client_of_another_protocol_version_is_told_clearly() {
    let gate = Gate::start();
    let mut raw = std::os::unix::net::UnixStream::connect(&gate.socket).unwrap();
    let reply = frame(
        &mut raw,
        &serde_json::json!({"Hello": {"protocol": 99, "version": "9.9.9"}}),
    );
    let text = reply.to_string();
    assert!(
        text.contains("9.9.9") && text.contains("use the same backroom version"),
        "{text}"
    );
}

#[test]
fn the_daemon_answers_the_web_service_in_the_same_process() {
    use std::io::{Read as _, Write as _};
    let gate = Gate::start();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", gate.web)).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");

    // An event through the API is a change: audited under the token, not a person.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", gate.web)).unwrap();
    let request = format!(
        "POST /api/events/order.received HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {API_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ORDER}",
        ORDER.len()
    );
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    gate.wait_audit("the event", |e| {
        e["user"] == "http:api token"
            && e["action"] == "events.emit"
            && e["target"] == "order.received"
            && e["outcome"] == "ok"
    });

    // A wrong token is refused, and the refusal is audited under what it claimed to be.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", gate.web)).unwrap();
    let request = format!(
        "POST /api/events/order.received HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer not-the-token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ORDER}",
        ORDER.len()
    );
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let audit = gate.wait_audit("the refused event", |e| {
        e["user"] == "http:unknown token"
            && e["action"] == "events.emit"
            && e["outcome"].as_str().unwrap_or("").starts_with("refused")
    });
    // Exactly one entry for the accepted event: the layer audits, the handler does not again.
    let emitted = audit
        .iter()
        .filter(|e| e["user"] == "http:api token" && e["action"] == "events.emit")
        .count();
    assert_eq!(emitted, 1, "{audit:#?}");

    // A till's push of several tickets is one entry, named by its token's till.
    let push = serde_json::json!({"till": "7", "items": []}).to_string();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", gate.web)).unwrap();
    let request = format!(
        "POST /api/till/push HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TILL_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{push}",
        push.len()
    );
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    gate.wait_audit("the till's push", |e| {
        e["user"] == "http:till 7" && e["action"] == "till.push"
    });
}

/// Every file under `dir` whose name contains `part`.
fn files_named(dir: &std::path::Path, part: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_named(&path, part));
        } else if entry.file_name().to_string_lossy().contains(part) {
            found.push(path);
        }
    }
    found
}

fn hello(raw: &mut std::os::unix::net::UnixStream, protocol: u32) -> Value {
    frame(
        raw,
        &serde_json::json!({"Hello": {"protocol": protocol, "version": env!("CARGO_PKG_VERSION")}}),
    )
}

/// Sends one frame, reads the first answer.
fn frame(raw: &mut std::os::unix::net::UnixStream, value: &Value) -> Value {
    use std::io::{Read as _, Write as _};
    let body = serde_json::to_vec(value).unwrap();
    raw.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
    raw.write_all(&body).unwrap();
    let mut len = [0u8; 4];
    raw.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    raw.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

const ORDER: &str = r#"{"order_number": "A-1001", "date": "2026-11-20", "currency": "EUR",
 "customer": {"name": "Jeanne Martin"},
 "billing_address": {"name": "Jeanne Martin", "street": "1 rue de la Paix", "postal_code": "69001", "city": "Lyon", "country": "FR"},
 "lines": [{"description": "Paper", "quantity": 2, "unit_price": "4.50", "vat_rate": 20}]}"#;

/// A client that closes its socket the moment it has sent a change does not keep the change out
/// of the audit log: the command runs to its end and is recorded (before, the first answer it
/// could not be sent ended the daemon's handling before the audit entry, and the printer was
/// added unaudited).
#[test]
fn a_change_is_audited_even_when_its_client_hangs_up_at_once() {
    use std::io::Write as _;
    let gate = Gate::start();
    let mut raw = std::os::unix::net::UnixStream::connect(&gate.socket).unwrap();
    hello(&mut raw, backroom::service::protocol::PROTOCOL);
    let command = serde_json::json!({"Command": {"args": ["printers", "add", "sneaky", "--provider", "spool", "--target", "/tmp"], "stdin": null, "inputs": [], "outputs": [], "downloads_dir": "/tmp"}});
    let body = serde_json::to_vec(&command).unwrap();
    raw.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
    raw.write_all(&body).unwrap();
    drop(raw);
    let audit = gate.wait_audit("printers.add sneaky", |e| {
        e["action"] == "printers.add" && e["target"] == "sneaky"
    });
    let entry = audit
        .iter()
        .find(|e| e["action"] == "printers.add" && e["target"] == "sneaky")
        .unwrap();
    assert_eq!(entry["outcome"], "ok", "{entry}");
    let printers = gate.ok(&gate.admin, &["printers", "list"]);
    assert!(printers.contains("sneaky"), "{printers}");

    // A target with a newline and an escape code is shown escaped: no forged row, nothing hidden.
    let forged = "nosuch\n2026-11-30 10:36:59  mallory  admin  operators.add  eve  ok\u{1b}[8m";
    let _ = gate.run(&gate.staff, &["printers", "remove", forged]);
    gate.wait_audit("the forged target", |e| {
        e["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("nosuch"))
    });
    let listed = gate.ok(&gate.admin, &["audit", "list"]);
    assert!(!listed.contains('\u{1b}'), "{listed:?}");
    assert!(
        !listed
            .lines()
            .any(|l| l.starts_with("2026-11-30 10:36:59  mallory")),
        "{listed}"
    );
    assert!(listed.contains("nosuch\\n2026-11-30"), "{listed}");
}

/// A shared account signed in as an operator on one connection loses the operator's rights the
/// moment the operator is removed: the next command on that connection is refused (before, the
/// connection kept the admin role for as many commands as it sent).
#[test]
fn a_removed_operator_s_open_connection_is_refused_its_next_command() {
    let gate = Gate::start();
    gate.add_operator_lea();
    // A client of its own on one connection, as the shared account: sign in, one command, wait
    // for the test to remove the operator (a file appears), then another command.
    let go = gate.root.join("go");
    let script = format!(
        r#"
import json, socket, struct, sys, time, os
s = socket.socket(socket.AF_UNIX); s.connect({socket:?})
def send(v):
    b = json.dumps(v).encode(); s.sendall(struct.pack(">I", len(b)) + b)
def read():
    n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
    return json.loads(s.recv(n, socket.MSG_WAITALL))
def command(args):
    send({{"Command": {{"args": args, "stdin": None, "inputs": [], "outputs": [], "downloads_dir": "/tmp"}}}})
    while True:
        r = read()
        if "Exit" in r or "Error" in r: return r
send({{"Hello": {{"protocol": {protocol}, "version": "{version}"}}}}); read()
send({{"SignIn": {{"operator": "lea", "password": "right password"}}}}); print(read(), flush=True)
print(command(["printers", "disable"]), flush=True)
while not os.path.exists({go:?}): time.sleep(0.05)
print(command(["printers", "enable"]), flush=True)
"#,
        socket = gate.socket.display().to_string(),
        protocol = backroom::service::protocol::PROTOCOL,
        version = env!("CARGO_PKG_VERSION"),
        go = go.display().to_string(),
    );
    let client = std::process::Command::new("runuser")
        .args(["-u", &gate.shared.name, "--", "python3", "-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !gate.printing_off() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first command never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    gate.ok(&gate.admin, &["operators", "remove", "lea"]);
    std::fs::write(&go, b"").unwrap();
    let out = client.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("was removed, locked or changed since signing in"),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(gate.printing_off(), "the removed operator's command ran");
}
