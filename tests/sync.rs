//! Till synchronisation against real peers: two backroom data directories play server and till,
//! with a real FTP server (pyftpdlib), a real PostgreSQL 15 as the server database, and
//! `backroom serve` (behind a loopback proxy that can drop replies).

mod support;

use std::io::Write;
use std::sync::atomic::Ordering;

use support::TestEnv;
use support::ftp::FtpServer;
use support::postgres::Postgres;
use support::serve::{Proxy, Serve};

const ADMIN: &str = "[operators]\ntester = \"admin\"\n";

/// The server side: its own data directory, its signing key, `[server]` tokens per till and the
/// model customer.
fn server_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "{ADMIN}[server]\nmodel_customer = \"MODELE\"\ncustomers_table = \"cli\"\nsigning_key = \"{}\"\n\
         [server.till_tokens]\n\"1\" = \"token-of-till-1\"\n\"2\" = \"token-of-till-2\"\n",
        support::keys::server().path.display()
    ));
    env
}

/// A till: its number and token, where update packages go, and the server's public key.
fn till_env(number: &str, token: &str) -> TestEnv {
    let env = TestEnv::new();
    let install = env.path().join("install");
    env.write_config(&format!(
        "{ADMIN}[till]\nnumber = \"{number}\"\ntoken = \"{token}\"\ninstall_dir = \"{}\"\n\
         customers_table = \"CLI\"\nusers_table = \"USERS\"\nusers_till_column = \"till\"\npush_batch = 3\n\
         server_public_key = \"{}\"\n",
        install.display(),
        support::keys::server().public
    ));
    env
}

fn add_folder(env: &TestEnv, code: &str, flags: &[&str]) {
    let mut args = vec!["pos", "folders", "add", code];
    args.extend_from_slice(flags);
    env.ok(&args);
}

fn add_table(env: &TestEnv, folder: &str, table: &str, kind: &str, direction: &str) {
    env.ok(&[
        "sync",
        "tables",
        "add",
        folder,
        table,
        "--type",
        kind,
        "--direction",
        direction,
    ]);
}

fn pg_flags(pg: &Postgres, db: &str) -> Vec<String> {
    vec![
        "--db-kind".into(),
        "postgresql".into(),
        "--db-host".into(),
        "127.0.0.1".into(),
        "--db-port".into(),
        pg.port.to_string(),
        "--db-name".into(),
        db.into(),
        "--db-user".into(),
        pg.user.clone(),
        "--db-password".into(),
        pg.password.clone(),
    ]
}

