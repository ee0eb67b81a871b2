//! The TUI through the daemon, in a real terminal (tmux), as real OS users (`runuser`): the
//! daemon hosts the session with the peer's role, the client never opens the database, every
//! change and refusal is audited, a shared account signs in on the screen and is signed out
//! when idle, and the worker's notifications reach the session. Needs root (CI runs as root).

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use support::gate::Gate;

/// Staff's tricks: claim root, and point the client at a config that makes them admin.
fn tricks(gate: &Gate) -> (String, Vec<(&'static str, String)>) {
    let fake = gate.home(&gate.staff).join("admin.toml");
    std::fs::write(
        &fake,
        format!(
            "[operators]\n{} = \"admin\"\nroot = \"admin\"\n",
            gate.staff.name
        ),
    )
    .unwrap();
    let fake = fake.display().to_string();
    let env = vec![
        ("BACKROOM_CONFIG", fake.clone()),
        ("LOGNAME", "root".into()),
    ];
    (fake, env)
}

#[test]
fn staff_in_the_tui_is_refused_an_admin_action_whatever_it_claims_and_the_refusal_is_audited() {
    let gate = Gate::start();
    gate.ok(&gate.admin, &["printers", "list"]);
    // The database belongs to the service account alone: a client that opened it would fail.
    let db = gate.root.join("data/backroom.db");
    let meta = std::fs::metadata(&db).unwrap();
    assert_eq!(meta.permissions().mode() & 0o077, 0, "{:o}", meta.mode());
    assert_ne!(meta.uid(), 0);
    let (fake, env) = tricks(&gate);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut env = env;
    env.push(("USER", "root"));
    let tui = gate.tui(&gate.staff, &["--config", &fake], &env);
    // The header names the peer the kernel gave and its role from the daemon's config.
    let screen = tui.wait_for("Printers");
    let me = format!("{} (staff)", gate.staff.name);
    assert!(screen.contains(&me), "{screen}");
    assert!(!screen.contains("personal"), "{screen}");
    // P switches printing off: for administrators only.
    tui.keys(&["P"]);
    let screen = tui.wait_for("is for administrators");
    assert!(screen.contains("printing on or off"), "{screen}");
    // The Audit pane is for administrators too; its refusal is named as itself.
    tui.keys(&["9"]);
    tui.wait_for("Reading the audit log is for administrators");
    tui.keys(&["q"]);
    assert_eq!(tui.wait_exit(), 0, "{}", tui.output());
    assert!(!gate.printing_off(), "staff switched printing off");
    let staff = gate.staff.name.clone();
    gate.wait_audit("staff's refusal in the TUI", |e| {
        e["user"] == staff.as_str()
            && e["role"] == "staff"
            && e["action"] == "printers.toggle-printing"
            && e["outcome"].as_str().unwrap_or("").starts_with("refused")
    });
    let staff = gate.staff.name.clone();
    gate.wait_audit("staff's refused Audit pane", |e| {
        e["user"] == staff.as_str()
            && e["action"] == "Reading the audit log"
            && e["outcome"].as_str().unwrap_or("").starts_with("refused")
    });
}

#[test]
fn an_admins_change_in_the_tui_is_audited_and_a_worker_verdict_reaches_the_session() {
    let gate = Gate::start();
    gate.ok(&gate.admin, &["pos", "folders", "add", "S1"]);
    gate.add_spool_printer();
    let order = gate.home(&gate.admin).join("order.json");
    std::fs::write(&order, ORDER).unwrap();
    gate.admin.own(&order);
    gate.ok(
        &gate.admin,
        &["events", "emit", "order.received", "--file", "order.json"],
    );
    let tui = gate.tui(&gate.admin, &[], &[]);
    let screen = tui.wait_for("Printers");
    assert!(
        screen.contains(&format!("{} (admin)", gate.admin.name)),
        "{screen}"
    );
    // A download made in the session lands in the client's own downloads folder, written by
    // the client (owned by the admin), not in the service account's.
    tui.keys(&["2"]);
    tui.wait_for("A-1001");
    tui.keys(&["W"]);
    tui.wait_for("is in your downloads folder");
    let downloads: Vec<_> = std::fs::read_dir(gate.home(&gate.admin).join("Downloads"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(downloads.len(), 1, "{downloads:?}");
    let pdf = std::fs::read(downloads[0].path()).unwrap();
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let admin_uid = std::fs::metadata(gate.home(&gate.admin)).unwrap().uid();
    assert_eq!(downloads[0].metadata().unwrap().uid(), admin_uid);
    tui.keys(&["1"]);
    tui.wait_for("archive");
    tui.keys(&["P"]);
    tui.wait_for("Printing is switched off");
    assert!(gate.printing_off());
    let admin = gate.admin.name.clone();
    gate.wait_audit("the admin's change in the TUI", |e| {
        e["user"] == admin.as_str()
            && e["role"] == "admin"
            && e["action"] == "printers.toggle-printing"
            && e["outcome"] == "ok"
    });
    // A connection test runs in the daemon's worker; its verdict comes back as a notification,
    // to every session (staff's, open beside it, too).
    let other = gate.tui(&gate.staff, &[], &[]);
    other.wait_for("Printers");
    tui.keys(&["4"]);
    tui.wait_for("S1");
    tui.keys(&["f"]);
    tui.wait_for("FTP server of S1: FAILED");
    other.wait_for("FTP server of S1: FAILED");
    other.keys(&["q"]);
    assert_eq!(other.wait_exit(), 0, "{}", other.output());
    // A path typed here would be the service account's: file actions name their CLI twin.
    tui.keys(&["3"]);
    tui.wait_for("Contacts ·");
    tui.keys(&["i"]);
    tui.wait_for("Files stay on your side of the daemon: use `backroom contacts import FILE`");
    tui.keys(&["q"]);
    assert_eq!(tui.wait_exit(), 0, "{}", tui.output());
    drop(tui);
    // `--read-only` travels with the session: even the admin changes nothing.
    let tui = gate.tui(&gate.admin, &["--read-only"], &[]);
    tui.wait_for("Printers");
    tui.keys(&["P"]);
    tui.wait_for("backroom runs read-only");
    tui.keys(&["q"]);
    assert_eq!(tui.wait_exit(), 0, "{}", tui.output());
    assert!(
        gate.printing_off(),
        "a read-only session switched printing on"
    );
}

#[test]
fn a_shared_account_signs_in_on_the_screen_and_is_signed_out_when_idle() {
    let gate = Gate::start_with("[ui]\nidle_sign_out_minutes = 0.05\n");
    gate.add_operator_lea();
    let tui = gate.tui(&gate.shared, &[], &[]);
    tui.wait_for("shared terminal account");
    // A wrong password: refused, nothing shown but the reason.
    tui.type_text("lea");
    tui.keys(&["Enter"]);
    tui.type_text("guess");
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("wrong");
    assert!(
        !screen.contains("guess"),
        "the password is shown:\n{screen}"
    );
    tui.type_text("right password");
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("Printers");
    assert!(!screen.contains("right password"), "{screen}");
    assert!(
        screen.contains(&format!("lea ({}) (admin)", gate.shared.name)),
        "{screen}"
    );
    // 0.05 minutes without a key: signed out, back to the sign-in screen.
    let screen = tui.wait_for("Signed out after");
    assert!(screen.contains("shared terminal account"), "{screen}");
    assert!(!screen.contains("Print jobs"), "{screen}");
    tui.keys(&["Escape"]);
    assert_eq!(tui.wait_exit(), 0, "{}", tui.output());
    let shared = gate.shared.name.clone();
    let audit = gate.wait_audit("the idle sign-out", |e| {
        e["user"] == shared.as_str()
            && e["operator"] == "lea"
            && e["action"] == "operators.sign-out"
    });
    assert!(
        audit.iter().any(|e| e["operator"] == "lea"
            && e["action"] == "operators.sign-in"
            && e["outcome"] == "ok"),
        "{audit:#?}"
    );
    assert!(
        audit.iter().any(|e| e["operator"] == "lea"
            && e["action"] == "operators.sign-in"
            && e["outcome"].as_str().unwrap_or("").starts_with("refused")),
        "{audit:#?}"
    );
}

const ORDER: &str = r#"{"order_number": "A-1001", "date": "2026-11-20", "currency": "EUR",
 "customer": {"name": "Jeanne Martin"},
 "billing_address": {"name": "Jeanne Martin", "street": "1 rue de la Paix", "postal_code": "69001", "city": "Lyon", "country": "FR"},
 "lines": [{"description": "Paper", "quantity": 2, "unit_price": "4.50", "vat_rate": 20}]}"#;

/// An operator removed while signed in on a shared account's screen is signed out at the next
/// key, which does nothing (before, the screen kept the operator's admin role until the idle
/// sign-out, which is off by default).
#[test]
fn a_removed_operator_is_signed_out_of_the_screen_at_the_next_key() {
    let gate = Gate::start();
    gate.add_operator_lea();
    let tui = gate.tui(&gate.shared, &[], &[]);
    tui.wait_for("shared terminal account");
    tui.type_text("lea");
    tui.keys(&["Enter"]);
    tui.type_text("right password");
    tui.keys(&["Enter"]);
    tui.wait_for("Printers");
    gate.ok(&gate.admin, &["operators", "remove", "lea"]);
    // `P` switches printing off for an admin: here it only signs the removed operator out.
    tui.keys(&["P"]);
    let screen = tui.wait_for("was removed, locked or changed");
    assert!(screen.contains("shared terminal account"), "{screen}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!gate.printing_off(), "the removed operator's key acted");
    tui.keys(&["Escape"]);
    assert_eq!(tui.wait_exit(), 0, "{}", tui.output());
}
