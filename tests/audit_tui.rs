//! The Audit pane drawn into ratatui's `TestBackend`: administrators see every change and
//! refusal the service recorded, newest first; staff are refused the pane with the reason.

use backroom::context::Context;
use backroom::service::Identity;
use backroom::service::audit::{Outcome, record};
use backroom::tui::harness::Harness;

fn seeded() -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("backroom.db");
    let conn = backroom::store::open(&db).expect("open the store");
    let paul = Identity {
        role: backroom::config::Role::Staff,
        ..Identity::admin("paul")
    };
    let refusal = "switching printing off is for administrators; paul is staff";
    record(
        &conn,
        &paul,
        "printers.disable",
        "",
        &Outcome::Refused(refusal.into()),
    );
    record(
        &conn,
        &Identity::admin("marie"),
        "printers.add",
        "front",
        &Outcome::Ok,
    );
    (dir, Context::for_db(db))
}

#[tokio::test]
async fn administrators_read_the_audit_log_newest_first() {
    let (_dir, ctx) = seeded();
    let mut h = Harness::new(ctx, 140, 30).await.unwrap();
    h.press(&["9"]).await.unwrap();
    h.settle_rows().await.unwrap();
    h.draw().unwrap();
    let screen = h.screen();
    assert!(screen.contains("Audit"), "{screen}");
    assert!(screen.contains("kept 400 days"), "{screen}");
    let marie = screen
        .find("printers.add")
        .expect("marie's change is listed");
    let paul = screen
        .find("printers.disable")
        .expect("paul's refusal is listed");
    assert!(marie < paul, "newest first:\n{screen}");
    assert!(
        screen.contains("refused: switching printing off"),
        "{screen}"
    );
}

#[tokio::test]
async fn staff_are_refused_the_audit_pane_with_the_reason() {
    let (_dir, mut ctx) = seeded();
    ctx.role = backroom::config::Role::Staff;
    let mut h = Harness::new(ctx, 140, 30).await.unwrap();
    h.press(&["9"]).await.unwrap();
    h.settle().await;
    h.draw().unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("Reading the audit log is for administrators"),
        "{screen}"
    );
    assert!(!screen.contains("printers.add"), "{screen}");
}