fn ftp_flags(ftp: &FtpServer, target: &str) -> Vec<String> {
    vec![
        "--ftp-mode".into(),
        "put".into(),
        "--ftp-address".into(),
        ftp.address(Some(target)),
        "--ftp-user".into(),
        ftp.user.clone(),
        "--ftp-password".into(),
        ftp.password.clone(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Rows of a till table as "col=value|col=value" lines, sorted.
fn till_rows(env: &TestEnv, sql: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    let mut rows: Vec<String> = stmt
        .query_map([], |r| {
            let mut parts = Vec::new();
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i)?;
                parts.push(match v {
                    rusqlite::types::Value::Null => "NULL".to_string(),
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Real(f) => f.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Blob(_) => "BLOB".to_string(),
                });
            }
            Ok(parts.join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

fn list_dir(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn server_changes_reach_the_till_over_ftp_and_import_is_idempotent() {
    let pg = Postgres::start();
    pg.create_database("shop");
    pg.psql(
        "shop",
        "CREATE TABLE art (code text PRIMARY KEY, label text NOT NULL, price numeric(10,2), vat real, active boolean);
         INSERT INTO art VALUES ('A1', 'Stylo bleu', 1.20, 20, true), ('A2', 'Cahier A4', 3.50, 5.5, true),
                                ('A3', 'Gomme', 0.80, 20, false);
         CREATE TABLE users (login text PRIMARY KEY, name text, till text);
         INSERT INTO users VALUES ('marie', 'Marie', '1'), ('paul', 'Paul', '2'), ('zoe', 'Zoé', '1');",
    );
    let ftp = FtpServer::start();
    ftp.mkdir("outbox");
    let server = server_env();
    let mut flags = pg_flags(&pg, "shop");
    flags.extend(ftp_flags(&ftp, "outbox"));
    add_folder(&server, "LYON", &strs(&flags));
    add_table(&server, "LYON", "ART", "incremental", "server-to-till");
    add_table(&server, "LYON", "USERS", "full", "server-to-till");

    // Without capture, the export is refused and says what to do.
    let err = server.fails(4, &["sync", "run", "export", "LYON"]);
    assert!(err.contains("sync capture install LYON"), "{err}");
    server.fails(4, &["sync", "capture", "check", "LYON"]);
    let report = server.json(&["sync", "capture", "install", "LYON"]);
    assert!(
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "installed"),
        "{report}"
    );
    server.ok(&["sync", "capture", "check", "LYON"]);

    let first = server.json(&["sync", "run", "export", "LYON"]);
    assert_eq!(first["batch"], 1, "{first}");
    assert_eq!(first["kind"], "full", "{first}");
    assert_eq!(first["rows"], 6, "{first}");
    assert_eq!(
        list_dir(&ftp.path("outbox")),
        vec!["batch-000000001.full.brb"]
    );

    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "outbox")));
    let imported = till.json(&["sync", "run", "import", "LYON"]);
    assert_eq!(imported["applied"][0]["batch"], 1, "{imported}");
    assert_eq!(imported["users_removed"], 1, "{imported}");
    assert_eq!(
        till_rows(&till, "SELECT code, label, price, vat, active FROM ART"),
        vec![
            "A1|Stylo bleu|1.2|20|1",
            "A2|Cahier A4|3.5|5.5|1",
            "A3|Gomme|0.8|20|0"
        ]
    );
    // Only the users attached to till 1 are kept.
    assert_eq!(
        till_rows(&till, "SELECT login, till FROM USERS"),
        vec!["marie|1", "zoe|1"]
    );

    // Changes on the server: an update, a delete, an insert, and a key change.
    pg.psql(
        "shop",
        "UPDATE art SET price = 1.35 WHERE code = 'A1';
         DELETE FROM art WHERE code = 'A3';
         INSERT INTO art VALUES ('A4', 'Règle 30 cm', 2.10, 20, true);
         UPDATE art SET price = 1.40 WHERE code = 'A1';
         UPDATE art SET code = 'A2-NEW' WHERE code = 'A2';",
    );
    let second = server.json(&["sync", "run", "export", "LYON"]);
    assert_eq!(second["batch"], 2, "{second}");
    assert_eq!(second["kind"], "incremental", "{second}");
    let art = second["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "ART")
        .unwrap()
        .clone();
    // A1 collapsed to its last change; A2 deleted and A2-NEW inserted; A3 deleted; A4 inserted.
    assert_eq!(
        (art["upserts"].as_u64(), art["deletes"].as_u64()),
        (Some(3), Some(2)),
        "{second}"
    );

    let imported = till.json(&["sync", "run", "import", "LYON"]);
    assert_eq!(imported["applied"][0]["batch"], 2, "{imported}");
    let expected = vec!["A1|1.4", "A2-NEW|3.5", "A4|2.1"];
    assert_eq!(till_rows(&till, "SELECT code, price FROM ART"), expected);

    // Idempotent: nothing new, nothing changes; nothing to export either.
    let again = till.json(&["sync", "run", "import", "LYON"]);
    assert_eq!(again["applied"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(till_rows(&till, "SELECT code, price FROM ART"), expected);
    let idle = server.json(&["sync", "run", "export", "LYON"]);
    assert!(idle["tables"].as_array().unwrap().len() <= 2, "{idle}");

    // The status on both sides names the batches; the runs are logged with their figures.
    let status = till.ok(&["sync", "status", "LYON"]);
    assert!(status.contains("last import   batch 2"), "{status}");
    let status = server.json(&["sync", "status", "LYON"]);
    assert!(
        status[0]["last_export"]["batch"].as_i64().unwrap() >= 2,
        "{status}"
    );
    let runs = server.json(&["sync", "runs", "LYON"]);
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .any(|r| r["process"] == "export" && r["outcome"] == "ok" && r["rows"] == 6),
        "{runs}"
    );
    let procs = server.json(&["sync", "processes", "list", "LYON"]);
    let export = procs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "export_caisseauto")
        .unwrap()
        .clone();
    assert_eq!(export["last_outcome"], "ok", "{procs}");

    // A column added after the install: capture is stale until reinstalled.
    pg.psql("shop", "ALTER TABLE art ADD COLUMN barcode text");
    let err = server.fails(4, &["sync", "capture", "check", "LYON"]);
    assert!(err.contains("capture install LYON"), "{err}");
    server.ok(&["sync", "capture", "install", "LYON"]);
    pg.psql(
        "shop",
        "UPDATE art SET barcode = '3017620422003' WHERE code = 'A4'",
    );
    server.ok(&["sync", "run", "export", "LYON"]);
    till.ok(&["sync", "run", "import", "LYON"]);
    assert_eq!(
        till_rows(&till, "SELECT code, barcode FROM ART WHERE code = 'A4'"),
        vec!["A4|3017620422003"]
    );

    // Removal asks for confirmation, then leaves nothing of backroom on the customer's database.
    let err = server.fails(2, &["sync", "capture", "remove", "LYON"]);
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(
        pg_count(
            &pg,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'backroom_capture'"
        ),
        2
    );
    let removed = server.json(&["sync", "capture", "remove", "LYON", "--yes"]);
    assert_eq!(removed["removed"], 2, "{removed}");
    assert_eq!(removed["dropped_log_tables"], true, "{removed}");
    assert_eq!(
        pg_count(
            &pg,
            "SELECT count(*) FROM pg_class WHERE relname IN ('backroom_sync_log', 'backroom_sync_capture')"
        ),
        0
    );
    assert_eq!(
        pg_count(
            &pg,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'backroom_capture'"
        ),
        0
    );
    server.fails(4, &["sync", "capture", "check", "LYON"]);
}

#[test]
fn a_corrupt_batch_is_refused_and_blocks_later_ones_without_touching_the_till() {
    let ftp = FtpServer::start();
    ftp.mkdir("out");
    let server = server_env();
    let erp = server.path().join("erp.db");
    rusqlite::Connection::open(&erp)
        .unwrap()
        .execute_batch(
            "CREATE TABLE ART (code TEXT PRIMARY KEY, label TEXT, price REAL);
             INSERT INTO ART VALUES ('A1', 'Stylo', 1.2), ('A2', 'Cahier', 3.5);",
        )
        .unwrap();
    let mut flags = vec![
        "--db-kind".to_string(),
        "sqlite".into(),
        "--db-name".into(),
        erp.display().to_string(),
    ];
    // Copy mode: the server writes into the FTP server's folder on this machine.
    flags.extend(ftp_flags(&ftp, "out"));
    flags[5] = "copy".into();
    flags.extend([
        "--ftp-share".to_string(),
        ftp.path("out").display().to_string(),
    ]);
    add_folder(&server, "NICE", &strs(&flags));
    add_table(&server, "NICE", "ART", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "NICE"]);
    server.ok(&["sync", "run", "export", "NICE"]);

    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "NICE", &strs(&ftp_flags(&ftp, "out")));
    till.ok(&["sync", "run", "import", "NICE"]);
    let before = till_rows(&till, "SELECT code, label, price FROM ART");
    assert_eq!(before, vec!["A1|Stylo|1.2", "A2|Cahier|3.5"]);

    let server_db = rusqlite::Connection::open(&erp).unwrap();
    server_db
        .execute("UPDATE ART SET price = 9.9 WHERE code = 'A1'", [])
        .unwrap();
    assert_eq!(server.json(&["sync", "run", "export", "NICE"])["batch"], 2);
    server_db
        .execute("INSERT INTO ART VALUES ('A3', 'Gomme', 0.8)", [])
        .unwrap();
    assert_eq!(server.json(&["sync", "run", "export", "NICE"])["batch"], 3);

    // One byte of batch 2's payload changes on the FTP server: its signature no longer holds.
    let path = ftp.path("out/batch-000000002.brb");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();

    let err = till.fails(4, &["sync", "run", "import", "NICE"]);
    assert!(
        err.contains("batch 2") && err.contains("signature of this batch does not match"),
        "{err}"
    );
    assert_eq!(
        till_rows(&till, "SELECT code, label, price FROM ART"),
        before
    );
    // Still blocked: batch 3 waits behind batch 2.
    till.fails(4, &["sync", "run", "import", "NICE"]);
    assert_eq!(
        till_rows(&till, "SELECT code, label, price FROM ART"),
        before
    );
    let status = till.ok(&["sync", "status", "NICE"]);
    assert!(
        status.contains("BLOCKED import") && status.contains("at batch 2"),
        "{status}"
    );
    assert!(
        status.contains("what to do:") && status.contains("--full"),
        "{status}"
    );
    let json = till.json(&["sync", "status", "NICE"]);
    assert_eq!(json[0]["blocks"][0]["batch"], 2, "{json}");

    // What to do: a full batch on the server, a full re-import on the till.
    let full = server.json(&["sync", "run", "export", "NICE", "--full"]);
    assert_eq!(
        (full["batch"].as_i64(), full["kind"].as_str()),
        (Some(4), Some("full")),
        "{full}"
    );
    till.ok(&["sync", "run", "import", "NICE", "--full"]);
    assert_eq!(
        till_rows(&till, "SELECT code, label, price FROM ART"),
        vec!["A1|Stylo|9.9", "A2|Cahier|3.5", "A3|Gomme|0.8"]
    );
    let json = till.json(&["sync", "status", "NICE"]);
    assert_eq!(json[0]["blocks"].as_array().unwrap().len(), 0, "{json}");
    assert_eq!(json[0]["last_import"]["batch"], 4, "{json}");
}

fn pg_count(pg: &Postgres, sql: &str) -> i64 {
    pg.psql("shop", sql).trim().parse().unwrap()
}

#[test]
fn tickets_sold_offline_arrive_exactly_once_and_customers_follow_the_seed() {
    let pg = Postgres::start();
    pg.create_database("shop");
    pg.psql(
        "shop",
        "CREATE TABLE cli (code text PRIMARY KEY, name text, city text, category text, discount numeric(5,2));
         INSERT INTO cli VALUES ('MODELE', 'Client modèle', '', 'RETAIL', 5.00), ('C001', 'Martin', 'Lyon', 'PRO', 10);
         CREATE TABLE jets (till text, day text, count integer, PRIMARY KEY (till, day));",
    );
    let server = server_env();
    add_folder(&server, "LYON", &strs(&pg_flags(&pg, "shop")));
    add_table(&server, "LYON", "JETS", "incremental", "till-to-server");

    let serve_port = support::free_port();
    let proxy = Proxy::start(serve_port);
    let ws = format!("http://127.0.0.1:{}", proxy.port);
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &["--ws-url", &ws]);

    // The server is down: the till sells anyway; tickets wait in the queue.
    // The first ticket carries invoice details: the server prints its invoice.
    let invoice = r#"{"currency": "EUR", "vat_rate": 20,
        "customer": {"name": "Camille Martin", "number": "C-77"},
        "billing_address": {"name": "Camille Martin", "street": "12 rue des Lilas",
            "postal_code": "69003", "city": "Lyon", "country": "FR"}}"#;
    for n in 1..=7 {
        let number = format!("T1-{n:04}");
        let mut args = vec![
            "till",
            "ticket",
            "add",
            "LYON",
            "--number",
            &number,
            "--line",
            "ART-001:2:4.50",
            "--line",
            "ART-002:1:3.20",
        ];
        if n == 1 {
            args.extend(["--invoice", invoice]);
        }
        till.ok(&args);
    }
    till.ok(&["till", "param", "set", "LYON", "printer", "EPSON-TM20"]);
    till.ok(&[
        "till",
        "row",
        "LYON",
        "JETS",
        "--field",
        "till=1",
        "--field",
        "day=2026-11-23",
        "--field",
        "count=42",
        "--key",
        "till",
        "--key",
        "day",
    ]);
    let err = till.fails(5, &["sync", "run", "push", "LYON"]);
    // The real depth of the queue, not the size of one request (push_batch = 3).
    assert!(err.contains("9 item(s) wait in the queue"), "{err}");
    let status = till.json(&["sync", "status", "LYON"]);
    assert_eq!(status[0]["queue"]["waiting"], 9, "{status}");
    assert!(status[0]["oldest_age_secs"].as_i64().is_some(), "{status}");
    let text = till.ok(&["sync", "status", "LYON"]);
    assert!(text.contains("9 waiting, oldest"), "{text}");

    // Creating a customer needs the server: refused offline, clearly. The request may have reached
    // a server whose reply was lost (here the proxy took it), so it waits with its request UUID.
    let err = till.fails(
        5,
        &[
            "till",
            "customer",
            "create",
            "LYON",
            "--field",
            "name=Durand",
        ],
    );
    assert!(
        err.contains("needs the server") && err.contains("waits here as request"),
        "{err}"
    );

    // The server is back but every reply is lost after it answered: nothing is acknowledged.
    let serve = Serve::with(&server, serve_port, &["--no-worker"]);
    proxy.drop_replies.store(true, Ordering::SeqCst);
    till.fails(5, &["sync", "run", "push", "LYON"]);
    till.fails(5, &["sync", "run", "push", "LYON"]);
    assert_eq!(
        till.json(&["sync", "status", "LYON"])[0]["queue"]["waiting"],
        9
    );
    let received = pg_count(&pg, "SELECT count(*) FROM backroom_tickets");
    assert!(
        received >= 3,
        "the server applied the first batch before the reply was lost: {received}"
    );

    // Replies get through again: everything arrives, each ticket exactly once; the waiting
    // customer creation is sent first and created once.
    proxy.drop_replies.store(false, Ordering::SeqCst);
    let pushed = till.json(&["sync", "run", "push", "LYON"]);
    assert_eq!(
        pg.psql("shop", "SELECT code FROM cli WHERE name = 'Durand'")
            .trim(),
        "T1-00001"
    );
    assert!(pushed["duplicates"].as_u64().unwrap() >= 3, "{pushed}");
    assert_eq!(pushed["waiting"], 0, "{pushed}");
    assert_eq!(pg_count(&pg, "SELECT count(*) FROM backroom_tickets"), 7);
    assert_eq!(
        pg_count(
            &pg,
            "SELECT count(DISTINCT number) FROM backroom_tickets WHERE till = '1'"
        ),
        7
    );
    // The ticket with invoice details printed exactly once, although it was pushed three times;
    // the others say why they did not print.
    let store = rusqlite::Connection::open(server.db()).unwrap();
    let invoices: Vec<(String, String, String)> = store
        .prepare(
            "SELECT e.reference, d.kind, j.uuid FROM print_jobs j
             JOIN events e ON e.id = j.event_id JOIN documents d ON d.id = j.document_id
             WHERE e.kind = 'order.received' AND e.source = 'till'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    assert_eq!(invoices[0].0, "till 1 ticket T1-0001");
    assert_eq!(invoices[0].1, "invoice");
    // The invoice's total is what the customer paid at the till (2 × 4.50 + 3.20, VAT included;
    // until 2026-11-30 VAT was added on top: 14.64).
    let pdf = server.path().join("invoice.pdf");
    let job: i64 = store
        .query_row(
            "SELECT id FROM print_jobs WHERE uuid = ?1",
            [&invoices[0].2],
            |r| r.get(0),
        )
        .unwrap();
    server.ok(&[
        "jobs",
        "download",
        &job.to_string(),
        "--out",
        pdf.to_str().unwrap(),
    ]);
    support::require_program("pdftotext", "poppler-utils");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Price incl. VAT"), "{text}");
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Total"))
        .unwrap_or_default();
    assert!(total.contains("12.20 EUR"), "{text}");
    assert!(text.contains("2.03 EUR"), "VAT included: {text}");
    let events: i64 = store
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 1);
    assert_eq!(
        pg_count(
            &pg,
            "SELECT count(*) FROM backroom_till_inbox WHERE note LIKE 'printed: event%'"
        ),
        1
    );
    assert_eq!(
        pg_count(
            &pg,
            "SELECT count(*) FROM backroom_till_inbox WHERE note LIKE 'not printed: the ticket carries no invoice details%'"
        ),
        6
    );
    assert_eq!(
        pg_count(&pg, "SELECT sum(total_cents) FROM backroom_tickets"),
        7 * 1220
    );
    assert_eq!(
        pg.psql(
            "shop",
            "SELECT value FROM backroom_till_parameters WHERE till = '1' AND key = 'printer'"
        )
        .trim(),
        "EPSON-TM20"
    );
    assert_eq!(
        pg.psql("shop", "SELECT count FROM jets WHERE till = '1'")
            .trim(),
        "42"
    );
    // Pushing again sends nothing.
    let again = till.json(&["sync", "run", "push", "LYON"]);
    assert_eq!(
        (again["applied"].as_u64(), again["batches"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );

    // Customers: created on the server from the model, returned to the till.
    let created = till.json(&[
        "till",
        "customer",
        "create",
        "LYON",
        "--field",
        "name=Durand",
        "--field",
        "city=Villeurbanne",
    ]);
    let code = created["code"].as_str().unwrap().to_string();
    assert_eq!(code, "T1-00002");
    assert_eq!(created["row"]["category"], "RETAIL", "{created}");
    assert_eq!(
        pg.psql(
            "shop",
            &format!("SELECT name, city, category, discount FROM cli WHERE code = '{code}'")
        )
        .trim(),
        "Durand|Villeurbanne|RETAIL|5.00"
    );
    assert_eq!(
        till_rows(
            &till,
            &format!("SELECT code, name, category FROM CLI WHERE code = '{code}'")
        ),
        vec![format!("{code}|Durand|RETAIL")]
    );

    // A change made offline is queued and resent when the server is back.
    drop(serve);
    till.ok(&[
        "till",
        "customer",
        "update",
        "LYON",
        &code,
        "--field",
        "city=Bron",
    ]);
    till.fails(5, &["sync", "run", "push", "LYON"]);
    let serve = Serve::with(&server, serve_port, &["--no-worker"]);
    till.ok(&["sync", "run", "push", "LYON"]);
    assert_eq!(
        pg.psql(
            "shop",
            &format!("SELECT city FROM cli WHERE code = '{code}'")
        )
        .trim(),
        "Bron"
    );

    // An abandoned creation asks the server to delete the customer; others are never deleted.
    let second = till.json(&[
        "till",
        "customer",
        "create",
        "LYON",
        "--field",
        "name=Abandon",
    ]);
    let second = second["code"].as_str().unwrap().to_string();
    assert_eq!(second, "T1-00003");
    till.ok(&["till", "customer", "abandon", "LYON", &second]);
    till.ok(&["sync", "run", "push", "LYON"]);
    assert_eq!(
        pg_count(
            &pg,
            &format!("SELECT count(*) FROM cli WHERE code = '{second}'")
        ),
        0
    );
    assert_eq!(
        pg_count(
            &pg,
            "SELECT count(*) FROM cli WHERE code IN ('MODELE', 'C001')"
        ),
        2
    );

    // A till cannot push for another: till 2's token claiming to be till 1 is refused.
    let impostor = till_env("1", "token-of-till-2");
    add_folder(&impostor, "LYON", &["--ws-url", &ws]);
    impostor.ok(&[
        "till",
        "ticket",
        "add",
        "LYON",
        "--number",
        "X-1",
        "--line",
        "ART-001:1:1.00",
    ]);
    let err = impostor.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(
        err.contains("belongs to till 2") && err.contains("cannot speak for till 1"),
        "{err}"
    );
    let stranger = till_env("1", "not-a-token");
    add_folder(&stranger, "LYON", &["--ws-url", &ws]);
    stranger.ok(&[
        "till",
        "ticket",
        "add",
        "LYON",
        "--number",
        "X-2",
        "--line",
        "ART-001:1:1.00",
    ]);
    let err = stranger.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(
        err.contains("401") && err.contains("unknown till token"),
        "{err}"
    );
    let status = stranger.ok(&["sync", "status", "LYON"]);
    assert!(status.contains("BLOCKED push"), "{status}");
    assert_eq!(pg_count(&pg, "SELECT count(*) FROM backroom_tickets"), 7);
    drop(serve);
}

/// A ZIP package holding one file.
fn package(name: &str, body: &str) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    buf.into_inner()
}

