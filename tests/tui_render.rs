//! The TUI drawn into ratatui's `TestBackend`: every pane on a seeded database, every popup,
//! filtering, sorting, keyset scrolling, the palette, marks, the mouse, `NO_COLOR`; and every
//! shipped theme and keymap parsed, with one fixture per kind of mistake in a user's file.

mod support;

use std::path::Path;

use backroom::context::Context;
use backroom::tui::action::{Action, Section};
use backroom::tui::effect::Effect;
use backroom::tui::event::Event;
use backroom::tui::harness::Harness;
use backroom::tui::keymap::{self, Keymap};
use backroom::tui::panes::Pane;
use backroom::tui::panes::table::WINDOW_HALF;
use backroom::tui::popups::{Field, Form, Review};
use backroom::tui::theme::{self, Theme};
use ratatui::crossterm::event::{
    Event as TermEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::style::Color;
use rusqlite::Connection;

const W: u16 = 120;
const H: u16 = 40;

/// A fresh, migrated database in a temp dir, and a context on it.
fn fresh() -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("backroom.db");
    backroom::store::open(&db).expect("open the store");
    (dir, Context::for_db(db))
}

fn conn(ctx: &Context) -> Connection {
    backroom::store::open(&ctx.db_path).expect("open the store")
}

/// Two printers, `jobs` print jobs (every 4th failed on `front`), attempts for job 1,
/// four contacts (one per state), a POS folder with secrets and three sync tables.
fn seeded(jobs: usize) -> (tempfile::TempDir, Context) {
    let (dir, ctx) = fresh();
    let c = conn(&ctx);
    c.execute_batch(
        "INSERT INTO printers (name, provider, target, tray, is_default, created_at)
           VALUES ('front', 'ipp', 'ipp://127.0.0.1:8631/ipp/print', 'tray-2', 1, '2026-11-20T09:00:00.000Z');
         INSERT INTO printers (name, provider, target, created_at)
           VALUES ('back', 'spool', '/srv/spool', '2026-11-20T09:00:00.000Z');
         INSERT INTO documents (kind, title, sha256, bytes, created_at)
           VALUES ('invoice', 'Invoice 2026-0042', 'ab12', x'25504446', '2026-11-20T10:00:00.000Z');
         INSERT INTO contacts (name, email, company, state, invited, created_at) VALUES
           ('Alice Martin', 'alice@example.org', 'Imprimerie Martin', 'active', 1, '2026-10-01T08:00:00.000Z'),
           ('Bruno Keller', 'bruno@example.org', NULL, 'inactive', 1, '2026-10-02T08:00:00.000Z'),
           ('Chloé Petit', 'chloe@example.org', 'Petit SARL', 'not_registered', 0, '2026-10-03T08:00:00.000Z'),
           ('Dieter Braun', 'dieter@example.org', NULL, 'deactivated', 0, '2026-10-04T08:00:00.000Z');
         INSERT INTO pos_folders (code, administrator, db_host, db_port, db_name, db_user, db_password,
                                  ftp_address, ftp_user, ftp_password, ws_url, created_at)
           VALUES ('LYON01', 'marie', '10.0.0.5', 5432, 'gestion', 'pos', 's3cretDBpass',
                   'ftp://10.0.0.6:21{}out', 'till', 's3cretFTPpass', 'https://pos.example/ws', '2026-09-01T08:00:00.000Z');
         INSERT INTO sync_tables (folder_id, table_name, sync_type, direction) VALUES
           (1, 'ART', 'incremental', 'server_to_till'),
           (1, 'CLI', 'full', 'server_to_till'),
           (1, 'T012', 'incremental', 'till_to_server');",
    )
    .expect("seed");
    let tx = c.unchecked_transaction().expect("tx");
    for i in 1..=jobs {
        let failed = i % 4 == 0;
        tx.execute(
            "INSERT INTO print_jobs (uuid, document_id, printer_id, state, attempts, next_attempt_at,
                                     last_error, created_at)
             VALUES (?1, 1, ?2, ?3, ?4, '2026-11-21T10:00:00.000Z', ?5, ?6)",
            rusqlite::params![
                format!("uuid-{i}"),
                if failed { 1 } else { 2 },
                if failed { "failed" } else { "succeeded" },
                if failed { 8 } else { 1 },
                if failed { Some("connection refused") } else { None },
                format!("2026-11-20T10:{:02}:{:02}.{:03}Z", (i / 60) % 60, i % 60, i / 3600),
            ],
        )
        .expect("job");
    }
    if jobs > 0 {
        tx.execute_batch(
            "INSERT INTO print_attempts (job_id, started_at, outcome, error, worker) VALUES
           (1, '2026-11-20T10:00:01.000Z', 'retryable', 'server-error-busy', 'store:1'),
           (1, '2026-11-20T10:00:09.000Z', 'accepted', NULL, 'store:1');",
        )
        .expect("attempts");
    }
    tx.commit().expect("commit");
    (dir, ctx)
}

