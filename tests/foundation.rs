//! The foundation through the real binary: store, config, CLI conventions.

mod support;

use support::TestEnv;

#[test]
fn the_database_is_created_private_and_migrated() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.ok(&["completions", "bash"]);
    let out = env.run(&["worker", "--until-idle"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(env.db())
        .expect("db created")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, backroom::store::SCHEMA_VERSION);
}

#[test]
fn an_older_database_is_migrated_on_open_and_keeps_its_rows() {
    let env = TestEnv::new();
    {
        let conn = backroom::store::open_at_version(&env.db(), 1).unwrap();
        backroom::store::settings::set(&conn, "store.note", "kept").unwrap();
        assert_eq!(backroom::store::version(&conn).unwrap(), 1);
    }
    let conn = backroom::store::open(&env.db()).unwrap();
    assert_eq!(
        backroom::store::version(&conn).unwrap(),
        backroom::store::SCHEMA_VERSION
    );
    assert_eq!(
        backroom::store::settings::get(&conn, "store.note")
            .unwrap()
            .as_deref(),
        Some("kept")
    );
}

#[test]
fn a_bad_config_names_the_file_and_exits_with_usage() {
    let env = TestEnv::new();
    env.write_config("[operators]\ntester = \"boss\"\n");
    let err = env.fails(2, &["worker", "--until-idle"]);
    assert!(err.contains("config.toml"), "{err}");
    assert!(err.contains("boss") || err.contains("tester"), "{err}");
}

#[test]
fn version_and_unknown_commands() {
    let env = TestEnv::new();
    assert!(env.ok(&["--version"]).contains(env!("CARGO_PKG_VERSION")));
    env.fails(2, &["no-such-noun"]);
}
