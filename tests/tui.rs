//! The real binary in a real terminal (tmux, 120×40): switching panes by key and by the command
//! palette, filtering, help, the detail view, read-only mode, resizing, and the terminal given back
//! intact after quitting and after a panic.

mod support;

use support::TestEnv;
use support::tmux::{Tmux, backroom_binary};

/// Runs backroom with `args`, then prints its exit status and the terminal's line discipline and
/// waits for enter, so the test can look at the terminal backroom left behind.
fn console(env: &TestEnv, args: &str, extra: &[(&str, &str)]) -> Tmux {
    let bin = backroom_binary();
    let script = format!(
        "'{}' {args}; s=$?; echo \"backroom exited with $s\"; \
         echo \"tty: $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' ')\"; read _; exit $s",
        bin.display()
    );
    Tmux::start(env, &script, extra)
}

/// After backroom exits: main screen, mouse reporting off, cursor shown, cooked mode.
fn assert_terminal_restored(t: &Tmux, screen: &str) {
    assert_eq!(
        t.format("#{alternate_on}"),
        "0",
        "still on the alternate screen:\n{screen}"
    );
    assert_eq!(
        t.format("#{mouse_any_flag}"),
        "0",
        "mouse reporting left on"
    );
    assert_eq!(
        t.format("#{mouse_button_flag}"),
        "0",
        "mouse reporting left on"
    );
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor left hidden");
    assert!(
        screen.contains("tty: icanon echo"),
        "raw mode left on:\n{screen}"
    );
}

#[test]
fn the_demo_console_switches_panes_filters_shows_help_and_quits_cleanly() {
    let env = TestEnv::new();
    let t = console(&env, "--demo", &[]);
    t.wait_for("Printers ·");
    let screen = t.wait_for("queue: ");
    // Personal mode: the owner of the database is its admin, whatever $USER says.
    assert!(
        screen.contains("personal · ") && screen.contains("(admin)"),
        "{screen}"
    );
    assert!(screen.contains("worker: "), "{screen}");
    assert!(screen.contains("queue: "), "{screen}");
    for tab in [
        "Printers",
        "Print jobs",
        "Contacts",
        "POS folders",
        "Sync tables",
    ] {
        assert!(
            screen.lines().nth(1).unwrap_or("").contains(tab),
            "tab {tab}:\n{screen}"
        );
    }

    // By key.
    t.keys(&["2"]);
    t.wait_for("Print jobs ·");
    t.keys(&["3"]);
    t.wait_for("Contacts ·");
    t.keys(&["Tab"]);
    t.wait_for("POS folders ·");

    // By the command palette, typed and completed.
    t.keys(&[":"]);
    t.type_text("tables");
    t.keys(&["Enter"]);
    t.wait_for("Sync tables ·");
    t.keys(&[":"]);
    t.type_text("sync");
    t.keys(&["Enter"]);
    t.wait_for("Sync ·");
    t.keys(&[":"]);
    t.type_text("jo");
    t.keys(&["Tab"]);
    t.wait_for(":jobs");
    t.keys(&["Enter"]);
    t.wait_for("Print jobs ·");

    // A field filter, then a mistake explained, then esc puts the previous filter back.
    t.keys(&["/"]);
    t.type_text("state:failed");
    t.keys(&["Enter"]);
    t.wait_for("filter: state:failed");
    t.keys(&["/", "C-u"]);
    t.type_text("colour:red");
    let screen = t.wait_for("unknown filter field `colour`");
    assert!(screen.contains("state, printer"), "{screen}");
    t.keys(&["Escape"]);
    t.wait_for("filter: state:failed");

    // Help from the active keymap.
    t.keys(&["?"]);
    let screen = t.wait_for("Keys (keymap default)");
    assert!(screen.contains("Quit backroom"), "{screen}");
    assert!(screen.contains("sort_next"), "{screen}");
    t.keys(&["Escape"]);
    t.wait_gone("Keys (keymap default)");

    // Resizing redraws at the new size.
    t.resize(90, 30);
    let screen = t.wait_until("the table redrawn 90 columns wide", |s| {
        s.contains("Print jobs ·")
            && s.lines()
                .any(|l| l.starts_with('└') && l.chars().count() == 90)
    });
    let widest = screen.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 90, "not redrawn at 90 columns:\n{screen}");
    assert!(screen.contains("Print jobs ·"), "{screen}");

    t.keys(&["q"]);
    let out = t.wait_output("tty: ");
    assert!(out.contains("backroom exited with 0"), "{out}");
    assert_terminal_restored(&t, &out);
}

