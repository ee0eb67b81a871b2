//! Shell completion of values (clap_complete's dynamic completion, `COMPLETE=<shell> backroom`):
//! job states, printer names, contact e-mails and POS folder codes, read from the store.

mod support;

use std::path::Path;
use std::process::Command;

/// What the shell would offer for the last word of `words` (fish's protocol: one per line).
fn complete(db: &Path, words: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_backroom"))
        .env("COMPLETE", "fish")
        .env("BACKROOM_DB", db)
        .arg("--")
        .arg("backroom")
        .args(words)
        .output()
        .expect("run backroom");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn states_printers_contacts_and_folders_complete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("backroom.db");
    let conn = backroom::store::open(&db).expect("store");
    conn.execute_batch(
        "INSERT INTO printers (name, provider, target, is_default, created_at)
           VALUES ('front-desk', 'spool', '/srv/spool', 1, '2026-11-20T09:00:00.000Z'),
                  ('back-office', 'spool', '/srv/spool', 0, '2026-11-20T09:00:00.000Z');
         INSERT INTO contacts (name, email, state, invited, created_at) VALUES
           ('Clara Weber', 'clara.weber@weber-design.de', 'active', 1, '2026-10-01T08:00:00.000Z'),
           ('Claude Petit', 'claude@petit.example', 'inactive', 1, '2026-10-01T08:00:00.000Z'),
           ('Dora Lind', 'dora@lind.example', 'active', 1, '2026-10-01T08:00:00.000Z');
         INSERT INTO pos_folders (code, administrator, created_at)
           VALUES ('LYON01', 'marie', '2026-09-01T08:00:00.000Z');",
    )
    .expect("seed");
    drop(conn);

    assert_eq!(
        complete(&db, &["jobs", "list", "--state", "f"]),
        vec!["failed"]
    );
    let states = complete(&db, &["jobs", "list", "--state", ""]);
    for s in ["pending", "sending", "succeeded", "failed", "cancelled"] {
        assert!(states.contains(&s.to_string()), "{states:?}");
    }
    assert_eq!(
        complete(&db, &["printers", "show", "fr"]),
        vec!["front-desk"]
    );
    assert_eq!(
        complete(&db, &["jobs", "list", "--printer", "b"]),
        vec!["back-office"]
    );
    assert_eq!(
        complete(&db, &["contacts", "deactivate", "cla"]),
        vec!["clara.weber@weber-design.de", "claude@petit.example"]
    );
    assert_eq!(complete(&db, &["pos", "test-db", "LY"]), vec!["LYON01"]);
    assert_eq!(
        complete(&db, &["sync", "tables", "list", "L"]),
        vec!["LYON01"]
    );
    // Not a file name: nothing from the current directory.
    assert!(complete(&db, &["printers", "show", "Cargo"]).is_empty());
}

#[test]
fn the_registration_script_names_the_binary() {
    let out = Command::new(env!("CARGO_BIN_EXE_backroom"))
        .env("COMPLETE", "bash")
        .output()
        .expect("run backroom");
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains("backroom"), "{script}");
    assert!(script.contains("complete"), "{script}");
}