async fn harness(ctx: Context) -> Harness {
    Harness::new(ctx, W, H).await.expect("harness")
}

fn has(h: &Harness, needle: &str) -> bool {
    h.screen().contains(needle)
}

#[track_caller]
fn assert_shows(h: &Harness, needle: &str) {
    assert!(
        has(h, needle),
        "expected `{needle}` on screen:\n{}",
        h.screen()
    );
}

#[track_caller]
fn assert_hides(h: &Harness, needle: &str) {
    assert!(
        !has(h, needle),
        "did not expect `{needle}` on screen:\n{}",
        h.screen()
    );
}

#[tokio::test]
async fn every_pane_shows_its_seeded_rows_with_column_headers() {
    let (_dir, ctx) = seeded(12);
    let mut h = harness(ctx).await;
    assert_shows(&h, "Printers · 2 rows · by name ↑");
    assert_shows(&h, "NAME ↑");
    assert_shows(&h, "ipp://127.0.0.1:8631/ipp/print");
    assert_shows(&h, "tray-2");
    assert_hides(&h, "No default printer");

    h.press(&["2"]).await.unwrap();
    assert_shows(&h, "Print jobs · 12 rows · by created ↓");
    for col in [
        "ID",
        "CREATED ↓",
        "STATE",
        "PRINTER",
        "DOCUMENT",
        "ATTEMPTS",
    ] {
        assert_shows(&h, col);
    }
    assert_shows(&h, "Invoice 2026-0042");
    assert_shows(&h, "8/8");

    h.press(&["3"]).await.unwrap();
    assert_shows(&h, "Contacts · 4 rows");
    assert_shows(&h, "alice@example.org");
    assert_shows(&h, "not registered");
    assert_shows(&h, "Chloé Petit");

    h.press(&["4"]).await.unwrap();
    assert_shows(&h, "POS folders · 1 row ");
    assert_shows(&h, "LYON01");
    assert_shows(&h, "postgresql pos@10.0.0.5:5432/gestion");
    assert_hides(&h, "s3cret");

    h.press(&["5"]).await.unwrap();
    assert_shows(&h, "Sync tables · 3 rows");
    assert_shows(&h, "server → till");
    assert_shows(&h, "till → server");
    assert_shows(&h, "T012");
}

#[tokio::test]
async fn the_header_names_the_store_operator_worker_and_queue() {
    let (_dir, mut ctx) = seeded(0);
    ctx.config.store.name = "Boutique Lyon Centre".into();
    {
        let c = conn(&ctx);
        c.execute_batch(
            "INSERT INTO print_jobs (uuid, document_id, state, next_attempt_at, created_at)
               VALUES ('p1', 1, 'pending', '2026-11-21T10:00:00.000Z', '2026-11-21T10:00:00.000Z'),
                      ('p2', 1, 'sending', '2026-11-21T10:00:00.000Z', '2026-11-21T10:00:00.000Z');
             INSERT INTO till_queue (uuid, folder, kind, payload, created_at)
               VALUES ('t1', 'STORE12', 'ticket', '{}', '2026-11-21T10:00:00.000Z');
             INSERT INTO till_queue (uuid, folder, kind, payload, created_at, acked_at)
               VALUES ('t0', 'STORE12', 'ticket', '{}', '2026-11-21T09:00:00.000Z', '2026-11-21T09:00:01.000Z');",
        )
        .unwrap();
    }
    let mut h = harness(ctx).await;
    let header = &h.lines()[0];
    assert!(header.contains("Boutique Lyon Centre"), "{header}");
    assert!(header.contains("test (admin)"), "{header}");
    assert!(header.contains("worker: not running"), "{header}");
    assert!(header.contains("queue: 2 print, 1 till"), "{header}");
    assert!(!header.contains("READ-ONLY"), "{header}");
    h.app.read_only_on();
    h.draw().unwrap();
    assert!(h.lines()[0].contains("READ-ONLY"), "{}", h.lines()[0]);
}

