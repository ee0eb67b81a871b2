//! POS folders, sync tables and processes through the real binary (no network peer needed).

mod support;

use support::TestEnv;

fn admin_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_config("[operators]\ntester = \"admin\"\n");
    env
}

const FULL: &[&str] = &[
    "pos",
    "folders",
    "add",
    "STORE12",
    "--administrator",
    "marie",
    "--db-kind",
    "postgresql",
    "--db-host",
    "db.store12.example",
    "--db-port",
    "5433",
    "--db-name",
    "erp",
    "--db-user",
    "caisse",
    "--db-password",
    "db-secret-value",
    "--ftp-mode",
    "put",
    "--ftp-address",
    "ftp://files.example{}store12/outbox",
    "--ftp-user",
    "ftpuser",
    "--ftp-password",
    "ftp-secret-value",
    "--ws-url",
    "http://server.example:8080",
    "--sync-wait-ms",
    "3000",
];

#[test]
fn a_folder_keeps_its_four_tabs_and_never_shows_passwords() {
    let env = admin_env();
    env.ok(FULL);
    let shown = env.ok(&["pos", "folders", "show", "STORE12"]);
    for tab in ["[Server]", "[DB server]", "[FTP server]", "[Till]"] {
        assert!(shown.contains(tab), "{shown}");
    }
    assert!(
        shown.contains("ftp://files.example{}store12/outbox"),
        "{shown}"
    );
    assert!(shown.contains("5433") && shown.contains("3000"), "{shown}");
    assert!(shown.contains("export_caisseauto") && shown.contains("import_updatecaisse"));
    assert!(!shown.contains("db-secret-value") && !shown.contains("ftp-secret-value"));
    assert!(shown.contains("••••••"), "{shown}");

    let json = env.json(&["pos", "folders", "show", "STORE12"]);
    let text = json.to_string();
    assert!(
        !text.contains("db-secret") && !text.contains("ftp-secret"),
        "{text}"
    );
    assert_eq!(json["db"]["port"], 5433);
    assert_eq!(json["ftp"]["address"]["target"], "store12/outbox");
    assert_eq!(json["till"]["sync_wait_ms"], 3000);
    assert_eq!(json["processes"].as_array().unwrap().len(), 3);

    let list = env.json(&["pos", "folders", "list"]);
    assert_eq!(list[0]["code"], "STORE12");
    assert!(!list.to_string().contains("secret-value"));
    let human = env.ok(&["pos", "folders", "list"]);
    assert!(
        human.contains("STORE12") && human.contains("untested"),
        "{human}"
    );
}

