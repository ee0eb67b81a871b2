//! The POS panes in the TUI: the four-tab folder form (rendered with ratatui's TestBackend), and in a
//! real terminal (tmux) the flow a support engineer follows: open a folder, fill the FTP tab, run
//! the test, read the verdict.

mod support;

use backroom::context::Context;
use backroom::tui::harness::Harness;
use support::TestEnv;
use support::ftp::FtpServer;
use support::tmux::Tmux;

fn admin_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_config("[operators]\ntester = \"admin\"\n");
    env
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn the_folder_form_has_four_tabs_checks_as_you_type_and_saves() {
    let env = admin_env();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "S1",
        "--db-host",
        "db.lan",
        "--db-password",
        "kept-db-secret",
    ]);
    rt().block_on(async {
        let mut h = Harness::new(Context::for_db(env.db()), 120, 40)
            .await
            .unwrap();
        h.press(&["4"]).await.unwrap();
        assert!(h.screen().contains("S1"), "{}", h.screen());
        h.press(&["e"]).await.unwrap();
        let screen = h.screen();
        for tab in ["Server", "DB server", "FTP server", "Till"] {
            assert!(screen.contains(tab), "{screen}");
        }
        // DB server tab: the port is checked as it is typed.
        h.press(&["pgdown", "tab", "tab"]).await.unwrap();
        h.type_text("70000").await.unwrap();
        assert!(
            h.screen().contains("port 70000 is out of range"),
            "{}",
            h.screen()
        );
        for _ in 0..5 {
            h.press(&["backspace"]).await.unwrap();
        }
        h.type_text("5433").await.unwrap();
        assert!(!h.screen().contains("out of range"), "{}", h.screen());
        // The password is never shown: an empty field keeps it.
        assert!(!h.screen().contains("kept-db-secret"));
        assert!(
            h.screen().contains("empty keeps the current password"),
            "{}",
            h.screen()
        );
        // FTP server tab: an empty target after {} is refused with its reason.
        h.press(&["pgdown", "tab", "tab"]).await.unwrap();
        h.type_text("ftp://files.lan{}").await.unwrap();
        assert!(
            h.screen().contains("empty target after {}"),
            "{}",
            h.screen()
        );
        h.type_text("store12/outbox").await.unwrap();
        h.press(&["tab"]).await.unwrap();
        h.type_text("store12").await.unwrap();
        h.press(&["tab"]).await.unwrap();
        h.type_text("new-ftp-secret").await.unwrap();
        assert!(!h.screen().contains("new-ftp-secret"));
        h.press(&["enter"]).await.unwrap();
        assert!(
            h.screen().contains("Saved POS folder S1."),
            "{}",
            h.screen()
        );
    });
    let json = env.json(&["pos", "folders", "show", "S1"]);
    assert_eq!(json["db"]["port"], 5433);
    assert_eq!(json["ftp"]["address"]["target"], "store12/outbox");
    assert_eq!(json["ftp"]["user"], "store12");
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let (db, ftp): (String, String) = conn
        .query_row(
            "SELECT db_password, ftp_password FROM pos_folders",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (db.as_str(), ftp.as_str()),
        ("kept-db-secret", "new-ftp-secret")
    );
}

#[test]
fn the_panes_warn_about_failed_tests_and_missing_tables() {
    let env = admin_env();
    env.ok(&["pos", "folders", "add", "S1"]);
    env.fails(5, &["pos", "test-ftp", "S1"]);
    env.ok(&[
        "sync",
        "tables",
        "add",
        "S1",
        "ZZZ",
        "--type",
        "full",
        "--direction",
        "server-to-till",
    ]);
    {
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        backroom::store::pos::record_table_check(
            &conn,
            1,
            &["art".into()],
            "2026-11-23T10:00:00.000Z",
        )
        .unwrap();
    }
    rt().block_on(async {
        let mut h = Harness::new(Context::for_db(env.db()), 140, 30)
            .await
            .unwrap();
        h.press(&["4"]).await.unwrap();
        let screen = h.screen();
        assert!(
            screen.contains("S1: FTP server test failed (not_configured)"),
            "{screen}"
        );
        h.press(&["5"]).await.unwrap();
        let screen = h.screen();
        assert!(
            screen.contains("table ZZZ (server → till) does not exist on the DB server"),
            "{screen}"
        );
        // Toggle the type from the pane.
        h.press(&["F"]).await.unwrap();
        assert!(
            h.screen()
                .contains("ZZZ (server → till) is now incremental."),
            "{}",
            h.screen()
        );
        // The folder's processes: one tab each; updates get their confirmation mode.
        h.press(&["4", "ctrl-p"]).await.unwrap();
        let screen = h.screen();
        assert!(
            screen.contains("Processes of S1") && screen.contains("import_updatecaisse"),
            "{screen}"
        );
        h.press(&["pgdown", "pgdown", "tab", "tab", "right", "right"])
            .await
            .unwrap();
        h.press(&["enter"]).await.unwrap();
        assert!(
            h.screen().contains("Saved the processes of S1."),
            "{}",
            h.screen()
        );
    });
    let procs = env.json(&["sync", "processes", "list", "S1"]);
    assert_eq!(procs[2]["confirm_mode"], "never");
    assert_eq!(procs[2]["schedule_secs"], 3600);
}

// ---- a real terminal ----