#[tokio::test]
async fn the_printers_pane_says_loudly_when_nothing_can_print() {
    let (_dir, ctx) = fresh();
    let h = harness(ctx.clone()).await;
    assert_shows(&h, "No printer is configured");
    assert_shows(&h, "No printer configured yet");

    let c = conn(&ctx);
    c.execute_batch(
        "INSERT INTO printers (name, provider, target, created_at)
           VALUES ('lonely', 'spool', '/tmp', '2026-11-20T09:00:00.000Z');
         INSERT INTO settings (key, value) VALUES ('printing.enabled', 'false');",
    )
    .unwrap();
    let h = harness(ctx).await;
    assert_shows(&h, "No default printer");
    assert_shows(&h, "Printing is switched off");
    assert_shows(&h, "backroom printers enable");
    assert_shows(&h, "lonely");
}

#[tokio::test]
async fn scrolling_reads_windows_around_the_cursor_never_the_whole_table() {
    let rows = 1000;
    let (_dir, ctx) = seeded(rows);
    let mut h = harness(ctx).await;
    h.press(&["2"]).await.unwrap();
    assert_shows(&h, "Print jobs · 1,000 rows");
    let loaded = h.app.table().window.rows.len();
    assert!(
        loaded <= WINDOW_HALF + 1,
        "the first window holds {loaded} rows"
    );
    assert_eq!(h.app.table().selected_row().unwrap().id, 1000);

    h.press(&["G"]).await.unwrap();
    assert_eq!(h.app.table().selected_row().unwrap().id, 1);
    let last_line = &h.lines()[H as usize - 3];
    assert!(
        last_line.contains(" 1 "),
        "the last row is drawn last: {last_line}"
    );

    h.press(&["g"]).await.unwrap();
    assert_eq!(h.app.table().selected_row().unwrap().id, 1000);

    // Walk down far past the first window: each step stays exact.
    for _ in 0..10 {
        h.press(&["pgdown"]).await.unwrap();
    }
    let page = h.app.table().height;
    let id = h.app.table().selected_row().unwrap().id;
    assert_eq!(id, 1000 - (10 * page) as i64, "page {page}");
    assert!(h.app.table().window.rows.len() <= 2 * WINDOW_HALF);
    for _ in 0..5 {
        h.press(&["j"]).await.unwrap();
    }
    h.press(&["k"]).await.unwrap();
    assert_eq!(h.app.table().selected_row().unwrap().id, id - 4);
    assert_shows(&h, &format!(" {} ", id - 4));

    // Keys typed faster than the windows arrive all count.
    let j = backroom::tui::key::KeyPress::parse("j").unwrap();
    let before = h.app.table().selected_row().unwrap().id;
    for _ in 0..150 {
        h.app.on_key(j);
    }
    h.settle().await;
    for _ in 0..50 {
        h.app.on_key(j);
    }
    h.settle().await;
    assert_eq!(h.app.table().selected_row().unwrap().id, before - 200);
}

#[tokio::test]
async fn sorting_cycles_columns_and_reverses() {
    let (_dir, ctx) = seeded(8);
    let mut h = harness(ctx).await;
    h.press(&["2"]).await.unwrap();
    assert_shows(&h, "by created ↓");
    h.press(&["s"]).await.unwrap();
    assert_shows(&h, "by state ↑");
    assert_shows(&h, "STATE ↑");
    assert_eq!(h.app.table().selected_row().unwrap().cells[2], "failed");
    h.press(&["S"]).await.unwrap();
    assert_shows(&h, "by state ↓");
    assert_eq!(h.app.table().selected_row().unwrap().cells[2], "succeeded");
    h.press(&[":"]).await.unwrap();
    h.type_text("sort attempts desc").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert_shows(&h, "by attempts ↓");
    assert_eq!(h.app.table().selected_row().unwrap().cells[5], "8/8");
}

#[tokio::test]
async fn the_filter_takes_words_and_fields_and_explains_mistakes() {
    let (_dir, ctx) = seeded(40);
    let mut h = harness(ctx).await;
    h.press(&["2", "/"]).await.unwrap();
    h.type_text("state:failed printer:fro").await.unwrap();
    assert_shows(&h, "/state:failed printer:fro");
    assert_shows(
        &h,
        "Print jobs · 10 rows · filter: state:failed printer:fro",
    );
    h.press(&["enter"]).await.unwrap();
    assert_hides(&h, "succeeded");
    // The error column is as wide as its content: shown whole, nothing on the bottom border.
    assert_shows(&h, "8/8                  connection refused");
    assert_hides(&h, "└ error: connection refused ─");

    h.press(&["/", "ctrl-u"]).await.unwrap();
    h.type_text("colour:red").await.unwrap();
    assert_shows(
        &h,
        "unknown filter field `colour`: this pane filters on id, created, state, printer",
    );
    // Enter on a mistake keeps the bar and the explanation (it applied `colour`, a word).
    h.press(&["enter"]).await.unwrap();
    assert_shows(&h, "/colour:red");
    assert_shows(&h, "unknown filter field `colour`");
    h.press(&["esc"]).await.unwrap();
    assert_shows(&h, "filter: state:failed printer:fro");

    h.press(&["/", "ctrl-u"]).await.unwrap();
    h.type_text("nothing-like-this").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert_shows(
        &h,
        "No print jobs match `nothing-like-this` (esc clears the filter)",
    );
    h.press(&["esc"]).await.unwrap();
    assert_shows(&h, "Print jobs · 40 rows · by created");
    assert_shows(&h, "Filter cleared.");
}

