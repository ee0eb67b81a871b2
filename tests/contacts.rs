//! Contacts through the real binary: states and refusals, delete rules, CSV import and template,
//! ZIP backup, invitations written as .eml, terms, links and admin-only actions.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use backroom::contacts::ContactState;
use backroom::store::contacts as q;
use support::TestEnv;

const ADMIN: &str = "[operators]\ntester = \"admin\"\n";

fn store(env: &TestEnv) -> rusqlite::Connection {
    backroom::store::open(&env.db()).unwrap()
}

/// Permission bits of a file or folder.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn add(env: &TestEnv, name: &str, email: &str) {
    env.ok(&["contacts", "add", name, email]);
}

fn set_state(env: &TestEnv, email: &str, state: ContactState) {
    let conn = store(env);
    let c = q::by_email(&conn, email).unwrap().unwrap();
    q::set_state(&conn, c.id, state).unwrap();
    if state == ContactState::Active {
        q::insert_identity(&conn, c.id, "portal", email, &format!("hash-{email}")).unwrap();
    }
}

/// A job with an input PDF (and optionally a model and a support file) stored like the portal does.
fn add_job(
    env: &TestEnv,
    email: &str,
    title: &str,
    state: &str,
    input_name: &str,
    extras: bool,
) -> i64 {
    let conn = store(env);
    let c = q::by_email(&conn, email).unwrap().unwrap();
    let id = q::insert_job(
        &conn,
        &q::NewJob {
            contact_id: Some(c.id),
            title,
            state,
            via: "integration",
            ..Default::default()
        },
    )
    .unwrap();
    let dir = backroom::contacts::files::job_dir(&env.db(), id);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("input.pdf");
    std::fs::write(&input, format!("%PDF-1.4 job {id} {title}\n")).unwrap();
    q::set_job_input(&conn, id, input.to_str().unwrap(), input_name, 20).unwrap();
    if extras {
        q::set_job_model(&conn, id, &format!("{{\"job\":{id},\"media\":\"A4\"}}")).unwrap();
        let support = dir.join("support");
        std::fs::write(&support, format!("support of {id}")).unwrap();
        q::set_job_support(&conn, id, support.to_str().unwrap(), "../../notes.txt").unwrap();
    }
    id
}

