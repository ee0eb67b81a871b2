//! The contact lifecycle at the portal, through `backroom serve` over real HTTP: a deactivated
//! contact's key refused on every endpoint until reactivated, a new invitation revoking the
//! earlier link, and the integration link's limits per job and per day (from config.toml).

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::TestEnv;
use support::serve::Serve;

fn config(port: u16, extra: &str) -> String {
    format!(
        "[operators]\ntester = \"admin\"\n[portal]\nbase_url = \"http://127.0.0.1:{port}/portal\"\n{extra}"
    )
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

/// An active contact with a portal access key, as registration and confirmation leave it.
fn active_contact(env: &TestEnv, name: &str, email: &str, key: &str) {
    env.ok(&["contacts", "add", name, email]);
    let conn = backroom::store::open(&env.db()).unwrap();
    let c = backroom::store::contacts::by_email(&conn, email)
        .unwrap()
        .unwrap();
    backroom::store::contacts::insert_identity(
        &conn,
        c.id,
        "portal",
        email,
        &backroom::contacts::token::hash(key),
    )
    .unwrap();
    backroom::store::contacts::set_state(&conn, c.id, backroom::contacts::ContactState::Active)
        .unwrap();
}

/// The invitation token in the `.eml` an invitation wrote (no SMTP configured).
fn invite(env: &TestEnv, email: &str) -> String {
    let sent = env.json(&["contacts", "invite", email, "--yes"]);
    let eml = std::fs::read_to_string(sent["delivery"]["path"].as_str().unwrap()).unwrap();
    let message = support::smtp::parse(&eml);
    message.body.split("register?token=").nth(1).unwrap()[..32].to_string()
}

#[tokio::test]
async fn a_deactivated_key_is_refused_everywhere_until_reactivated() {
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config(&config(port, ""));
    let key = "k".repeat(32);
    active_contact(&env, "Clara Weber", "clara@weber.de", &key);
    let server = Serve::start(&env, port);
    let http = reqwest::Client::new();
    let (status, job) = send(
        http.post(server.url("/portal/jobs?title=Cards"))
            .bearer_auth(&key)
            .body(pdf(1000)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let id = job["id"].as_i64().unwrap();

    env.ok(&["contacts", "deactivate", "clara@weber.de"]);
    let requests = [
        http.get(server.url("/portal/jobs")),
        http.post(server.url("/portal/jobs?title=More"))
            .body(pdf(1000)),
        http.post(server.url("/portal/terms/accept")),
        http.post(server.url(&format!("/portal/jobs/{id}/support?name=n.txt")))
            .body("notes"),
        http.put(server.url(&format!("/portal/jobs/{id}/model")))
            .json(&json!({"copies": 2})),
    ];
    for request in requests {
        let (status, refused) = send(request.bearer_auth(&key)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert!(
            refused["error"].as_str().unwrap().contains("deactivated"),
            "{refused}"
        );
    }

    env.ok(&["contacts", "reactivate", "clara@weber.de"]);
    let (status, mine) = send(http.get(server.url("/portal/jobs")).bearer_auth(&key)).await;
    assert_eq!(
        (status, mine.as_array().map(Vec::len)),
        (StatusCode::OK, Some(1)),
        "{mine}"
    );
}

#[tokio::test]
async fn a_new_invitation_revokes_the_earlier_unused_link() {
    let env = TestEnv::new();
    let port = support::free_port();
    env.write_config(&config(port, ""));
    env.ok(&["contacts", "add", "Anna Berg", "anna@x.org"]);
    let first = invite(&env, "anna@x.org");
    let second = invite(&env, "anna@x.org");
    assert_ne!(first, second);
    let server = Serve::start(&env, port);
    let http = reqwest::Client::new();
    let register = |token: &str| {
        http.post(server.url("/portal/register"))
            .json(&json!({ "token": token }))
    };
    let (status, old) = send(register(&first)).await;
    assert_eq!(status, StatusCode::GONE, "{old}");
    assert!(
        old["error"]
            .as_str()
            .unwrap()
            .contains("replaced by a newer one"),
        "{old}"
    );
    let (status, look) =
        send(http.get(server.url(&format!("/portal/register?token={first}")))).await;
    assert_eq!(status, StatusCode::GONE, "{look}");
    let (status, registered) = send(register(&second)).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(registered["state"], "inactive");
}

#[tokio::test]
async fn the_integration_link_enforces_its_limits_per_job_and_per_day() {
    let env = TestEnv::new();
    let port = support::free_port();
    let limits =
        "integration_jobs_per_day = 3\nintegration_max_job_mb = 1\nintegration_max_day_mb = 2\n";
    env.write_config(&config(port, limits));
    let (alice, bob) = ("a".repeat(32), "b".repeat(32));
    active_contact(&env, "Alice", "alice@x.org", &alice);
    active_contact(&env, "Bob", "bob@x.org", &bob);
    let server = Serve::start(&env, port);
    let http = reqwest::Client::new();
    let submit = |key: &str, size: usize| {
        http.post(server.url("/portal/jobs?title=Job"))
            .bearer_auth(key)
            .body(pdf(size))
    };
    // Refused before its body was read: the answer closes the connection, so that the next
    // upload does not go out on it (it failed "broken pipe" now and then).
    let refused = submit(&alice, 1_200_000)
        .send()
        .await
        .expect("HTTP request");
    assert_eq!(
        refused.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    let (status, big) = (refused.status(), refused.json::<Value>().await.unwrap());
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{big}");
    assert!(
        big["error"].as_str().unwrap().contains("size per job"),
        "{big}"
    );
    for _ in 0..2 {
        let (status, job) = send(submit(&alice, 900_000)).await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
    }
    let (status, day) = send(submit(&alice, 300_000)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{day}");
    assert!(
        day["error"].as_str().unwrap().contains("size per day"),
        "{day}"
    );
    let (status, _) = send(submit(&alice, 100_000)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, many) = send(submit(&alice, 1_000)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{many}");
    assert!(
        many["error"]
            .as_str()
            .unwrap()
            .contains("3 of 3 jobs were already submitted today by this account"),
        "{many}"
    );
    // The limits are each contact's own.
    let (status, job) = send(submit(&bob, 900_000)).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
}