#[tokio::test]
async fn the_detail_view_shows_the_row_and_its_related_rows_with_secrets_masked() {
    let (_dir, ctx) = seeded(3);
    let mut h = harness(ctx).await;
    h.press(&["2", "G", "enter"]).await.unwrap();
    assert_shows(&h, "print job 1");
    assert_shows(&h, "uuid  uuid-1");
    assert_shows(&h, "attempts (2)");
    assert_shows(&h, "server-error-busy");
    assert_shows(&h, "esc Close");
    h.press(&["esc"]).await.unwrap();
    assert_hides(&h, "print job 1");

    h.press(&["4", "enter"]).await.unwrap();
    assert_shows(&h, "POS folder 1");
    assert_shows(&h, "db password  ••••••ss");
    assert_hides(&h, "s3cret");
    assert_shows(&h, "sync tables (3)");
    h.press(&["q"]).await.unwrap();
    assert!(!h.app.quit, "q closes the popup first");
    assert!(h.app.popups.is_empty());
}

#[tokio::test]
async fn help_is_generated_from_the_active_keymap() {
    let (_dir, ctx) = fresh();
    let mut h = harness(ctx).await;
    h.press(&["?"]).await.unwrap();
    assert_shows(&h, "Keys (keymap default)");
    assert_shows(&h, "Everywhere [global]");
    // Aligned columns: every description starts at the same cell.
    let at = |text: &str| {
        h.lines()
            .iter()
            .find_map(|l| l.find(text).map(|i| l[..i].chars().count()))
            .unwrap_or_else(|| panic!("`{text}` on screen:\n{}", h.screen()))
    };
    assert_eq!(at("Quit backroom"), at("Show this help"));
    assert_eq!(at("Quit backroom"), at("Move one page down"));
    assert_shows(&h, "down j");
    assert_shows(&h, "Printers [printers]");
    h.press(&["G"]).await.unwrap();
    assert_shows(&h, "Fixed keys");
    h.press(&["esc"]).await.unwrap();
    assert!(h.app.popups.is_empty());

    h.app.switch_keymap("emacs");
    h.settle().await;
    h.press(&["f1"]).await.unwrap();
    assert_shows(&h, "Keys (keymap emacs)");
    assert_shows(&h, "ctrl-n down");
}

#[tokio::test]
async fn the_palette_completes_remembers_and_switches_theme_and_panes() {
    let (_dir, ctx) = fresh();
    let mut h = harness(ctx).await;
    h.press(&[":"]).await.unwrap();
    h.type_text("th").await.unwrap();
    h.press(&["tab"]).await.unwrap();
    assert_shows(&h, ":theme");
    // The command took its space: tab goes on with the argument.
    h.type_text("l").await.unwrap();
    h.press(&["tab"]).await.unwrap();
    assert_shows(&h, ":theme light");
    h.press(&["enter"]).await.unwrap();
    assert_eq!(h.app.theme.name, "light");
    assert_shows(&h, "Theme light.");

    // Filter fields and state values complete too.
    h.press(&[":"]).await.unwrap();
    h.type_text("jobs").await.unwrap();
    h.press(&["enter", ":"]).await.unwrap();
    h.type_text("filter sta").await.unwrap();
    h.press(&["tab"]).await.unwrap();
    assert_shows(&h, ":filter state:");
    h.type_text("fa").await.unwrap();
    h.press(&["tab"]).await.unwrap();
    assert_shows(&h, ":filter state:failed");
    h.press(&["esc"]).await.unwrap();

    h.press(&[":"]).await.unwrap();
    h.type_text("contacts").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert_eq!(h.app.active, Pane::Contacts);

    h.press(&[":", "up"]).await.unwrap();
    assert_shows(&h, ":contacts");
    h.press(&["up", "up"]).await.unwrap();
    assert_shows(&h, ":theme light");
    h.press(&["esc", ":"]).await.unwrap();
    h.type_text("frobnicate").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert_shows(&h, "unknown command `:frobnicate`");

    h.press(&[":"]).await.unwrap();
    h.type_text("theme no-such-theme").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert_shows(&h, "a theme called no-such-theme");
    assert_eq!(h.app.theme.name, "dark");

    h.press(&[":"]).await.unwrap();
    h.type_text("quit").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert!(h.app.quit);
}

