//! Sync a till can trust, against real peers (pyftpdlib, PostgreSQL 15, `backroom serve`): hostile
//! files on the FTP server are refused and block with what to do, the till's data unchanged and
//! nothing left on disk; customers are created once although every reply is lost; a till's
//! token changes only that till's customers and the allowed columns.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::Ordering;

use sha2::Digest;
use support::TestEnv;
use support::ftp::FtpServer;
use support::postgres::Postgres;
use support::serve::{Proxy, Serve};

const ADMIN: &str = "[operators]\ntester = \"admin\"\n";

fn server_env(extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "{ADMIN}[server]\nmodel_customer = \"MODELE\"\ncustomers_table = \"cli\"\nsigning_key = \"{}\"\n{extra}\
         [server.till_tokens]\n\"1\" = \"token-of-till-1\"\n\"2\" = \"token-of-till-2\"\n",
        support::keys::server().path.display()
    ));
    env
}

/// A till; `trust` is the rest of its `[till]` section (the public key, or the lab switch).
fn till_env(number: &str, trust: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "{ADMIN}[till]\nnumber = \"{number}\"\ntoken = \"token-of-till-{number}\"\ninstall_dir = \"{}\"\n\
         customers_table = \"CLI\"\nusers_table = \"USERS\"\n{trust}\n",
        env.path().join("install").display()
    ));
    env
}

fn trusting() -> String {
    format!("server_public_key = \"{}\"", support::keys::server().public)
}

