//! The customer portal through the real binary (`backroom serve`) with invitations delivered to a
//! real SMTP server (aiosmtpd): register once, confirm, accept terms, submit jobs, generic link limits.

mod support;

use std::io::{Read, Write};

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::TestEnv;
use support::serve::Serve;
use support::smtp::Smtp;

fn portal_config(port: u16) -> String {
    format!("[portal]\nbase_url = \"http://127.0.0.1:{port}/portal\"\n")
}

/// The 32 hex characters after `marker` in `text`.
fn token_after(text: &str, marker: &str) -> String {
    let rest = text
        .split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("{marker} not in:\n{text}"));
    let token: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 32, "token after {marker}: {rest}");
    token
}

fn pdf(size: usize) -> Vec<u8> {
    let mut body = b"%PDF-1.7\n".to_vec();
    body.resize(size, b'x');
    body
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("HTTP request");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn state(env: &TestEnv, email: &str) -> Value {
    env.json(&["contacts", "show", email])["contact"].clone()
}

#[tokio::test]
async fn an_invitation_through_smtp_registers_once_then_activates_and_submits() {
    let smtp = Smtp::start();
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config(&format!(
        "{}{}integration_max_job_mb = 1\n",
        smtp.config(),
        portal_config(port)
    ));
    let server = Serve::start(&env, port);
    let http = reqwest::Client::new();

    let sent = env.json(&[
        "contacts",
        "add",
        "Alice Martin",
        "alice@x.org",
        "--company",
        "ACME",
        "--invite",
        "--yes",
    ]);
    assert_eq!(sent["delivery"]["delivery"], "sent");
    let invitation = &smtp.wait_for(1)[0];
    assert!(
        invitation.header("To").unwrap().contains("alice@x.org"),
        "{:?}",
        invitation.headers
    );
    assert!(
        invitation
            .header("From")
            .unwrap()
            .contains("shop@example.com")
    );
    assert!(
        invitation
            .header("Subject")
            .unwrap()
            .contains("invites you")
    );
    let marker = format!("http://127.0.0.1:{port}/portal/register?token=");
    let token = token_after(&invitation.body, &marker);
    assert_eq!(state(&env, "alice@x.org")["invited"], true);

    let (status, who) =
        send(http.get(server.url(&format!("/portal/register?token={token}")))).await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["name"], "Alice Martin");

    let register = || http.post(server.url("/portal/register"));
    let (status, unknown) = send(register().json(&json!({"token": "0".repeat(32)}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{unknown}");
    let (status, registered) = send(register().json(&json!({ "token": token }))).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(registered["state"], "inactive");
    let key = registered["access_key"].as_str().unwrap().to_string();
    let (status, again) = send(register().json(&json!({ "token": token }))).await;
    assert_eq!(status, StatusCode::GONE, "{again}");
    assert!(
        again["error"].as_str().unwrap().contains("already used"),
        "{again}"
    );
    assert_eq!(state(&env, "alice@x.org")["state"], "inactive");
    let shown = env.json(&["contacts", "show", "alice@x.org"]);
    assert_eq!(shown["identities"][0]["subject"], "alice@x.org");

    let submit = |body: Vec<u8>| {
        http.post(server.url("/portal/jobs?title=Flyers%20A5&name=flyer.pdf"))
            .bearer_auth(&key)
            .body(body)
    };
    let (status, early) = send(submit(pdf(2000))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{early}");

    let confirmation = &smtp.wait_for(2)[1];
    assert!(confirmation.header("Subject").unwrap().contains("Activate"));
    let first_confirm = token_after(&confirmation.body, "/portal/activate?token=");
    // A new activation request for an inactive contact carries a new confirmation link.
    let resent = env.json(&["contacts", "invite", "alice@x.org", "--yes"]);
    assert_eq!(resent["purpose"], "confirm");
    let again = &smtp.wait_for(3)[2];
    let confirm = token_after(&again.body, "/portal/activate?token=");
    assert_ne!(confirm, first_confirm);
    let (status, who) =
        send(http.get(server.url(&format!("/portal/activate?token={confirm}")))).await;
    assert_eq!(
        (status, who["state"].as_str()),
        (StatusCode::OK, Some("inactive")),
        "{who}"
    );
    let activate = || http.post(server.url("/portal/activate"));
    let (status, active) = send(activate().json(&json!({ "token": confirm }))).await;
    assert_eq!(
        (status, active["state"].as_str()),
        (StatusCode::OK, Some("active")),
        "{active}"
    );
    let (status, _) = send(activate().json(&json!({ "token": confirm }))).await;
    assert_eq!(status, StatusCode::GONE);
    let (status, replaced) = send(activate().json(&json!({ "token": first_confirm }))).await;
    assert_eq!(
        status,
        StatusCode::GONE,
        "the newer activation request revoked the earlier link: {replaced}"
    );
    assert!(
        replaced["error"]
            .as_str()
            .unwrap()
            .contains("replaced by a newer one"),
        "{replaced}"
    );
    assert_eq!(state(&env, "alice@x.org")["state"], "active");

    let (status, _) = send(http.post(server.url("/portal/terms/accept"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, accepted) = send(
        http.post(server.url("/portal/terms/accept"))
            .basic_auth("alice@x.org", Some(&key)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert!(state(&env, "alice@x.org")["terms_accepted_at"].is_string());

    let body = pdf(300_000);
    let (status, job) = send(submit(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(
        (job["state"].as_str(), job["title"].as_str()),
        (Some("new"), Some("Flyers A5"))
    );
    let id = job["id"].as_i64().unwrap();
    let stored = backroom::contacts::files::job_dir(&env.db(), id).join("input.pdf");
    assert_eq!(std::fs::read(stored).unwrap(), body);
    let (status, mine) = send(http.get(server.url("/portal/jobs")).bearer_auth(&key)).await;
    assert_eq!(
        (status, mine.as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
    let (status, not_pdf) = send(submit(b"hello, not a pdf".to_vec())).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{not_pdf}");

    let support_url = server.url(&format!("/portal/jobs/{id}/support?name=../notes.txt"));
    let (status, attached) = send(http.post(support_url).bearer_auth(&key).body("remarks")).await;
    assert_eq!(status, StatusCode::OK, "{attached}");
    assert_eq!(attached["support_name"], "_notes.txt");
    // The job is its input and its support together, within the size per job (1 MB here).
    assert_eq!(attached["size_bytes"], 300_007, "{attached}");
    let too_big = http
        .post(server.url(&format!("/portal/jobs/{id}/support?name=big.bin")))
        .bearer_auth(&key)
        .body(vec![b'x'; 800_000]);
    let (status, refused) = send(too_big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("size per job"),
        "{refused}"
    );
    let model_url = server.url(&format!("/portal/jobs/{id}/model"));
    let (status, bad) = send(http.put(&model_url).bearer_auth(&key).body("not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let model = json!({"media": "A3", "copies": 20});
    let (status, _) = send(http.put(&model_url).bearer_auth(&key).json(&model)).await;
    assert_eq!(status, StatusCode::OK);

    let out = env.path().join("backups");
    let written = env.json(&[
        "contacts",
        "backup",
        "alice@x.org",
        "--out",
        out.to_str().unwrap(),
    ]);
    let zip = written["path"].as_str().unwrap();
    assert!(zip.ends_with("backups/Alice Martin.zip"), "{zip}");
    let unzip = |args: &[&str]| {
        let o = std::process::Command::new("unzip")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "unzip {args:?}");
        o.stdout
    };
    let folder = format!("{id} - Flyers A5");
    assert_eq!(unzip(&["-p", zip, &format!("{folder}/flyer.pdf")]), body);
    assert_eq!(
        unzip(&["-p", zip, &format!("{folder}/_notes.txt")]),
        b"remarks"
    );
    let saved: Value =
        serde_json::from_slice(&unzip(&["-p", zip, &format!("{folder}/pdl-model.json")])).unwrap();
    assert_eq!(saved, model);

    // An upload still arriving when the account is deactivated does not become a job.
    let mut held = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    held.write_all(
        format!(
            "POST /portal/jobs?title=Late HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let data = pdf(10_000);
    held.write_all(&[format!("{:x}\r\n", data.len()).as_bytes(), &data, b"\r\n"].concat())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    env.ok(&["contacts", "deactivate", "alice@x.org"]);
    let (code, answer) = finish_upload(held);
    assert_eq!(code, 403, "{answer}");
    assert!(answer.contains("deactivated"), "{answer}");
    let (status, refused) = send(submit(pdf(2000))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("deactivated"),
        "{refused}"
    );
}

/// The generic link's path on the portal at `port`.
fn generic_path(env: &TestEnv, port: u16) -> String {
    let link = env.json(&["links", "show"])["generic_link"]
        .as_str()
        .unwrap()
        .to_string();
    link.strip_prefix(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .to_string()
}

/// Sends `total` bytes of PDF with chunked encoding (no Content-Length); returns status and body.
fn chunked_upload(port: u16, path: &str, total: usize) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let data = pdf(total);
    for chunk in data.chunks(64 * 1024) {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if stream.write_all(&frame).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    answer(stream)
}

/// The status and the whole answer read from `stream`.
fn answer(mut stream: std::net::TcpStream) -> (u16, String) {
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[tokio::test]
async fn the_generic_link_enforces_each_limit_and_dies_when_regenerated() {
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config(&format!(
        "[operators]\ntester = \"admin\"\n{}",
        portal_config(port)
    ));
    env.ok(&[
        "links",
        "set",
        "--jobs-per-day",
        "2",
        "--max-job-size",
        "1kB",
        "--max-day-size",
        "1500",
    ]);
    let path = generic_path(&env, port);
    let server = Serve::start(&env, port);
    let http = reqwest::Client::new();
    let submit = |path: &str, size: usize| {
        http.post(server.url(&format!(
            "{path}/jobs?title=Poster&name=poster.pdf&email=walkin@x.org"
        )))
        .body(pdf(size))
    };

    let (status, info) = send(http.get(server.url(&path))).await;
    assert_eq!(
        (status, info["jobs_per_day"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    let (code, streamed) = chunked_upload(port, &format!("{path}/jobs?title=Big"), 5_000);
    assert_eq!(code, 413, "{streamed}");
    assert!(streamed.contains("size per job"), "{streamed}");
    let (status, job) = send(submit(&path, 600)).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(
        (job["via"].as_str(), job["submitter"].as_str()),
        (Some("generic"), Some("walkin@x.org"))
    );

    let (status, too_big) = send(submit(&path, 1200)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{too_big}");
    assert!(
        too_big["error"].as_str().unwrap().contains("size per job"),
        "{too_big}"
    );

    let (status, _) = send(submit(&path, 600)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, per_day) = send(submit(&path, 100)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{per_day}");
    assert!(
        per_day["error"]
            .as_str()
            .unwrap()
            .contains("jobs per day: 2 of 2"),
        "{per_day}"
    );

    env.ok(&["links", "set", "--jobs-per-day", "10"]);
    let (status, day_size) = send(submit(&path, 600)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{day_size}");
    assert!(
        day_size["error"].as_str().unwrap().contains("size per day"),
        "{day_size}"
    );
    let (code, streamed) = chunked_upload(port, &format!("{path}/jobs?title=Big"), 900);
    assert_eq!(code, 413, "{streamed}");
    assert!(streamed.contains("size per day"), "{streamed}");

    env.ok(&["links", "set", "--max-day-size", "1GB"]);
    let yesterday = (chrono::Local::now().date_naive() - chrono::Days::new(1)).to_string();
    env.ok(&["links", "set", "--expires", &yesterday]);
    let (status, expired) = send(submit(&path, 100)).await;
    assert_eq!(status, StatusCode::GONE, "{expired}");
    assert!(
        expired["error"].as_str().unwrap().contains("expired"),
        "{expired}"
    );
    env.ok(&["links", "set", "--expires", "never"]);
    let (status, _) = send(submit(&path, 100)).await;
    assert_eq!(status, StatusCode::CREATED);

    let new_link = env.json(&["links", "regenerate"])["generic_link"]
        .as_str()
        .unwrap()
        .to_string();
    let new_path = new_link
        .strip_prefix(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .to_string();
    let (status, old) = send(submit(&path, 100)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{old}");
    assert!(
        old["error"].as_str().unwrap().contains("regenerated"),
        "{old}"
    );
    let (status, _) = send(submit(&new_path, 100)).await;
    assert_eq!(status, StatusCode::CREATED);
    let files = std::fs::read_dir(backroom::contacts::files::root(&env.db()).join(".incoming"))
        .unwrap()
        .count();
    assert_eq!(files, 0, "refused uploads leave no partial file");
}

#[tokio::test]
async fn an_unreachable_smtp_server_exits_5_and_an_expired_link_is_refused() {
    let env = TestEnv::new();
    let port = support::free_port();
    let dead = support::free_port();
    env.write_config(&format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {dead}\nfrom = \"shop@example.com\"\n{}",
        portal_config(port)
    ));
    env.ok(&["contacts", "add", "Bob", "bob@x.org"]);
    let err = env.fails(5, &["contacts", "invite", "bob@x.org", "--yes"]);
    assert!(err.contains(&format!("127.0.0.1:{dead}")), "{err}");
    assert_eq!(state(&env, "bob@x.org")["invited"], false);

    env.write_config(&portal_config(port));
    let sent = env.json(&["contacts", "invite", "bob@x.org", "--yes"]);
    let eml = std::fs::read_to_string(sent["delivery"]["path"].as_str().unwrap()).unwrap();
    let token = token_after(&support::smtp::parse(&eml).body, "register?token=");
    let conn = backroom::store::open(&env.db()).unwrap();
    conn.execute(
        "UPDATE activation_tokens SET expires_at = '2020-01-01T00:00:00.000Z'",
        [],
    )
    .unwrap();
    let server = Serve::start(&env, port);
    let (status, expired) = send(
        reqwest::Client::new()
            .post(server.url("/portal/register"))
            .json(&json!({ "token": token })),
    )
    .await;
    assert_eq!(status, StatusCode::GONE, "{expired}");
    assert!(
        expired["error"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-01"),
        "{expired}"
    );
    assert_eq!(state(&env, "bob@x.org")["state"], "not_registered");
}

/// Starts a chunked upload of `first` bytes of PDF and holds it open (no last chunk).
fn held_upload(port: u16, path: &str, first: usize) -> std::net::TcpStream {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let data = pdf(first);
    let frame = [format!("{:x}\r\n", data.len()).as_bytes(), &data, b"\r\n"].concat();
    stream.write_all(&frame).unwrap();
    stream
}

fn part_files(env: &TestEnv) -> usize {
    std::fs::read_dir(env.db().parent().unwrap().join("shop-jobs/.incoming"))
        .map(|d| d.flatten().count())
        .unwrap_or(0)
}

/// Uploads held open together count against the link's day as if submitted: before, each got
/// the whole day's budget, and twenty slow uploads put twenty times the daily size on the disk.
/// An upload the service was killed in the middle of leaves nothing once it starts again.
#[tokio::test]
async fn uploads_held_open_together_stay_within_the_day_and_leave_nothing_behind() {
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config(&format!(
        "[operators]\ntester = \"admin\"\n{}",
        portal_config(port)
    ));
    env.ok(&[
        "links",
        "set",
        "--jobs-per-day",
        "2",
        "--max-job-size",
        "2MB",
        "--max-day-size",
        "3MB",
    ]);
    let path = generic_path(&env, port);
    let jobs = format!("{path}/jobs?title=Held");
    let server = Serve::start(&env, port);
    let first = held_upload(port, &jobs, 1_500_000);
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The day has 1.5 MB left beside the first: a second upload may bring that much, not 2 MB.
    let (code, answer) = chunked_upload(port, &jobs, 1_800_000);
    assert_eq!(code, 413, "{answer}");
    assert!(answer.contains("size per day"), "{answer}");
    let second = held_upload(port, &jobs, 1_000_000);
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Two jobs a day, both in flight: a third is refused at once.
    let (code, answer) = chunked_upload(port, &jobs, 1_000);
    assert_eq!(code, 429, "{answer}");
    assert!(answer.contains("jobs per day: 2 of 2"), "{answer}");
    assert_eq!(part_files(&env), 2);

    // The service is killed (SIGKILL: no cleanup runs) with both uploads open: the files stay
    // until it starts again.
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(part_files(&env), 2);
    drop(server);
    drop((first, second));
    let _server = Serve::start(&env, port);
    assert_eq!(part_files(&env), 0);
    let (code, answer) = chunked_upload(port, &jobs, 1_000);
    assert_eq!(code, 201, "{answer}");
}

/// Ends an upload [`held_upload`] started; returns the status and the answer.
fn finish_upload(mut stream: std::net::TcpStream) -> (u16, String) {
    stream.write_all(b"0\r\n\r\n").unwrap();
    answer(stream)
}

/// A file still arriving when the generic link is regenerated does not become a job: the old
/// link answers 404 at once, for the uploads it had started too (before, a held upload finished
/// as a job after the shop had cut the link off).
#[tokio::test]
async fn an_upload_on_a_link_regenerated_meanwhile_is_refused() {
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config(&format!(
        "[operators]\ntester = \"admin\"\n{}",
        portal_config(port)
    ));
    let path = generic_path(&env, port);
    let _server = Serve::start(&env, port);
    let held = held_upload(port, &format!("{path}/jobs?title=Late"), 10_000);
    std::thread::sleep(std::time::Duration::from_millis(300));
    env.ok(&["links", "regenerate"]);
    let (code, answer) = finish_upload(held);
    assert_eq!(code, 404, "{answer}");
    assert!(
        answer.contains("regenerated while the file was arriving"),
        "{answer}"
    );
    assert_eq!(part_files(&env), 0);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let jobs: i64 = conn
        .query_row("SELECT count(*) FROM shop_jobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(jobs, 0);
}