#[tokio::test]
async fn a_destructive_action_waits_for_confirmation_then_runs_off_the_loop_and_reloads() {
    let (_dir, ctx) = seeded(6);
    let mut h = harness(ctx.clone()).await;
    h.press(&["2", "space", "space"]).await.unwrap();
    assert_shows(&h, "· 2 marked");
    let ids: Vec<i64> = h.app.table().marked.iter().copied().collect();
    let delete = |ids: Vec<i64>| {
        Effect::confirm(
            "Delete print jobs",
            vec![format!(
                "{} print jobs will be deleted. This cannot be undone.",
                ids.len()
            )],
            format!("Delete {} jobs", ids.len()),
            Effect::db("Deleting print jobs", move |conn| {
                let tx = conn.transaction()?;
                for id in &ids {
                    tx.execute("DELETE FROM print_jobs WHERE id = ?1", [id])?;
                }
                tx.commit()?;
                Ok(format!("Deleted {} print jobs.", ids.len()))
            }),
        )
    };
    h.app.apply(delete(ids.clone()));
    h.draw().unwrap();
    assert_shows(&h, "Delete print jobs");
    assert_shows(&h, "This cannot be undone.");
    assert_shows(&h, "y Delete 2 jobs");
    h.press(&["n"]).await.unwrap();
    assert_shows(&h, "Print jobs · 6 rows");

    h.app.apply(delete(ids));
    h.press(&["y"]).await.unwrap();
    assert_shows(&h, "Deleted 2 print jobs.");
    assert_shows(&h, "Print jobs · 4 rows");
    let left: i64 = conn(&ctx)
        .query_row("SELECT COUNT(*) FROM print_jobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 4);

    // A failing action shows its error with context, and changes nothing.
    h.app.apply(Effect::db("Breaking things", |conn| {
        conn.execute("DELETE FROM no_such_table", [])?;
        Ok("unreachable".into())
    }));
    h.settle().await;
    h.draw().unwrap();
    assert_shows(&h, "Breaking things: no such table: no_such_table");
}

#[tokio::test]
async fn a_form_masks_secrets_validates_where_typed_and_submits_values() {
    let (_dir, ctx) = fresh();
    let mut h = harness(ctx).await;
    let form = Form::new("Add printer")
        .tab("Printer")
        .field(Field::text("name", "Name").required())
        .field(Field::choice(
            "provider",
            "Provider",
            &["ipp", "raw", "printnode", "spool"],
        ))
        .field(Field::text("port", "Port").value("631").validate(|v| {
            v.parse::<u16>()
                .map(|_| ())
                .map_err(|_| format!("{v:?} is not a port (1-65535)"))
        }))
        .tab("Login")
        .field(Field::secret("key", "API key").hint("empty keeps the current key"))
        .on_submit(|v| {
            Effect::info(format!(
                "name={} provider={} port={} key-length={}",
                v.get("name"),
                v.get("provider"),
                v.get("port"),
                v.get("key").len()
            ))
        });
    h.app.apply(Effect::Form(form));
    h.draw().unwrap();
    assert_shows(&h, "Add printer");
    assert_shows(&h, " Printer ");
    assert_shows(&h, " Login ");
    assert_shows(&h, "‹ ipp ›");

    h.press(&["enter"]).await.unwrap();
    assert_shows(&h, "required");
    assert_shows(&h, "Fix the fields in red");
    h.type_text("front").await.unwrap();
    h.press(&[
        "tab",
        "right",
        "right",
        "tab",
        "backspace",
        "backspace",
        "backspace",
    ])
    .await
    .unwrap();
    h.type_text("x9").await.unwrap();
    assert_shows(&h, "\"x9\" is not a port (1-65535)");
    h.press(&["ctrl-w"]).await.unwrap();
    h.type_text("9100").await.unwrap();
    assert_hides(&h, "is not a port");

    h.press(&["pgdown"]).await.unwrap();
    assert_shows(&h, "empty keeps the current key");
    h.type_text("hunter2").await.unwrap();
    assert_shows(&h, "•••••••");
    assert_hides(&h, "hunter2");
    h.press(&["enter"]).await.unwrap();
    assert!(h.app.popups.is_empty());
    assert_shows(&h, "name=front provider=printnode port=9100 key-length=7");
}

#[tokio::test]
async fn a_review_scrolls_the_text_and_sends_only_when_confirmed() {
    let (_dir, ctx) = fresh();
    let mut h = harness(ctx).await;
    let body: String = (1..=80)
        .map(|i| format!("line {i} of the e-mail\n"))
        .collect();
    let review = |b: &str| {
        Effect::Review(Review::new(
            "Activation e-mail to alice@example.org",
            b,
            "Send",
            Effect::info("Sent."),
        ))
    };
    h.app.apply(review(&body));
    h.draw().unwrap();
    assert_shows(&h, "Activation e-mail to alice@example.org (lines 1-");
    assert_shows(&h, "line 1 of the e-mail");
    assert_shows(&h, "y Send");
    h.press(&["G"]).await.unwrap();
    assert_shows(&h, "line 80 of the e-mail");
    assert_hides(&h, "line 1 of the e-mail");
    h.press(&["esc"]).await.unwrap();
    assert_hides(&h, "Sent.");

    h.app.apply(review(&body));
    h.press(&["y"]).await.unwrap();
    assert_shows(&h, "Sent.");
}

#[tokio::test]
async fn long_work_shows_progress_and_the_worker_is_reported_missing() {
    let (_dir, ctx) = fresh();
    let mut h = harness(ctx).await;
    h.app.status.busy.insert("Importing contacts".into(), None);
    h.app.handle(Event::Progress {
        label: "Importing contacts".into(),
        done: 50,
        total: 200,
    });
    h.draw().unwrap();
    assert_shows(&h, "Importing contacts: 50/200 [██░░░░░░░░] 25%");

    h.app
        .apply(Effect::db_with_progress("Counting", |_conn, progress| {
            for i in 0..=4 {
                progress.set(i, 4);
            }
            Ok("Counted to 4.".into())
        }));
    h.settle().await;
    h.draw().unwrap();
    assert_shows(&h, "Counted to 4.");
    assert!(!h.app.status.busy.contains_key("Counting"));

    h.app
        .apply(Effect::Worker(backroom::worker::Command::Shutdown));
    h.draw().unwrap();
    assert_shows(&h, "The worker does not run in this console");
}

#[tokio::test]
async fn marks_are_shown_counted_and_cleared() {
    let (_dir, ctx) = seeded(5);
    let mut h = harness(ctx).await;
    h.press(&["2", "space", "space", "space"]).await.unwrap();
    assert_shows(&h, "· 3 marked");
    assert_eq!(h.app.table().marked.len(), 3);
    assert!(h.lines().iter().filter(|l| l.starts_with("│•")).count() == 3);
    h.press(&["esc"]).await.unwrap();
    assert_shows(&h, "Marks cleared.");
    h.press(&["ctrl-a"]).await.unwrap();
    assert_shows(&h, "· 5 marked");
}

#[tokio::test]
async fn the_mouse_clicks_tabs_and_rows_and_scrolls() {
    let (_dir, ctx) = seeded(30);
    let mut h = harness(ctx).await;
    let mouse = |kind, column, row| {
        Event::Terminal(TermEvent::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }))
    };
    let tab_x = h.lines()[1].find("Contacts").unwrap() as u16;
    h.app
        .handle(mouse(MouseEventKind::Down(MouseButton::Left), tab_x, 1));
    h.settle().await;
    h.draw().unwrap();
    assert_eq!(h.app.active, Pane::Contacts);

    let jobs_x = h.lines()[1].find("Print jobs").unwrap() as u16;
    h.app
        .handle(mouse(MouseEventKind::Down(MouseButton::Left), jobs_x, 1));
    h.settle().await;
    h.draw().unwrap();
    h.app.handle(mouse(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(h.app.table().selected, 3);
    let rows = h.app.hits.rows;
    h.app.handle(mouse(
        MouseEventKind::Down(MouseButton::Left),
        10,
        rows.y + 5,
    ));
    assert_eq!(h.app.table().selected, 5);
    assert_eq!(h.app.table().selected_row().unwrap().id, 25);
}

#[tokio::test]
async fn no_color_draws_without_any_colour() {
    let (_dir, ctx) = seeded(5);
    let mut h = Harness::with_colour(ctx, W, H, false).await.unwrap();
    h.press(&["2", "?"]).await.unwrap();
    let buf = h.terminal.backend().buffer();
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a coloured cell `{}`: {:?}",
            cell.symbol(),
            cell
        );
    }
    assert_shows(&h, "Keys (keymap default)");
}

