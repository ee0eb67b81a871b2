//! Columns that fit the terminal: every pane drawn at 120×40, 80×24 and 60×20 keeps its ids whole
//! and its state column, says which columns it hides, marks cut cells with an ellipsis, scrolls
//! sideways with `<` / `>`; tabs collapse to their keys; popups wrap their long lines.

mod support;

use backroom::context::Context;
use backroom::tui::harness::Harness;
use support::TestEnv;
use support::tmux::{Tmux, backroom_binary};

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (60, 20)];
/// Every pane's key.
const KEYS: [&str; 8] = ["1", "2", "3", "4", "5", "6", "7", "8"];

const LONG_DOCUMENT: &str =
    "Invoice 2026-0042 for Imprimerie Martin et Fils, atelier de la Croix-Rousse";
const LONG_ERROR: &str = "ipp://192.168.10.20:631/printers/office-laser-second-floor: cannot connect: \
     Connection refused (os error 111) while sending the document, will retry later";

/// A store whose cells are as long as real ones: job 1000000, long documents and errors,
/// contacts with long names, e-mails and companies.
fn seeded() -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("backroom.db");
    backroom::store::open(&db).expect("open the store");
    let ctx = Context::for_db(db);
    let c = backroom::store::open(&ctx.db_path).expect("open");
    c.execute_batch(
        "INSERT INTO printers (name, provider, target, tray, is_default, created_at)
           VALUES ('office-laser-2', 'ipp', 'ipp://192.168.10.20:631/printers/office-laser-second-floor',
                   'tray-2', 1, '2026-11-20T09:00:00.000Z');
         INSERT INTO printers (name, provider, target, created_at)
           VALUES ('back', 'spool', '/srv/spool/back-office/printed-documents', '2026-11-20T09:00:00.000Z');
         INSERT INTO contacts (name, email, company, state, invited, created_at) VALUES
           ('Clara Weber', 'clara.weber@weber-design.de', 'Weber Design und Druck GmbH & Co. KG, Köln', 'active', 1, '2026-10-01T08:00:00.000Z'),
           ('Jean-Baptiste de La Fontaine-Marchand', 'jean-baptiste.delafontaine@imprimerie.fr', NULL, 'deactivated', 0, '2026-10-04T08:00:00.000Z');
         INSERT INTO pos_folders (code, administrator, db_host, db_port, db_name, db_user, db_password,
                                  ftp_address, ftp_user, ftp_password, ws_url, created_at)
           VALUES ('LYON-CROIX-ROUSSE-01', 'marie', '10.0.0.5', 5432, 'gestion', 'pos', 's3cretDBpass',
                   'ftp://10.0.0.6:21{}out/caisses/lyon', 'till', 's3cretFTPpass',
                   'https://pos.example/ws/caisse/lyon-croix-rousse', '2026-09-01T08:00:00.000Z');
         INSERT INTO sync_tables (folder_id, table_name, sync_type, direction) VALUES
           (1, 'ARTICLES_PROMOTIONS', 'incremental', 'server_to_till'),
           (1, 'T012', 'incremental', 'till_to_server');",
    )
    .expect("seed");
    c.execute(
        "INSERT INTO documents (kind, title, sha256, bytes, created_at)
           VALUES ('invoice', ?1, 'ab12', x'25504446', '2026-11-20T10:00:00.000Z')",
        [LONG_DOCUMENT],
    )
    .expect("document");
    for (id, state, error) in [
        (999_998, "succeeded", None),
        (999_999, "pending", Some(LONG_ERROR)),
        (1_000_000, "failed", Some(LONG_ERROR)),
    ] {
        c.execute(
            "INSERT INTO print_jobs (id, uuid, document_id, printer_id, state, attempts,
                                     next_attempt_at, last_error, created_at)
             VALUES (?1, ?2, 1, 1, ?3, 8, '2026-11-21T10:00:00.000Z', ?4, '2026-11-20T10:00:00.000Z')",
            rusqlite::params![id, format!("uuid-{id}"), state, error],
        )
        .expect("job");
    }
    (dir, ctx)
}

/// What must stay whole on each pane, whatever the width: its ids and its state column.
fn must_show(key: &str) -> &'static [&'static str] {
    match key {
        "1" => &["NAME", "office-laser-2", "ENABLED", "DEFAULT"],
        "2" => &["ID", "STATE", "1000000", "999999", "failed", "pending"],
        "3" => &[
            "EMAIL",
            "STATE",
            "clara.weber@weber-design.de",
            "jean-baptiste.delafontaine@imprimerie.fr",
            "deactivated",
        ],
        "4" => &["CODE", "LYON-CROIX-ROUSSE-01"],
        "5" => &["FOLDER", "TABLE", "ARTICLES_PROMOTIONS", "DIRECTION"],
        "6" => &["FOLDER", "LYON-CROIX-ROUSSE-01"],
        // Tills and Health have no rows in this store: their tab and title are checked.
        "7" => &["Tills ·"],
        _ => &["Health ·"],
    }
}