#[test]
fn rows_of_the_database_are_listed_filtered_and_detailed() {
    let env = TestEnv::new();
    {
        let conn = backroom::store::open(&env.db()).expect("open the store");
        conn.execute_batch(
            "INSERT INTO printers (name, provider, target, is_default, created_at)
               VALUES ('front-desk', 'ipp', 'ipp://127.0.0.1:631/ipp/print', 1, '2026-11-20T09:00:00.000Z');
             INSERT INTO printers (name, provider, target, created_at)
               VALUES ('back-office', 'spool', '/srv/spool', '2026-11-20T09:00:00.000Z');
             INSERT INTO documents (kind, title, sha256, bytes, created_at)
               VALUES ('invoice', 'Invoice 2026-0042', 'ab12', x'25504446', '2026-11-20T10:00:00.000Z');
             INSERT INTO print_jobs (uuid, document_id, printer_id, state, attempts, next_attempt_at, last_error, created_at)
               VALUES ('j1', 1, 1, 'failed', 8, '2026-11-20T10:00:00.000Z', 'connection refused', '2026-11-20T10:00:00.000Z'),
                      ('j2', 1, 2, 'succeeded', 1, '2026-11-20T10:05:00.000Z', NULL, '2026-11-20T10:05:00.000Z');
             INSERT INTO print_attempts (job_id, started_at, outcome, error, worker)
               VALUES (1, '2026-11-20T10:00:01.000Z', 'retryable', 'connection refused', 'store:1'),
                      (1, '2026-11-20T10:00:09.000Z', 'permanent', 'connection refused', 'store:1');",
        )
        .expect("seed");
    }
    let t = console(&env, "", &[]);
    let screen = t.wait_for("front-desk");
    assert!(screen.contains("back-office"), "{screen}");
    assert!(!screen.contains("No default printer"), "{screen}");

    t.keys(&["2"]);
    let screen = t.wait_for("Print jobs · 2 rows");
    assert!(screen.contains("Invoice 2026-0042"), "{screen}");

    t.keys(&["/"]);
    t.type_text("printer:front");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Print jobs · 1 row ");
    assert!(
        screen.contains("front-desk") && screen.contains("failed"),
        "{screen}"
    );
    assert!(!screen.contains("back-office"), "{screen}");

    t.keys(&["Enter"]);
    let screen = t.wait_for("print job 1");
    assert!(screen.contains("attempts (2)"), "{screen}");
    assert!(screen.contains("permanent"), "{screen}");
    t.keys(&["Escape"]);
    t.wait_gone("print job 1");

    t.keys(&["q"]);
    t.wait_output("backroom exited with 0");
}

#[test]
fn read_only_mode_shows_a_badge_runs_no_worker_and_cannot_be_lifted_from_inside() {
    let env = TestEnv::new();
    let t = console(&env, "--demo --read-only", &[]);
    t.wait_for("READ-ONLY");
    t.wait_for("worker: not running (read-only)");
    t.keys(&[":"]);
    t.type_text("readonly");
    t.keys(&["Enter"]);
    t.wait_for("Read-only stays on");
    // Still read-only: deleting a contact is refused, nothing is asked.
    t.keys(&["3"]);
    t.wait_for("clara.weber@weber-design.de");
    t.keys(&["d"]);
    t.wait_for("is refused: backroom runs read-only");
    assert!(t.screen().contains("READ-ONLY"), "{}", t.screen());
    t.keys(&["C-c"]);
    t.wait_output("backroom exited with 0");
}

#[test]
fn a_panic_restores_the_terminal_and_its_message_is_readable() {
    let env = TestEnv::new();
    let t = console(&env, "--demo", &[("BACKROOM_TEST_PANIC", "1")]);
    let screen = t.wait_output("tty: ");
    assert!(screen.contains("backroom exited with 101"), "{screen}");
    assert!(screen.contains("panicked at"), "{screen}");
    assert!(screen.contains("BACKROOM_TEST_PANIC is set"), "{screen}");
    assert_terminal_restored(&t, &screen);
}