#[test]
fn every_shipped_theme_parses_and_styles_every_element() {
    for (name, _) in theme::EMBEDDED {
        let t =
            Theme::embedded(name).unwrap_or_else(|| panic!("themes/{name}.toml does not parse"));
        assert!(
            t.state("failed").is_some(),
            "themes/{name}.toml has no [states] failed"
        );
        let plain = t.without_colour();
        assert_eq!(plain.state("failed").and_then(|s| s.fg), None);
    }
    assert_eq!(Theme::default_theme().name, "dark");
}

#[test]
fn every_shipped_keymap_parses_and_binds_every_builtin_action() {
    for (name, _) in keymap::EMBEDDED {
        let k =
            Keymap::embedded(name).unwrap_or_else(|| panic!("keymaps/{name}.toml does not parse"));
        for section in [Section::Global, Section::List, Section::Popup] {
            for (action_name, action) in section.actions() {
                assert!(
                    k.key_for(section, action).is_some(),
                    "keymaps/{name}.toml binds nothing to [{}] {action_name}",
                    section.name()
                );
            }
        }
    }
    let k = Keymap::default_keymap();
    assert_eq!(
        k.lookup(
            Section::List,
            backroom::tui::key::KeyPress::parse("j").unwrap()
        ),
        Some(Action::Down)
    );
}