fn pg_flags(pg: &Postgres) -> Vec<String> {
    [
        "--db-kind",
        "postgresql",
        "--db-host",
        "127.0.0.1",
        "--db-port",
        &pg.port.to_string(),
        "--db-name",
        "shop",
        "--db-user",
        &pg.user,
        "--db-password",
        &pg.password,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn ftp_flags(ftp: &FtpServer) -> Vec<String> {
    [
        "--ftp-mode",
        "put",
        "--ftp-address",
        &ftp.address(Some("out")),
        "--ftp-user",
        &ftp.user,
        "--ftp-password",
        &ftp.password,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn add_folder(env: &TestEnv, flags: &[String]) {
    let mut args = vec!["pos", "folders", "add", "LYON"];
    args.extend(flags.iter().map(String::as_str));
    env.ok(&args);
}

/// SHA-256 of the till's schema and of every row of its synchronised tables.
fn till_hash(env: &TestEnv) -> String {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let mut h = sha2::Sha256::new();
    let mut tables = Vec::new();
    let mut stmt = conn
        .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master ORDER BY name")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (name, sql) = row.unwrap();
        h.update(format!("{name}\n{sql}\n"));
        tables.push(name);
    }
    let mut synced = conn
        .prepare("SELECT name FROM till_tables ORDER BY name")
        .unwrap();
    let names: Vec<String> = synced
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in names.iter().chain(["till_batches".to_string()].iter()) {
        let mut rows = conn
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1"))
            .unwrap();
        let n = rows.column_count();
        let all: Vec<String> = rows
            .query_map([], |r| {
                let mut parts = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    parts.push(format!("{v:?}"));
                }
                Ok(parts.join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        h.update(format!("{t}\n{}\n", all.join("\n")));
    }
    hex::encode(h.finalize())
}

/// Every file under `dir` (recursively), as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(
                    files_under(&p)
                        .into_iter()
                        .map(|f| format!("{}/{f}", e.file_name().to_string_lossy())),
                );
            } else {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn art(env: &TestEnv) -> Vec<String> {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let mut stmt = conn
        .prepare("SELECT code || '=' || label FROM ART ORDER BY code")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Splits a signed batch into its signature line and the rest.
fn split_signed(bytes: &[u8]) -> (&[u8], &[u8]) {
    let at = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    assert!(bytes.starts_with(b"backroom-signature ed25519 "));
    (&bytes[..at], &bytes[at..])
}

/// The rest of a batch (after its signature), re-signed with `key`.
fn signed_with(key: &support::keys::Key, rest: &[u8]) -> Vec<u8> {
    let signer = backroom::sync::sign::Signer::load(&key.path).unwrap();
    let digest: [u8; 32] = sha2::Sha256::digest(rest).into();
    let mut out = signer
        .line(backroom::sync::sign::Domain::Batch, &digest)
        .into_bytes();
    out.extend_from_slice(rest);
    out
}

/// Rewrites the manifest line (line 2 of the rest) of a batch with `change`.
fn with_manifest(rest: &[u8], change: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let text = String::from_utf8(rest.to_vec()).unwrap();
    let mut lines: Vec<&str> = text.splitn(3, '\n').collect();
    let mut m: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    change(&mut m);
    let manifest = m.to_string();
    lines[1] = &manifest;
    lines.join("\n").into_bytes()
}

#[test]
fn hostile_files_on_the_ftp_server_are_refused_block_and_leave_the_till_as_it_was() {
    let pg = Postgres::start();
    pg.create_database("shop");
    pg.psql(
        "shop",
        "CREATE TABLE art (code text PRIMARY KEY, label text NOT NULL, price text);
         INSERT INTO art VALUES ('A100', 'Article 100', '20.0'), ('A200', 'Article 200', 'M-25896');",
    );
    let ftp = FtpServer::start();
    ftp.mkdir("out");
    let server = server_env("");
    let mut flags = pg_flags(&pg);
    flags.extend(ftp_flags(&ftp));
    add_folder(&server, &flags);
    server.ok(&[
        "sync",
        "tables",
        "add",
        "LYON",
        "ART",
        "--type",
        "incremental",
        "--direction",
        "server-to-till",
    ]);
    server.ok(&["sync", "capture", "install", "LYON"]);
    server.ok(&["sync", "run", "export", "LYON"]);

    // A till without the server's public key refuses to import and says how to set one.
    let unkeyed = till_env("1", "");
    add_folder(&unkeyed, &ftp_flags(&ftp));
    let err = unkeyed.fails(4, &["sync", "run", "import", "LYON"]);
    assert!(
        err.contains("server_public_key") && err.contains("sync keygen"),
        "{err}"
    );
    let status = unkeyed.json(&["sync", "status", "LYON"]);
    assert_eq!(status[0]["blocked"]["channel"], "import", "{status}");
    assert!(
        status[0]["blocked"]["fix"]
            .as_str()
            .unwrap()
            .contains("server_public_key"),
        "{status}"
    );
    // The lab switch is a warning wherever the folder's status is.
    let lab = till_env("1", "allow_unsigned = true");
    add_folder(&lab, &ftp_flags(&ftp));
    let text = lab.ok(&["sync", "status", "LYON"]);
    assert!(text.contains("WARNING: [till] allow_unsigned"), "{text}");
    assert_eq!(
        lab.json(&["sync", "status", "LYON"])[0]["unsigned_batches_allowed"],
        true
    );

    let till = till_env("1", &trusting());
    add_folder(&till, &ftp_flags(&ftp));
    till.ok(&["sync", "run", "import", "LYON"]);
    assert_eq!(art(&till), ["A100=Article 100", "A200=Article 200"]);

    pg.psql(
        "shop",
        "UPDATE art SET label = 'SWAP-X' WHERE code = 'A100'",
    );
    assert_eq!(server.json(&["sync", "run", "export", "LYON"])["batch"], 2);
    pg.psql(
        "shop",
        "UPDATE art SET label = 'Article 2' WHERE code = 'A200'",
    );
    assert_eq!(server.json(&["sync", "run", "export", "LYON"])["batch"], 3);
    let name2 = "out/batch-000000002.brb";
    let original2 = std::fs::read(ftp.path(name2)).unwrap();
    let original3 = std::fs::read(ftp.path("out/batch-000000003.brb")).unwrap();
    let first = std::fs::read(ftp.path("out/batch-000000001.full.brb")).unwrap();
    let (_, rest2) = split_signed(&original2);

    let before = till_hash(&till);
    let inbox = till.path().join("data");
    let hostile: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "batch 3 copied over batch 2",
            original3.clone(),
            "holds batch 3",
        ),
        ("batch 1 in batch 2's file", first.clone(), "holds batch 1"),
        (
            "two column names swapped in the manifest",
            {
                let (sig, rest) = split_signed(&original2);
                let mut out = sig.to_vec();
                out.extend(with_manifest(rest, |m| {
                    m["tables"][0]["columns"] = serde_json::json!(["code", "price", "label"]);
                }));
                out
            },
            "signature of this batch does not match",
        ),
        (
            "the table renamed",
            {
                let (sig, rest) = split_signed(&original2);
                let mut out = sig.to_vec();
                out.extend(with_manifest(rest, |m| {
                    m["tables"][0]["name"] = serde_json::json!("HACK");
                }));
                out
            },
            "signature of this batch does not match",
        ),
        (
            "the payload changed with its SHA-256 and size recomputed",
            {
                let (sig, rest) = split_signed(&original2);
                let text = String::from_utf8(rest.to_vec()).unwrap();
                let (head, payload) = text.split_at(text.find("\nU\t").unwrap() + 1);
                let payload = payload.replace("SWAP-X", "EVIL-X");
                let digest = hex::encode(sha2::Sha256::digest(payload.as_bytes()));
                let mut out = sig.to_vec();
                let mut rest = with_manifest(head.as_bytes(), |m| {
                    m["sha256"] = serde_json::json!(digest);
                    m["payload_bytes"] = serde_json::json!(payload.len());
                });
                rest.extend_from_slice(payload.as_bytes());
                out.extend(rest);
                out
            },
            "signature of this batch does not match",
        ),
        (
            "an unsigned batch",
            rest2.to_vec(),
            "this batch is not signed",
        ),
        (
            "a batch signed by another key",
            signed_with(support::keys::stranger(), rest2),
            "signature of this batch does not match",
        ),
    ];
    for (what, bytes, expected) in hostile {
        std::fs::write(ftp.path(name2), &bytes).unwrap();
        let err = till.fails(4, &["sync", "run", "import", "LYON"]);
        assert!(
            err.contains("batch 2 refused") && err.contains(expected),
            "{what}: {err}"
        );
        assert_eq!(till_hash(&till), before, "{what}: the till changed");
        let text = till.ok(&["sync", "status", "LYON"]);
        assert!(
            text.contains("BLOCKED import") && text.contains("at batch 2"),
            "{what}: {text}"
        );
        assert!(
            text.contains("what to do:") && text.contains("put the original batch 2 back"),
            "{what}: {text}"
        );
        let status = till.json(&["sync", "status", "LYON"]);
        assert_eq!(status[0]["blocked"]["channel"], "import", "{what}");
        assert_eq!(status[0]["blocked"]["batch"], 2, "{what}");
        let left: Vec<String> = files_under(&inbox)
            .into_iter()
            .filter(|f| f.contains("sync-in"))
            .collect();
        assert!(left.is_empty(), "{what}: left on disk: {left:?}");
    }

    // The original file put back: batch 2 applies; batch 3, unsigned now, is refused after it,
    // and the run log counts what the failed run applied.
    std::fs::write(ftp.path(name2), &original2).unwrap();
    let name3 = "out/batch-000000003.brb";
    std::fs::write(ftp.path(name3), split_signed(&original3).1).unwrap();
    let err = till.fails(4, &["sync", "run", "import", "LYON"]);
    assert!(err.contains("batch 3 refused"), "{err}");
    assert_eq!(art(&till), ["A100=SWAP-X", "A200=Article 200"]);
    let runs = till.json(&["sync", "runs", "LYON"]);
    assert_eq!(runs[0]["process"], "import", "{runs}");
    assert_eq!(runs[0]["outcome"], "error", "{runs}");
    assert_eq!(
        (runs[0]["rows"].as_i64(), runs[0]["batches"].as_i64()),
        (Some(1), Some(1)),
        "{runs}"
    );
    // Put back, batch 3 applies and the block is gone.
    std::fs::write(ftp.path(name3), &original3).unwrap();
    let imported = till.json(&["sync", "run", "import", "LYON"]);
    assert_eq!(imported["applied"][0]["batch"], 3, "{imported}");
    assert_eq!(art(&till), ["A100=SWAP-X", "A200=Article 2"]);
    let status = till.json(&["sync", "status", "LYON"]);
    assert!(status[0]["blocked"].is_null(), "{status}");
    // Nothing is ever applied twice: running again finds nothing new.
    let again = till.ok(&["sync", "run", "import", "LYON"]);
    assert!(again.contains("no new batch"), "{again}");
}

/// A ZIP holding the given entries.
fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        for (name, body) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

/// Publishes one package under `version` and signs the manifest with the server's key.
fn publish(ftp: &FtpServer, server: &TestEnv, version: &str, bytes: &[u8]) {
    ftp.write("out/updates/pos.zip", bytes);
    let manifest = ftp.write(
        "out/updates/manifest.json",
        serde_json::json!({"packages": [{
            "version": version, "file": "pos.zip",
            "sha256": hex::encode(sha2::Sha256::digest(bytes)),
        }]})
        .to_string()
        .as_bytes(),
    );
    server.ok(&["sync", "sign-updates", manifest.to_str().unwrap()]);
}

#[test]
fn hostile_update_packages_are_refused_and_leave_nothing_behind() {
    let ftp = FtpServer::start();
    ftp.mkdir("out");
    let server = server_env("");
    let till = till_env("1", &trusting());
    add_folder(&till, &ftp_flags(&ftp));
    till.ok(&[
        "sync",
        "processes",
        "set",
        "LYON",
        "import_updatecaisse",
        "--confirm",
        "never",
    ]);
    let install = till.path().join("install");
    let work = till.path().join("data");
    let nothing_left = |what: &str| {
        let left: Vec<String> = files_under(&work)
            .into_iter()
            .filter(|f| f.contains("sync-in"))
            .collect();
        assert!(left.is_empty(), "{what}: left on disk: {left:?}");
        assert!(
            files_under(&install).is_empty(),
            "{what}: {:?}",
            files_under(&install)
        );
    };

    let good = zip_of(&[("VERSION", "1.0.0")]);
    publish(&ftp, &server, "../../../tmp/backroom-escape", &good);
    let err = till.fails(4, &["sync", "run", "update", "LYON"]);
    assert!(
        err.contains("version") && err.contains("../../../tmp/backroom-escape"),
        "{err}"
    );
    assert!(!Path::new("/tmp/backroom-escape").exists());
    nothing_left("a version with ..");
    let status = till.ok(&["sync", "status", "LYON"]);
    assert!(status.contains("BLOCKED update"), "{status}");

    let slip = zip_of(&[("VERSION", "1.0.0"), ("../escaped.txt", "owned")]);
    publish(&ftp, &server, "1.0.0", &slip);
    let err = till.fails(4, &["sync", "run", "update", "LYON"]);
    assert!(
        err.contains("../escaped.txt") && err.contains("outside the install folder"),
        "{err}"
    );
    assert!(!till.path().join("escaped.txt").exists());
    nothing_left("a zip-slip package");

    // An unsigned manifest (or one signed by another key) is refused the same way.
    let manifest = ftp.path("out/updates/manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let body = text.split_once('\n').unwrap().1.to_string();
    std::fs::write(&manifest, &body).unwrap();
    let err = till.fails(4, &["sync", "run", "update", "LYON"]);
    assert!(err.contains("is not signed"), "{err}");
    nothing_left("an unsigned manifest");

    // A good, signed package installs.
    publish(&ftp, &server, "1.0.1", &good);
    let out = till.json(&["sync", "run", "update", "LYON"]);
    assert_eq!(out["installed"], serde_json::json!(["1.0.1"]), "{out}");
    assert_eq!(
        std::fs::read_to_string(install.join("1.0.1/VERSION")).unwrap(),
        "1.0.0"
    );
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_prints_the_public_key_last() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let key = env.path().join("server.key");
    let out = env.ok(&["sync", "keygen", "--out", key.to_str().unwrap()]);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let public = out.lines().last().unwrap();
    backroom::sync::sign::parse_public(public).unwrap();
    assert!(!out.contains(std::fs::read_to_string(&key).unwrap().trim()));
    // Never over an existing key.
    env.fails(1, &["sync", "keygen", "--out", key.to_str().unwrap()]);
    // An export without a signing key is refused and says how to make one.
    let unsigned = TestEnv::new();
    unsigned.write_config(ADMIN);
    let erp = unsigned.path().join("erp.db");
    unsigned.ok(&[
        "pos",
        "folders",
        "add",
        "LYON",
        "--db-kind",
        "sqlite",
        "--db-name",
        erp.to_str().unwrap(),
    ]);
    let err = unsigned.fails(4, &["sync", "run", "export", "LYON"]);
    assert!(
        err.contains("no signing key") && err.contains("backroom sync keygen --out"),
        "{err}"
    );
}

/// A server whose folder LYON is the PostgreSQL database `shop`, its customers table `cli`
/// holding `customers` (SQL values), and `backroom serve` for it.
fn lyon_server(pg: &Postgres, customers: &str) -> (TestEnv, Serve) {
    pg.create_database("shop");
    pg.psql(
        "shop",
        &format!(
            "CREATE TABLE cli (code text PRIMARY KEY, name text, city text, credit numeric(10,2), category text);
             INSERT INTO cli VALUES {customers};"
        ),
    );
    let server = server_env("");
    add_folder(&server, &pg_flags(pg));
    let serve = Serve::start(&server, support::free_port());
    (server, serve)
}

/// Pushes one item straight to `/api/till/push` with a till's token (what a hostile till could
/// send); returns the HTTP reply.
fn push_item(port: u16, token: &str, till: &str, kind: &str, payload: serde_json::Value) -> String {
    let body = serde_json::json!({
        "folder": "LYON", "till": till,
        "items": [{"uuid": uuid::Uuid::new_v4().to_string(), "kind": kind,
                   "created_at": "2026-11-29T12:00:00Z", "payload": payload}],
    })
    .to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST /api/till/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn customers_are_created_once_and_a_till_changes_only_its_own() {
    let pg = Postgres::start();
    let (_server, serve) = lyon_server(
        &pg,
        "('MODELE', 'Client modèle', '', 0, 'RETAIL'), ('HQ001', 'Siège', 'Lyon', 500, 'PRO')",
    );
    let serve_port = serve.port;
    let count = |sql: &str| -> i64 { pg.psql("shop", sql).trim().parse().unwrap() };
    let proxy = Proxy::start(serve_port);
    let ws = format!("http://127.0.0.1:{}", proxy.port);
    let till1 = till_env("1", &trusting());
    add_folder(&till1, &["--ws-url".to_string(), ws.clone()]);
    let till2 = till_env("2", &trusting());
    add_folder(&till2, &["--ws-url".to_string(), ws.clone()]);

    // Every reply is dropped: the server creates the customer, the till never hears it.
    proxy.drop_replies.store(true, Ordering::SeqCst);
    let create = [
        "till",
        "customer",
        "create",
        "LYON",
        "--field",
        "name=Durand",
    ];
    let err = till1.fails(5, &create);
    assert!(err.contains("waits here as request"), "{err}");
    till1.fails(5, &create);
    assert_eq!(count("SELECT count(*) FROM cli WHERE name = 'Durand'"), 1);
    // Replies get through: the same creation gets the same customer back.
    proxy.drop_replies.store(false, Ordering::SeqCst);
    let created = till1.json(&create);
    assert_eq!(created["code"], "T1-00001", "{created}");
    assert_eq!(count("SELECT count(*) FROM cli WHERE name = 'Durand'"), 1);
    assert_eq!(count("SELECT count(*) FROM cli WHERE code LIKE 'T1-%'"), 1);

    // Codes are never given again, even after an abandoned creation was deleted.
    let second = till1.json(&["till", "customer", "create", "LYON", "--field", "name=Gone"]);
    assert_eq!(second["code"], "T1-00002");
    till1.ok(&["till", "customer", "abandon", "LYON", "T1-00002"]);
    till1.ok(&["sync", "run", "push", "LYON"]);
    assert_eq!(count("SELECT count(*) FROM cli WHERE code = 'T1-00002'"), 0);
    let third = till1.json(&["till", "customer", "create", "LYON", "--field", "name=Next"]);
    assert_eq!(third["code"], "T1-00003");
    // Abandon is refused here for a customer this till did not create.
    let err = till1.fails(4, &["till", "customer", "abandon", "LYON", "HQ001"]);
    assert!(err.contains("not created from this till"), "{err}");

    let theirs = till2.json(&[
        "till",
        "customer",
        "create",
        "LYON",
        "--field",
        "name=Autre",
    ]);
    assert_eq!(theirs["code"], "T2-00001");
    // A forbidden column is refused at creation too.
    let err = till1.fails(
        4,
        &[
            "till",
            "customer",
            "create",
            "LYON",
            "--field",
            "credit=999999",
        ],
    );
    assert!(
        err.contains("credit") && err.contains("till_customer_columns"),
        "{err}"
    );

    let before = pg.psql("shop", "SELECT * FROM cli ORDER BY code");
    let update = |code: &str, fields: serde_json::Value| {
        push_item(
            serve_port,
            "token-of-till-1",
            "1",
            "customer_update",
            serde_json::json!({"till": "1", "table": "CLI", "code": code, "fields": fields}),
        )
    };
    for (code, fields, expected) in [
        (
            "T2-00001",
            serde_json::json!({"city": "Bron"}),
            "created from till 2",
        ),
        (
            "HQ001",
            serde_json::json!({"city": "Bron"}),
            "not created from a till",
        ),
        (
            "MODELE",
            serde_json::json!({"category": "VIP"}),
            "model customer",
        ),
        (
            "T1-00001",
            serde_json::json!({"credit": 999999}),
            "may not be set from a till",
        ),
    ] {
        let reply = update(code, fields);
        assert!(
            reply.contains("\"rejected\"") && reply.contains(expected),
            "{code}: {reply}"
        );
    }
    let deleted = push_item(
        serve_port,
        "token-of-till-1",
        "1",
        "customer_delete",
        serde_json::json!({"till": "1", "table": "CLI", "code": "T2-00001"}),
    );
    assert!(deleted.contains("\"rejected\""), "{deleted}");
    assert_eq!(pg.psql("shop", "SELECT * FROM cli ORDER BY code"), before);
    // A push that moved items and then failed counts them in the run log.
    for n in ["T2-1", "T2-2"] {
        till2.ok(&[
            "till", "ticket", "add", "LYON", "--number", n, "--line", "A:1:1.00",
        ]);
    }
    till2.ok(&[
        "till", "row", "LYON", "NOPE", "--field", "k=1", "--key", "k",
    ]);
    let err = till2.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(err.contains("NOPE"), "{err}");
    let runs = till2.json(&["sync", "runs", "LYON"]);
    assert_eq!(runs[0]["process"], "push", "{runs}");
    assert_eq!(runs[0]["outcome"], "error", "{runs}");
    assert_eq!(runs[0]["rows"], 2, "{runs}");
    assert_eq!(
        count("SELECT count(*) FROM backroom_tickets WHERE till = '2'"),
        2
    );

    // Its own customer, an allowed column: applied.
    let reply = update("T1-00001", serde_json::json!({"city": "Villeurbanne"}));
    assert!(reply.contains("\"applied\""), "{reply}");
    assert_eq!(
        pg.psql("shop", "SELECT city FROM cli WHERE code = 'T1-00001'")
            .trim(),
        "Villeurbanne"
    );
}

#[test]
fn an_item_the_server_refuses_is_set_aside_so_that_the_tickets_after_it_go_through() {
    let pg = Postgres::start();
    let (_server, serve) = lyon_server(&pg, "('MODELE', 'Client modèle', '', 0, 'RETAIL')");
    let serve_port = serve.port;
    let count = |sql: &str| -> i64 { pg.psql("shop", sql).trim().parse().unwrap() };
    let till = till_env("2", &trusting());
    add_folder(
        &till,
        &[
            "--ws-url".to_string(),
            format!("http://127.0.0.1:{serve_port}"),
        ],
    );
    let tickets = || count("SELECT count(*) FROM backroom_tickets WHERE till = '2'");

    // A row of a table the server does not synchronise, between two tickets.
    till.ok(&[
        "till", "ticket", "add", "LYON", "--number", "T2-1", "--line", "A:1:1.00",
    ]);
    let refused = till.json(&[
        "till", "row", "LYON", "NOPE", "--field", "k=1", "--key", "k",
    ]);
    let uuid = refused["uuid"].as_str().unwrap().to_string();
    till.ok(&[
        "till", "ticket", "add", "LYON", "--number", "T2-2", "--line", "A:1:1.00",
    ]);
    let err = till.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(err.contains("NOPE"), "{err}");
    assert_eq!(
        tickets(),
        1,
        "the ticket after the refused row waits behind it"
    );
    let err = till.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(err.contains("NOPE"), "and keeps waiting: {err}");
    assert_eq!(tickets(), 1);

    // Support sees what waits and why.
    let shown = till.json(&["till", "queue", "show", "LYON"]);
    assert_eq!(shown["waiting"], 2, "{shown}");
    assert_eq!(shown["items"][0]["uuid"], uuid.as_str(), "{shown}");
    assert!(
        shown["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("NOPE"),
        "{shown}"
    );
    let text = till.ok(&["till", "queue", "show", "LYON"]);
    assert!(text.contains("2 waiting") && text.contains(&uuid), "{text}");

    // Only a waiting item of that folder can be set aside, and only with a reason.
    let err = till.fails(
        3,
        &[
            "till",
            "queue",
            "set-aside",
            "LYON",
            "no-such-item",
            "--reason",
            "x",
        ],
    );
    assert!(err.contains("no item no-such-item"), "{err}");
    till.fails(
        2,
        &["till", "queue", "set-aside", "LYON", &uuid, "--reason", " "],
    );
    let reason = "table NOPE is not synchronised (ticket 4521)";
    till.ok(&[
        "till",
        "queue",
        "set-aside",
        "LYON",
        &uuid,
        "--reason",
        reason,
    ]);
    let status = till.json(&["sync", "status", "LYON"]);
    assert_eq!(status[0]["blocks"].as_array().unwrap().len(), 0, "{status}");
    till.ok(&["sync", "run", "push", "LYON"]);
    assert_eq!(tickets(), 2, "the ticket after it went through");

    // The item is kept whole, with who set it aside and why; the audit log has it too.
    let shown = till.json(&["till", "queue", "show", "LYON"]);
    assert_eq!(shown["waiting"], 0, "{shown}");
    let aside = &shown["set_aside"][0];
    assert_eq!(aside["uuid"], uuid.as_str(), "{shown}");
    assert_eq!(aside["kind"], "row");
    assert_eq!(aside["set_aside"]["reason"], reason);
    let audit = till.json(&["audit", "list", "--all"]);
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "till.queue.set-aside")
        .unwrap_or_else(|| panic!("not audited: {audit}"));
    assert!(entry["target"].as_str().unwrap().contains(&uuid), "{entry}");
    assert_eq!(aside["set_aside"]["by"], entry["user"], "{entry}");
    // The doctor reminds support of it.
    let out = till.run(&["--json", "doctor", "--area", "sync"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "items_set_aside")
        .collect();
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0]["severity"], "warning");
    assert!(
        found[0]["summary"]
            .as_str()
            .unwrap()
            .contains("1 till queue item"),
        "{report}"
    );

    // Put back, it is sent again first, and refused again.
    till.ok(&["till", "queue", "put-back", "LYON", &uuid]);
    till.ok(&[
        "till", "ticket", "add", "LYON", "--number", "T2-3", "--line", "A:1:1.00",
    ]);
    let err = till.fails(4, &["sync", "run", "push", "LYON"]);
    assert!(err.contains("NOPE"), "{err}");
    assert_eq!(tickets(), 2);
    let shown = till.json(&["till", "queue", "show", "LYON"]);
    assert_eq!(
        shown["items"][0]["uuid"],
        uuid.as_str(),
        "back in its place: {shown}"
    );
    assert_eq!(shown["set_aside"].as_array().unwrap().len(), 0);
    let out = till.run(&["--json", "doctor", "--area", "sync"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "items_set_aside"),
        "{report}"
    );
}