#[test]
fn a_bad_user_keymap_is_named_in_the_status_line_and_the_defaults_still_work() {
    let env = TestEnv::new();
    let dir = env.path().join("config/backroom/keymaps");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("default.toml"),
        "[list]\nprepend_keymap = [{ on = [\"ctrl-foo\"], run = \"down\" }]\n",
    )
    .unwrap();
    let themes = env.path().join("config/backroom/themes");
    std::fs::create_dir_all(&themes).unwrap();
    std::fs::write(
        themes.join("mine.toml"),
        "[tabs]\nactive = \"light-magenta\"\n",
    )
    .unwrap();
    env.write_config("[ui]\ntheme = \"mine\"\n");
    let t = console(&env, "--demo", &[]);
    let screen = t.wait_for("keymaps/default.toml: [list] prepend_keymap[0].on");
    assert!(screen.contains("found \"ctrl-foo\""), "{screen}");
    assert!(screen.contains("(defaults used)"), "{screen}");
    t.keys(&["2"]);
    t.wait_for("Print jobs ·");
    t.keys(&["q"]);
    t.wait_output("backroom exited with 0");
}

/// `:theme` and `:keymap` take a name, not a path: `../x` read any TOML file the process could
/// read (in the daemon, the service account's files) and laid it over the look.
#[test]
fn a_theme_or_keymap_name_is_not_a_path() {
    let env = TestEnv::new();
    let config = env.path().join("config/backroom");
    std::fs::create_dir_all(config.join("themes")).unwrap();
    std::fs::write(
        config.join("elsewhere.toml"),
        "[tabs]\nactive = \"light-magenta\"\n",
    )
    .unwrap();
    std::fs::write(
        config.join("themes/solarized.dark.toml"),
        "[tabs]\nactive = \"light-magenta\"\n",
    )
    .unwrap();
    let t = console(&env, "--demo", &[]);
    t.wait_for("Print jobs");
    // A dot inside a name is a name.
    t.keys(&[":", "theme solarized.dark", "Enter"]);
    let screen = t.wait_for("Theme solarized.dark.");
    assert!(!screen.contains("not a path"), "{screen}");
    t.keys(&[":", "theme ../elsewhere", "Enter"]);
    let screen = t.wait_for("a theme name (the file's name in themes without .toml, not a path)");
    assert!(screen.contains("../elsewhere"), "{screen}");
    t.keys(&[":", "keymap ../themes/x", "Enter"]);
    t.wait_for("a keymap name (the file's name in keymaps without .toml, not a path)");
    t.keys(&["q"]);
    t.wait_output("backroom exited with 0");
}

/// The Sync and Health panes give times in local time, as every other table: the Sync pane
/// showed the last export and the queue's oldest item in UTC (an hour off in Paris in winter),
/// and Health its last check with a `Z`.
#[test]
fn the_sync_pane_shows_local_times() {
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute_batch(
            "INSERT INTO pos_folders (code, created_at) VALUES ('LYON01', '2026-11-20T08:00:00.000Z');
             INSERT INTO sync_exports (folder_id, batch, kind, from_seq, to_seq, rows, bytes, sha256, file, exported_at)
               VALUES (1, 3, 'incremental', 10, 42, 1250, 90000, 'ab', 'batch-000000003.brb', '2026-11-23T09:15:00.000Z');
             INSERT INTO till_queue (uuid, folder, kind, payload, created_at)
               VALUES ('u1', 'LYON01', 'ticket', '{}', '2026-11-23T08:30:00.000Z');",
        )
        .unwrap();
    let paris = "CET-1CEST,M3.5.0,M10.5.0/3";
    let db = env.db().display().to_string();
    let t = console(&env, &format!("--db '{db}'"), &[("TZ", paris)]);
    t.wait_for("Printers");
    t.keys(&["6"]);
    let screen = t.wait_for("LYON01");
    assert!(screen.contains("2026-11-23 10:15"), "{screen}");
    assert!(screen.contains("1 since 09:30"), "{screen}");
    t.keys(&["q"]);
    t.wait_output("backroom exited with 0");
}

/// The personal console audits its changes in the user's own store, as the CLI does: a change
/// made in it was in no audit log, though the Audit pane says it holds every change.
#[test]
fn a_change_in_the_personal_console_is_audited() {
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    let db = env.db().display().to_string();
    let t = console(&env, &format!("--db '{db}'"), &[]);
    t.wait_for("Printers");
    t.keys(&["P"]);
    t.wait_for("Printing is switched off");
    t.keys(&["q"]);
    t.wait_output("backroom exited with 0");
    let entries = env.json(&["audit", "list"]);
    let toggled = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "printers.toggle-printing")
        .cloned()
        .unwrap_or_default();
    assert_eq!(toggled["outcome"], "ok", "{entries}");
}