#[tokio::test]
async fn every_pane_keeps_ids_and_states_at_120_80_and_60_columns() {
    for (w, h) in SIZES {
        let (_dir, ctx) = seeded();
        let mut t = Harness::new(ctx, w, h).await.expect("harness");
        for key in KEYS {
            t.press(&[key]).await.expect("key");
            let screen = t.screen();
            for needle in must_show(key) {
                assert!(
                    screen.contains(needle),
                    "{w}×{h}, pane {key}: `{needle}` is cut or gone:\n{screen}"
                );
            }
            // Every pane's tab stays reachable: its key is on the tab line.
            let tabs = &t.lines()[1];
            for k in KEYS {
                assert!(tabs.contains(k), "{w}×{h}: tab {k} is gone: {tabs}");
            }
        }
    }
}

#[tokio::test]
async fn a_narrow_table_names_the_columns_it_hides_and_scrolls_sideways() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 60, 20).await.expect("harness");
    t.press(&["2"]).await.expect("jobs");
    let screen = t.screen();
    assert!(
        screen.contains("+4 hidden >"),
        "the hidden columns are named:\n{screen}"
    );
    assert!(
        !screen.contains("REMOTE"),
        "REMOTE is hidden at 60:\n{screen}"
    );
    // `>` brings the hidden columns in, one at a time; the id and the state stay.
    for _ in 0..8 {
        t.press(&[">"]).await.expect("right");
    }
    let screen = t.screen();
    assert!(screen.contains("REMOTE"), "> shows REMOTE:\n{screen}");
    for needle in ["ID", "STATE", "1000000", "failed"] {
        assert!(screen.contains(needle), "`{needle}` stays:\n{screen}");
    }
    assert!(
        screen.contains("hidden <"),
        "the title says < scrolls back:\n{screen}"
    );
    for _ in 0..8 {
        t.press(&["<"]).await.expect("left");
    }
    assert!(
        t.screen().contains("PRINTER"),
        "< scrolls back:\n{}",
        t.screen()
    );
    // Wider, the hidden columns are named.
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 80, 24).await.expect("harness");
    t.press(&["2"]).await.expect("jobs");
    assert!(
        t.screen().contains("2 columns hidden: next, remote · >"),
        "{}",
        t.screen()
    );
}

#[tokio::test]
async fn cut_cells_end_with_an_ellipsis_and_no_column_keeps_empty_cells() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 80, 24).await.expect("harness");
    t.press(&["3", "j"]).await.expect("contacts");
    let row = t
        .lines()
        .into_iter()
        .find(|l| l.contains("jean-baptiste.delafontaine@imprimerie.fr"))
        .expect("Jean-Baptiste's row");
    assert!(
        row.contains("Jean-Bapt") && row.contains('…'),
        "the long name is cut with an ellipsis: {row}"
    );
    // The whole name is readable on the bottom border for the selected row.
    assert!(
        t.screen()
            .contains("name: Jean-Baptiste de La Fontaine-Marchand"),
        "{}",
        t.screen()
    );
    // 200 columns: the contacts fit whole, nothing is cut.
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 200, 24).await.expect("harness");
    t.press(&["3"]).await.expect("contacts");
    let screen = t.screen();
    let rows: Vec<String> = t.lines().into_iter().filter(|l| l.contains('@')).collect();
    assert!(
        rows.iter().all(|r| !r.contains('…')),
        "nothing to cut at 200:\n{screen}"
    );
    assert!(
        !screen.contains("hidden"),
        "nothing hidden at 200:\n{screen}"
    );
}

#[tokio::test]
async fn the_header_keeps_the_worker_and_the_queue_in_sight_when_narrow() {
    // At 80 columns the header was cut at the right: `queue: 2 pri`.
    let mut headers = Vec::new();
    for (width, height) in SIZES {
        let (_dir, ctx) = seeded();
        let mut t = Harness::new(ctx, width, height).await.expect("harness");
        t.settle().await;
        headers.push(t.lines()[0].clone());
    }
    let [wide, medium, narrow] = &headers[..] else {
        unreachable!()
    };
    assert!(wide.contains("queue: 1 print, 0 till"), "{wide}");
    assert!(wide.contains("worker:"), "{wide}");
    assert!(medium.trim_end().ends_with("1 print, 0 till"), "{medium}");
    // At 60 the labels go too; what still does not fit is cut at the right.
    assert!(!narrow.contains("worker:"), "{narrow}");
    assert!(
        narrow.contains("not running (read-only) │ 1 print"),
        "{narrow}"
    );
}