#[test]
fn every_pane_action_is_bound_in_the_default_keymap() {
    let k = Keymap::default_keymap();
    for pane in Pane::ALL {
        for a in pane.actions() {
            assert!(
                k.bindings(Section::Pane(pane))
                    .iter()
                    .any(|b| b.run == a.name),
                "keymaps/default.toml: [{}] binds nothing to {}",
                pane.name(),
                a.name
            );
        }
    }
}

#[test]
fn a_users_keymap_replaces_prepends_or_appends_bindings() {
    let mut k = Keymap::default_keymap();
    k.overlay(
        "mine.toml",
        "[list]\nprepend_keymap = [{ on = [\"j\"], run = \"last\", desc = \"Jump\" }]\n\
         [global]\nappend_keymap = [{ on = [\"Q\"], run = \"quit\" }]\n\
         [popup]\nkeymap = [{ on = [\"esc\"], run = \"close\" }]\n",
    )
    .unwrap();
    let key = |n| backroom::tui::key::KeyPress::parse(n).unwrap();
    assert_eq!(k.lookup(Section::List, key("j")), Some(Action::Last));
    assert_eq!(k.lookup(Section::List, key("k")), Some(Action::Up));
    assert_eq!(k.lookup(Section::Global, key("Q")), Some(Action::Quit));
    assert_eq!(k.lookup(Section::Global, key("q")), Some(Action::Quit));
    assert_eq!(k.lookup(Section::Popup, key("y")), None);
    assert_eq!(k.bindings(Section::Popup).len(), 1);
    assert_eq!(k.bindings(Section::List)[0].description(), "Jump");
}

#[test]
fn a_users_theme_overrides_only_what_it_names() {
    let mut t = Theme::default_theme();
    let before = t.clone();
    t.overlay(
        "mine.toml",
        "[list]\nselected = { fg = \"#ff8800\", bold = true }\n[states]\nfailed = \"magenta\"\n",
    )
    .unwrap();
    use backroom::tui::theme::Slot;
    assert_eq!(
        t.style(Slot::ListSelected).fg,
        Some(Color::Rgb(0xff, 0x88, 0))
    );
    assert_eq!(t.style(Slot::ListHeader), before.style(Slot::ListHeader));
    assert_eq!(t.state("failed").and_then(|s| s.fg), Some(Color::Magenta));
}

