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

/// A session hosted by the daemon, as `role`, whose audit entries come back on the receiver.
async fn audited_session(
    role: backroom::config::Role,
    read_only: bool,
) -> (
    tempfile::TempDir,
    Harness,
    tokio::sync::mpsc::UnboundedReceiver<backroom::store::audit::Entry>,
    tokio::sync::mpsc::UnboundedReceiver<backroom::worker::Command>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("backroom.db");
    drop(backroom::store::open(&db).expect("open the store"));
    let mut ctx = Context::for_db(db);
    ctx.role = role;
    ctx.read_only = read_only;
    let (tx, entries) = tokio::sync::mpsc::unbounded_channel();
    ctx.audit = Some(backroom::service::audit::Sink::new(
        Identity {
            role,
            ..Identity::admin("marie")
        },
        tx,
    ));
    let (worker, commands) = tokio::sync::mpsc::unbounded_channel();
    let h = Harness::with_worker(ctx, 140, 40, worker).await.unwrap();
    (dir, h, entries, commands)
}

fn drained(
    entries: &mut tokio::sync::mpsc::UnboundedReceiver<backroom::store::audit::Entry>,
) -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    while let Ok(e) = entries.try_recv() {
        all.push((e.action, e.target, e.outcome));
    }
    all
}

/// The print triggers are edited in a popup opened by a read (anyone may look): a save from it
/// is audited as `triggers.set`, as `backroom triggers set` is, and so is staff's refused save.
/// They were named by the popup's label ("Saving the print triggers"), and a refusal not at all.
#[tokio::test]
async fn a_triggers_save_in_the_tui_is_audited_as_triggers_set() {
    let (_dir, mut h, mut entries, _commands) =
        audited_session(backroom::config::Role::Admin, false).await;
    h.press(&["T"]).await.unwrap();
    assert!(h.screen().contains("Print triggers"), "{}", h.screen());
    h.press(&["space", "enter"]).await.unwrap();
    assert!(!h.screen().contains("Print triggers"), "{}", h.screen());
    let saved = drained(&mut entries);
    assert_eq!(
        saved,
        vec![(
            "triggers.set".to_string(),
            "print triggers".to_string(),
            "ok".to_string()
        )]
    );

    let (_dir, mut h, mut entries, _commands) =
        audited_session(backroom::config::Role::Staff, false).await;
    h.press(&["T"]).await.unwrap();
    h.press(&["space", "enter"]).await.unwrap();
    let refused = drained(&mut entries);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        (refused[0].0.as_str(), refused[0].1.as_str()),
        ("triggers.set", "print triggers")
    );
    assert!(refused[0].2.starts_with("refused"), "{refused:?}");
}

/// A "yes" to the package-update question is audited as `sync.run` on the package update, not
/// under whatever row action came before it (here the printers pane's printing switch); a
/// read-only session's "yes" is one refusal (it was recorded three times).
#[tokio::test]
async fn a_yes_to_the_update_question_is_audited_as_sync_run() {
    use backroom::tui::event::Event;
    use backroom::worker::Notification;
    use backroom::worker::sync::Notification as SyncNote;

    let ask = || {
        Event::Worker(Notification::Sync(SyncNote::Ask {
            id: 7,
            folder: "NICE".into(),
            version: "10.5.2".into(),
            file: "pos-10.5.2.zip".into(),
            timeout_secs: 120,
        }))
    };
    let (_dir, mut h, mut entries, mut commands) =
        audited_session(backroom::config::Role::Admin, false).await;
    h.press(&["P"]).await.unwrap();
    drained(&mut entries);
    h.press(&["6"]).await.unwrap();
    h.app.handle(ask());
    h.draw().unwrap();
    h.press(&["y"]).await.unwrap();
    assert!(commands.try_recv().is_ok(), "the answer reached the worker");
    assert_eq!(
        drained(&mut entries),
        vec![(
            "sync.run".to_string(),
            "package update".to_string(),
            "ok".to_string()
        )]
    );
    // A "no" changes nothing and is not audited (it was, as the switch pressed before it).
    h.app.handle(ask());
    h.draw().unwrap();
    h.press(&["esc"]).await.unwrap();
    assert!(commands.try_recv().is_ok(), "the answer reached the worker");
    assert_eq!(drained(&mut entries), vec![]);

    let (_dir, mut h, mut entries, _commands) =
        audited_session(backroom::config::Role::Admin, true).await;
    h.press(&["6"]).await.unwrap();
    h.app.handle(ask());
    h.draw().unwrap();
    h.press(&["y"]).await.unwrap();
    let refused = drained(&mut entries);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        (refused[0].0.as_str(), refused[0].1.as_str()),
        ("sync.run", "package update")
    );
    assert!(refused[0].2.starts_with("refused"), "{refused:?}");
}