fn sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn publish(ftp: &FtpServer, packages: &[(&str, Vec<u8>, Option<&str>)]) {
    let mut entries = Vec::new();
    for (version, bytes, bad_sha) in packages {
        let file = format!("pos-{version}.zip");
        ftp.write(&format!("out/updates/{file}"), bytes);
        entries.push(serde_json::json!({
            "version": version,
            "file": file,
            "sha256": bad_sha.map(str::to_string).unwrap_or_else(|| sha(bytes)),
        }));
    }
    let manifest = ftp.write(
        "out/updates/manifest.json",
        serde_json::json!({ "packages": entries })
            .to_string()
            .as_bytes(),
    );
    server_env().ok(&["sync", "sign-updates", manifest.to_str().unwrap()]);
}

fn run_update(
    env: &TestEnv,
    mode: backroom::pos::ConfirmMode,
    answers: &[bool],
) -> (Vec<String>, usize) {
    let ctx = {
        let mut c = backroom::context::Context::for_db(env.db());
        c.config.till.install_dir = Some(env.path().join("install"));
        c
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let folder = backroom::worker::sync::load_folder(&ctx, "LYON").unwrap();
    let mut asked = 0usize;
    let mut answer = |_: &backroom::sync::updates::Package| {
        let a = answers.get(asked).copied().unwrap_or(false);
        asked += 1;
        a
    };
    let out = rt
        .block_on(backroom::sync::updates::run(
            &env.db(),
            &folder,
            &env.path().join("install"),
            mode,
            &backroom::sync::sign::Trust {
                key: Some(
                    backroom::sync::sign::parse_public(&support::keys::server().public).unwrap(),
                ),
                allow_unsigned: false,
            },
            Some(backroom::sync::updates::Answerer::Local(&mut answer)),
        ))
        .unwrap();
    (out.installed, asked)
}

#[test]
fn update_packages_in_each_confirmation_mode() {
    use backroom::pos::ConfirmMode;
    let ftp = FtpServer::start();
    let p1 = package("VERSION", "10.5.1");
    let p2 = package("VERSION", "10.5.2");
    let p10 = package("VERSION", "10.5.10");

    // Piloted (Never): no question, every package in version order, even listed out of order.
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "out")));
    publish(
        &ftp,
        &[
            ("10.5.10", p10.clone(), None),
            ("10.5.1", p1.clone(), None),
            ("10.5.2", p2.clone(), None),
        ],
    );
    confirm_updates(&till, "LYON", "never");
    let out = till.json(&["sync", "run", "update", "LYON"]);
    assert_eq!(
        out["installed"],
        serde_json::json!(["10.5.1", "10.5.2", "10.5.10"]),
        "{out}"
    );
    let install = till.path().join("install");
    assert_eq!(
        std::fs::read_to_string(install.join("current"))
            .unwrap()
            .trim(),
        "10.5.10"
    );
    assert_eq!(
        std::fs::read_to_string(install.join("10.5.2/VERSION")).unwrap(),
        "10.5.2"
    );
    let again = till.json(&["sync", "run", "update", "LYON"]);
    assert_eq!(again["installed"], serde_json::json!([]), "{again}");

    // Always: headless is refused with what to do; asked for each package; a "no" stops there.
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "out")));
    confirm_updates(&till, "LYON", "always");
    let err = till.fails(4, &["sync", "run", "update", "LYON"]);
    assert!(
        err.contains("headless runs need the piloted mode") && err.contains("--confirm never"),
        "{err}"
    );
    assert!(!till.path().join("install/10.5.1").exists());
    let (installed, asked) = run_update(&till, ConfirmMode::Always, &[true, false]);
    assert_eq!((installed, asked), (vec!["10.5.1".to_string()], 2));
    let (installed, asked) = run_update(&till, ConfirmMode::Always, &[true, true]);
    assert_eq!(
        (installed, asked),
        (vec!["10.5.2".to_string(), "10.5.10".to_string()], 2)
    );

    // Once: one question for the first package, then the rest without asking.
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "out")));
    confirm_updates(&till, "LYON", "once");
    let (installed, asked) = run_update(&till, ConfirmMode::Once, &[true]);
    assert_eq!(installed.len(), 3);
    assert_eq!(asked, 1);

    // A package failing its checksum: refused, and nothing at all is installed.
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "out")));
    let bad = "0".repeat(64);
    publish(
        &ftp,
        &[("10.5.1", p1, None), ("10.5.2", p2, Some(bad.as_str()))],
    );
    confirm_updates(&till, "LYON", "never");
    let err = till.fails(4, &["sync", "run", "update", "LYON"]);
    assert!(
        err.contains("10.5.2") && err.contains("checksum") && err.contains("nothing was installed"),
        "{err}"
    );
    assert!(!till.path().join("install/10.5.1").exists());
    let status = till.ok(&["sync", "status", "LYON"]);
    assert!(status.contains("BLOCKED update"), "{status}");

    // A version listed twice as two different packages: refused before anything is installed.
    // Listed twice as the same package: installed once.
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "out")));
    confirm_updates(&till, "LYON", "never");
    let p3 = package("VERSION", "10.5.3");
    publish(
        &ftp,
        &[
            ("10.5.1", package("VERSION", "10.5.1"), None),
            ("10.5.3", package("VERSION", "10.5.3 first"), None),
            ("10.5.3", p3.clone(), None),
        ],
    );
    let err = till.fails(4, &["sync", "run", "update", "LYON"]);
    assert!(
        err.contains("lists version 10.5.3 twice") && err.contains("nothing was installed"),
        "{err}"
    );
    assert!(!till.path().join("install/10.5.1").exists());
    publish(&ftp, &[("10.5.3", p3.clone(), None), ("10.5.3", p3, None)]);
    let out = till.json(&["sync", "run", "update", "LYON"]);
    assert_eq!(out["installed"], serde_json::json!(["10.5.3"]), "{out}");
}