#[test]
fn in_a_real_terminal_fill_the_ftp_tab_run_the_test_and_read_the_verdict() {
    let server = FtpServer::start();
    server.mkdir("store12/outbox");
    let env = admin_env();
    env.ok(&[
        "pos",
        "folders",
        "add",
        "STORE12",
        "--administrator",
        "marie",
    ]);
    let binary = support::tmux::backroom_binary().display().to_string();
    let tui = Tmux::start(&env, &binary, &[]);
    tui.wait_for("Printers");
    tui.keys(&["4"]);
    tui.wait_for("STORE12");
    // Open the folder's form and go to the FTP server tab.
    tui.keys(&["e"]);
    tui.wait_for("Administrator");
    tui.keys(&["PageDown", "PageDown"]);
    tui.wait_for("Share folder");
    tui.keys(&["Tab", "Tab"]);
    tui.type_text(&server.address(Some("store12/outbox")));
    tui.keys(&["Tab"]);
    tui.type_text(&server.user);
    tui.keys(&["Tab"]);
    tui.type_text(&server.password);
    let screen = tui.screen();
    assert!(
        !screen.contains(&server.password),
        "the password is shown:\n{screen}"
    );
    tui.keys(&["Enter"]);
    tui.wait_for("Saved POS folder STORE12.");
    // Run the FTP test: test.txt is not there yet, and the verdict says where it looked.
    tui.keys(&["f"]);
    let screen = tui.wait_for("FTP server of STORE12: FAILED (test_file_missing)");
    assert!(
        screen.contains("looked for /store12/outbox/test.txt"),
        "{screen}"
    );
    // The folder's detail keeps the verdict with its time.
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("connection tests");
    assert!(screen.contains("test.txt is missing"), "{screen}");
    tui.keys(&["Escape"]);
    // Create it by hand, as the seed says, and test again.
    server.write("store12/outbox/test.txt", b"ok\n");
    tui.keys(&["f"]);
    let screen = tui.wait_for("FTP server of STORE12: ok");
    assert!(
        screen.contains("downloaded /store12/outbox/test.txt"),
        "{screen}"
    );
    assert!(!screen.contains(&server.password));
    tui.keys(&["q"]);
    // The verdicts are kept: the CLI shows the last one.
    let shown = env.ok(&["pos", "folders", "show", "STORE12"]);
    assert!(shown.contains("FTP server   ok"), "{shown}");
}

#[test]
fn a_row_key_pressed_before_the_pane_s_rows_arrive_runs_once_they_do() {
    let env = admin_env();
    env.ok(&["pos", "folders", "add", "S1"]);
    rt().block_on(async {
        let mut h = Harness::new(Context::for_db(env.db()), 120, 40)
            .await
            .unwrap();
        // "4" then "e" at once: the POS folders are still being read when "e" arrives.
        for k in ["4", "e"] {
            h.app
                .on_key(backroom::tui::key::KeyPress::parse(k).unwrap());
        }
        assert!(h.app.table().loading, "the pane's rows arrived too early");
        h.settle().await;
        h.draw().unwrap();
        let screen = h.screen();
        assert!(screen.contains("Administrator"), "{screen}");
        assert!(!screen.contains("No row is selected"), "{screen}");
    });
}

#[test]
fn a_running_connection_test_spins_in_the_status_line_until_its_verdict() {
    use backroom::pos::conntest::{ConnectionTest, Target, Verdict};
    use backroom::tui::event::Event;
    use backroom::tui::status::SPINNER;
    use backroom::worker::Notification;
    use backroom::worker::pos::Notification as Pos;
    let env = admin_env();
    env.ok(&["pos", "folders", "add", "S1"]);
    rt().block_on(async {
        let mut h = Harness::new(Context::for_db(env.db()), 120, 40)
            .await
            .unwrap();
        h.press(&["4"]).await.unwrap();
        let started = Pos::TestStarted {
            folder_id: 1,
            target: Target::Ftp,
        };
        h.app.handle(Event::Worker(Notification::Pos(started)));
        h.draw().unwrap();
        let status = |h: &Harness| h.lines().last().cloned().unwrap_or_default();
        let first = status(&h);
        let frame = SPINNER
            .iter()
            .position(|f| first.contains(&format!("{f} Testing the FTP server…")));
        assert!(frame.is_some(), "no spinner and label: {first}");
        // The spinner turns on the tick.
        h.app.handle(Event::Tick);
        h.settle().await;
        h.draw().unwrap();
        let next = SPINNER[(frame.unwrap_or(0) + 1) % SPINNER.len()];
        assert!(
            status(&h).contains(&format!("{next} Testing the FTP server…")),
            "{}",
            status(&h)
        );
        let test = ConnectionTest {
            id: 1,
            folder_id: 1,
            verdict: Verdict {
                target: Target::Ftp,
                ok: true,
                failure: None,
                message: "downloaded test.txt".into(),
                detail: None,
                elapsed_ms: 3,
            },
            tested_at: "2026-11-23 13:00:00".into(),
        };
        let tested = Pos::Tested {
            folder_code: "S1".into(),
            test,
        };
        h.app.handle(Event::Worker(Notification::Pos(tested)));
        h.settle().await;
        h.draw().unwrap();
        let last = status(&h);
        assert!(last.contains("FTP server of S1: ok"), "{last}");
        assert!(!last.contains("Testing"), "{last}");
        assert!(!SPINNER.iter().any(|f| last.contains(f)), "{last}");
    });
}