/// One fixture per kind of mistake: the message names the file, the key and what was expected,
/// and the keymap or theme stays as it was (the defaults are used).
#[test]
fn each_mistake_in_a_users_file_is_named_and_the_defaults_stay() {
    let cases: &[(&str, &[&str])] = &[
        ("keymap_bad_toml.toml", &["line ", "valid TOML"]),
        (
            "keymap_unknown_section.toml",
            &["[printrs]", "a section among global, list, popup, printers"],
        ),
        (
            "keymap_unknown_key.toml",
            &[
                "[list] keymap[0].on",
                "found \"ctrl-foo\"",
                "optionally prefixed by ctrl-",
            ],
        ),
        (
            "keymap_unknown_action.toml",
            &[
                "[list] keymap[0].run",
                "an action of [list] (down, up,",
                "found \"explode\"",
            ],
        ),
        (
            "keymap_missing_run.toml",
            &[
                "[list] prepend_keymap[0].run",
                "the action to run (missing)",
            ],
        ),
        (
            "keymap_unknown_part.toml",
            &["[list] keymaps", "keymap, prepend_keymap or append_keymap"],
        ),
        (
            "keymap_key_not_a_string.toml",
            &["[global] keymap[0].on", "found an integer"],
        ),
        (
            "keymap_unknown_row_action.toml",
            &["[printers] append_keymap[0].run", "\"launch_rockets\""],
        ),
        (
            "theme_bad_colour.toml",
            &["list.selected.fg", "a colour: a name", "found \"purpel\""],
        ),
        (
            "theme_unknown_element.toml",
            &["tabs.actve", "an element of [tabs]: active, inactive"],
        ),
        (
            "theme_unknown_section.toml",
            &[
                "[sidebar]",
                "a section among header, tabs, list, status, popup, states",
            ],
        ),
        (
            "theme_bad_modifier.toml",
            &["list.row.bold", "true or false, found a string"],
        ),
        (
            "theme_unknown_style_key.toml",
            &["list.row.colour", "a table of fg, bg, bold"],
        ),
        (
            "theme_style_not_a_table.toml",
            &["status.error", "found an integer"],
        ),
        ("theme_bad_toml.toml", &["line 1", "valid TOML"]),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs");
    let mut fixtures: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    fixtures.sort();
    let mut listed: Vec<String> = cases.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(fixtures, listed, "every fixture has its expected message");
    for (file, expected) in cases {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = path.display().to_string();
        let message = if file.starts_with("keymap") {
            let mut k = Keymap::default_keymap();
            let err = k.overlay(&shown, &text).expect_err(file).to_string();
            assert_eq!(k, Keymap::default_keymap(), "{file} changed the keymap");
            err
        } else {
            let mut t = Theme::default_theme();
            let err = t.overlay(&shown, &text).expect_err(file).to_string();
            assert_eq!(t, Theme::default_theme(), "{file} changed the theme");
            err
        };
        assert!(
            message.starts_with(&shown),
            "{file}: the message names the file: {message}"
        );
        for e in *expected {
            assert!(message.contains(e), "{file}: expected `{e}` in: {message}");
        }
    }
}

#[tokio::test]
async fn yank_copies_the_selected_row_with_osc_52() {
    let (_dir, ctx) = seeded(1);
    let mut h = harness(ctx).await;
    h.press(&["y"]).await.unwrap();
    assert_eq!(
        h.app.clipboard.as_deref(),
        Some("back\tspool\t/srv/spool\t\t1\tyes\t")
    );
    assert_eq!(h.app.terminal_writes.len(), 1);
    assert!(h.app.terminal_writes[0].starts_with("\x1b]52;c;"));
    assert_shows(&h, "Copied the row to the clipboard.");
}

mod row_actions {
    //! The checks every row action goes through, with actions declared here as a pane would.
    use super::*;
    use backroom::tui::panes::{Needs, RowAction, Selection};

    fn describe(sel: &Selection<'_>) -> Effect {
        Effect::info(format!(
            "ids={:?} state={}",
            sel.ids(),
            sel.cell("state").unwrap_or("-")
        ))
    }

    static RETRY: RowAction = RowAction {
        name: "retry",
        description: "Retry the print jobs",
        policy: "jobs.reschedule",
        needs: Needs::Rows,
        run: describe,
    };

    static PURGE: RowAction = RowAction {
        name: "purge",
        description: "Purge finished jobs",
        policy: "jobs.purge",
        needs: Needs::Nothing,
        run: describe,
    };

    #[tokio::test]
    async fn read_only_staff_and_empty_selections_are_refused_with_a_reason() {
        let (_dir, mut ctx) = seeded(4);
        ctx.role = backroom::config::Role::Staff;
        let mut h = harness(ctx).await;
        h.press(&["2", "space", "space"]).await.unwrap();
        h.app.run_action(&RETRY);
        h.draw().unwrap();
        assert_shows(&h, "ids=[3, 4] state=succeeded");

        h.app.run_action(&PURGE);
        h.draw().unwrap();
        assert_shows(
            &h,
            "Purge finished jobs is for administrators; test is staff",
        );

        h.press(&["/"]).await.unwrap();
        h.type_text("state:cancelled").await.unwrap();
        h.press(&["enter"]).await.unwrap();
        h.app.run_action(&RETRY);
        h.draw().unwrap();
        assert_shows(&h, "No row is selected.");

        h.app.read_only_on();
        h.app.run_action(&RETRY);
        h.draw().unwrap();
        assert_shows(
            &h,
            "Retry the print jobs is refused: backroom runs read-only",
        );
    }
}
