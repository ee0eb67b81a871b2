//! Safety and small things in the console: one-way actions ask first and name their rows (by
//! their key and through the actions menu), the cancel dialog names the job, status messages
//! expire (an error waits for the next key) and stay on their pane, marks go with deleted rows.

mod support;

use backroom::context::Context;
use backroom::tui::event::Event;
use backroom::tui::harness::Harness;
use backroom::tui::status::INFO_FOR;

fn seeded() -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("backroom.db");
    backroom::store::open(&db).expect("open the store");
    let ctx = Context::for_db(db);
    let c = backroom::store::open(&ctx.db_path).expect("open");
    c.execute_batch(
        "INSERT INTO printers (name, provider, target, is_default, created_at)
           VALUES ('front-desk', 'spool', '/srv/spool', 1, '2026-11-20T09:00:00.000Z');
         INSERT INTO documents (kind, title, sha256, bytes, created_at)
           VALUES ('invoice', 'Invoice INV-10486', 'ab12', x'25504446', '2026-11-20T10:00:00.000Z');
         INSERT INTO print_jobs (id, uuid, document_id, printer_id, state, attempts, next_attempt_at, created_at)
           VALUES (1000000, 'u1', 1, 1, 'pending', 0, '2026-11-20T10:00:00.000Z', '2026-11-20T10:00:00.000Z');
         INSERT INTO contacts (name, email, company, state, invited, created_at) VALUES
           ('Anna Roth', 'anna@roth.example', NULL, 'not_registered', 0, '2026-10-01T08:00:00.000Z'),
           ('Bea Kurz', 'bea@kurz.example', NULL, 'not_registered', 0, '2026-10-01T08:00:00.000Z'),
           ('Clara Weber', 'clara.weber@weber-design.de', 'Weber Design', 'active', 1, '2026-10-01T08:00:00.000Z'),
           ('Dora Lind', 'dora@lind.example', NULL, 'active', 1, '2026-10-01T08:00:00.000Z');",
    )
    .expect("seed");
    (dir, ctx)
}

fn state_of(ctx: &Context, email: &str) -> String {
    let c = backroom::store::open(&ctx.db_path).expect("open");
    c.query_row(
        "SELECT state FROM contacts WHERE email = ?1",
        [email],
        |r| r.get(0),
    )
    .expect("contact")
}

#[track_caller]
fn shows(t: &Harness, needle: &str) {
    assert!(
        t.screen().contains(needle),
        "expected `{needle}`:\n{}",
        t.screen()
    );
}

#[tokio::test]
async fn deactivate_asks_first_and_names_the_contact() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx.clone(), 120, 40).await.expect("harness");
    // Contacts sorted by name: Anna, Bea, Clara.
    t.press(&["3", "j", "j", "D"]).await.expect("keys");
    shows(&t, "Deactivate Clara Weber (clara.weber@weber-design.de)?");
    t.press(&["n"]).await.expect("no");
    assert_eq!(state_of(&ctx, "clara.weber@weber-design.de"), "active");
    t.press(&["D", "y"]).await.expect("yes");
    assert_eq!(state_of(&ctx, "clara.weber@weber-design.de"), "deactivated");
}

#[tokio::test]
async fn the_actions_menu_asks_too_for_deleting_identities() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx.clone(), 120, 40).await.expect("harness");
    // Dora (active): the menu offers deactivate, then delete identities.
    t.press(&["3", "G", "m", "right", "enter"])
        .await
        .expect("keys");
    shows(
        &t,
        "Delete the login identities of Dora Lind (dora@lind.example)?",
    );
    t.press(&["esc"]).await.expect("cancel");
    assert_eq!(state_of(&ctx, "dora@lind.example"), "active");
    // And by its key.
    t.press(&["K"]).await.expect("key");
    shows(&t, "Dora Lind (dora@lind.example)?");
    t.press(&["y"]).await.expect("yes");
    assert_eq!(state_of(&ctx, "dora@lind.example"), "not_registered");
}

#[tokio::test]
async fn the_cancel_dialog_names_the_job() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 120, 40).await.expect("harness");
    t.press(&["2", "c"]).await.expect("keys");
    shows(
        &t,
        "Cancel print job 1000000 (Invoice INV-10486 on front-desk)?",
    );
    // Its buttons say which one cancels the job: `esc` read "Cancel" too.
    shows(&t, "esc Back");
}