/// A background `backroom` process (worker or serve), killed on Drop.
struct Background(std::process::Child);

impl Background {
    fn spawn(env: &TestEnv, args: &[&str]) -> Background {
        let child = env
            .command()
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Background(child)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within {secs} s"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn the_workers_export_import_and_push_on_their_own() {
    let ftp = FtpServer::start();
    ftp.mkdir("out");
    let server = server_env();
    let erp = server.path().join("erp.db");
    rusqlite::Connection::open(&erp)
        .unwrap()
        .execute_batch(
            "CREATE TABLE ART (code TEXT PRIMARY KEY, label TEXT, price REAL);
             INSERT INTO ART VALUES ('A1', 'Stylo', 1.2), ('A2', 'Cahier', 3.5);",
        )
        .unwrap();
    let mut flags = vec![
        "--db-kind".to_string(),
        "sqlite".into(),
        "--db-name".into(),
        erp.display().to_string(),
    ];
    flags.extend(ftp_flags(&ftp, "out"));
    add_folder(&server, "NICE", &strs(&flags));
    add_table(&server, "NICE", "ART", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "NICE"]);
    server.ok(&[
        "sync",
        "processes",
        "set",
        "NICE",
        "export_caisseauto",
        "--schedule-secs",
        "10",
    ]);
    let port = support::free_port();
    let _serve = Serve::with(&server, port, &["--no-worker"]);
    let _server_worker = Background::spawn(&server, &["worker"]);

    let till = till_env("1", "token-of-till-1");
    let mut flags = ftp_flags(&ftp, "out");
    flags.extend([
        "--ws-url".to_string(),
        format!("http://127.0.0.1:{port}"),
        "--sync-wait-ms".into(),
        "200".into(),
    ]);
    add_folder(&till, "NICE", &strs(&flags));
    till.ok(&[
        "sync",
        "processes",
        "set",
        "NICE",
        "import_caisseauto",
        "--schedule-secs",
        "10",
    ]);
    till.ok(&[
        "sync",
        "processes",
        "set",
        "NICE",
        "import_updatecaisse",
        "--disable",
    ]);
    for n in 1..=4 {
        till.ok(&[
            "till",
            "ticket",
            "add",
            "NICE",
            "--number",
            &format!("B-{n}"),
            "--line",
            "A1:1:1.20",
        ]);
    }
    let _till_worker = Background::spawn(&till, &["worker"]);

    let server_db = rusqlite::Connection::open(&erp).unwrap();
    let tickets = || -> i64 {
        server_db
            .query_row("SELECT count(*) FROM backroom_tickets", [], |r| r.get(0))
            .unwrap_or(0)
    };
    wait_until("the till synchroniser pushes the tickets", 30, || {
        tickets() == 4
    });
    wait_until(
        "the scheduled export and import bring the articles",
        40,
        || {
            till_rows(&till, "SELECT name FROM sqlite_master WHERE name = 'ART'").len() == 1
                && till_rows(&till, "SELECT code FROM ART") == vec!["A1", "A2"]
        },
    );
    till.ok(&[
        "till",
        "ticket",
        "add",
        "NICE",
        "--number",
        "B-5",
        "--line",
        "A2:1:3.50",
    ]);
    wait_until("a ticket sold later follows", 30, || tickets() == 5);
    let status = till.json(&["sync", "status", "NICE"]);
    assert_eq!(status[0]["queue"]["waiting"], 0, "{status}");
    let runs = till.json(&["sync", "runs", "NICE"]);
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .any(|r| r["process"] == "push" && r["outcome"] == "ok"),
        "{runs}"
    );
}

#[tokio::test]
async fn the_sync_pane_shows_batches_queue_and_what_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("backroom.db");
    let conn = backroom::store::open(&db).unwrap();
    conn.execute_batch(
        "INSERT INTO pos_folders (code, created_at) VALUES ('LYON01', '2026-11-20T08:00:00.000Z');
         INSERT INTO sync_exports (folder_id, batch, kind, from_seq, to_seq, rows, bytes, sha256, file, exported_at)
           VALUES (1, 3, 'incremental', 10, 42, 1250, 90000, 'ab', 'batch-000000003.brb', '2026-11-23T09:15:00.000Z');
         INSERT INTO till_batches (folder, batch, kind, sha256, rows, applied_at)
           VALUES ('LYON01', 2, 'incremental', 'cd', 310, '2026-11-23T09:00:00.000Z');
         INSERT INTO till_queue (uuid, folder, kind, payload, created_at)
           VALUES ('u1', 'LYON01', 'ticket', '{}', '2026-11-23T08:30:00.000Z'),
                  ('u2', 'LYON01', 'ticket', '{}', '2026-11-23T08:31:00.000Z');",
    )
    .unwrap();
    backroom::store::sync::block(
        &conn,
        "LYON01",
        "import",
        Some(3),
        "batch 3 refused: checksum mismatch",
        "export a full batch on the server, then import --full here",
    )
    .unwrap();
    drop(conn);
    let mut h =
        backroom::tui::harness::Harness::new(backroom::context::Context::for_db(db), 160, 40)
            .await
            .unwrap();
    h.press(&["6"]).await.unwrap();
    let screen = h.screen();
    for needle in [
        "Sync · 1 row",
        "LYON01",
        "3 incremental · 1250 rows",
        "2 incremental · 310 rows",
        "2 since 08:30",
        "import at batch 3: batch 3 refused: checksum mismatch",
        "what to do: export a full batch",
        "2 item(s) wait for the server",
        // The processes are named, their keys are the keymap's (`?`): the line named `e`, `p`
        // and `u` update, which did nothing or ran a push.
        "(? lists their keys)",
    ] {
        assert!(
            screen.contains(needle),
            "`{needle}` not on screen:\n{screen}"
        );
    }
    h.press(&["enter"]).await.unwrap();
    let screen = h.screen();
    assert!(screen.contains("sync of folder LYON01"), "{screen}");
    assert!(screen.contains("2 waiting, oldest"), "{screen}");
}

#[test]
fn in_a_terminal_always_mode_asks_before_each_package() {
    let ftp = FtpServer::start();
    publish(
        &ftp,
        &[
            ("10.6.0", package("VERSION", "10.6.0"), None),
            ("10.6.1", package("VERSION", "10.6.1"), None),
        ],
    );
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "out")));
    confirm_updates(&till, "LYON", "always");
    let bin = support::tmux::backroom_binary();
    let term = support::tmux::Tmux::start(
        &till,
        &format!("{} sync run update LYON", bin.display()),
        &[],
    );
    term.wait_for("install update package 10.6.0 (pos-10.6.0.zip)? [y/N]");
    term.type_text("y");
    term.keys(&["Enter"]);
    term.wait_for("install update package 10.6.1 (pos-10.6.1.zip)? [y/N]");
    term.type_text("n");
    term.keys(&["Enter"]);
    assert_eq!(term.wait_exit(), 0, "{}", term.output());
    let out = term.output();
    assert!(
        out.contains("installed 10.6.0") && out.contains("declined 10.6.1"),
        "{out}"
    );
    assert!(till.path().join("install/10.6.0/VERSION").exists());
    assert!(!till.path().join("install/10.6.1").exists());
}

