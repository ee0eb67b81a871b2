//! Printers and providers against real peers: ippeveprinter, a TCP listener, a PrintNode-style
//! HTTP server, a spool folder; and the `backroom printers` CLI through the real binary.

mod support;

use std::time::Duration;

use backroom::net::print::{self, Lookup, PrintRequest, RemoteState, SendError};
use backroom::printing::{Printer, Provider};
use support::TestEnv;
use support::ipp::IppPrinter;
use support::printnode::PrintNode;

fn printer(provider: Provider, target: &str) -> Printer {
    Printer {
        id: 1,
        name: "test".into(),
        provider,
        target: target.into(),
        api_key: None,
        tray: None,
        copies: 1,
        enabled: true,
        is_default: true,
        created_at: String::new(),
        on_unknown: None,
    }
}

fn pdf() -> Vec<u8> {
    backroom::printing::test_page::render(&printer(Provider::Spool, "/tmp"), chrono::Utc::now())
}

fn request<'a>(uuid: &'a str, document: &'a [u8]) -> PrintRequest<'a> {
    PrintRequest {
        job_uuid: uuid,
        title: "invoice 1001",
        document,
        copies: 1,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn ipp_prints_the_exact_pdf_and_finds_it_by_uuid_and_follows_its_state() {
    let ipp = IppPrinter::start();
    let rt = rt();
    let mut p = printer(Provider::Ipp, &ipp.url());
    p.tray = Some("main".into());
    let doc = pdf();
    let uuid = uuid::Uuid::new_v4().to_string();
    let accepted = rt
        .block_on(print::send(&p, &request(&uuid, &doc)))
        .unwrap_or_else(|e| panic!("send failed: {e}; log: {}", ipp.log()));
    let job_id = accepted.remote_ref.expect("IPP job-id");
    assert!(job_id.parse::<i32>().is_ok(), "{job_id}");

    let files = ipp.wait_received(1, Duration::from_secs(10));
    assert_eq!(files.len(), 1, "log: {}", ipp.log());
    assert_eq!(std::fs::read(&files[0]).unwrap(), doc);

    match rt.block_on(print::find_by_uuid(&p, &uuid)).unwrap() {
        Lookup::Found { remote_ref, .. } => assert_eq!(remote_ref, job_id),
        other => panic!("expected the job, got {other:?}"),
    }
    let fresh = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        rt.block_on(print::find_by_uuid(&p, &fresh)).unwrap(),
        Lookup::NotFound
    );

    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    loop {
        let state = rt
            .block_on(print::remote_state(&p, &job_id))
            .unwrap()
            .expect("a job-state");
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        if state.is_final() || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(seen.last(), Some(&RemoteState::Completed), "{seen:?}");
}

#[test]
fn ipp_a_printer_that_refuses_pdf_is_a_permanent_error() {
    let ipp = IppPrinter::start_without_pdf();
    let rt = rt();
    let p = printer(Provider::Ipp, &ipp.url());
    let doc = pdf();
    match rt.block_on(print::send(
        &p,
        &request("8d1c4b7e-0000-4000-8000-000000000001", &doc),
    )) {
        Err(SendError::Permanent(e)) => {
            // ippeveprinter: attributes-or-values-not-supported; CUPS: document-format-not-supported.
            assert!(e.contains("client-error-"), "{e}");
            assert!(e.contains("document-format"), "{e}");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    let wrong_path = printer(
        Provider::Ipp,
        &format!("ipp://127.0.0.1:{}/ipp/nowhere", ipp.port),
    );
    assert!(matches!(
        rt.block_on(print::send(&wrong_path, &request("x", &doc))),
        Err(SendError::Permanent(_))
    ));
}

#[test]
fn ipp_busy_and_stopped_printers_are_retryable() {
    let mut ipp = IppPrinter::start_slow();
    let rt = rt();
    let p = printer(Provider::Ipp, &ipp.url());
    let doc = pdf();
    let first = uuid::Uuid::new_v4().to_string();
    if let Err(e) = rt.block_on(print::send(&p, &request(&first, &doc))) {
        drop(rt);
        std::thread::sleep(Duration::from_millis(300));
        panic!("the first job was refused: {e}; log: {}", ipp.log());
    }
    // ippeveprinter needs a moment to start "printing" the first job.
    std::thread::sleep(Duration::from_millis(500));
    let state = rt.block_on(print::remote_state(&p, "1")).unwrap();
    assert!(
        matches!(state, Some(RemoteState::Processing | RemoteState::Pending)),
        "{state:?}"
    );
    let second = uuid::Uuid::new_v4().to_string();
    match rt.block_on(print::send(&p, &request(&second, &doc))) {
        Err(SendError::Retryable(e)) => assert!(e.contains("busy"), "{e}"),
        other => panic!("expected busy, got {other:?}"),
    }
    ipp.stop();
    match rt.block_on(print::send(&p, &request(&second, &doc))) {
        Err(SendError::Retryable(e)) => assert!(e.contains("connect"), "{e}"),
        other => panic!("expected a retryable error, got {other:?}"),
    }
    assert!(matches!(
        rt.block_on(print::find_by_uuid(&p, &second)),
        Err(SendError::Retryable(_))
    ));
}

/// A TCP listener that records every connection's bytes, like a JetDirect port.
struct RawListener {
    port: u16,
    received: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl RawListener {
    fn start() -> RawListener {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut bytes = Vec::new();
                if stream.read_to_end(&mut bytes).is_ok() && !bytes.is_empty() {
                    sink.lock().unwrap().push(bytes);
                }
            }
        });
        RawListener { port, received }
    }

    fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn wait_for(&self, count: usize) -> Vec<Vec<u8>> {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let got = self.received.lock().unwrap().clone();
            if got.len() >= count || std::time::Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn raw_writes_the_exact_bytes_once_per_copy_and_a_closed_port_is_retryable() {
    let listener = RawListener::start();
    let rt = rt();
    let p = printer(Provider::Raw, &listener.target());
    let doc = pdf();
    let uuid = uuid::Uuid::new_v4().to_string();
    let mut req = request(&uuid, &doc);
    req.copies = 2;
    rt.block_on(print::send(&p, &req)).expect("sent");
    let got = listener.wait_for(2);
    assert_eq!(got, vec![doc.clone(), doc.clone()]);
    assert_eq!(
        rt.block_on(print::find_by_uuid(&p, &uuid)).unwrap(),
        Lookup::Unsupported
    );
    let status = rt.block_on(print::check(&p)).expect("reachable");
    assert!(status.ready);

    let closed = printer(
        Provider::Raw,
        &format!("127.0.0.1:{}", support::free_port()),
    );
    assert!(matches!(
        rt.block_on(print::send(&closed, &request(&uuid, &doc))),
        Err(SendError::Retryable(_))
    ));
}

#[test]
fn printnode_posts_base64_pdf_with_basic_auth_and_a_wrong_key_is_permanent() {
    let server = PrintNode::start("pn-key-0123456789", 34567);
    let rt = rt();
    let mut p = printer(Provider::PrintNode, &server.target());
    p.api_key = Some("pn-key-0123456789".into());
    p.tray = Some("Tray 2".into());
    let doc = pdf();
    let uuid = uuid::Uuid::new_v4().to_string();
    let mut req = request(&uuid, &doc);
    req.copies = 3;
    // Its certificate is self-signed: not trusted until the CA file is added.
    match rt.block_on(print::send(&p, &req)) {
        Err(SendError::Permanent(e)) => assert!(e.contains("not trusted"), "{e}"),
        other => panic!("an untrusted certificate must be a permanent error: {other:?}"),
    }
    assert!(server.jobs().is_empty());
    backroom::net::trust::add_ca_file(&server.ca_file).expect("trust the test CA");
    let accepted = rt.block_on(print::send(&p, &req)).expect("accepted");
    let jobs = server.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(accepted.remote_ref, Some(jobs[0].id.to_string()));
    assert_eq!(jobs[0].document, doc);
    assert_eq!(jobs[0].printer_id, 34567);
    assert_eq!(jobs[0].qty, 3);
    assert_eq!(jobs[0].bin.as_deref(), Some("Tray 2"));
    assert_eq!(jobs[0].title, "invoice 1001");

    // A resend after a lost reply is refused by the idempotency key: accepted, not printed twice.
    rt.block_on(print::send(&p, &req)).expect("repeat accepted");
    assert_eq!(server.jobs().len(), 1);

    let state = rt
        .block_on(print::remote_state(&p, &jobs[0].id.to_string()))
        .unwrap();
    assert_eq!(state, Some(RemoteState::Completed));
    let status = rt.block_on(print::check(&p)).expect("checked");
    assert!(status.ready, "{status:?}");
    assert_eq!(status.state, "online");
    assert_eq!(status.trays, vec!["Tray 1", "Tray 2", "Manual Feed"]);

    server.set_printer_state("offline");
    let status = rt.block_on(print::check(&p)).expect("checked");
    assert!(!status.ready && status.state == "offline", "{status:?}");

    p.api_key = Some("wrong-key-0000".into());
    let other = uuid::Uuid::new_v4().to_string();
    match rt.block_on(print::send(&p, &request(&other, &doc))) {
        Err(SendError::Permanent(e)) => {
            assert!(e.contains("401"), "{e}");
            assert!(!e.contains("wrong-key"), "the key leaks: {e}");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    p.api_key = Some("pn-key-0123456789".into());
    server.fail_with(Some(503));
    assert!(matches!(
        rt.block_on(print::send(&p, &request(&other, &doc))),
        Err(SendError::Retryable(_))
    ));
    assert_eq!(server.jobs().len(), 1);
}

#[test]
fn spool_writes_the_file_and_finds_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    let p = printer(Provider::Spool, &dir.path().display().to_string());
    let doc = pdf();
    let uuid = uuid::Uuid::new_v4().to_string();
    rt.block_on(print::send(&p, &request(&uuid, &doc))).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join(format!("{uuid}.pdf"))).unwrap(),
        doc
    );
    assert!(matches!(
        rt.block_on(print::find_by_uuid(&p, &uuid)).unwrap(),
        Lookup::Found { .. }
    ));
    assert!(rt.block_on(print::check(&p)).unwrap().ready);
}

fn spool_dir(env: &TestEnv) -> String {
    let dir = env.path().join("spool");
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

fn default_of(env: &TestEnv) -> Vec<String> {
    env.json(&["printers", "list"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["default"] == true)
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn cli_the_first_printer_is_default_and_removing_the_default_needs_a_successor() {
    let env = TestEnv::new();
    let spool = spool_dir(&env);
    assert_eq!(env.json(&["printers", "list"]), serde_json::json!([]));
    let add = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "printers",
            "add",
            name,
            "--provider",
            "spool",
            "--target",
            &spool,
        ];
        args.extend_from_slice(extra);
        env.json(&args)
    };
    assert_eq!(add("front", &[])["default"], true);
    assert_eq!(add("back", &[])["default"], false);
    assert_eq!(add("office", &["--default"])["default"], true);
    assert_eq!(default_of(&env), vec!["office"]);
    env.ok(&["printers", "set-default", "front"]);
    assert_eq!(default_of(&env), vec!["front"]);
    env.fails(3, &["printers", "set-default", "nowhere"]);

    let err = env.fails(4, &["printers", "remove", "front"]);
    assert!(
        err.contains("--successor") && err.contains("back") && err.contains("office"),
        "{err}"
    );
    env.fails(3, &["printers", "remove", "front", "--successor", "ghost"]);
    env.fails(2, &["printers", "remove", "office", "--successor", "back"]);
    let removed = env.json(&["printers", "remove", "front", "--successor", "back"]);
    assert_eq!(removed["new_default"], "back");
    assert_eq!(default_of(&env), vec!["back"]);
    env.fails(3, &["printers", "show", "front"]);
    env.ok(&["printers", "remove", "office"]);
    // The last printer can go: then there is no default, and the CLI says what that means.
    let out = env.run(&["printers", "remove", "back"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no default printer"));
    let out = env.run(&["printers", "list"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no default printer"));
}

#[test]
fn cli_refuses_bad_targets_with_the_reason() {
    let env = TestEnv::new();
    let spool = spool_dir(&env);
    let bad = |code: i32, args: &[&str], needle: &str| {
        let mut all = vec!["printers", "add", "p"];
        all.extend_from_slice(args);
        let err = env.fails(code, &all);
        assert!(err.contains(needle), "{args:?}: {err}");
    };
    bad(
        2,
        &["--provider", "ipp", "--target", "printer.local"],
        "ipp://host",
    );
    bad(
        2,
        &["--provider", "raw", "--target", "10.0.0.5:abc"],
        "host:port",
    );
    bad(
        2,
        &["--provider", "printnode", "--target", "34567"],
        "--api-key",
    );
    bad(
        2,
        &[
            "--provider",
            "printnode",
            "--target",
            "front",
            "--api-key",
            "k",
        ],
        "printer id",
    );
    bad(
        2,
        &["--provider", "spool", "--target", "/no/such/folder"],
        "does not exist",
    );
    bad(
        2,
        &["--provider", "fax", "--target", "x"],
        "ipp, raw, printnode or spool",
    );
    bad(
        2,
        &["--provider", "spool", "--target", &spool, "--copies", "0"],
        "--copies",
    );
    assert_eq!(env.json(&["printers", "list"]), serde_json::json!([]));
    env.ok(&[
        "printers",
        "add",
        "p",
        "--provider",
        "spool",
        "--target",
        &spool,
    ]);
    bad(
        4,
        &["--provider", "spool", "--target", &spool],
        "already exists",
    );
    env.fails(
        4,
        &[
            "--read-only",
            "printers",
            "add",
            "q",
            "--provider",
            "spool",
            "--target",
            &spool,
        ],
    );
}

#[test]
fn cli_masks_the_printnode_api_key_everywhere() {
    let env = TestEnv::new();
    let key = "pn-live-secret-key-4242";
    let added = env.json(&[
        "printers",
        "add",
        "cloud",
        "--provider",
        "printnode",
        "--target",
        "34567",
        "--api-key",
        key,
    ]);
    let shown = env.json(&["printers", "show", "cloud"]);
    for v in [&added, &shown] {
        let masked = v["api_key"].as_str().unwrap();
        assert!(!masked.contains("secret"), "{masked}");
        assert!(masked.ends_with("42"), "{masked}");
    }
    assert!(!env.ok(&["printers", "show", "cloud"]).contains(key));
    assert!(!env.ok(&["--json", "printers", "list"]).contains(key));
    let log =
        std::fs::read_to_string(env.path().join("state/backroom/backroom.log")).unwrap_or_default();
    assert!(!log.contains(key), "the key is in the log");
    // `--api-key -` reads the key from stdin (out of the shell history and the process list).
    let mut child = env
        .command()
        .args(["printers", "edit", "cloud", "--api-key", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "pn-rotated-key-7777").unwrap();
    }
    assert!(child.wait().unwrap().success());
    let conn = backroom::store::open(&env.db()).unwrap();
    let stored = backroom::store::printers::by_name(&conn, "cloud")
        .unwrap()
        .unwrap();
    assert_eq!(stored.api_key.as_deref(), Some("pn-rotated-key-7777"));
    let edited = env.json(&[
        "printers", "edit", "cloud", "--tray", "Tray 2", "--copies", "2",
    ]);
    assert_eq!(edited["tray"], "Tray 2");
    assert_eq!(edited["copies"], 2);
    assert!(!edited.to_string().contains(key));
}

#[test]
fn cli_read_only_checks_a_printer_but_prints_no_test_page() {
    let env = TestEnv::new();
    let spool = spool_dir(&env);
    env.ok(&[
        "printers",
        "add",
        "shelf",
        "--provider",
        "spool",
        "--target",
        &spool,
    ]);
    let files = || std::fs::read_dir(&spool).unwrap().count();

    let report = env.json(&["--read-only", "printers", "check", "shelf"]);
    assert_eq!(report["ready"], true, "{report}");
    let err = env.fails(4, &["--read-only", "printers", "test-page", "shelf"]);
    assert!(
        err.contains("printing a test page is refused: backroom runs read-only"),
        "{err}"
    );
    assert_eq!(files(), 0, "read-only printed a test page");

    env.ok(&["printers", "test-page", "shelf"]);
    assert_eq!(files(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn tui_read_only_refuses_the_test_page() {
    let env = TestEnv::new();
    add_spool_printers(&env, &["shelf"]);
    let spool = spool_dir(&env);
    let mut ctx = tui_ctx(&env);
    ctx.read_only = true;
    let mut h = harness(ctx).await;
    h.press(&["p"]).await.unwrap();
    assert!(
        h.screen().contains("is refused: backroom runs read-only"),
        "{}",
        h.screen()
    );
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 0);
}

#[test]
fn cli_edit_and_the_printing_switch() {
    let env = TestEnv::new();
    let spool = spool_dir(&env);
    env.ok(&[
        "printers",
        "add",
        "front",
        "--provider",
        "spool",
        "--target",
        &spool,
    ]);
    let e = env.json(&["printers", "edit", "front", "--tray", "manual", "--disable"]);
    assert_eq!(e["tray"], "manual");
    assert_eq!(e["enabled"], false);
    let e = env.json(&["printers", "edit", "front", "--no-tray", "--enable"]);
    assert_eq!(e["tray"], serde_json::Value::Null);
    assert_eq!(e["enabled"], true);
    env.fails(2, &["printers", "edit", "front"]);
    env.fails(
        2,
        &["printers", "edit", "front", "--target", "relative/dir"],
    );
    env.fails(3, &["printers", "edit", "ghost", "--copies", "2"]);

    // Personal mode on a database someone else owns (`nobody`): this user is staff there.
    use std::os::unix::fs::MetadataExt;
    let me = std::fs::metadata(env.path()).unwrap().uid();
    std::os::unix::fs::chown(env.db(), Some(65534), None)
        .expect("chown the database to nobody (the tests run as root, as CI does)");
    let err = env.fails(4, &["printers", "disable"]);
    assert!(err.contains("administrators"), "{err}");
    // Its owner is its admin.
    std::os::unix::fs::chown(env.db(), Some(me), None).unwrap();
    assert_eq!(
        env.json(&["printers", "disable"])["printing_enabled"],
        false
    );
    let out = env.run(&["printers", "list"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("backroom printers enable"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = backroom::store::open(&env.db()).unwrap();
    assert!(!backroom::store::printers::printing_enabled(&conn).unwrap());
    env.ok(&["printers", "enable"]);
    assert!(backroom::store::printers::printing_enabled(&conn).unwrap());
}

#[test]
fn cli_check_and_test_page_against_ippeveprinter() {
    support::require_program("qpdf", "qpdf");
    support::require_program("pdftotext", "poppler-utils");
    let mut ipp = IppPrinter::start();
    let env = TestEnv::new();
    env.ok(&[
        "printers",
        "add",
        "Front Desk",
        "--provider",
        "ipp",
        "--target",
        &ipp.url(),
        "--tray",
        "main",
    ]);
    let report = env.json(&["printers", "check", "Front Desk"]);
    assert_eq!(report["reachable"], true);
    assert_eq!(report["ready"], true);
    assert_eq!(report["state"], "idle");
    let trays: Vec<&str> = report["trays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        trays.contains(&"main") && trays.contains(&"manual"),
        "{trays:?}"
    );

    let sent = env.json(&["printers", "test-page", "Front Desk"]);
    assert!(sent["remote_ref"].as_str().is_some(), "{sent}");
    let files = ipp.wait_received(1, Duration::from_secs(10));
    assert_eq!(files.len(), 1, "{}", ipp.log());
    let check = std::process::Command::new("qpdf")
        .arg("--check")
        .arg(&files[0])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let text = std::process::Command::new("pdftotext")
        .arg(&files[0])
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("backroom test page") && text.contains("Front Desk"),
        "{text}"
    );

    env.ok(&["printers", "edit", "Front Desk", "--tray", "tray-9"]);
    let err = env.fails(5, &["printers", "check", "Front Desk"]);
    assert!(err.contains("tray tray-9 is not offered"), "{err}");

    ipp.stop();
    let err = env.fails(5, &["printers", "check", "Front Desk"]);
    assert!(err.contains("Front Desk"), "{err}");
    env.fails(5, &["printers", "test-page", "Front Desk"]);
    let closed = format!("127.0.0.1:{}", support::free_port());
    env.ok(&[
        "printers",
        "add",
        "label",
        "--provider",
        "raw",
        "--target",
        &closed,
    ]);
    env.fails(5, &["printers", "check", "label"]);
}

// ---- The printers pane of the TUI, drawn into ratatui's TestBackend ----

fn tui_ctx(env: &TestEnv) -> backroom::context::Context {
    backroom::store::open(&env.db()).unwrap();
    backroom::context::Context::for_db(env.db())
}

async fn harness(ctx: backroom::context::Context) -> backroom::tui::harness::Harness {
    backroom::tui::harness::Harness::new(ctx, 140, 30)
        .await
        .expect("harness")
}

fn stored(env: &TestEnv, name: &str) -> Printer {
    let conn = backroom::store::open(&env.db()).unwrap();
    backroom::store::printers::by_name(&conn, name)
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn tui_printers_pane_moves_the_default_switches_printers_and_printing() {
    let env = TestEnv::new();
    let spool = spool_dir(&env);
    let ctx = tui_ctx(&env);
    {
        let mut conn = backroom::store::open(&env.db()).unwrap();
        for name in ["back", "front"] {
            backroom::store::printers::add(
                &mut conn,
                &backroom::store::printers::NewPrinter {
                    name: name.into(),
                    provider: Provider::Spool,
                    target: spool.clone(),
                    api_key: None,
                    tray: None,
                    copies: 1,
                    enabled: true,
                    make_default: false,
                },
            )
            .unwrap();
        }
    }
    let mut h = harness(ctx).await;
    let screen = h.screen();
    assert!(
        screen.contains("back") && screen.contains("front"),
        "{screen}"
    );
    assert!(screen.contains("purged after 30 days"), "{screen}");

    h.press(&["j", "*"]).await.unwrap();
    assert!(stored(&env, "front").is_default);
    assert!(!stored(&env, "back").is_default);
    assert!(
        h.screen().contains("front is now the default printer"),
        "{}",
        h.screen()
    );

    h.press(&["E"]).await.unwrap();
    assert!(!stored(&env, "front").enabled);
    assert!(
        h.screen().contains("front is switched off"),
        "{}",
        h.screen()
    );

    h.press(&["P"]).await.unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("Printing is switched off for this store"),
        "{screen}"
    );
    let conn = backroom::store::open(&env.db()).unwrap();
    assert!(!backroom::store::printers::printing_enabled(&conn).unwrap());
    h.press(&["P"]).await.unwrap();
    assert!(backroom::store::printers::printing_enabled(&conn).unwrap());
    assert!(
        !h.screen()
            .contains("Printing is switched off for this store")
    );

    // Edit: the form holds the current target and copies.
    h.press(&["e"]).await.unwrap();
    assert!(h.screen().contains("Edit printer front"), "{}", h.screen());
    h.press(&["tab", "backspace"]).await.unwrap();
    h.type_text("3").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert_eq!(stored(&env, "front").copies, 3);
    assert!(h.screen().contains("Saved printer front"), "{}", h.screen());
}

fn add_spool_printers(env: &TestEnv, names: &[&str]) {
    let spool = spool_dir(env);
    let mut conn = backroom::store::open(&env.db()).unwrap();
    for name in names {
        backroom::store::printers::add(
            &mut conn,
            &backroom::store::printers::NewPrinter {
                name: name.to_string(),
                provider: Provider::Spool,
                target: spool.clone(),
                api_key: None,
                tray: None,
                copies: 1,
                enabled: true,
                make_default: false,
            },
        )
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tui_triggers_popup_lists_switches_and_routes_the_triggers() {
    let env = TestEnv::new();
    add_spool_printers(&env, &["back", "front"]);
    let mut h = harness(tui_ctx(&env)).await;

    // T lists the three triggers as stored: on, the default printer, the printer's copies.
    h.press(&["T"]).await.unwrap();
    let screen = h.screen();
    assert!(screen.contains("Print triggers"), "{screen}");
    for line in [
        "order.received → invoice ‹ on ›",
        "order.shipped → delivery slip ‹ on ›",
        "invoice.overdue → reminder ‹ on ›",
        "now: default printer, printer's copies",
    ] {
        assert!(screen.contains(line), "{line} missing:\n{screen}");
    }
    assert_eq!(
        screen.matches("printer ‹ (default) ›").count(),
        3,
        "{screen}"
    );

    // order.received → back, 2 copies; order.shipped off; invoice.overdue untouched.
    h.press(&["down", "right"]).await.unwrap();
    assert!(h.screen().contains("printer ‹ back ›"), "{}", h.screen());
    h.press(&["down"]).await.unwrap();
    h.type_text("0").await.unwrap();
    assert!(h.screen().contains("expected 1 to 999"), "{}", h.screen());
    h.press(&["backspace"]).await.unwrap();
    h.type_text("2").await.unwrap();
    h.press(&["down", "right", "enter"]).await.unwrap();
    assert!(
        h.screen()
            .contains("Saved the print triggers: order.received, order.shipped."),
        "{}",
        h.screen()
    );

    // The CLI reads what the popup wrote.
    let list = env.json(&["triggers", "list"]);
    let by_kind = |k: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["event_kind"] == k)
            .cloned()
            .unwrap()
    };
    let received = by_kind("order.received");
    assert_eq!(received["printer"], "back");
    assert_eq!(received["copies"], 2);
    assert_eq!(received["enabled"], true);
    let shipped = by_kind("order.shipped");
    assert_eq!(shipped["enabled"], false);
    assert_eq!(shipped["printer"], serde_json::Value::Null);
    let overdue = by_kind("invoice.overdue");
    assert_eq!(overdue["enabled"], true);
    assert_eq!(overdue["copies"], serde_json::Value::Null);

    // Reopened, it shows the new state; back to the default printer and the printer's copies.
    h.press(&["T"]).await.unwrap();
    let screen = h.screen();
    assert!(screen.contains("now: back, 2 copies"), "{screen}");
    assert!(
        screen.contains("order.shipped → delivery slip ‹ off ›"),
        "{screen}"
    );
    h.press(&["down", "left", "down", "backspace", "enter"])
        .await
        .unwrap();
    assert!(
        h.screen()
            .contains("Saved the print triggers: order.received."),
        "{}",
        h.screen()
    );
    let conn = backroom::store::open(&env.db()).unwrap();
    let t = backroom::store::printing::trigger(&conn, "order.received")
        .unwrap()
        .unwrap();
    assert_eq!((t.printer, t.copies), (None, None));

    // Read-only: the triggers are shown, saving is refused and changes nothing.
    let mut ctx = tui_ctx(&env);
    ctx.read_only = true;
    let mut h = harness(ctx).await;
    h.press(&["T", "right", "enter"]).await.unwrap();
    assert!(
        h.screen()
            .contains("changing a print trigger is refused: backroom runs read-only"),
        "{}",
        h.screen()
    );
    let t = backroom::store::printing::trigger(&conn, "order.received")
        .unwrap()
        .unwrap();
    assert!(t.enabled);
}

#[tokio::test(flavor = "multi_thread")]
async fn tui_printers_pane_checks_chooses_a_tray_and_prints_a_test_page() {
    let ipp = IppPrinter::start();
    let env = TestEnv::new();
    let ctx = tui_ctx(&env);
    {
        let mut conn = backroom::store::open(&env.db()).unwrap();
        backroom::store::printers::add(
            &mut conn,
            &backroom::store::printers::NewPrinter {
                name: "counter".into(),
                provider: Provider::Ipp,
                target: ipp.url(),
                api_key: None,
                tray: None,
                copies: 1,
                enabled: true,
                make_default: false,
            },
        )
        .unwrap();
    }
    let mut h = harness(ctx).await;
    h.press(&["t"]).await.unwrap();
    let screen = h.screen();
    assert!(screen.contains("counter: idle, ready"), "{screen}");

    // The tray form offers what the printer listed: (printer default), auto, main, manual, …
    h.press(&["b"]).await.unwrap();
    let screen = h.screen();
    assert!(screen.contains("Tray of counter"), "{screen}");
    assert!(screen.contains("‹ (printer default) ›"), "{screen}");
    h.press(&["right", "right"]).await.unwrap();
    assert!(h.screen().contains("‹ main ›"), "{}", h.screen());
    h.press(&["enter"]).await.unwrap();
    assert_eq!(stored(&env, "counter").tray.as_deref(), Some("main"));
    assert!(h.screen().contains("counter now prints from tray main"));

    h.press(&["p"]).await.unwrap();
    assert!(
        h.screen().contains("Test page sent to counter"),
        "{}",
        h.screen()
    );
    assert_eq!(ipp.wait_received(1, Duration::from_secs(10)).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn tui_printers_pane_adds_and_removes_printers_with_the_default_rule() {
    let env = TestEnv::new();
    let spool = spool_dir(&env);
    let ctx = tui_ctx(&env);
    let mut h = harness(ctx).await;
    assert!(h.screen().contains("No printer is configured"));

    // Add: name, provider (ipp → raw → printnode → spool), a target the provider refuses first.
    h.press(&["a"]).await.unwrap();
    assert!(h.screen().contains("Add printer"), "{}", h.screen());
    h.type_text("front").await.unwrap();
    h.press(&["tab", "right", "right", "right", "tab"])
        .await
        .unwrap();
    assert!(h.screen().contains("‹ spool ›"), "{}", h.screen());
    h.type_text("relative/folder").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("Add printer") && screen.contains("not an absolute path"),
        "{screen}"
    );
    h.press(&["tab", "tab"]).await.unwrap();
    for _ in 0.."relative/folder".len() {
        h.press(&["backspace"]).await.unwrap();
    }
    h.type_text(&spool).await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert!(
        h.screen()
            .contains("Added printer front (the default printer)"),
        "{}",
        h.screen()
    );
    assert_eq!(stored(&env, "front").provider, Provider::Spool);
    assert!(stored(&env, "front").is_default);

    h.press(&["a"]).await.unwrap();
    h.type_text("back").await.unwrap();
    h.press(&["tab", "right", "right", "right", "tab"])
        .await
        .unwrap();
    h.type_text(&spool).await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert!(!stored(&env, "back").is_default);

    // Remove the default (front, second row by name): the form asks who takes over.
    h.press(&["j", "d"]).await.unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("Remove front, the default printer"),
        "{screen}"
    );
    assert!(screen.contains("‹ back ›"), "{screen}");
    h.press(&["enter"]).await.unwrap();
    assert!(
        h.screen().contains("back is now the default printer"),
        "{}",
        h.screen()
    );
    assert!(stored(&env, "back").is_default);

    // The last printer goes after a confirmation that says what it means.
    h.press(&["g", "d"]).await.unwrap();
    assert!(
        h.screen().contains("It is the last printer"),
        "{}",
        h.screen()
    );
    h.press(&["y"]).await.unwrap();
    let conn = backroom::store::open(&env.db()).unwrap();
    assert!(backroom::store::printers::list(&conn).unwrap().is_empty());
    assert!(h.screen().contains("No printer is configured"));
}

/// The real binary in a real terminal (tmux): the admin's flow on the Printers pane.
#[test]
fn tui_in_a_terminal_checks_a_printer_picks_its_tray_and_prints_a_test_page() {
    use support::tmux::{Tmux, backroom_binary};
    let ipp = IppPrinter::start();
    let env = TestEnv::new();
    let bin = backroom_binary();
    let add = std::process::Command::new(&bin)
        .envs(env.vars())
        .args([
            "printers",
            "add",
            "counter",
            "--provider",
            "ipp",
            "--target",
        ])
        .arg(ipp.url())
        .output()
        .unwrap();
    assert!(add.status.success(), "{add:?}");
    let t = Tmux::start(&env, &format!("'{}'", bin.display()), &[]);
    t.wait_for("counter");
    t.keys(&["t"]);
    t.wait_for("counter: idle, ready");
    t.keys(&["b"]);
    t.wait_for("‹ (printer default) ›");
    t.keys(&["Right", "Right"]);
    t.wait_for("‹ main ›");
    t.keys(&["Enter"]);
    t.wait_for("counter now prints from tray main");
    t.keys(&["p"]);
    t.wait_for("Test page sent to counter");
    assert_eq!(ipp.wait_received(1, Duration::from_secs(10)).len(), 1);
    t.keys(&["q"]);
    t.wait_exit();
    assert_eq!(stored(&env, "counter").tray.as_deref(), Some("main"));
}
