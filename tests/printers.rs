//! Printers and providers against real peers: ippeveprinter, a TCP listener, a PrintNode-style
//! HTTP server, a spool folder; and the `backroom printers` CLI through the real binary.

mod support;

use std::time::Duration;

use backroom::net::print::{self, Lookup, PrintRequest, RemoteState, SendError};
use backroom::printing::{Printer, Provider};
use support::ipp::IppPrinter;
#[allow(unused_imports)]
use support::TestEnv;

fn printer(provider: Provider, target: &str) -> Printer {
    Printer {
        id: 1,
        name: "test".into(),
        provider,
        target: target.into(),
        api_key: None,
        tray: None,
        copies: 1,
        enabled: true,
        is_default: true,
        created_at: String::new(),
    }
}

fn pdf() -> Vec<u8> {
    backroom::printing::test_page::render(&printer(Provider::Spool, "/tmp"), chrono::Utc::now())
}

fn request<'a>(uuid: &'a str, document: &'a [u8]) -> PrintRequest<'a> {
    PrintRequest {
        job_uuid: uuid,
        title: "invoice 1001",
        document,
        copies: 1,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn ipp_prints_the_exact_pdf_and_finds_it_by_uuid_and_follows_its_state() {
    let ipp = IppPrinter::start();
    let rt = rt();
    let mut p = printer(Provider::Ipp, &ipp.url());
    p.tray = Some("main".into());
    let doc = pdf();
    let uuid = uuid::Uuid::new_v4().to_string();
    let accepted = rt
        .block_on(print::send(&p, &request(&uuid, &doc)))
        .unwrap_or_else(|e| panic!("send failed: {e}; log: {}", ipp.log()));
    let job_id = accepted.remote_ref.expect("IPP job-id");
    assert!(job_id.parse::<i32>().is_ok(), "{job_id}");

    let files = ipp.wait_received(1, Duration::from_secs(10));
    assert_eq!(files.len(), 1, "log: {}", ipp.log());
    assert_eq!(std::fs::read(&files[0]).unwrap(), doc);

    match rt.block_on(print::find_by_uuid(&p, &uuid)).unwrap() {
        Lookup::Found { remote_ref, .. } => assert_eq!(remote_ref, job_id),
        other => panic!("expected the job, got {other:?}"),
    }
    let fresh = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        rt.block_on(print::find_by_uuid(&p, &fresh)).unwrap(),
        Lookup::NotFound
    );

    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    loop {
        let state = rt
            .block_on(print::remote_state(&p, &job_id))
            .unwrap()
            .expect("a job-state");
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        if state.is_final() || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(seen.last(), Some(&RemoteState::Completed), "{seen:?}");
}

#[test]
fn ipp_busy_and_stopped_printers_are_retryable() {
    let mut ipp = IppPrinter::start_slow();
    let rt = rt();
    let p = printer(Provider::Ipp, &ipp.url());
    let doc = pdf();
    let first = uuid::Uuid::new_v4().to_string();
    if let Err(e) = rt.block_on(print::send(&p, &request(&first, &doc))) {
        drop(rt);
        std::thread::sleep(Duration::from_millis(300));
        panic!("the first job was refused: {e}; log: {}", ipp.log());
    }
    // ippeveprinter needs a moment to start "printing" the first job.
    std::thread::sleep(Duration::from_millis(500));
    let second = uuid::Uuid::new_v4().to_string();
    match rt.block_on(print::send(&p, &request(&second, &doc))) {
        Err(SendError::Retryable(e)) => assert!(e.contains("busy"), "{e}"),
        other => panic!("expected busy, got {other:?}"),
    }
    ipp.stop();
    match rt.block_on(print::send(&p, &request(&second, &doc))) {
        Err(SendError::Retryable(e)) => assert!(e.contains("connect"), "{e}"),
        other => panic!("expected a retryable error, got {other:?}"),
    }
    assert!(matches!(
        rt.block_on(print::find_by_uuid(&p, &second)),
        Err(SendError::Retryable(_))
    ));
}