#[test]
fn an_empty_ftp_address_is_a_configuration_error_naming_the_folder_field_and_fix() {
    let env = till_env("1", "token-of-till-1");
    let share = env.path().join("share");
    std::fs::create_dir_all(&share).unwrap();
    let db = env.path().join("till-e.db");
    add_folder(
        &env,
        "F1",
        &[
            "--db-kind",
            "sqlite",
            "--db-name",
            db.to_str().unwrap(),
            "--ftp-mode",
            "copy",
            "--ftp-share",
            share.to_str().unwrap(),
        ],
    );
    let err = env.fails(2, &["sync", "run", "import", "F1"]);
    assert!(err.contains("folder F1"), "{err}");
    assert!(err.contains("ftp_address"), "{err}");
    assert!(err.contains("the address is empty"), "{err}");
    assert!(
        err.contains("backroom pos folders set F1 --ftp-address"),
        "{err}"
    );
    assert!(!err.contains("FTP :"), "{err}");
}

#[test]
fn removing_capture_on_sqlite_asks_for_yes_and_drops_the_log_tables_when_unused() {
    let server = server_env();
    let erp = server.path().join("erp.db");
    let share = server.path().join("share");
    std::fs::create_dir_all(&share).unwrap();
    rusqlite::Connection::open(&erp)
        .unwrap()
        .execute_batch(
            "CREATE TABLE ART (code TEXT PRIMARY KEY, label TEXT);
             INSERT INTO ART VALUES ('A1', 'Stylo');",
        )
        .unwrap();
    add_folder(
        &server,
        "NICE",
        &[
            "--db-kind",
            "sqlite",
            "--db-name",
            erp.to_str().unwrap(),
            "--ftp-mode",
            "copy",
            "--ftp-share",
            share.to_str().unwrap(),
        ],
    );
    add_table(&server, "NICE", "ART", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "NICE"]);
    let count = |sql: &str| -> i64 {
        rusqlite::Connection::open(&erp)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    let backroom_objects = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'backroom%'";
    let tables = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('backroom_sync_log', 'backroom_sync_capture')";
    assert!(count(backroom_objects) > 2);

    // Without --yes: refused (exit 2), saying why, and nothing changes.
    let err = server.fails(2, &["sync", "capture", "remove", "NICE"]);
    assert!(err.contains("recorded"), "{err}");
    assert!(
        err.contains("backroom sync capture remove NICE --yes"),
        "{err}"
    );
    assert_eq!(count(tables), 2);
    server.ok(&["sync", "capture", "check", "NICE"]);

    // Another table still captured (installed by hand here): the log tables stay.
    rusqlite::Connection::open(&erp)
        .unwrap()
        .execute(
            "INSERT INTO backroom_sync_capture (table_name, source, folder, columns, pk) \
             VALUES ('OTHER', 'OTHER', 'NICE', '[]', '[]')",
            [],
        )
        .unwrap();
    let kept = server.json(&["sync", "capture", "remove", "NICE", "--yes"]);
    assert_eq!(kept["removed"], 1, "{kept}");
    assert_eq!(kept["dropped_log_tables"], false, "{kept}");
    assert_eq!(count(tables), 2);
    assert_eq!(
        count("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
        0
    );

    // Nothing else captured: everything backroom put there is gone.
    rusqlite::Connection::open(&erp)
        .unwrap()
        .execute("DELETE FROM backroom_sync_capture", [])
        .unwrap();
    server.ok(&["sync", "capture", "install", "NICE"]);
    let out = server.ok(&["sync", "capture", "remove", "NICE", "--yes"]);
    assert!(out.contains("were dropped"), "{out}");
    assert_eq!(count(backroom_objects), 0);
    assert_eq!(count("SELECT count(*) FROM ART"), 1);
}

#[tokio::test]
async fn the_sync_pane_asks_the_update_question_in_a_dialog_and_sends_the_answer_back() {
    use backroom::tui::event::Event;
    use backroom::worker::sync::{Command as SyncCommand, Notification as SyncNote};
    use backroom::worker::{Command, Notification};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("backroom.db");
    drop(backroom::store::open(&db).unwrap());
    let (worker, mut commands) = tokio::sync::mpsc::unbounded_channel();
    let mut h = backroom::tui::harness::Harness::with_worker(
        backroom::context::Context::for_db(db),
        120,
        30,
        worker,
    )
    .await
    .unwrap();
    h.press(&["6"]).await.unwrap();
    let ask = |id: u64, version: &str| {
        Event::Worker(Notification::Sync(SyncNote::Ask {
            id,
            folder: "NICE".into(),
            version: version.into(),
            file: format!("pos-{version}.zip"),
            timeout_secs: 120,
        }))
    };

    // The question appears as a dialog; `y` installs.
    h.app.handle(ask(7, "10.5.2"));
    h.draw().unwrap();
    let screen = h.screen();
    assert!(screen.contains("Install an update package?"), "{screen}");
    assert!(
        screen.contains("install package pos-10.5.2.zip version 10.5.2?"),
        "{screen}"
    );
    assert!(screen.contains("Install 10.5.2"), "{screen}");
    assert!(screen.contains("no answer within"), "{screen}");
    assert!(screen.contains("120 s counts as no"), "{screen}");
    h.press(&["y"]).await.unwrap();
    match commands.try_recv() {
        Ok(Command::Sync(SyncCommand::Answer { id: 7, yes: true })) => {}
        other => panic!("expected the answer yes to question 7, got {other:?}"),
    }
    assert!(!h.screen().contains("Install an update package?"));

    // Cancelling answers no (the worker is not left waiting).
    h.app.handle(ask(8, "10.5.3"));
    h.draw().unwrap();
    assert!(h.screen().contains("version 10.5.3?"));
    h.press(&["esc"]).await.unwrap();
    match commands.try_recv() {
        Ok(Command::Sync(SyncCommand::Answer { id: 8, yes: false })) => {}
        other => panic!("expected the answer no to question 8, got {other:?}"),
    }

    // Nobody answered in time: the status line says the package was not installed.
    h.app
        .handle(Event::Worker(Notification::Sync(SyncNote::AskExpired {
            id: 9,
            folder: "NICE".into(),
            version: "10.5.4".into(),
            timeout_secs: 120,
        })));
    h.draw().unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("no answer within 120 s, package 10.5.4 was not installed"),
        "{screen}"
    );

    // A read-only session cannot install: its `y` answers no, and says why.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("backroom.db");
    drop(backroom::store::open(&db).unwrap());
    let (worker, mut commands) = tokio::sync::mpsc::unbounded_channel();
    let mut ctx = backroom::context::Context::for_db(db);
    ctx.read_only = true;
    let mut h = backroom::tui::harness::Harness::with_worker(ctx, 120, 30, worker)
        .await
        .unwrap();
    h.press(&["6"]).await.unwrap();
    h.app.handle(ask(10, "10.5.5"));
    h.draw().unwrap();
    h.press(&["y"]).await.unwrap();
    match commands.try_recv() {
        Ok(Command::Sync(SyncCommand::Answer { id: 10, yes: false })) => {}
        other => panic!("expected the answer no to question 10, got {other:?}"),
    }
    assert!(h.screen().contains("read-only"), "{}", h.screen());
}

#[test]
fn in_the_tui_the_update_question_is_a_dialog_answered_through_the_worker() {
    let ftp = FtpServer::start();
    publish(
        &ftp,
        &[
            ("10.6.0", package("VERSION", "10.6.0"), None),
            ("10.6.1", package("VERSION", "10.6.1"), None),
        ],
    );
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "out")));
    confirm_updates(&till, "LYON", "always");
    let bin = support::tmux::backroom_binary();
    let tui = support::tmux::Tmux::start(&till, &format!("'{}'", bin.display()), &[]);
    tui.wait_for("running here");
    tui.keys(&["6"]);
    tui.wait_for("LYON");
    tui.keys(&["n"]);
    tui.wait_for("Install an update package?");
    tui.wait_for("version 10.6.0?");
    tui.keys(&["y"]);
    tui.wait_for("version 10.6.1?");
    tui.keys(&["n"]);
    tui.wait_for("declined 10.6.1");
    assert!(till.path().join("install/10.6.0/VERSION").exists());
    assert!(!till.path().join("install/10.6.1").exists());
    tui.keys(&["q"]);
}

