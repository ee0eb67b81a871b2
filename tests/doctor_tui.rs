//! The Health and Tills panes drawn into ratatui's `TestBackend`: the doctor's findings worst
//! first with their fix, a fix applied from the pane, and the silent tills flagged.

use backroom::context::Context;
use backroom::doctor::{self, Subject};
use backroom::tui::harness::Harness;
use rusqlite::Connection;

fn fresh() -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("backroom.db");
    backroom::store::open(&db).expect("open the store");
    (dir, Context::for_db(db))
}

fn conn(ctx: &Context) -> Connection {
    backroom::store::open(&ctx.db_path).expect("open the store")
}

#[track_caller]
fn assert_shows(h: &Harness, needle: &str) {
    assert!(
        h.screen().contains(needle),
        "expected `{needle}` on screen:\n{}",
        h.screen()
    );
}

/// A spool printer as default, two failed jobs; the doctor's real findings kept.
async fn store_with_failed_jobs(ctx: &Context) {
    let spool = ctx.db_path.parent().unwrap().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    conn(ctx)
        .execute_batch(&format!(
            "INSERT INTO printers (name, provider, target, is_default, created_at)
               VALUES ('front', 'spool', '{}', 1, '2026-11-20T09:00:00.000Z');
             INSERT INTO documents (kind, title, sha256, bytes, created_at)
               VALUES ('invoice', 'Invoice 1', 'ab', x'25504446', '2026-11-20T10:00:00.000Z');
             INSERT INTO print_jobs (uuid, document_id, printer_id, state, attempts, next_attempt_at, last_error, created_at)
               VALUES ('f1', 1, 1, 'failed', 8, '2026-11-20T10:00:00.000Z', 'gave up', '2026-11-20T10:00:00.000Z'),
                      ('f2', 1, 1, 'failed', 8, '2026-11-20T10:00:00.000Z', 'gave up', '2026-11-20T10:00:00.000Z');",
            spool.display()
        ))
        .unwrap();
    let subject = Subject {
        db_path: ctx.db_path.clone(),
        config_path: ctx.config_path.clone(),
        config: ctx.config.clone(),
    };
    let report = doctor::run(&subject, &[]).await;
    backroom::worker::health::keep(&mut conn(ctx), &report).unwrap();
}

#[tokio::test]
async fn the_health_pane_lists_findings_and_applies_a_fix() {
    let (_dir, ctx) = fresh();
    store_with_failed_jobs(&ctx).await;
    let mut h = Harness::new(ctx.clone(), 140, 40).await.unwrap();
    h.press(&["8"]).await.unwrap();
    assert_shows(&h, "Health");
    assert_shows(&h, "jobs_failed");
    assert_shows(&h, "2 print job(s) failed");
    assert_shows(&h, "Checked at");

    // Details carry the evidence and what to do.
    h.press(&["/"]).await.unwrap();
    h.type_text("jobs_failed").await.unwrap();
    h.press(&["enter"]).await.unwrap();
    h.press(&["enter"]).await.unwrap();
    assert_shows(&h, "what to do");
    assert_shows(&h, "jobs reschedule");
    h.press(&["esc"]).await.unwrap();

    // `f` asks, then reschedules every failed job for real.
    h.press(&["!"]).await.unwrap();
    assert_shows(&h, "Reschedule every failed job");
    h.press(&["y"]).await.unwrap();
    let failed: i64 = conn(&ctx)
        .query_row(
            "SELECT COUNT(*) FROM print_jobs WHERE state = 'failed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(failed, 0);
    assert_shows(&h, "2 job(s) rescheduled");

    // `r` checks again: the finding is gone.
    h.press(&["esc", "t"]).await.unwrap();
    h.press(&["ctrl-r"]).await.unwrap();
    assert!(
        !h.screen().contains("2 print job(s) failed"),
        "{}",
        h.screen()
    );
}

#[tokio::test]
async fn the_tills_pane_puts_silent_tills_first() {
    let (_dir, ctx) = fresh();
    let now = backroom::store::now();
    conn(&ctx)
        .execute_batch(&format!(
            "INSERT INTO till_status (folder, till, version, waiting, oldest_age_secs, last_batch, blocked,
                                      till_clock, wait_ms, reported_at)
               VALUES ('LYON', '1', '0.1.0', 0, NULL, 14, NULL, '{now}', 1000, '{now}'),
                      ('LYON', '2', '0.1.0', 37, 3600, 12, NULL, '2026-11-01T08:00:00.000Z', 1000,
                       '2026-11-01T08:00:00.000Z');"
        ))
        .unwrap();
    let mut h = Harness::new(ctx, 120, 30).await.unwrap();
    h.press(&["7"]).await.unwrap();
    assert_shows(&h, "1 of 2 till(s) silent");
    let lines = h.lines();
    let silent = lines.iter().position(|l| l.contains("silent")).unwrap();
    let ok = lines
        .iter()
        .position(|l| l.contains("LYON") && l.contains(" ok "))
        .unwrap_or(usize::MAX);
    assert!(silent < ok, "{}", h.screen());
}