#[tokio::test]
async fn an_error_stays_until_the_next_key_and_a_result_expires() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 120, 40).await.expect("harness");
    t.press(&[":"]).await.expect("palette");
    t.type_text("frobnicate").await.expect("type");
    t.press(&["enter"]).await.expect("run");
    shows(&t, "unknown command");
    // Time passes: the error stays.
    tokio::time::sleep(INFO_FOR + std::time::Duration::from_secs(1)).await;
    t.app.handle(Event::Tick);
    t.draw().expect("draw");
    shows(&t, "unknown command");
    // The next key: read, gone.
    t.press(&["j"]).await.expect("key");
    assert!(!t.screen().contains("unknown command"), "{}", t.screen());

    // A result expires by itself.
    t.press(&["3", "ctrl-a"]).await.expect("mark all");
    shows(&t, "4 marked");
    tokio::time::sleep(INFO_FOR + std::time::Duration::from_secs(1)).await;
    t.app.handle(Event::Tick);
    t.draw().expect("draw");
    assert!(
        !t.lines().last().is_some_and(|l| l.contains("marked")),
        "{}",
        t.screen()
    );
}

#[tokio::test]
async fn messages_stay_on_their_pane() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 120, 40).await.expect("harness");
    t.press(&["3", "ctrl-a"]).await.expect("mark all");
    let status = t.lines().last().cloned().unwrap_or_default();
    assert!(status.contains("marked"), "{status}");
    t.press(&["2"]).await.expect("jobs");
    let status = t.lines().last().cloned().unwrap_or_default();
    assert!(
        !status.contains("marked"),
        "followed to print jobs: {status}"
    );
}

#[tokio::test]
async fn marks_go_with_the_deleted_rows() {
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 120, 40).await.expect("harness");
    t.press(&["3", "space", "space"])
        .await
        .expect("mark Anna and Bea");
    shows(&t, "2 marked");
    t.press(&["d"]).await.expect("delete");
    shows(&t, "Delete 2 contacts");
    t.press(&["y"]).await.expect("yes");
    shows(&t, "deleted 2 contact(s)");
    assert!(t.app.table().marked.is_empty(), "marks survived the delete");
    assert!(!t.screen().contains("marked"), "{}", t.screen());
    // Deleting again acts on the selected row, not on ghosts.
    t.press(&["d"]).await.expect("delete");
    assert!(!t.screen().contains("Delete 0"), "{}", t.screen());
    shows(&t, "Delete 1 contact");
}

#[tokio::test]
async fn one_time_format_local_in_tables_with_the_zone_in_details() {
    use chrono::TimeZone;
    let (_dir, ctx) = seeded();
    let mut t = Harness::new(ctx, 120, 40).await.expect("harness");
    let local = chrono::Utc
        .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
        .single()
        .expect("time")
        .with_timezone(&chrono::Local);
    t.press(&["2"]).await.expect("jobs");
    shows(&t, &local.format("%Y-%m-%d %H:%M").to_string());
    t.press(&["enter"]).await.expect("detail");
    shows(&t, &local.format("%Y-%m-%d %H:%M:%S %:z").to_string());
    assert!(!t.screen().contains(".000Z"), "{}", t.screen());
}

#[tokio::test]
async fn marks_that_reorder_text_show_escaped_in_tables_details_questions_and_messages() {
    let (_dir, ctx) = seeded();
    let c = backroom::store::open(&ctx.db_path).expect("open");
    // A name whose end a terminal with bidirectional text would show first: `@bank.com` read
    // backwards, as the CLI lists already escape it.
    c.execute(
        "INSERT INTO contacts (name, email, company, state, invited, created_at)
         VALUES ('Eve \u{202e}moc.knab@', 'eve\u{202e}x@eve.example', NULL, 'active', 1,
                 '2026-10-01T08:00:00.000Z')",
        [],
    )
    .expect("seed");
    let mut t = Harness::new(ctx, 160, 40).await.expect("harness");
    t.press(&["3"]).await.expect("contacts");
    shows(&t, "Eve \\u{202e}moc.knab@");
    assert!(!t.screen().contains('\u{202e}'), "{}", t.screen());
    // So do the detail, the question before a change, and the message after it.
    let raw = |t: &Harness| t.screen().contains('\u{202e}');
    t.press(&["/", "e", "v", "e", "enter", "enter"])
        .await
        .expect("detail");
    shows(&t, "eve\\u{202e}x@eve.example");
    shows(&t, "Eve \\u{202e}moc.knab@");
    assert!(!raw(&t), "{}", t.screen());
    t.press(&["esc", "D"]).await.expect("deactivate");
    shows(&t, "Eve \\u{202e}moc.knab@");
    assert!(!raw(&t), "{}", t.screen());
    t.press(&["y"]).await.expect("yes");
    shows(&t, "eve\\u{202e}x@eve.example is now deactivated");
    assert!(!raw(&t), "{}", t.screen());
}