/// Runs `sql` in the SQLite file `db`.
fn run_sql(db: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(db)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

/// A SQLite file, with `sql` run in it, as the server database of folder `code` on `server`
/// (`flags`: its FTP settings, if any); returns the file's path.
fn sqlite_erp_folder(
    server: &TestEnv,
    code: &str,
    sql: &str,
    flags: &[String],
) -> std::path::PathBuf {
    let erp = server.path().join("erp.db");
    run_sql(&erp, sql);
    let mut all = vec![
        "--db-kind".to_string(),
        "sqlite".into(),
        "--db-name".into(),
        erp.display().to_string(),
    ];
    all.extend_from_slice(flags);
    add_folder(server, code, &strs(&all));
    erp
}

/// A SQLite server database logs every change, not one per key: a key changed twice, inserted
/// then deleted, or deleted then inserted again between two exports reaches the till as its last
/// change only, whatever order the log holds them in.
#[test]
fn on_a_sqlite_server_database_each_key_reaches_the_till_as_its_last_change() {
    let ftp = FtpServer::start();
    ftp.mkdir("outbox");
    let server = server_env();
    let erp = sqlite_erp_folder(
        &server,
        "NICE",
        "CREATE TABLE ART (code TEXT PRIMARY KEY, label TEXT, price REAL);
         INSERT INTO ART VALUES ('A1', 'Stylo', 1.20), ('A2', 'Cahier', 3.50), ('A3', 'Gomme', 0.80);",
        &ftp_flags(&ftp, "outbox"),
    );
    let erp_sql = |sql: &str| run_sql(&erp, sql);
    add_table(&server, "NICE", "ART", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "NICE"]);
    server.ok(&["sync", "run", "export", "NICE"]);
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "NICE", &strs(&ftp_flags(&ftp, "outbox")));
    till.ok(&["sync", "run", "import", "NICE"]);
    assert_eq!(
        till_rows(&till, "SELECT code, price FROM ART"),
        vec!["A1|1.2", "A2|3.5", "A3|0.8"]
    );

    // The price of A1 changed twice, A4 came and went, A3 went and came back with a new label,
    // and A2 changed its key.
    erp_sql(
        "UPDATE ART SET price = 1.35 WHERE code = 'A1';
         UPDATE ART SET price = 1.40 WHERE code = 'A1';
         INSERT INTO ART VALUES ('A4', 'Règle', 2.10);
         DELETE FROM ART WHERE code = 'A4';
         DELETE FROM ART WHERE code = 'A3';
         INSERT INTO ART VALUES ('A3', 'Gomme blanche', 0.90);
         UPDATE ART SET code = 'A2-NEW' WHERE code = 'A2';",
    );
    let second = server.json(&["sync", "run", "export", "NICE"]);
    let art = second["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "ART")
        .unwrap()
        .clone();
    // One change per key: A1, A3 and A2-NEW upserted; A4 and A2 deleted.
    assert_eq!(
        (art["upserts"].as_u64(), art["deletes"].as_u64()),
        (Some(3), Some(2)),
        "{second}"
    );
    till.ok(&["sync", "run", "import", "NICE"]);
    assert_eq!(
        till_rows(&till, "SELECT code, label, price FROM ART"),
        vec!["A1|Stylo|1.4", "A2-NEW|Cahier|3.5", "A3|Gomme blanche|0.9"]
    );
}

/// A till → server row lands in the server table's columns by name, whatever their case: on a
/// SQLite server database the values were put in the order of the table's names sorted (upper
/// case first), so `code` received the quantity and `Qty` the key, and the till confirmed it.
#[test]
fn a_till_row_reaches_a_sqlite_server_table_whose_columns_differ_in_case() {
    let server = server_env();
    let erp = sqlite_erp_folder(
        &server,
        "NICE",
        "CREATE TABLE MVT (code TEXT PRIMARY KEY, Qty INTEGER, Label TEXT);",
        &[],
    );
    add_table(&server, "NICE", "MVT", "incremental", "till-to-server");
    let port = support::free_port();
    let _serve = Serve::with(&server, port, &["--no-worker"]);
    let till = till_env("1", "token-of-till-1");
    add_folder(
        &till,
        "NICE",
        &["--ws-url", &format!("http://127.0.0.1:{port}")],
    );
    add_table(&till, "NICE", "MVT", "incremental", "till-to-server");
    let row = |fields: &[&str]| {
        let mut args = vec!["till", "row", "NICE", "MVT", "--key", "code"];
        for f in fields {
            args.extend(["--field", f]);
        }
        till.ok(&args);
    };
    row(&["code=A1", "qty=5", "label=Stylo bleu"]);
    // The same column twice, in two cases: refused by the server, saying which, not collapsed.
    row(&["code=A2", "qty=1", "QTY=2"]);
    let err = till.fails(4, &["sync", "run", "push", "NICE"]);
    assert!(
        err.contains("the row of MVT names the column Qty twice"),
        "{err}"
    );
    let rows: Vec<(String, i64, Option<String>)> = rusqlite::Connection::open(&erp)
        .unwrap()
        .prepare("SELECT code, Qty, Label FROM MVT ORDER BY code")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        vec![("A1".to_string(), 5, Some("Stylo bleu".to_string()))]
    );
}

/// Capture removed and installed again, a table added to the folder, a column added to a table:
/// each time the next export is full, so that no till misses a change made while capture was off
/// or a row that no batch carried yet (before, the log's sequence started again at 1 under the
/// folder's watermark and those changes were skipped, then purged; an added table reached the
/// tills only through rows changed after it was added; a new column made a batch every till
/// refused).
#[test]
fn after_capture_is_reinstalled_the_next_export_is_full_and_the_till_matches_the_server() {
    let ftp = FtpServer::start();
    ftp.mkdir("outbox");
    let server = server_env();
    let erp = sqlite_erp_folder(
        &server,
        "NICE",
        "CREATE TABLE ART (code TEXT PRIMARY KEY, label TEXT, price REAL);
         INSERT INTO ART VALUES ('A1', 'Stylo', 1.20), ('A2', 'Cahier', 3.50);
         CREATE TABLE FAM (code TEXT PRIMARY KEY, label TEXT);
         INSERT INTO FAM VALUES ('F1', 'Papeterie'), ('F2', 'Écriture');",
        &ftp_flags(&ftp, "outbox"),
    );
    let erp_sql = |sql: &str| run_sql(&erp, sql);
    add_table(&server, "NICE", "ART", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "NICE"]);
    server.ok(&["sync", "run", "export", "NICE"]);
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "NICE", &strs(&ftp_flags(&ftp, "outbox")));
    till.ok(&["sync", "run", "import", "NICE"]);
    erp_sql("UPDATE ART SET price = 1.30 WHERE code = 'A1';");
    let second = server.json(&["sync", "run", "export", "NICE"]);
    assert_eq!(second["kind"], "incremental", "{second}");
    till.ok(&["sync", "run", "import", "NICE"]);
    let art = |env: &TestEnv| till_rows(env, "SELECT code, label, price FROM ART");
    assert_eq!(art(&till), vec!["A1|Stylo|1.3", "A2|Cahier|3.5"]);

    // Capture off, changes made meanwhile, capture on again: the next export is full.
    server.ok(&["sync", "capture", "remove", "NICE", "--yes"]);
    erp_sql("UPDATE ART SET price = 9.99 WHERE code = 'A1'; DELETE FROM ART WHERE code = 'A2';");
    let out = server.run(&["sync", "capture", "install", "NICE"]);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("the next export of folder NICE is full"),
        "{said}"
    );
    erp_sql("INSERT INTO ART VALUES ('A6', 'Règle', 2.10);");
    let third = server.json(&["sync", "run", "export", "NICE"]);
    assert_eq!(third["kind"], "full", "{third}");
    till.ok(&["sync", "run", "import", "NICE"]);
    assert_eq!(art(&till), vec!["A1|Stylo|9.99", "A6|Règle|2.1"]);
    // After it, exports are incremental again, and new changes are above the watermark.
    erp_sql("UPDATE ART SET label = 'Règle 30 cm' WHERE code = 'A6';");
    let fourth = server.json(&["sync", "run", "export", "NICE"]);
    assert_eq!(fourth["kind"], "incremental", "{fourth}");
    assert_eq!(fourth["rows"], 1, "{fourth}");
    till.ok(&["sync", "run", "import", "NICE"]);
    assert_eq!(art(&till), vec!["A1|Stylo|9.99", "A6|Règle 30 cm|2.1"]);

    // A table added to the folder: its rows reach the till whole with the next export.
    add_table(&server, "NICE", "FAM", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "NICE"]);
    let fifth = server.json(&["sync", "run", "export", "NICE"]);
    assert_eq!(fifth["kind"], "full", "{fifth}");
    till.ok(&["sync", "run", "import", "NICE"]);
    assert_eq!(
        till_rows(&till, "SELECT code, label FROM FAM"),
        vec!["F1|Papeterie", "F2|Écriture"]
    );

    // A column added while a change waits in the log: reinstalled, the next export is full and
    // every till can apply it.
    erp_sql(
        "UPDATE ART SET price = 1.50 WHERE code = 'A1';
         ALTER TABLE ART ADD COLUMN vat REAL;
         UPDATE ART SET vat = 20;",
    );
    server.ok(&["sync", "capture", "install", "NICE"]);
    let sixth = server.json(&["sync", "run", "export", "NICE"]);
    assert_eq!(sixth["kind"], "full", "{sixth}");
    till.ok(&["sync", "run", "import", "NICE"]);
    assert_eq!(
        till_rows(&till, "SELECT code, price, vat FROM ART"),
        vec!["A1|1.5|20", "A6|2.1|20"]
    );
}