#[test]
fn transitions_are_enforced_with_the_reason_and_exit_codes() {
    let env = TestEnv::new();
    add(&env, "Alice", "alice@x.org");
    let err = env.fails(2, &["contacts", "add", "Alice again", "ALICE@X.org"]);
    assert!(err.contains("already exists"), "{err}");
    let err = env.fails(2, &["contacts", "add", "Bob", "bob@"]);
    assert!(err.contains("not a valid e-mail address"), "{err}");
    env.fails(3, &["contacts", "activate", "nobody@x.org"]);

    let err = env.fails(4, &["contacts", "activate", "alice@x.org"]);
    assert!(
        err.contains("activate is only for inactive contacts; alice@x.org is not registered"),
        "{err}"
    );
    let err = env.fails(4, &["contacts", "deactivate", "alice@x.org"]);
    assert!(
        err.contains("deactivate is only for active contacts"),
        "{err}"
    );
    let err = env.fails(4, &["contacts", "delete-identities", "alice@x.org"]);
    assert!(
        err.contains("delete identities is only for active contacts"),
        "{err}"
    );

    set_state(&env, "alice@x.org", ContactState::Inactive);
    assert_eq!(
        env.json(&["contacts", "activate", "Alice@X.org"])["state"],
        "active"
    );
    assert_eq!(
        env.json(&["contacts", "deactivate", "alice@x.org"])["state"],
        "deactivated"
    );
    let err = env.fails(4, &["contacts", "activate", "alice@x.org"]);
    assert!(err.contains("alice@x.org is deactivated"), "{err}");

    add(&env, "Carol", "carol@x.org");
    set_state(&env, "carol@x.org", ContactState::Active);
    let shown = env.json(&["contacts", "show", "carol@x.org"]);
    assert_eq!(shown["identities"].as_array().unwrap().len(), 1);
    assert_eq!(
        shown["actions"],
        serde_json::json!(["deactivate", "delete identities"])
    );
    env.ok(&["contacts", "delete-identities", "carol@x.org"]);
    let shown = env.json(&["contacts", "show", "carol@x.org"]);
    assert_eq!(shown["contact"]["state"], "not_registered");
    assert!(shown["identities"].as_array().unwrap().is_empty());

    let err = env.fails(4, &["--read-only", "contacts", "add", "Dan", "dan@x.org"]);
    assert!(err.contains("read-only"), "{err}");
    let list = env.json(&["contacts", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
}

/// `contacts list` orders contacts as the Contacts pane does: by name, then as added. Ordered by
/// name then e-mail, a list of one to three read and sorted every contact (80–120 ms of 100,000).
#[test]
fn a_list_orders_namesakes_as_added_like_the_pane() {
    let env = TestEnv::new();
    add(&env, "Zoé Martin", "zoe@x.org");
    add(&env, "Anna Weber", "zed@x.org");
    add(&env, "anna weber", "bea@x.org");
    add(&env, "Anna Weber", "amy@x.org");
    let emails = |args: &[&str]| -> Vec<String> {
        let list = env.json(&[&["contacts", "list"], args].concat());
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        emails(&[]),
        ["bea@x.org", "zed@x.org", "amy@x.org", "zoe@x.org"]
    );
    assert_eq!(emails(&["--limit", "1"]), ["bea@x.org"]);
    assert_eq!(emails(&["--limit", "2"]), ["bea@x.org", "zed@x.org"]);
}

#[test]
fn delete_is_all_or_nothing_and_names_the_blocking_contact_and_job() {
    let env = TestEnv::new();
    add(&env, "Alice", "alice@x.org");
    add(&env, "Bob", "bob@x.org");
    let done = add_job(&env, "alice@x.org", "Flyers", "done", "flyers.pdf", true);
    let fresh = add_job(&env, "alice@x.org", "Cards", "new", "cards.pdf", false);
    let busy = add_job(
        &env,
        "bob@x.org",
        "Poster",
        "processing:preflight",
        "poster.pdf",
        false,
    );

    let err = env.fails(4, &["contacts", "delete", "alice@x.org", "bob@x.org"]);
    assert!(err.contains("nothing deleted"), "{err}");
    let err = env.fails(2, &["contacts", "delete", "alice@x.org"]);
    assert!(
        err.contains("Alice <alice@x.org> and 2 job(s)") && err.contains("add --yes"),
        "{err}"
    );
    let err = env.fails(
        4,
        &["contacts", "delete", "alice@x.org", "bob@x.org", "--yes"],
    );
    assert!(err.contains("nothing deleted"), "{err}");
    assert!(
        err.contains(&format!(
            "bob@x.org has job #{busy} \"Poster\" in processing:preflight"
        )),
        "{err}"
    );
    assert!(!err.contains("alice@x.org has"), "{err}");
    assert_eq!(env.json(&["contacts", "list"]).as_array().unwrap().len(), 2);
    let files = |id| backroom::contacts::files::job_dir(&env.db(), id);
    assert!(files(done).join("input.pdf").is_file());

    let out = env.json(&["contacts", "delete", "ALICE@x.org", "--yes"]);
    assert_eq!(out["jobs"], 2);
    assert_eq!(out["contacts"], serde_json::json!(["alice@x.org"]));
    assert!(!files(done).exists() && !files(fresh).exists());
    assert!(files(busy).join("input.pdf").is_file());
    env.fails(3, &["contacts", "show", "alice@x.org"]);
    let conn = store(&env);
    assert!(q::job_by_id(&conn, done).unwrap().is_none());
}

fn write(env: &TestEnv, name: &str, bytes: &[u8]) -> PathBuf {
    let p = env.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn import_reads_bom_semicolons_and_quoted_multiline_fields() {
    let env = TestEnv::new();
    let csv = "\u{FEFF}Name;E-mail;Company\r\n\"Dupont; Jean\";jean@imprimerie.fr;\"Imprimerie \"\"Lyon\"\"\r\nAtelier 2\"\r\nAnna Schmidt;anna@druck.de;\r\nZoë;zoe@exemple.fr;Studio\r\n";
    let file = write(&env, "export.csv", csv.as_bytes());
    let report = env.json(&["contacts", "import", file.to_str().unwrap()]);
    assert_eq!(report["imported"], 3, "{report}");
    assert_eq!(report["separator"], ";");
    let jean = env.json(&["contacts", "show", "JEAN@imprimerie.fr"]);
    assert_eq!(jean["contact"]["name"], "Dupont; Jean");
    // A line break inside a cell is stored as \n, whatever the file's line endings.
    assert_eq!(jean["contact"]["company"], "Imprimerie \"Lyon\"\nAtelier 2");
    assert_eq!(jean["contact"]["state"], "not_registered");
    assert_eq!(
        env.json(&["contacts", "show", "anna@druck.de"])["contact"]["company"],
        serde_json::Value::Null
    );
    assert_eq!(
        env.json(&["contacts", "show", "zoe@exemple.fr"])["contact"]["name"],
        "Zoë"
    );
}

/// E-mails are compared without case by Unicode's rules everywhere: SQLite's `NOCASE` and
/// `lower` fold ASCII only, so `JÜRGEN@x.de` already in the store made a re-import fail with a
/// raw database error (no line, no field), and `jürgen@x.de` was added beside it.
#[test]
fn an_address_with_non_ascii_capitals_is_one_contact_in_add_and_import() {
    let env = TestEnv::new();
    add(&env, "Jürgen Groß", "JÜRGEN@x.de");
    let err = env.fails(2, &["contacts", "add", "Jürgen 2", "jürgen@x.de"]);
    assert!(err.contains("JÜRGEN@x.de"), "{err}");
    for (name, email) in [("same.csv", "JÜRGEN@x.de"), ("folded.csv", "jürgen@x.de")] {
        let csv = format!("name,email\nAnna,anna@x.org\nJürgen,{email}\n");
        let file = write(&env, name, csv.as_bytes());
        let path = file.to_str().unwrap();
        let err = env.fails(2, &["contacts", "import", path]);
        assert!(
            err.contains(&format!(
                "{path}:3: column 2 (email): \"{email}\": already a contact"
            )),
            "{err}"
        );
    }
    assert_eq!(env.json(&["contacts", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(
        env.json(&["contacts", "show", "jürgen@x.de"])["contact"]["name"],
        "Jürgen Groß"
    );
}

/// With --skip-invalid, a corrected row after a refused one with the same e-mail is imported:
/// before, the refused row counted as the e-mail's first, and the good one was dropped as its
/// duplicate (the contact was imported nowhere).
#[test]
fn a_good_row_after_a_refused_one_with_its_e_mail_is_imported() {
    let env = TestEnv::new();
    let csv =
        "name,email,company\n,alice@x.org,ACME\nAlice Martin,alice@x.org,ACME\nBob,bob@x.org,\n";
    let file = write(&env, "skip.csv", csv.as_bytes());
    let out = env
        .command()
        .args([
            "contacts",
            "import",
            file.to_str().unwrap(),
            "--skip-invalid",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        env.json(&["contacts", "show", "alice@x.org"])["contact"]["name"],
        "Alice Martin"
    );
    assert_eq!(env.json(&["contacts", "list"]).as_array().unwrap().len(), 2);
}

/// A row after blank lines is named by its own line, as an editor numbers it (it was named by the
/// first blank line's), with CRLF ends and a quoted newline before it too.
#[test]
fn rows_after_blank_lines_are_named_by_their_own_line() {
    let env = TestEnv::new();
    let file = write(
        &env,
        "blank.csv",
        b"name,email\nA,a@x.org\n\n\nB,bad\nC,c@x.org\n",
    );
    let path = file.to_str().unwrap();
    let err = env.fails(2, &["contacts", "import", path]);
    assert!(
        err.contains(&format!("{path}:5: column 2 (email): \"bad\"")),
        "{err}"
    );
    let file = write(
        &env,
        "q.csv",
        b"name;email;company\r\nA;a@x.org;\"Imprimerie\r\nLyon\"\r\nB;bad;\r\n\r\nC;a@x.org;\r\n",
    );
    let path = file.to_str().unwrap();
    let err = env.fails(2, &["contacts", "import", path]);
    assert!(
        err.contains(&format!("{path}:4: column 2 (email): \"bad\"")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{path}:6: column 2 (email): \"a@x.org\": duplicate of line 2"
        )),
        "{err}"
    );
}

#[test]
fn import_is_all_or_nothing_and_reports_every_bad_row() {
    let env = TestEnv::new();
    add(&env, "Zoe", "zoe@x.org");
    let csv = "name,email,company\nAna,ana@x.org,\n,nobody@x.org,\nBen,ben@,Co\n\"Multi\nLine\",ana@X.ORG,\nZed,ZOE@x.org,\nCy,cy@x.org,Co\n";
    let file = write(&env, "bad.csv", csv.as_bytes());
    let path = file.to_str().unwrap();
    let err = env.fails(2, &["contacts", "import", path]);
    assert!(
        err.contains(&format!("{path}:3: column 1 (name): \"\": required")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{path}:4: column 2 (email): \"ben@\": not a valid e-mail address"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{path}:5: column 2 (email): \"ana@X.ORG\": duplicate of line 2"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{path}:7: column 2 (email): \"ZOE@x.org\": already a contact"
        )),
        "{err}"
    );
    assert!(
        err.contains("nothing imported: 4 of 6 rows are invalid"),
        "{err}"
    );
    assert_eq!(env.json(&["contacts", "list"]).as_array().unwrap().len(), 1);

    let out = env
        .command()
        .args(["--json", "contacts", "import", path, "--skip-invalid"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 2);
    assert_eq!(report["problems"].as_array().unwrap().len(), 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains(":4: column 2 (email)"));
    let emails: Vec<String> = env
        .json(&["contacts", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(emails, ["ana@x.org", "cy@x.org", "zoe@x.org"]);

    // courriel is French for e-mail (accepted); téléphone is no column of a contact.
    let bad_header = write(
        &env,
        "header.csv",
        "nom;courriel;téléphone\nA;a@x.org;06\n".as_bytes(),
    );
    let err = env.fails(2, &["contacts", "import", bad_header.to_str().unwrap()]);
    assert!(
        err.contains("header.csv:1: column 3 \"téléphone\" is not one of name, email, company"),
        "{err}"
    );
}

#[test]
fn an_extra_field_is_reported_once_and_a_missing_file_is_not_found() {
    let env = TestEnv::new();
    let file = write(
        &env,
        "c4.csv",
        b"name,email,company\nAna,ana@x.org,Co,surplus\n",
    );
    let path = file.to_str().unwrap();
    let err = env.fails(2, &["contacts", "import", path]);
    let expected = format!(
        "{path}:2: column 4 (extra): \"surplus\": 4 fields, the header has 3 (quote fields that contain the separator ',')"
    );
    assert!(err.lines().any(|l| l == expected), "{err}");

    let missing = env.path().join("nonexistent.csv");
    let missing = missing.to_str().unwrap();
    let err = env.fails(3, &["contacts", "import", missing]);
    assert!(err.contains(&format!("{missing}: no such file")), "{err}");

    env.write_config(ADMIN);
    let missing = env.path().join("terms-missing.pdf");
    let missing = missing.to_str().unwrap();
    let err = env.fails(3, &["terms", "upload", missing]);
    assert!(err.contains(&format!("{missing}: no such file")), "{err}");
    assert!(env.json(&["terms", "show"]).is_null());
}

#[test]
fn a_large_import_reports_progress_on_request() {
    let env = TestEnv::new();
    let mut csv = String::from("name;email\n");
    for i in 0..25_000 {
        csv.push_str(&format!("Contact {i};c{i}@x.org\n"));
    }
    let file = write(&env, "big.csv", csv.as_bytes());
    let out = env
        .command()
        .args(["contacts", "import", file.to_str().unwrap(), "--progress"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("import: 10000 rows read") && err.contains("import: 20000 rows read"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 25000 of 25000 rows"));
    let quiet = env.run(&["contacts", "import", file.to_str().unwrap()]);
    assert!(
        !String::from_utf8_lossy(&quiet.stderr).contains("rows read"),
        "no progress when stderr is not a terminal"
    );
}

/// A CSV of `rows` contacts with accented names, about 50 bytes a row.
fn many_contacts(env: &TestEnv, name: &str, rows: usize) -> PathBuf {
    let mut csv = String::from("name,email,company\r\n");
    for i in 0..rows {
        csv.push_str(&format!("Hélène Müller {i},h{i}@example.fr,Imprimerie\r\n"));
    }
    write(env, name, csv.as_bytes())
}

/// The journal mode a store's file says it is in (SQLite's header: 2 in bytes 18 and 19 for WAL).
fn in_wal(db: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(db)
        .unwrap()
        .read_exact(&mut header)
        .unwrap();
    header[18] == 2 && header[19] == 2
}

/// `contacts import FILE`, started.
fn spawn_import(env: &TestEnv, file: &Path) -> std::process::Child {
    env.command()
        .args(["contacts", "import", file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `contacts import FILE`, which must succeed, watching the store's folder until it ends:
/// whether a rollback journal (`backroom.db-journal`) appeared meanwhile.
fn import_watching_the_journal(env: &TestEnv, file: &Path) -> bool {
    let journal = PathBuf::from(format!("{}-journal", env.db().display()));
    let mut child = spawn_import(env, file);
    let mut seen = false;
    while child.try_wait().unwrap().is_none() {
        seen |= journal.exists();
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    seen
}

#[test]
fn a_large_import_alone_writes_through_a_rollback_journal_and_leaves_the_store_in_wal() {
    let env = TestEnv::new();
    env.ok(&["contacts", "list"]);
    assert!(in_wal(&env.db()));
    let file = many_contacts(&env, "big.csv", 40_000);
    let journal = import_watching_the_journal(&env, &file);
    assert!(
        journal,
        "no other process had the store open: a rollback journal"
    );
    assert!(in_wal(&env.db()), "back in WAL once the import is over");
    assert_eq!(q::count(&store(&env)).unwrap(), 40_000);
    // A small file keeps WAL.
    let small = many_contacts(&env, "small.csv", 10);
    let small = std::fs::read_to_string(&small)
        .unwrap()
        .replace("@example.fr", "@x.org");
    let small = write(&env, "small.csv", small.as_bytes());
    let journal = import_watching_the_journal(&env, &small);
    assert!(!journal, "a small import writes through WAL");
    // So does one over 16 MB: a command started meanwhile would wait for all of it.
    let mut csv = String::from("name,email\r\n");
    let mut i = 0;
    while csv.len() <= 16 << 20 {
        csv.push_str(&format!("Émile Zola {i},zola.{i}@huge.example.fr\r\n"));
        i += 1;
    }
    let huge = write(&env, "huge.csv", csv.as_bytes());
    let journal = import_watching_the_journal(&env, &huge);
    assert!(!journal, "an import over 16 MB writes through WAL");
    assert_eq!(q::count(&store(&env)).unwrap(), 40_010 + i);
}

#[test]
fn a_large_import_beside_another_open_connection_keeps_wal_and_is_seen_there() {
    let env = TestEnv::new();
    // The TUI, the daemon or a till sync has the store open.
    let open = store(&env);
    assert_eq!(q::count(&open).unwrap(), 0);
    let file = many_contacts(&env, "big.csv", 40_000);
    let journal = import_watching_the_journal(&env, &file);
    assert!(
        !journal,
        "the store stays in WAL while another connection has it open"
    );
    assert!(in_wal(&env.db()));
    assert_eq!(q::count(&open).unwrap(), 40_000);
}

#[test]
fn an_import_killed_at_any_moment_leaves_every_row_or_none_and_the_store_in_wal() {
    // SIGKILL (nothing cleans up) at moments spread over a real import, alone on the store: from
    // the journal's first appearance to the commit. Each time the next process that opens the
    // store rolls a half-written import back before it switches to WAL. (A journal cut before
    // its header was complete is not hot: SQLite leaves that file be and ignores it, as the
    // store was not written yet.)
    let env = TestEnv::new();
    env.ok(&["contacts", "list"]);
    let rows = 60_000;
    let file = many_contacts(&env, "big.csv", rows);
    let journal = PathBuf::from(format!("{}-journal", env.db().display()));
    let started = std::time::Instant::now();
    import_watching_the_journal(&env, &file);
    let whole = started.elapsed();
    let (mut none, mut all) = (0, 0);
    for step in 0..6u32 {
        let conn = store(&env);
        conn.execute("DELETE FROM contacts", []).unwrap();
        drop(conn);
        // A journal the last kill left that SQLite did not roll back is not hot (see above):
        // gone, so that the wait below is for this import's own journal.
        let _ = std::fs::remove_file(&journal);
        let mut child = spawn_import(&env, &file);
        while !journal.exists() && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        std::thread::sleep(whole * step / 6);
        child.kill().unwrap();
        child.wait().unwrap();
        let conn = store(&env);
        let n = q::count(&conn).unwrap() as usize;
        let listed: i64 = conn
            .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
            .unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "step {step}");
        assert_eq!(
            listed as usize, n,
            "step {step}: the counts agree with the rows"
        );
        assert!(n == 0 || n == rows, "step {step}: {n} of {rows} rows");
        if n == 0 {
            none += 1
        } else {
            all += 1
        }
        assert!(in_wal(&env.db()), "step {step}");
    }
    assert!(
        none > 0,
        "some kill landed inside the transaction ({all} after the commit)"
    );
    // The store takes the import whole afterwards.
    let conn = store(&env);
    conn.execute("DELETE FROM contacts", []).unwrap();
    drop(conn);
    env.ok(&["contacts", "import", file.to_str().unwrap()]);
    assert_eq!(q::count(&store(&env)).unwrap() as usize, rows);
}

#[test]
fn the_template_goes_to_downloads_and_imports_as_is() {
    let env = TestEnv::new();
    let out = env.ok(&["contacts", "template"]);
    let path = env.path().join("home/Downloads/users_template.csv");
    assert!(out.contains("users_template.csv"), "{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("name,email,company") && text.contains("company (optional)"));
    let custom = env.path().join("mine");
    std::fs::create_dir_all(&custom).unwrap();
    env.ok(&["contacts", "template", "--out", custom.to_str().unwrap()]);
    assert!(custom.join("users_template.csv").is_file());
    assert_eq!(
        env.json(&["contacts", "import", path.to_str().unwrap()])["imported"],
        1
    );
}

fn unzip(args: &[&str], zip: &Path) -> String {
    support::require_program("unzip", "unzip");
    let out = Command::new("unzip").args(args).arg(zip).output().unwrap();
    assert!(
        out.status.success(),
        "unzip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn entry(zip: &Path, name: &str) -> String {
    let out = Command::new("unzip")
        .arg("-p")
        .arg(zip)
        .arg(name)
        .output()
        .unwrap();
    assert!(out.status.success(), "unzip -p {name}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn backup_writes_a_safe_zip_with_every_file_streamed() {
    let env = TestEnv::new();
    add(&env, "../../Evil/Name", "evil@x.org");
    env.ok(&[
        "contacts",
        "add",
        "Other",
        "other@x.org",
        "--company",
        "ACME",
    ]);
    let first = add_job(
        &env,
        "evil@x.org",
        "../../etc/passwd",
        "done",
        "../x.pdf",
        true,
    );
    let second = add_job(
        &env,
        "evil@x.org",
        "../../etc/passwd",
        "processing:rip",
        "input",
        false,
    );
    let out_dir = env.path().join("backups");
    let written = env.json(&[
        "contacts",
        "backup",
        "evil@x.org",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let zip = PathBuf::from(written["path"].as_str().unwrap());
    assert_eq!(zip, out_dir.join("_.._Evil_Name.zip"));
    assert_eq!(mode(&zip), 0o600, "a backup holds personal data");
    assert!(unzip(&["-t"], &zip).contains("No errors detected"));
    assert!(
        !unzip(&["-l"], &zip).contains("1980-01-01"),
        "entries carry their real time"
    );
    let mut names: Vec<String> = unzip(&["-Z1"], &zip).lines().map(str::to_string).collect();
    names.sort();
    let f1 = format!("{first} - _.._etc_passwd");
    let f2 = format!("{second} - _.._etc_passwd");
    let mut expected = vec![
        "jobs.json".to_string(),
        "user-profile.json".to_string(),
        format!("{f1}/_x.pdf"),
        format!("{f1}/_.._notes.txt"),
        format!("{f1}/pdl-model.json"),
        format!("{f2}/input.pdf"),
    ];
    expected.sort();
    assert_eq!(names, expected);
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with('/') && !n.split('/').any(|p| p == ".."))
    );

    let profile: serde_json::Value =
        serde_json::from_str(&entry(&zip, "user-profile.json")).unwrap();
    assert_eq!(
        profile,
        serde_json::json!({"name": "../../Evil/Name", "email": "evil@x.org", "company": null})
    );
    let jobs: serde_json::Value = serde_json::from_str(&entry(&zip, "jobs.json")).unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 2);
    assert_eq!(jobs[0]["state"], "done");
    assert_eq!(jobs[0]["folder"], f1);
    assert_eq!(jobs[1]["state"], "processing:rip");
    assert_eq!(
        entry(&zip, &format!("{f1}/_x.pdf")),
        format!("%PDF-1.4 job {first} ../../etc/passwd\n")
    );
    assert_eq!(
        entry(&zip, &format!("{f1}/pdl-model.json")),
        format!("{{\"job\":{first},\"media\":\"A4\"}}")
    );
    assert_eq!(
        entry(&zip, &format!("{f1}/_.._notes.txt")),
        format!("support of {first}")
    );
    assert_eq!(
        entry(&zip, &format!("{f2}/input.pdf")),
        format!("%PDF-1.4 job {second} ../../etc/passwd\n")
    );

    let again = env.json(&[
        "contacts",
        "backup",
        "evil@x.org",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(
        again["path"].as_str().unwrap(),
        out_dir.join("_.._Evil_Name (2).zip").to_str().unwrap()
    );
    env.fails(3, &["contacts", "backup", "nobody@x.org"]);
}

#[test]
fn invitations_are_reviewed_then_written_as_eml_without_smtp() {
    let env = TestEnv::new();
    env.write_config(
        "[portal]\nbase_url = \"https://print.example/portal\"\nactivation_days = 3\n",
    );
    add(&env, "Alice Martin", "alice@x.org");
    let out = env.run(&["contacts", "invite", "alice@x.org"]);
    assert_eq!(out.status.code(), Some(2));
    let preview = String::from_utf8_lossy(&out.stdout);
    assert!(
        preview.contains("To: Alice Martin <alice@x.org>"),
        "{preview}"
    );
    assert!(
        preview.contains(
            "https://print.example/portal/register?token=<created when the message is sent>"
        ),
        "{preview}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    env.ok(&["contacts", "invite", "alice@x.org", "--dry-run"]);
    assert_eq!(
        env.json(&["contacts", "show", "alice@x.org"])["contact"]["invited"],
        false
    );

    let sent = env.json(&["contacts", "invite", "alice@x.org", "--yes"]);
    assert_eq!(sent["delivery"]["delivery"], "written");
    let eml = PathBuf::from(sent["delivery"]["path"].as_str().unwrap());
    assert!(
        eml.starts_with(env.path().join("data/backroom/outbox")),
        "{eml:?}"
    );
    // The .eml holds a live activation token: only the owner may read it or list the outbox.
    assert_eq!(mode(&eml), 0o600, "{eml:?}");
    assert_eq!(mode(eml.parent().unwrap()), 0o700);
    let message = support::smtp::parse(&std::fs::read_to_string(&eml).unwrap());
    assert!(message.header("To").unwrap().contains("alice@x.org"));
    let token = message.body.split("register?token=").nth(1).unwrap()[..32].to_string();
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
    assert_eq!(
        env.json(&["contacts", "show", "alice@x.org"])["contact"]["invited"],
        true
    );
    let human = env.ok(&["contacts", "list"]);
    assert!(human.contains("not registered ✉"), "{human}");

    let conn = store(&env);
    let (hash, expires): (String, String) = conn
        .query_row(
            "SELECT token_hash, expires_at FROM activation_tokens",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(hash, backroom::contacts::token::hash(&token));
    let stored: i64 = conn
        .query_row(
            "SELECT count(*) FROM activation_tokens WHERE token_hash LIKE ?1",
            [format!("%{token}%")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0, "the token itself is never stored");
    let days = chrono::DateTime::parse_from_rfc3339(&expires)
        .unwrap()
        .signed_duration_since(chrono::Utc::now())
        .num_hours();
    assert!((71..=72).contains(&days), "{days}");

    set_state(&env, "alice@x.org", ContactState::Active);
    let err = env.fails(4, &["contacts", "invite", "alice@x.org", "--yes"]);
    assert!(
        err.contains("only for not registered or inactive contacts"),
        "{err}"
    );
}

#[test]
fn terms_upload_is_for_admins_and_resets_every_acceptance_date() {
    let env = TestEnv::new();
    add(&env, "Alice", "alice@x.org");
    add(&env, "Bob", "bob@x.org");
    {
        let conn = store(&env);
        for email in ["alice@x.org", "bob@x.org"] {
            let c = q::by_email(&conn, email).unwrap().unwrap();
            q::accept_terms(&conn, c.id, "2026-01-02T03:04:05.000Z").unwrap();
        }
    }
    let terms = write(&env, "cgv-2026.pdf", b"%PDF-1.4 terms v2");
    // Staff refusals need the daemon (tests/gate.rs); on one's own database, read-only refuses.
    let err = env.fails(
        4,
        &["--read-only", "terms", "upload", terms.to_str().unwrap()],
    );
    assert!(
        err.contains("uploading terms of service is refused: backroom runs read-only"),
        "{err}"
    );
    assert!(
        env.json(&["contacts", "show", "bob@x.org"])["contact"]["terms_accepted_at"].is_string()
    );

    env.write_config(ADMIN);
    let up = env.json(&["terms", "upload", terms.to_str().unwrap()]);
    assert_eq!(up["reset"], 2);
    for email in ["alice@x.org", "bob@x.org"] {
        assert!(env.json(&["contacts", "show", email])["contact"]["terms_accepted_at"].is_null());
    }
    assert_eq!(env.json(&["terms", "show"])["file_name"], "cgv-2026.pdf");
}

#[test]
fn link_settings_show_set_and_regenerate_for_admins_only() {
    let env = TestEnv::new();
    env.write_config("[portal]\nbase_url = \"https://print.example/portal/\"\n");
    let shown = env.json(&["links", "show"]);
    assert_eq!(shown["integration_link"], "https://print.example/portal/");
    assert_eq!(
        (
            shown["jobs_per_day"].as_u64(),
            shown["max_job_bytes"].as_u64(),
            shown["max_day_bytes"].as_u64()
        ),
        (Some(5), Some(100_000_000), Some(500_000_000))
    );
    let generic = shown["generic_link"].as_str().unwrap().to_string();
    assert!(
        generic.starts_with("https://print.example/portal/g/"),
        "{generic}"
    );
    let human = env.ok(&["links", "show"]);
    assert!(human.contains("size per job:          100 MB"), "{human}");

    let set = env.json(&[
        "links",
        "set",
        "--expires",
        "2031-12-31",
        "--jobs-per-day",
        "7",
        "--max-job-size",
        "20MB",
        "--max-day-size",
        "1.5GB",
    ]);
    assert_eq!(set["expires_on"], "2031-12-31");
    assert_eq!(
        (
            set["jobs_per_day"].as_u64(),
            set["max_job_bytes"].as_u64(),
            set["max_day_bytes"].as_u64()
        ),
        (Some(7), Some(20_000_000), Some(1_500_000_000))
    );
    let err = env.fails(2, &["links", "set", "--max-job-size", "lots"]);
    assert!(err.contains("--max-job-size"), "{err}");
    env.fails(2, &["links", "set", "--expires", "31/12/2031"]);

    // Staff refusals need the daemon (tests/gate.rs); on one's own database, read-only refuses.
    let err = env.fails(4, &["--read-only", "links", "regenerate"]);
    assert!(
        err.contains("regenerating the generic link is refused: backroom runs read-only"),
        "{err}"
    );
    assert_eq!(
        env.json(&["links", "show"])["generic_link"],
        generic.as_str()
    );
    env.write_config(&format!(
        "{ADMIN}[portal]\nbase_url = \"https://print.example/portal/\"\n"
    ));
    let regenerated = env.json(&["links", "regenerate"]);
    assert_ne!(regenerated["generic_link"], generic.as_str());
    assert_eq!(
        regenerated["jobs_per_day"], 7,
        "settings survive a regeneration"
    );

    add(&env, "Alice", "alice@x.org");
    let sent = env.json(&["links", "send", "alice@x.org", "--yes"]);
    let eml = std::fs::read_to_string(sent["delivery"]["path"].as_str().unwrap()).unwrap();
    let message = support::smtp::parse(&eml);
    assert!(
        message
            .body
            .contains(regenerated["generic_link"].as_str().unwrap()),
        "{}",
        message.body
    );
}

#[tokio::test]
async fn the_contacts_pane_offers_valid_actions_reviews_invitations_and_confirms_deletes() {
    use backroom::tui::harness::Harness;
    let env = TestEnv::new();
    add(&env, "Alice", "alice@x.org");
    add(&env, "Bob", "bob@x.org");
    add(&env, "Carol", "carol@x.org");
    set_state(&env, "alice@x.org", ContactState::Active);
    add_job(
        &env,
        "carol@x.org",
        "Banner",
        "processing:rip",
        "banner.pdf",
        false,
    );
    let ctx = backroom::context::Context::for_db(env.db());
    let mut h = Harness::new(ctx, 150, 30).await.unwrap();
    h.press(&["3"]).await.unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("alice@x.org") && screen.contains("carol@x.org"),
        "{screen}"
    );
    assert!(
        screen.contains("[5 jobs/day] · 100 MB/job · 500 MB/day"),
        "{screen}"
    );

    // Only the actions valid for Alice (active) are offered.
    h.press(&["m"]).await.unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("Actions for alice@x.org (active)"),
        "{screen}"
    );
    assert!(screen.contains("‹ deactivate ›"), "{screen}");
    h.press(&["right"]).await.unwrap();
    assert!(
        h.screen().contains("‹ delete identities ›"),
        "{}",
        h.screen()
    );
    h.press(&["right"]).await.unwrap();
    assert!(
        h.screen().contains("‹ deactivate ›"),
        "only two actions: {}",
        h.screen()
    );
    h.press(&["esc", "v"]).await.unwrap();
    assert!(h.screen().contains("send activation request is only for not registered or inactive contacts; alice@x.org is active"), "{}", h.screen());

    // + / - change the chosen limit; L chooses the next one.
    h.press(&["+", "L", "-"]).await.unwrap();
    assert!(
        h.screen().contains("6 jobs/day · [90 MB/job]"),
        "{}",
        h.screen()
    );

    // Bob: the invitation is shown for review, then written as .eml (no SMTP here).
    h.press(&["j", "v"]).await.unwrap();
    let screen = h.screen();
    assert!(screen.contains("Review the activation request"), "{screen}");
    assert!(
        screen.contains("To: Bob <bob@x.org>") && screen.contains("/register?token="),
        "{screen}"
    );
    // The review shows no live token (whoever sees the screen could register as Bob with it):
    // the token is created when the message is sent, as in the CLI's review.
    let shown_token = screen.split("token=").skip(1).any(|rest| {
        rest.chars()
            .take(32)
            .filter(|c| c.is_ascii_hexdigit())
            .count()
            == 32
    });
    assert!(!shown_token, "{screen}");
    assert!(screen.contains("token=<created when"), "{screen}");
    h.press(&["y"]).await.unwrap();
    assert!(
        h.screen()
            .contains("activation request for bob@x.org: SMTP is not configured: written to"),
        "{}",
        h.screen()
    );
    assert_eq!(
        env.json(&["contacts", "show", "bob@x.org"])["contact"]["invited"],
        true
    );

    // Deleting Bob and Carol is refused (Carol's job is processing); Bob alone is confirmed first.
    h.press(&["space", "j", "space", "d"]).await.unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("nothing deleted: carol@x.org has job #1 \"Banner\" in processing:rip"),
        "{screen}"
    );
    h.press(&["space", "k", "d"]).await.unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("Delete 1 contact") && screen.contains("Bob <bob@x.org>, 0 job(s)"),
        "{screen}"
    );
    h.press(&["y"]).await.unwrap();
    assert!(
        h.screen().contains("deleted 1 contact(s) and 0 job(s)"),
        "{}",
        h.screen()
    );
    assert!(!h.screen().contains("bob@x.org"));
    assert_eq!(env.json(&["contacts", "list"]).as_array().unwrap().len(), 2);
}

/// With a bare relative `--db x.db`, job files live next to that database: a delete removes the
/// contact's own files there and nothing of the default store's in the data folder (before, the
/// folder was taken from the data folder, and a delete removed another store's job files).
#[test]
fn a_relative_database_keeps_its_job_files_beside_it() {
    let env = TestEnv::new();
    let dir = env.path().join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let out = env
            .command()
            .current_dir(&dir)
            .args(["--db", "x.db"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["contacts", "add", "Zed Test", "zed@x.org"]);
    let conn = rusqlite::Connection::open(dir.join("x.db")).unwrap();
    conn.execute(
        "INSERT INTO shop_jobs (id, contact_id, title, state, input_path, created_at)
         VALUES (1, (SELECT id FROM contacts WHERE email = 'zed@x.org'), 'Zed job', 'done', ?1,
                 '2026-11-30T10:00:00.000Z')",
        [dir.join("shop-jobs/1/input.pdf").display().to_string()],
    )
    .unwrap();
    drop(conn);
    std::fs::create_dir_all(dir.join("shop-jobs/1")).unwrap();
    std::fs::write(dir.join("shop-jobs/1/input.pdf"), b"%PDF-zed").unwrap();
    // Another store's job #1, in the data folder.
    let other = env.path().join("data/backroom/shop-jobs/1");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("input.pdf"), b"%PDF-other").unwrap();
    run(&["contacts", "delete", "zed@x.org", "--yes"]);
    assert!(!dir.join("shop-jobs/1").exists(), "its own files stayed");
    assert!(
        other.join("input.pdf").exists(),
        "another store's files went"
    );
}

/// Two TUI sessions the daemon hosts (contexts cloned from one, as `daemon::tui` makes them)
/// each choose their own generic-link limit: `L` in one moved the limit that `+` changed in the
/// other, which still showed the first one in brackets.
#[tokio::test]
async fn each_session_chooses_its_own_generic_link_limit() {
    use backroom::tui::harness::Harness;
    let env = TestEnv::new();
    add(&env, "Alice", "alice@x.org");
    let daemon = backroom::context::Context::for_db(env.db());
    let mut marie = Harness::new(daemon.clone(), 150, 30).await.unwrap();
    let mut paul = Harness::new(daemon.clone(), 150, 30).await.unwrap();
    marie.press(&["3", "L"]).await.unwrap();
    assert!(
        marie.screen().contains("5 jobs/day · [100 MB/job]"),
        "{}",
        marie.screen()
    );
    paul.press(&["3", "+"]).await.unwrap();
    assert!(
        paul.screen()
            .contains("[6 jobs/day] · 100 MB/job · 500 MB/day"),
        "{}",
        paul.screen()
    );
}

/// A newline in a company (a cell with a line break in Excel) or an escape sequence in a name
/// is shown escaped by `contacts list` and `contacts show`: the streamed list printed them raw,
/// so a company forged a row of its own and a name could clear the operator's screen.
#[test]
fn control_characters_in_names_and_companies_are_shown_escaped() {
    let env = TestEnv::new();
    env.ok(&[
        "contacts",
        "add",
        "Eve",
        "eve@x.org",
        "--company",
        "ACME\nMallory Evil  mallory@bank.com  active",
    ]);
    let added = env.ok(&["contacts", "add", "Esc\u{1b}[2Jname", "esc@x.org"]);
    assert!(
        !added.contains('\u{1b}') && added.contains("added Esc\\u{1b}[2Jname"),
        "{added:?}"
    );
    let out = env.ok(&["contacts", "list"]);
    assert!(!out.contains('\u{1b}'), "{out:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two rows: {out}");
    assert!(out.contains("ACME\\nMallory Evil"), "{out}");
    assert!(out.contains("Esc\\u{1b}[2Jname"), "{out}");
    let shown = env.ok(&["contacts", "show", "esc@x.org"]);
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    let shown = env.ok(&["contacts", "show", "eve@x.org"]);
    assert!(!shown.lines().any(|l| l.starts_with("Mallory")), "{shown}");
    // Every message that names the contact: its addition (above), the delete plan, the
    // invitation's preview.
    for args in [
        &["contacts", "delete", "esc@x.org"][..],
        &["contacts", "invite", "esc@x.org"],
    ] {
        let out = env.run(args);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains('\u{1b}'), "{args:?}: {all:?}");
        assert!(all.contains("Esc\\u{1b}[2Jname"), "{args:?}: {all}");
    }
}

/// `--state` takes a state as lists print it (`not registered`) as well as stored
/// (`not_registered`); `--limit 0` is refused as the bad input it is (it printed a header, no
/// row, and "50 more").
#[test]
fn list_options_take_what_the_lists_print_and_refuse_a_limit_of_nothing() {
    let env = TestEnv::new();
    add(&env, "Alice", "alice@x.org");
    for state in ["not registered", "not_registered"] {
        let out = env.ok(&["contacts", "list", "--state", state]);
        assert!(out.contains("alice@x.org"), "{state}: {out}");
    }
    let err = env.fails(2, &["contacts", "list", "--limit", "0"]);
    assert!(err.contains("a whole number of at least 1"), "{err}");
    env.fails(2, &["jobs", "list", "--limit", "0"]);
}