#[tokio::test]
async fn tabs_collapse_to_their_keys_when_narrow() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 60, 20).await.expect("harness");
    t.press(&["6"]).await.expect("sync");
    let tabs = t.lines()[1].clone();
    assert!(
        tabs.contains("6 Sync"),
        "the active tab keeps its name: {tabs}"
    );
    assert!(!tabs.contains("Printers"), "the others collapse: {tabs}");
    let (_dir, ctx) = seeded();
    let t = Harness::new(ctx, 120, 40).await.expect("harness");
    assert!(t.lines()[1].contains("5 Sync tables"), "{}", t.lines()[1]);
}

#[tokio::test]
async fn detail_popups_wrap_long_lines() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 60, 20).await.expect("harness");
    t.press(&["2", "g", "enter"]).await.expect("detail");
    // The error's last words come on screen as the detail scrolls: the line wrapped, not cut.
    let mut seen = t.screen();
    for _ in 0..30 {
        t.press(&["j"]).await.expect("scroll");
        seen.push_str(&t.screen());
    }
    assert!(
        seen.contains("retry later") && seen.contains("Connection"),
        "the error wraps:\n{}",
        t.screen()
    );
}

/// The real binary in tmux, resized to each size: every pane keeps its pinned headers, the
/// contact's e-mail whole, and every tab's key.
#[test]
fn in_a_real_terminal_every_pane_fits_at_120_80_and_60_columns() {
    let env = TestEnv::new();
    let t = Tmux::start(
        &env,
        &format!("'{}' --demo", backroom_binary().display()),
        &[],
    );
    t.wait_for("Printers ·");
    let panes: [(&str, &str, &[&str]); 8] = [
        ("1", "Printers ·", &["NAME", "ENABLED", "DEFAULT"]),
        ("2", "Print jobs ·", &["ID", "STATE"]),
        (
            "3",
            "Contacts ·",
            &["EMAIL", "STATE", "clara.weber@weber-design.de"],
        ),
        ("4", "POS folders ·", &["CODE"]),
        ("5", "Sync tables ·", &["FOLDER", "TABLE", "DIRECTION"]),
        ("6", "Sync ·", &["FOLDER"]),
        ("7", "Tills ·", &[]),
        ("8", "Health ·", &[]),
    ];
    for (w, h) in SIZES {
        t.resize(w, h);
        for (key, title, needles) in panes {
            t.keys(&[key]);
            // Waits for the pane drawn at this width with its rows (the needles), else fails
            // showing the screen.
            let screen = t.wait_until(
                &format!("pane {key} drawn {w} wide with {needles:?}"),
                |s| {
                    s.contains(title)
                        && s.lines()
                            .any(|l| l.starts_with('└') && l.chars().count() == usize::from(w))
                        && needles.iter().all(|n| s.contains(n))
                },
            );
            for needle in needles {
                assert!(
                    screen.contains(needle),
                    "{w}×{h}, pane {key}: `{needle}` is cut or gone:\n{screen}"
                );
            }
            let tabs = screen.lines().nth(1).unwrap_or_default();
            for k in KEYS {
                assert!(tabs.contains(k), "{w}×{h}: tab {k} is gone: {tabs}");
            }
        }
    }
    t.keys(&["q"]);
}

#[tokio::test]
async fn the_help_wraps_in_aligned_columns_when_narrow() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 60, 20).await.expect("harness");
    t.press(&["3", "?"]).await.expect("help");
    let mut seen = t.screen();
    for _ in 0..12 {
        t.press(&["pgdown"]).await.expect("scroll");
        seen.push_str(&t.screen());
    }
    // Names never run into their descriptions, and long descriptions wrap instead of being cut.
    let line = seen
        .lines()
        .find(|l| l.contains("delete_identities"))
        .expect("delete_identities in the help");
    assert!(line.contains("delete_identities  "), "{line}");
    assert!(
        seen.contains("acceptance)"),
        "the last words wrapped:\n{seen}"
    );
}

/// At 80 columns a long description in the help goes on under its own text, not under the keys:
/// keys and names take 44 cells there, and the continuation started at column 2.
#[tokio::test]
async fn at_80_columns_the_help_wraps_under_the_text() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 80, 40).await.expect("harness");
    t.press(&["3", "?"]).await.expect("help");
    let mut seen = t.screen();
    for _ in 0..8 {
        t.press(&["pgdown"]).await.expect("scroll");
        seen.push('\n');
        seen.push_str(&t.screen());
    }
    let lines: Vec<&str> = seen.lines().collect();
    let (i, row) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("delete_identities"))
        .expect("delete_identities in the help");
    let text_at = row.find("delete_identities").unwrap() + "delete_identities".len();
    let next = lines[i + 1];
    let inner = next.trim_start_matches(['│', ' ']);
    let starts = next.len() - inner.len();
    assert!(
        starts >= text_at,
        "the continuation starts at byte {starts}, the text at {text_at}:\n{row}\n{next}"
    );
}