/// One export of a folder at a time: while another holds it (here the test, through the lock the
/// exports take), an export is refused and says why, and none is numbered twice.
#[test]
fn an_export_waits_for_no_other_export_of_its_folder_and_says_so() {
    let server = server_env();
    let share = server.path().join("share");
    std::fs::create_dir_all(&share).unwrap();
    let copy_mode = ["--ftp-mode", "copy", "--ftp-share", share.to_str().unwrap()];
    sqlite_erp_folder(
        &server,
        "NICE",
        "CREATE TABLE ART (code TEXT PRIMARY KEY, label TEXT); INSERT INTO ART VALUES ('A1', 'Stylo');",
        &copy_mode.map(String::from),
    );
    add_table(&server, "NICE", "ART", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "NICE"]);
    let lock_path = server
        .db()
        .parent()
        .unwrap()
        .join("sync-out/NICE.export.lock");
    std::fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    let held = nix::fcntl::Flock::lock(
        std::fs::File::create(&lock_path).unwrap(),
        nix::fcntl::FlockArg::LockExclusiveNonblock,
    )
    .map_err(|(_, e)| e)
    .unwrap();
    let out = server.run(&["sync", "run", "export", "NICE"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("an export of folder NICE is already running"),
        "{err}"
    );
    assert!(
        list_dir(&share).iter().all(|f| !f.ends_with(".brb")),
        "{:?}",
        list_dir(&share)
    );
    drop(held);
    let first = server.json(&["sync", "run", "export", "NICE"]);
    assert_eq!(first["batch"], 1, "{first}");
}

/// A till's folder renamed takes its unsent tickets with it: before, they stayed under the old
/// code, and the renamed folder showed nothing waiting and never sent them.
#[test]
fn a_renamed_till_folder_keeps_its_waiting_tickets() {
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &["--ws-url", "http://127.0.0.1:9"]);
    till.ok(&[
        "till",
        "ticket",
        "add",
        "LYON",
        "--number",
        "T1-0001",
        "--line",
        "ART-001:2:4.50",
    ]);
    till.ok(&["pos", "folders", "set", "LYON", "--new-code", "LYON2"]);
    let shown = till.json(&["till", "queue", "show", "LYON2"]);
    assert_eq!(shown["waiting"], 1, "{shown}");
    let tickets = till.json(&["till", "ticket", "list", "LYON2"]);
    assert_eq!(tickets.as_array().unwrap().len(), 1, "{tickets}");
    assert_eq!(
        till_rows(&till, "SELECT DISTINCT folder FROM till_queue"),
        vec!["LYON2"]
    );
}

