//! Demo rows of the pos area: two POS folders with every tab filled, sync tables both ways,
//! processes with their last result, and connection tests in several states.

use rusqlite::Connection;

use crate::pos::conntest::{Failure, Target, Verdict};
use crate::pos::field::Field;
use crate::pos::{ConfirmMode, Direction, FolderForm, ProcessKind, SyncType};
use crate::store::pos as store;

fn ago(minutes: i64) -> String {
    crate::store::to_text(chrono::Utc::now() - chrono::Duration::minutes(minutes))
}

pub fn seed(conn: &Connection) -> anyhow::Result<()> {
    let mut form = FolderForm::new("STORE12");
    for (field, value) in [
        (Field::Administrator, "marie.dupont"),
        (Field::DbKind, "postgresql"),
        (Field::DbHost, "127.0.0.1"),
        (Field::DbPort, "5432"),
        (Field::DbName, "erp_store12"),
        (Field::DbUser, "caisse_sync"),
        (Field::DbPassword, "demo-db-password"),
        (Field::FtpMode, "put"),
        (Field::FtpShare, "/srv/backroom/outbox"),
        (Field::FtpAddress, "ftps://127.0.0.1:2121{}store12/outbox"),
        (Field::FtpUser, "store12"),
        (Field::FtpPassword, "demo-ftp-password"),
        (Field::WsUrl, "http://127.0.0.1:8080"),
        (Field::SyncWaitMs, "5000"),
    ] {
        form.set(field, value);
    }
    let store12 = folder(conn, &form)?;

    let mut form = FolderForm::new("KIOSK3");
    for (field, value) in [
        (Field::Administrator, "paul.martin"),
        (Field::DbKind, "sqlite"),
        (Field::DbName, "/var/lib/backroom/kiosk3.db"),
        (Field::FtpMode, "copy"),
        (Field::FtpShare, "/srv/ftp/kiosk3"),
        (Field::FtpAddress, "ftp://127.0.0.1:2121{}kiosk3"),
        (Field::FtpUser, "kiosk3"),
        (Field::FtpPassword, "demo-kiosk-password"),
        (Field::WsUrl, "http://127.0.0.1:8080"),
        (Field::SyncWaitMs, "15000"),
    ] {
        form.set(field, value);
    }
    let kiosk3 = folder(conn, &form)?;

    for (folder, name, ty, dir) in [
        (
            &store12,
            "ART",
            SyncType::Incremental,
            Direction::ServerToTill,
        ),
        (
            &store12,
            "CLI",
            SyncType::Incremental,
            Direction::ServerToTill,
        ),
        (
            &store12,
            "CLI",
            SyncType::Incremental,
            Direction::TillToServer,
        ),
        (&store12, "T012", SyncType::Full, Direction::ServerToTill),
        (&store12, "TARIF", SyncType::Full, Direction::ServerToTill),
        (
            &store12,
            "TICKET",
            SyncType::Incremental,
            Direction::TillToServer,
        ),
        (&kiosk3, "ART", SyncType::Full, Direction::ServerToTill),
        (
            &kiosk3,
            "TICKET",
            SyncType::Incremental,
            Direction::TillToServer,
        ),
    ] {
        store::add_table(conn, folder, name, ty, dir)?;
    }

    // The last check against the server found every table but TARIF (renamed there).
    let on_server: Vec<String> = ["ART", "CLI", "T012", "TICKET"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    store::record_table_check(conn, store12.id, &on_server, &ago(86))?;

    store::record_process_result(
        conn,
        store12.id,
        ProcessKind::ExportCaisseauto,
        &ago(4),
        "ok",
        "148 rows in 1 batch (ART 96, CLI 40, T012 12)",
    )?;
    store::record_process_result(
        conn,
        store12.id,
        ProcessKind::ImportCaisseauto,
        &ago(3),
        "ok",
        "batch 2026-0042 applied: 148 rows",
    )?;
    store::record_process_result(
        conn,
        kiosk3.id,
        ProcessKind::ExportCaisseauto,
        &ago(22),
        "error",
        "FTP: test.txt missing in kiosk3",
    )?;
    if let Some(mut p) = store::process(conn, store12.id, ProcessKind::ImportUpdatecaisse)? {
        p.confirm_mode = Some(ConfirmMode::Never);
        store::update_process(conn, &p)?;
    }

    let mut tests = vec![
        (store12.id, 95, {
            let mut v = Verdict::failed(
                Target::Db,
                Failure::AuthFailed,
                "authentication of caisse_sync failed: password authentication failed for user \"caisse_sync\" (28P01): check the user and password",
            );
            v.elapsed_ms = 41;
            v
        }),
        (store12.id, 90, {
            let mut v = Verdict::ok(
                Target::Db,
                "logged in to erp_store12 as caisse_sync on 127.0.0.1:5432; server PostgreSQL 15.8; query round trip 2 ms",
                Some("PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu".into()),
            );
            v.elapsed_ms = 38;
            v
        }),
        (store12.id, 88, {
            let mut v = Verdict::ok(
                Target::Ftp,
                "logged in as store12 on 127.0.0.1:2121 with explicit TLS, downloaded /store12/outbox/test.txt (19 bytes)",
                Some("/store12/outbox/test.txt: 19 bytes".into()),
            );
            v.elapsed_ms = 212;
            v
        }),
        (store12.id, 87, {
            let mut v = Verdict::ok(
                Target::Ws,
                "GET http://127.0.0.1:8080/health answered 200 OK in 6 ms (backroom 0.1.0)",
                Some("HTTP 200 OK, backroom 0.1.0".into()),
            );
            v.elapsed_ms = 7;
            v
        }),
    ];
    tests.push((kiosk3.id, 25, {
        let mut v = Verdict::failed(
            Target::Ftp,
            Failure::TestFileMissing,
            "test.txt is missing: looked for /kiosk3/test.txt on 127.0.0.1:2121; create it by hand in that folder (any content), then test again (login and target folder are fine; the server said 550 No such file or directory.)",
        );
        v.elapsed_ms = 15;
        v
    }));
    tests.push((kiosk3.id, 24, {
        let mut v = Verdict::ok(
            Target::Db,
            "opened /var/lib/backroom/kiosk3.db read-only and ran a query; SQLite 3.46.0; round trip 0 ms",
            Some("SQLite 3.46.0".into()),
        );
        v.elapsed_ms = 1;
        v
    }));
    for (folder_id, minutes, verdict) in tests {
        store::record_test(conn, folder_id, &verdict, &ago(minutes))?;
    }
    Ok(())
}

fn folder(conn: &Connection, form: &FolderForm) -> anyhow::Result<crate::pos::PosFolder> {
    let folder = form
        .to_folder()
        .map_err(|e| anyhow::anyhow!("demo folder: {}", e[0]))?;
    let id = store::insert_folder_in(conn, &folder)?;
    store::folder_by_id(conn, id)?.ok_or_else(|| anyhow::anyhow!("demo folder #{id} vanished"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_fills_every_tab() {
        let mut conn = crate::store::open_in_memory().unwrap();
        crate::demo::seed(&mut conn).unwrap();
        let folders = crate::store::pos::list_folders(&conn).unwrap();
        assert_eq!(folders.len(), 2);
        let s = &folders[1];
        assert_eq!(s.code, "STORE12");
        assert!(s.db.password.is_set() && s.ftp.address.is_some() && !s.till.ws_url.is_empty());
        assert_eq!(crate::store::pos::tables(&conn, s.id).unwrap().len(), 6);
        assert_eq!(crate::store::pos::last_tests(&conn, s.id).unwrap().len(), 3);
    }
}
