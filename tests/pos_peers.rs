//! The POS area's network clients against real peers: pyftpdlib and PostgreSQL 15.

#[allow(unused_imports)] // TestEnv: used once the CLI tests land here.
mod support;

use std::time::Duration;

use backroom::net::ftp::{FtpError, FtpParams, FtpSession};
use support::ftp::FtpServer;

fn params<'a>(server: &'a FtpServer, password: &'a str, target: Option<&'a str>) -> FtpParams<'a> {
    FtpParams {
        host: "127.0.0.1",
        port: server.port,
        tls: false,
        user: &server.user,
        password,
        target,
        timeout: Duration::from_secs(5),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn ftp_session_moves_bytes_unchanged_in_the_target_folder() {
    let server = FtpServer::start();
    server.write("store12/outbox/test.txt", b"line1\nline2\n");
    rt().block_on(async {
        let mut s = FtpSession::connect(&params(&server, &server.password, Some("store12/outbox")))
            .await
            .unwrap();
        assert_eq!(s.current_dir(), "/store12/outbox");
        // Binary mode: LF stays LF both ways.
        assert_eq!(s.get("test.txt").await.unwrap(), b"line1\nline2\n");
        let batch = b"a;b\nc;d\n\x00\xff".to_vec();
        s.put_atomic("batch-1.csv", &batch).await.unwrap();
        let mut names = s.list_names().await.unwrap();
        names.sort();
        assert_eq!(names, vec!["batch-1.csv", "test.txt"]);
        s.delete("test.txt").await.unwrap();
        s.quit().await;
    });
    assert_eq!(
        std::fs::read(server.path("store12/outbox/batch-1.csv")).unwrap(),
        b"a;b\nc;d\n\x00\xff"
    );
}

#[test]
fn ftp_session_names_each_failure() {
    let server = FtpServer::start();
    server.mkdir("store12");
    rt().block_on(async {
        let e = FtpSession::connect(&params(&server, "wrong", None))
            .await
            .err()
            .unwrap();
        assert!(matches!(e, FtpError::LoginFailed { .. }), "{e}");
        assert!(e.to_string().contains("530"), "{e}");

        let e = FtpSession::connect(&params(&server, &server.password, Some("nowhere/out")))
            .await
            .err()
            .unwrap();
        assert!(matches!(e, FtpError::FolderMissing { .. }), "{e}");

        let mut s = FtpSession::connect(&params(&server, &server.password, Some("store12")))
            .await
            .unwrap();
        let e = s.get("test.txt").await.unwrap_err();
        match &e {
            FtpError::FileMissing { path, .. } => assert_eq!(path, "/store12/test.txt"),
            other => panic!("{other}"),
        }

        let mut tls = params(&server, &server.password, None);
        tls.tls = true;
        let e = FtpSession::connect(&tls).await.err().unwrap();
        assert!(matches!(e, FtpError::Tls { .. }), "{e}");
        assert!(e.to_string().contains("AUTH TLS"), "{e}");

        let closed = support::free_port();
        let mut p = params(&server, &server.password, None);
        p.port = closed;
        let e = FtpSession::connect(&p).await.err().unwrap();
        assert!(matches!(e, FtpError::Refused { .. }), "{e}");
    });
}

#[test]
fn postgres_peer_starts_and_creates_databases() {
    let pg = support::postgres::Postgres::start();
    pg.create_database("erp");
    pg.psql("erp", "CREATE TABLE art (id int)");
    assert_eq!(pg.psql("erp", "SELECT count(*) FROM art").trim(), "0");
}