/// A customer creation whose reply was lost waits on the till with its request UUID, even when
/// the next try cannot connect at all: before, that try forgot the request ("Nothing was
/// created"), although the server had created the customer, and the try after created it again.
#[test]
fn a_customer_creation_whose_reply_was_lost_is_never_created_twice() {
    let server = server_env();
    let erp = sqlite_erp_folder(
        &server,
        "LYON",
        "CREATE TABLE cli (code TEXT PRIMARY KEY, name TEXT, city TEXT);
             INSERT INTO cli VALUES ('MODELE', 'Client modèle', 'Paris');",
        &[],
    );
    let erp_count = |sql: &str| -> i64 {
        rusqlite::Connection::open(&erp)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    let port = support::free_port();
    let _serve = Serve::with(&server, port, &["--no-worker"]);
    let proxy = Proxy::start(port);
    let till = till_env("1", "token-of-till-1");
    let through_proxy = format!("http://127.0.0.1:{}", proxy.port);
    add_folder(&till, "LYON", &["--ws-url", &through_proxy]);
    let create = [
        "till",
        "customer",
        "create",
        "LYON",
        "--field",
        "name=Durand",
    ];

    // The server creates it; its reply is lost.
    proxy.drop_replies.store(true, Ordering::SeqCst);
    let err = till.fails(5, &create);
    assert!(err.contains("waits here as request"), "{err}");
    assert_eq!(
        erp_count("SELECT count(*) FROM cli WHERE name = 'Durand'"),
        1
    );
    let waiting = "SELECT count(*) FROM till_customer_requests WHERE code IS NULL";
    assert_eq!(till_rows(&till, waiting), vec!["1"]);

    // The server cannot be reached at all now: the request still waits, whether the command or
    // the synchroniser tries.
    till.ok(&[
        "pos",
        "folders",
        "set",
        "LYON",
        "--ws-url",
        "http://127.0.0.1:9",
    ]);
    let err = till.fails(5, &create);
    assert!(err.contains("waits here as request"), "{err}");
    assert!(!err.contains("Nothing was created"), "{err}");
    let _ = till.run(&["sync", "run", "push", "LYON"]);
    assert_eq!(till_rows(&till, waiting), vec!["1"]);

    // Back: the same request gets the same customer, created once.
    proxy.drop_replies.store(false, Ordering::SeqCst);
    till.ok(&["pos", "folders", "set", "LYON", "--ws-url", &through_proxy]);
    till.ok(&create);
    assert_eq!(
        erp_count("SELECT count(*) FROM cli WHERE name = 'Durand'"),
        1
    );
    assert_eq!(till_rows(&till, waiting), vec!["0"]);
}

/// A ticket the server confirmed stays "sent" after the queue's 30-day purge took its queue
/// item: before, it read as waiting again (`till ticket list`, `sent:no`).
#[test]
fn a_sent_ticket_stays_sent_after_the_queue_purge() {
    let server = server_env();
    sqlite_erp_folder(
        &server,
        "LYON",
        "CREATE TABLE cli (code TEXT PRIMARY KEY, name TEXT);",
        &[],
    );
    let port = support::free_port();
    let _serve = Serve::with(&server, port, &["--no-worker"]);
    let till = till_env("1", "token-of-till-1");
    add_folder(
        &till,
        "LYON",
        &["--ws-url", &format!("http://127.0.0.1:{port}")],
    );
    let sell = |number: &str| {
        till.ok(&[
            "till",
            "ticket",
            "add",
            "LYON",
            "--number",
            number,
            "--line",
            "ART-001:1:2.00",
        ])
    };
    sell("T1-0001");
    till.ok(&["sync", "run", "push", "LYON"]);
    // Thirty-one days pass.
    rusqlite::Connection::open(till.db())
        .unwrap()
        .execute(
            "UPDATE till_queue SET acked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-31 days')",
            [],
        )
        .unwrap();
    sell("T1-0002");
    till.ok(&["sync", "run", "push", "LYON"]);
    assert_eq!(
        till_rows(&till, "SELECT count(*) FROM till_queue"),
        vec!["1"],
        "the purge took the old item"
    );
    let listed = till.json(&["till", "ticket", "list", "LYON"]);
    let sent: Vec<(String, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["number"].as_str().unwrap().to_string(),
                t["sent"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        vec![("T1-0001".to_string(), true), ("T1-0002".to_string(), true)],
        "{listed}"
    );
    let waiting = till.json(&["till", "ticket", "list", "LYON", "--filter", "sent:no"]);
    assert_eq!(waiting.as_array().unwrap().len(), 0, "{waiting}");
}

/// The customers table as a till → server table: a `row` item follows the customers' rules as
/// `customer_update` does (before, till 2 could rewrite till 1's customer, the model customer or
/// head office's, any column, through a row).
#[test]
fn a_till_changes_only_its_own_customers_even_through_rows() {
    let server = server_env();
    let erp = sqlite_erp_folder(&server, "LYON", "CREATE TABLE cli (code TEXT PRIMARY KEY, name TEXT, city TEXT, credit_limit INTEGER);
             INSERT INTO cli VALUES ('MODELE', 'Client modèle', 'Paris', 0), ('HQ-001', 'Siège', 'Lyon', 5000);", &[]);
    let erp_rows = |sql: &str| -> Vec<String> {
        let conn = rusqlite::Connection::open(&erp).unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    add_table(&server, "LYON", "CLI", "incremental", "till-to-server");
    let port = support::free_port();
    let _serve = Serve::with(&server, port, &["--no-worker"]);
    let ws = format!("http://127.0.0.1:{port}");
    let till1 = till_env("1", "token-of-till-1");
    let till2 = till_env("2", "token-of-till-2");
    for till in [&till1, &till2] {
        add_folder(till, "LYON", &["--ws-url", &ws]);
        add_table(till, "LYON", "CLI", "incremental", "till-to-server");
    }
    till1.ok(&[
        "till",
        "customer",
        "create",
        "LYON",
        "--field",
        "name=Durand",
    ]);
    till2.ok(&[
        "till",
        "customer",
        "create",
        "LYON",
        "--field",
        "name=Weber",
    ]);
    let row = |till: &TestEnv, fields: &[&str]| {
        let mut args = vec!["till", "row", "LYON", "CLI", "--key", "code"];
        for f in fields {
            args.extend(["--field", f]);
        }
        till.ok(&args);
    };
    // A refused item stops a till's queue: support sets it aside to go on.
    let set_aside = |till: &TestEnv| {
        let shown = till.json(&["till", "queue", "show", "LYON"]);
        let uuid = shown["items"][0]["uuid"].as_str().unwrap().to_string();
        till.ok(&[
            "till",
            "queue",
            "set-aside",
            "LYON",
            &uuid,
            "--reason",
            "refused by the server",
        ]);
    };

    // Till 2 cannot touch till 1's customer through a row, nor delete head office's, nor
    // change the model customer.
    row(&till2, &["code=T1-00001", "name=hijacked"]);
    let err = till2.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(err.contains("created from till 1"), "{err}");
    set_aside(&till2);
    till2.ok(&[
        "till",
        "row",
        "LYON",
        "CLI",
        "--key",
        "code",
        "--field",
        "code=HQ-001",
        "--delete",
    ]);
    let err = till2.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(err.contains("HQ-001"), "{err}");
    set_aside(&till2);
    row(&till2, &["code=MODELE", "city=Nice"]);
    let err = till2.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(err.contains("MODELE"), "{err}");
    // Till 1 changes its own, in an allowed column; not a column it may not set.
    row(&till1, &["code=T1-00001", "city=Lyon 3e"]);
    till1.ok(&["sync", "run", "push", "LYON"]);
    assert_eq!(
        erp_rows("SELECT name || '|' || city FROM cli WHERE code = 'T1-00001'"),
        vec!["Durand|Lyon 3e"]
    );
    row(&till1, &["code=T1-00001", "credit_limit=999999"]);
    let err = till1.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(err.contains("credit_limit"), "{err}");
    assert_eq!(
        erp_rows("SELECT code || '|' || name || '|' || credit_limit FROM cli ORDER BY code"),
        vec![
            "HQ-001|Siège|5000",
            "MODELE|Client modèle|0",
            "T1-00001|Durand|0",
            "T2-00001|Weber|0"
        ]
    );
}

/// An export that published its batch but stopped before recording it (a crash, or the reply to
/// the rename lost) leaves a batch on the FTP server that the store knows nothing of. The next
/// export is full, so that every till takes it: an incremental batch from the old watermark
/// overlapped the lost one, and every till that had applied it refused it and all after it.
#[test]
fn a_batch_published_but_not_recorded_makes_the_next_export_full() {
    let ftp = FtpServer::start();
    ftp.mkdir("outbox");
    let server = server_env();
    let erp = sqlite_erp_folder(
        &server,
        "NICE",
        "CREATE TABLE ART (code TEXT PRIMARY KEY, label TEXT, price REAL);
         INSERT INTO ART VALUES ('A1', 'Stylo', 1.20), ('A2', 'Cahier', 3.50);",
        &ftp_flags(&ftp, "outbox"),
    );
    let erp_sql = |sql: &str| run_sql(&erp, sql);
    add_table(&server, "NICE", "ART", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "NICE"]);
    server.ok(&["sync", "run", "export", "NICE"]);
    // Till 1 follows every batch; till 2 has only the first one when the export is lost.
    let tills = [
        till_env("1", "token-of-till-1"),
        till_env("2", "token-of-till-2"),
    ];
    for till in &tills {
        add_folder(till, "NICE", &strs(&ftp_flags(&ftp, "outbox")));
        till.ok(&["sync", "run", "import", "NICE"]);
    }
    erp_sql("UPDATE ART SET price = 1.30 WHERE code = 'A1';");
    let second = server.json(&["sync", "run", "export", "NICE"]);
    assert_eq!(
        (second["batch"].as_i64(), second["kind"].as_str()),
        (Some(2), Some("incremental")),
        "{second}"
    );
    tills[0].ok(&["sync", "run", "import", "NICE"]);
    // The store as that export leaves it when it stops after the rename: batch 2 is on the FTP
    // server, and the store has no record of it.
    run_sql(&server.db(), "DELETE FROM sync_exports WHERE batch = 2");

    erp_sql("UPDATE ART SET label = 'Cahier 96 p.' WHERE code = 'A2';");
    let out = server.run(&["sync", "run", "export", "NICE"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("exported batch 3 (full)")
            && said.contains("batch 2 is on the server but this store recorded only up to batch 1"),
        "{said}"
    );
    let art = |env: &TestEnv| till_rows(env, "SELECT code, label, price FROM ART");
    let expected = vec!["A1|Stylo|1.3", "A2|Cahier 96 p.|3.5"];
    for till in &tills {
        till.ok(&["sync", "run", "import", "NICE"]);
        assert_eq!(art(till), expected);
    }
    // Then exports are incremental again, and both tills follow.
    erp_sql("UPDATE ART SET price = 1.40 WHERE code = 'A1';");
    let fourth = server.json(&["sync", "run", "export", "NICE"]);
    assert_eq!(
        (
            fourth["batch"].as_i64(),
            fourth["kind"].as_str(),
            fourth["rows"].as_i64()
        ),
        (Some(4), Some("incremental"), Some(1)),
        "{fourth}"
    );
    for till in &tills {
        till.ok(&["sync", "run", "import", "NICE"]);
        assert_eq!(art(till), vec!["A1|Stylo|1.4", "A2|Cahier 96 p.|3.5"]);
    }
}

/// A sale recorded while the till applies a large batch waits for it instead of failing: a full
/// catalogue of a million articles holds the till's write lock for about 7 s, and a ticket
/// recorded meanwhile was refused after 5 s with "database is locked".
#[test]
fn a_sale_waits_for_a_batch_the_till_is_applying_instead_of_failing() {
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &["--ws-url", "http://127.0.0.1:9"]);
    // The lock held as a batch import holds it: one write transaction for 7 s.
    let db = till.db();
    let (locked, lock_taken) = std::sync::mpsc::channel();
    let import = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE; CREATE TABLE ART (code TEXT PRIMARY KEY);")
            .unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(7));
        conn.execute_batch("COMMIT").unwrap();
    });
    lock_taken.recv().unwrap();
    let started = std::time::Instant::now();
    let out = till.run(&[
        "till",
        "ticket",
        "add",
        "LYON",
        "--number",
        "T1-0001",
        "--line",
        "ART-001:2:4.50",
    ]);
    let waited = started.elapsed();
    import.join().unwrap();
    assert!(
        out.status.success(),
        "after {waited:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(waited.as_secs_f64() > 6.0, "recorded after {waited:?} only");
    let tickets = till.json(&["till", "ticket", "list", "LYON"]);
    assert_eq!(tickets.as_array().unwrap().len(), 1, "{tickets}");
}

/// The same on a PostgreSQL server database, with no change after the lost batch: the purge had
/// emptied the log, and the full batch went up to the old watermark only, behind what a till
/// had applied, so the till refused it ("holds changes up to 0 only").
#[test]
fn on_postgresql_the_full_batch_after_a_lost_record_covers_what_tills_applied() {
    let pg = Postgres::start();
    pg.create_database("shop");
    pg.psql(
        "shop",
        "CREATE TABLE art (code text PRIMARY KEY, label text, price numeric(10,2));
         INSERT INTO art VALUES ('A1', 'Stylo', 1.20), ('A2', 'Cahier', 3.50);",
    );
    let ftp = FtpServer::start();
    ftp.mkdir("outbox");
    let server = server_env();
    let mut flags = pg_flags(&pg, "shop");
    flags.extend(ftp_flags(&ftp, "outbox"));
    add_folder(&server, "LYON", &strs(&flags));
    add_table(&server, "LYON", "ART", "incremental", "server-to-till");
    server.ok(&["sync", "capture", "install", "LYON"]);
    server.ok(&["sync", "run", "export", "LYON"]);
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "outbox")));
    till.ok(&["sync", "run", "import", "LYON"]);
    pg.psql(
        "shop",
        "UPDATE art SET price = 1.30 WHERE code = 'A1'; UPDATE art SET label = 'Cahier 96' WHERE code = 'A2';",
    );
    server.ok(&["sync", "run", "export", "LYON"]);
    till.ok(&["sync", "run", "import", "LYON"]);
    run_sql(&server.db(), "DELETE FROM sync_exports WHERE batch = 2");

    let third = server.json(&["sync", "run", "export", "LYON"]);
    assert_eq!(third["kind"], "full", "{third}");
    till.ok(&["sync", "run", "import", "LYON"]);
    assert_eq!(
        till_rows(&till, "SELECT code, label, price FROM ART"),
        vec!["A1|Stylo|1.3", "A2|Cahier 96|3.5"]
    );
    pg.psql("shop", "UPDATE art SET price = 1.40 WHERE code = 'A1';");
    let fourth = server.json(&["sync", "run", "export", "LYON"]);
    assert_eq!(fourth["kind"], "incremental", "{fourth}");
    till.ok(&["sync", "run", "import", "LYON"]);
    assert_eq!(
        till_rows(&till, "SELECT code, price FROM ART"),
        vec!["A1|1.4", "A2|3.5"]
    );
}

/// A download that fails leaves nothing behind in the till's inbox: since batches and packages
/// are streamed into their file, a missing package left an empty `.download` file there (and a
/// cut transfer a partial one) that no later run removed.
#[test]
fn a_failed_download_leaves_no_file_behind() {
    let ftp = FtpServer::start();
    publish(&ftp, &[("10.7.0", package("VERSION", "10.7.0"), None)]);
    std::fs::remove_file(ftp.path("out/updates/pos-10.7.0.zip")).unwrap();
    let till = till_env("1", "token-of-till-1");
    add_folder(&till, "LYON", &strs(&ftp_flags(&ftp, "out")));
    confirm_updates(&till, "LYON", "never");
    let out = till.run(&["sync", "run", "update", "LYON"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("pos-10.7.0.zip"), "{err}");
    let inbox = till.path().join("data/backroom/sync-in");
    let left: Vec<String> = walk(&inbox)
        .into_iter()
        .filter(|p| p.ends_with(".download"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Every file under `dir`, as paths.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

/// Sets how `import_updatecaisse` of `folder` asks before installing (`never`, `always`, …).
fn confirm_updates(env: &TestEnv, folder: &str, mode: &str) {
    env.ok(&[
        "sync",
        "processes",
        "set",
        folder,
        "import_updatecaisse",
        "--confirm",
        mode,
    ]);
}