#[test]
fn passwords_come_from_stdin_or_the_environment() {
    use std::io::Write;
    let env = admin_env();
    let mut child = env
        .command()
        .args([
            "pos",
            "folders",
            "add",
            "S1",
            "--db-host",
            "db",
            "--db-password-stdin",
            "--ftp-password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from-stdin-db\nfrom-stdin-ftp\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let (db, ftp): (String, String) = conn
        .query_row(
            "SELECT db_password, ftp_password FROM pos_folders WHERE code = 'S1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (db.as_str(), ftp.as_str()),
        ("from-stdin-db", "from-stdin-ftp")
    );

    let out = env
        .command()
        .args(["pos", "folders", "set", "S1", "--db-password-env", "DBPW"])
        .env("DBPW", "from-env-db")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--db-password") && !err.contains("from-env-db"),
        "{err}"
    );
    let db: String = conn
        .query_row(
            "SELECT db_password FROM pos_folders WHERE code = 'S1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(db, "from-env-db");
    let err = env.fails(
        2,
        &[
            "pos",
            "folders",
            "set",
            "S1",
            "--ftp-password-env",
            "NOPE_UNSET",
        ],
    );
    assert!(err.contains("NOPE_UNSET"), "{err}");
}

#[test]
fn each_bad_field_is_refused_with_its_reason_and_nothing_is_saved() {
    let env = admin_env();
    let cases: &[(&[&str], &str, &str)] = &[
        (&["--db-port", "70000"], "--db-port", "out of range"),
        (&["--db-port", "0"], "--db-port", "out of range"),
        (
            &["--ftp-address", "ftp://files.example{}"],
            "--ftp-address",
            "empty target",
        ),
        (
            &["--ftp-address", "http://files.example"],
            "--ftp-address",
            "scheme",
        ),
        (
            &["--ftp-address", "ftp://bob:pw@files.example"],
            "--ftp-address",
            "user and password",
        ),
        (&["--sync-wait-ms", "-5"], "--sync-wait-ms", "negative wait"),
        (&["--ws-url", "not a url"], "--ws-url", "not a URL"),
        (&["--db-host", "bad host"], "--db-host", "not a host name"),
        (
            &["--db-kind", "oracle"],
            "--db-kind",
            "postgresql or sqlite",
        ),
        (
            &["--db-kind", "sqlite", "--db-name", "store.db"],
            "--db-name",
            "absolute",
        ),
        (
            &["--ftp-mode", "copy"],
            "--ftp-share",
            "required in copy mode",
        ),
        (&["--ftp-mode", "fax"], "--ftp-mode", "copy"),
    ];
    for (flags, field, reason) in cases {
        let mut args = vec!["pos", "folders", "add", "S1"];
        args.extend_from_slice(flags);
        let err = env.fails(2, &args);
        assert!(
            err.contains(field) && err.contains(reason),
            "{flags:?}: {err}"
        );
        assert!(err.contains("nothing was saved"), "{err}");
    }
    let err = env.fails(2, &["pos", "folders", "add", "bad code!"]);
    assert!(err.contains("CODE") && err.contains("not allowed"), "{err}");
    assert_eq!(env.json(&["pos", "folders", "list"]), serde_json::json!([]));
}

#[test]
fn set_changes_only_the_given_fields_and_remove_cascades() {
    let env = admin_env();
    env.ok(FULL);
    let err = env.fails(
        2,
        &["pos", "folders", "set", "STORE12", "--db-port", "99999"],
    );
    assert!(err.contains("out of range"), "{err}");
    env.ok(&[
        "pos",
        "folders",
        "set",
        "STORE12",
        "--sync-wait-ms",
        "0",
        "--new-code",
        "STORE13",
    ]);
    let json = env.json(&["pos", "folders", "show", "STORE13"]);
    assert_eq!(json["till"]["sync_wait_ms"], 0);
    assert_eq!(json["db"]["port"], 5433);
    assert_eq!(json["administrator"], "marie");
    env.fails(3, &["pos", "folders", "show", "STORE12"]);
    env.fails(2, &["pos", "folders", "add", "STORE13"]);
    env.ok(&[
        "sync",
        "tables",
        "add",
        "STORE13",
        "ART",
        "--type",
        "full",
        "--direction",
        "server-to-till",
    ]);
    env.ok(&["pos", "folders", "remove", "STORE13"]);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM sync_tables) + (SELECT count(*) FROM sync_processes)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    env.fails(3, &["pos", "folders", "remove", "STORE13"]);
}

#[test]
fn changes_need_an_admin_and_a_writable_store() {
    // Personal mode on a database someone else owns (here `nobody`): the role comes from
    // [operators], and this user is not listed, so staff.
    let env = TestEnv::new();
    env.ok(&["pos", "folders", "list"]);
    std::os::unix::fs::chown(env.db(), Some(65534), None)
        .expect("chown the database to nobody (the tests run as root, as CI does)");
    let err = env.fails(4, &["pos", "folders", "add", "S1"]);
    assert!(err.contains("administrators"), "{err}");
    let admin = admin_env();
    let err = admin.fails(4, &["--read-only", "pos", "folders", "add", "S1"]);
    assert!(err.contains("read-only"), "{err}");
}

#[test]
fn sync_tables_go_once_per_direction() {
    let env = admin_env();
    env.ok(&["pos", "folders", "add", "S1"]);
    let add = |t: &str, ty: &str, d: &str| {
        vec![
            "sync",
            "tables",
            "add",
            "S1",
            t,
            "--type",
            ty,
            "--direction",
            d,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| env.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        run(add("CLI", "incremental", "server-to-till"))
            .status
            .success()
    );
    assert!(
        run(add("CLI", "incremental", "till-to-server"))
            .status
            .success()
    );
    assert!(run(add("T012", "full", "server-to-till")).status.success());
    let out = run(add("CLI", "full", "server-to-till"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already synchronised") && err.contains("server → till"),
        "{err}"
    );
    let out = run(add("12ART", "full", "server-to-till"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("start with a letter"));
    let out = run(add("ART", "sometimes", "server-to-till"));
    assert_eq!(out.status.code(), Some(2));
    let out = run(add("ART", "full", "sideways"));
    assert_eq!(out.status.code(), Some(2));

    let list = env.json(&["sync", "tables", "list", "S1"]);
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["exists_on_server"].is_null()));
    let human = env.ok(&["sync", "tables", "list", "S1"]);
    assert!(
        human.contains("till → server") && human.contains("incremental"),
        "{human}"
    );
    env.ok(&[
        "sync",
        "tables",
        "remove",
        "S1",
        "CLI",
        "--direction",
        "till-to-server",
    ]);
    env.fails(
        3,
        &[
            "sync",
            "tables",
            "remove",
            "S1",
            "CLI",
            "--direction",
            "till-to-server",
        ],
    );
    assert_eq!(
        env.json(&["sync", "tables", "list", "S1"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    env.fails(3, &["sync", "tables", "list", "NOPE"]);
}

#[test]
fn processes_are_created_with_the_folder_and_can_be_tuned() {
    let env = admin_env();
    env.ok(&["pos", "folders", "add", "S1"]);
    let procs = env.json(&["sync", "processes", "list", "S1"]);
    let kinds: Vec<&str> = procs
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "export_caisseauto",
            "import_caisseauto",
            "import_updatecaisse"
        ]
    );
    assert_eq!(procs[2]["confirm_mode"], "always");
    assert!(procs[0]["last_run_at"].is_null());

    env.ok(&[
        "sync",
        "processes",
        "set",
        "S1",
        "import_updatecaisse",
        "--confirm",
        "never",
        "--schedule-secs",
        "900",
    ]);
    env.ok(&[
        "sync",
        "processes",
        "set",
        "S1",
        "export_caisseauto",
        "--disable",
    ]);
    let procs = env.json(&["sync", "processes", "list", "S1"]);
    assert_eq!(procs[2]["confirm_mode"], "never");
    assert_eq!(procs[2]["schedule_secs"], 900);
    assert_eq!(procs[0]["enabled"], false);
    let err = env.fails(
        2,
        &[
            "sync",
            "processes",
            "set",
            "S1",
            "export_caisseauto",
            "--confirm",
            "once",
        ],
    );
    assert!(err.contains("import_updatecaisse only"), "{err}");
    let err = env.fails(
        2,
        &[
            "sync",
            "processes",
            "set",
            "S1",
            "import_caisseauto",
            "--schedule-secs",
            "-1",
        ],
    );
    assert!(err.contains("out of range"), "{err}");
    env.fails(2, &["sync", "processes", "set", "S1", "export", "--enable"]);
    let human = env.ok(&["sync", "processes", "list", "S1"]);
    assert!(
        human.contains("disabled") && human.contains("never"),
        "{human}"
    );
}

#[test]
fn an_unconfigured_connection_says_what_to_set() {
    let env = admin_env();
    env.ok(&["pos", "folders", "add", "S1"]);
    let err = env.fails(5, &["pos", "test-ftp", "S1"]);
    assert!(err.contains("not_configured"), "{err}");
    let out = env.run(&["--json", "pos", "test-db", "S1"]);
    assert_eq!(out.status.code(), Some(5));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["failure"], "not_configured");
    assert!(v["message"].as_str().unwrap().contains("--db-host"));
    env.fails(3, &["pos", "test-ws", "NOPE"]);
}

#[test]
fn read_only_tests_run_but_keep_nothing() {
    let env = admin_env();
    env.ok(&["pos", "folders", "add", "S1"]);
    let err = env.fails(5, &["--read-only", "pos", "test-ws", "S1"]);
    assert!(err.contains("read-only: the result was not kept"), "{err}");
    let json = env.json(&["pos", "folders", "show", "S1"]);
    assert_eq!(json["last_tests"], serde_json::json!([]));
    env.fails(5, &["pos", "test-ws", "S1"]);
    let json = env.json(&["pos", "folders", "show", "S1"]);
    assert_eq!(json["last_tests"][0]["failure"], "not_configured");
    env.fails(5, &["pos", "test", "S1"]);
    let history = env.json(&["pos", "test-history", "S1"]);
    assert_eq!(history.as_array().unwrap().len(), 4);
    let out = env.run(&["pos", "test-history", "S1", "--limit", "2"]);
    assert!(out.status.success());
    let (human, rest) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(human.lines().count(), 3, "{human}");
    assert!(rest.contains("2 more: --limit N or --all"), "{rest}");
    // The filter language of the lists: the failed FTP tests, the web service's, a bad value.
    let ftp = env.json(&[
        "pos",
        "test-history",
        "S1",
        "--filter",
        "target:ftp result:not_configured",
    ]);
    let ftp = ftp.as_array().unwrap();
    assert_eq!(ftp.len(), 1, "{ftp:?}");
    assert_eq!(ftp[0]["target"], "ftp");
    let ws = env.json(&["pos", "test-history", "S1", "--filter", "target:ws"]);
    assert_eq!(ws.as_array().unwrap().len(), 2, "{ws}");
    assert!(
        env.json(&["pos", "test-history", "S1", "--filter", "result:ok"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let err = env.fails(2, &["pos", "test-history", "S1", "--filter", "target:smtp"]);
    assert!(err.contains("db, ftp, ws"), "{err}");
    assert!(
        json["last_tests"][0]["tested_at"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );
}
