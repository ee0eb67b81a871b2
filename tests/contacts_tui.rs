//! Reactivation in the contacts pane (pane 3), drawn with ratatui's `TestBackend`: `V` asks
//! first, naming the contact, and only administrators may do it.

use backroom::config::Role;
use backroom::contacts::ContactState;
use backroom::context::Context;
use backroom::tui::harness::Harness;

fn deactivated_clara() -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("backroom.db");
    let conn = backroom::store::open(&db).expect("open the store");
    conn.execute(
        "INSERT INTO contacts (name, email, state, created_at)
         VALUES ('Clara Weber', 'clara.weber@weber-design.de', 'deactivated', '2026-10-01T08:00:00.000Z')",
        [],
    )
    .expect("seed");
    (dir, Context::for_db(db))
}

fn state(ctx: &Context) -> ContactState {
    let conn = backroom::store::open(&ctx.db_path).unwrap();
    backroom::store::contacts::by_email(&conn, "clara.weber@weber-design.de")
        .unwrap()
        .unwrap()
        .state
}

#[tokio::test]
async fn v_asks_naming_the_contact_then_reactivates() {
    let (_dir, ctx) = deactivated_clara();
    let mut h = Harness::new(ctx.clone(), 120, 40).await.unwrap();
    h.press(&["3"]).await.unwrap();
    h.settle_rows().await.unwrap();
    h.press(&["V"]).await.unwrap();
    h.draw().unwrap();
    let screen = h.screen();
    assert!(
        screen.contains("Reactivate Clara Weber (clara.weber@weber-design.de)?"),
        "{screen}"
    );
    h.press(&["n"]).await.unwrap();
    assert_eq!(
        state(&ctx),
        ContactState::Deactivated,
        "n keeps it deactivated"
    );
    h.press(&["V"]).await.unwrap();
    h.press(&["y"]).await.unwrap();
    h.settle().await;
    assert_eq!(state(&ctx), ContactState::Active);
    h.draw().unwrap();
    assert!(h.screen().contains("is now active"), "{}", h.screen());
}

#[tokio::test]
async fn staff_cannot_reactivate_from_the_pane() {
    let (_dir, mut ctx) = deactivated_clara();
    ctx.role = Role::Staff;
    let mut h = Harness::new(ctx.clone(), 120, 40).await.unwrap();
    h.press(&["3"]).await.unwrap();
    h.settle_rows().await.unwrap();
    h.press(&["V"]).await.unwrap();
    h.draw().unwrap();
    assert!(
        h.screen().contains(
            "Reactivate the contact (deactivated only, administrators) is for administrators"
        ),
        "{}",
        h.screen()
    );
    assert_eq!(state(&ctx), ContactState::Deactivated);
}
