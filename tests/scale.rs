//! Scale: lists that stop at a default limit, `--all` and `--filter`, the filter language's
//! explained errors, Unicode order, counts kept by triggers, purges in small transactions that
//! never keep another writer out, and concurrent writers that never see "database is locked".

mod support;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use backroom::store::views::{self, Filter, Query};
use support::TestEnv;

/// Inserts `n` print jobs in one transaction, every `failed_every`-th failed, alternately on the
/// printers `front` and `back`, created `created_at`.
fn seed_jobs(db: &Path, n: usize, failed_every: usize, created_at: &str) {
    drop(backroom::store::open(db).unwrap());
    seed_jobs_as_they_are(db, n, failed_every, created_at);
}

/// [`seed_jobs`] into a store at whatever schema version it has.
fn seed_jobs_as_they_are(db: &Path, n: usize, failed_every: usize, created_at: &str) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(
        "INSERT OR IGNORE INTO printers (name, provider, target, is_default, created_at) VALUES
           ('front', 'spool', '/nonexistent/front', 1, '2026-01-01T00:00:00.000Z'),
           ('back', 'spool', '/nonexistent/back', 0, '2026-01-01T00:00:00.000Z');",
    )
    .unwrap();
    let doc: i64 = tx
        .query_row(
            "INSERT INTO documents (kind, title, sha256, bytes, created_at)
             VALUES ('invoice', 'Facture Société Générale', 'x', x'25504446', ?1) RETURNING id",
            [created_at],
            |r| r.get(0),
        )
        .unwrap();
    {
        let mut job = tx
            .prepare(
                "INSERT INTO print_jobs (uuid, document_id, printer_id, state, attempts,
                   next_attempt_at, last_error, created_at, finished_at)
                 VALUES (?1, ?2, (SELECT id FROM printers WHERE name = ?3), ?4, ?5, ?6, ?7, ?6, ?8)",
            )
            .unwrap();
        for i in 0..n {
            let failed = failed_every > 0 && i % failed_every == 0;
            let printer = if i % 2 == 0 { "front" } else { "back" };
            let (state, attempts, error, finished) = if failed {
                ("failed", 8, Some("paper jam in tray 2"), Some(created_at))
            } else {
                ("succeeded", 1, None, Some(created_at))
            };
            job.execute(rusqlite::params![
                uuid::Uuid::new_v4().to_string(),
                doc,
                printer,
                state,
                attempts,
                created_at,
                error,
                finished
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn stdout_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn jobs_list_stops_at_fifty_and_says_how_many_more() {
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    seed_jobs(&env.db(), 120, 3, "2026-11-20T10:00:00.000Z");
    let out = env.run(&["jobs", "list"]);
    assert!(out.status.success());
    let lines = stdout_lines(&out);
    // Header, 50 rows, the footer.
    assert_eq!(lines.len(), 52, "{lines:#?}");
    assert!(lines[51].starts_with("50 job(s)"), "{}", lines[51]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("70 more: --limit N or --all"),
        "stderr: {stderr}"
    );

    let limited = env.json(&["jobs", "list", "--limit", "5"]);
    assert_eq!(limited.as_array().unwrap().len(), 5);

    let out = env.run(&["--json", "jobs", "list", "--all"]);
    assert!(out.status.success());
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 120);
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("more"),
        "nothing is left out with --all"
    );
    let text = env.ok(&["jobs", "list", "--all"]);
    assert_eq!(text.lines().count(), 122, "every row, streamed as text");
}

#[test]
fn a_state_given_in_the_filter_is_counted_exactly_past_the_cap() {
    // More failed jobs than a filtered count reads (10,000): the kept count of the state answers
    // `--filter state:failed` as it answers `--state failed`, not "at least 9,999 more".
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    seed_jobs(&env.db(), 10_050, 1, "2026-11-20T10:00:00.000Z");
    for args in [
        &["jobs", "list", "--limit", "1", "--filter", "state:failed"][..],
        &["jobs", "list", "--limit", "1", "--state", "failed"][..],
    ] {
        let out = env.run(args);
        assert!(out.status.success(), "{}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains("10,049 more: --limit N or --all"),
            "{args:?}: {}",
            stderr_of(&out)
        );
    }
    // With a word as well, the count is read, up to the cap.
    let out = env.run(&[
        "jobs",
        "list",
        "--limit",
        "1",
        "--filter",
        "state:failed jam",
    ]);
    assert!(
        stderr_of(&out).contains("at least 9,999 more: --limit N or --all"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn jobs_list_filters_with_the_tui_language() {
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    seed_jobs(&env.db(), 60, 3, "2026-11-20T10:00:00.000Z");
    let failed_front = env.json(&[
        "jobs",
        "list",
        "--all",
        "--filter",
        "state:failed printer:fro",
    ]);
    let rows = failed_front.as_array().unwrap();
    // Jobs 0, 6, 12, … 54 are failed and on front: ten of them.
    assert_eq!(rows.len(), 10, "{failed_front:#}");
    assert!(
        rows.iter()
            .all(|j| j["state"] == "failed" && j["printer"] == "front")
    );

    // A free word goes through the trigram index: a substring, accents and case kept apart.
    let jam = env.json(&["jobs", "list", "--all", "--filter", "JAM"]);
    assert_eq!(jam.as_array().unwrap().len(), 20);
    let societe = env.json(&["jobs", "list", "--limit", "3", "--filter", "société"]);
    assert_eq!(societe.as_array().unwrap().len(), 3);

    // A job's uuid (from a printer's log) finds it whole.
    let one = env.json(&["jobs", "list", "--limit", "1"]);
    let uuid = one[0]["uuid"].as_str().unwrap().to_uppercase();
    let found = env.json(&["jobs", "list", "--filter", &uuid]);
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["id"], one[0]["id"]);

    // So does the printer's own job id (from the printer's queue), and only whole.
    let conn = backroom::store::open(&env.db()).unwrap();
    conn.execute(
        "UPDATE print_jobs SET remote_ref = '4711' WHERE id = ?1",
        [one[0]["id"].as_i64().unwrap()],
    )
    .unwrap();
    drop(conn);
    let by_ref = env.json(&["jobs", "list", "--filter", "4711"]);
    assert_eq!(by_ref.as_array().unwrap().len(), 1, "{by_ref}");
    assert_eq!(by_ref[0]["id"], one[0]["id"]);
    let part = env.json(&["jobs", "list", "--filter", "471"]);
    assert_eq!(part.as_array().unwrap().len(), 0, "{part}");

    let err = env.fails(2, &["jobs", "list", "--filter", "attempts:>abc"]);
    assert!(
        err.contains("`attempts:>abc`: `abc` is not a whole number"),
        "{err}"
    );
    let err = env.fails(2, &["jobs", "list", "--filter", "colour:red"]);
    assert!(
        err.contains("unknown filter field `colour`") && err.contains("state"),
        "{err}"
    );
    let err = env.fails(2, &["jobs", "list", "--filter", "state:fai"]);
    assert!(err.contains("`fai` is not one of pending"), "{err}");
}

#[test]
fn contacts_sort_in_unicode_order_and_filter() {
    let env = TestEnv::new();
    for (name, email) in [
        ("Giulia Rossi", "giulia@x.org"),
        ("Zoé Faure", "zoe@x.org"),
        ("Élodie Martin", "elodie@x.org"),
        ("Özlem Kaya", "ozlem@x.org"),
        ("Oskar Weber", "oskar@x.org"),
        ("anna Schmidt", "anna@x.org"),
    ] {
        env.ok(&["contacts", "add", name, email]);
    }
    let names: Vec<String> = env
        .json(&["contacts", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "anna Schmidt",
            "Élodie Martin",
            "Giulia Rossi",
            "Oskar Weber",
            "Özlem Kaya",
            "Zoé Faure"
        ]
    );
    let found = env.json(&["contacts", "list", "--filter", "name:lod"]);
    assert_eq!(found.as_array().unwrap().len(), 1);
    let exact = env.json(&["contacts", "list", "--filter", "name:=Oskar"]);
    assert_eq!(exact.as_array().unwrap().len(), 0, "= is the whole value");
    let exact = env.json(&["contacts", "list", "--filter", "name:=\"oskar weber\""]);
    assert_eq!(exact.as_array().unwrap().len(), 1);
    let out = env.run(&["contacts", "list", "--limit", "2"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("4 more: --limit N or --all"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_pane_sorts_names_in_unicode_order_through_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let conn = backroom::store::open(&dir.path().join("b.db")).unwrap();
    for (i, name) in ["Giulia", "Élodie", "Eva", "Zoé", "Ärger"]
        .iter()
        .enumerate()
    {
        conn.execute(
            "INSERT INTO contacts (name, email, created_at) VALUES (?1, ?2, '2026-01-01')",
            rusqlite::params![name, format!("c{i}@x.org")],
        )
        .unwrap();
    }
    let query = Query::new(&views::CONTACTS);
    let w = views::window(
        &conn,
        &views::CONTACTS,
        &query,
        &views::Anchor::First,
        0,
        10,
    )
    .unwrap();
    let names: Vec<&str> = w.rows.iter().map(|r| r.cells[0].as_str()).collect();
    assert_eq!(names, ["Ärger", "Élodie", "Eva", "Giulia", "Zoé"]);
    let plan: String = conn
        .query_row(
            &format!(
                "EXPLAIN QUERY PLAN SELECT c.id FROM contacts c ORDER BY {} ASC, c.id ASC",
                views::order_by(&views::CONTACTS, 0)
            ),
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(
        plan.contains("contacts_name"),
        "sorted through the index: {plan}"
    );
    // A page further on seeks the name index from the key, alone or after a state.
    let key = w.rows[2].key.clone();
    let plan = views::plan(&conn, &views::CONTACTS, &query, &key).unwrap();
    assert!(
        plan.starts_with("SEARCH c USING INDEX contacts_name (<expr>>?)") && !plan.contains("TEMP"),
        "seeks the index: {plan}"
    );
    // Registered states through the index by state (it leaves out `not_registered`, the state
    // of most contacts, whose filter walks the name index).
    conn.execute(
        "UPDATE contacts SET state = 'active' WHERE name IN ('Ärger', 'Giulia', 'Zoé')",
        [],
    )
    .unwrap();
    for (state, index, rows) in [
        (
            "active",
            "contacts_state_name (state=? AND <expr>>?)",
            vec!["Giulia", "Zoé"],
        ),
        ("not_registered", "contacts_name (<expr>>?)", vec!["Eva"]),
    ] {
        let mut by_state = Query::new(&views::CONTACTS);
        by_state.filter = Filter::parse(&views::CONTACTS, &format!("state:{state}")).unwrap();
        let plan = views::plan(&conn, &views::CONTACTS, &by_state, &key).unwrap();
        assert!(
            plan.starts_with(&format!("SEARCH c USING INDEX {index}")) && !plan.contains("TEMP"),
            "{state}: {plan}"
        );
        let at = views::Anchor::At(key.clone());
        let after = views::window(&conn, &views::CONTACTS, &by_state, &at, 0, 10).unwrap();
        let names: Vec<&str> = after.rows.iter().map(|r| r.cells[0].as_str()).collect();
        assert_eq!(names, rows, "{state}");
    }
}

#[test]
fn counts_are_exact_when_kept_and_say_more_than_when_capped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    seed_jobs(&db, 10_500, 2, "2026-11-20T10:00:00.000Z");
    let conn = backroom::store::open(&db).unwrap();
    let view = &views::PRINT_JOBS;
    let mut query = Query::new(view);
    let all = views::count(&conn, view, &query).unwrap();
    assert_eq!((all.n, all.exact), (10_500, true));
    query.filter = Filter::parse(view, "state:failed").unwrap();
    let failed = views::count(&conn, view, &query).unwrap();
    assert_eq!((failed.n, failed.exact), (5_250, true));
    query.filter = Filter::parse(view, "document:facture").unwrap();
    let capped = views::count(&conn, view, &query).unwrap();
    assert_eq!((capped.n, capped.exact), (10_000, false));
    let title = backroom::tui::strings::panes::title("Print jobs", Some(capped), "", "id", true, 0);
    assert!(title.contains("more than 10,000 rows"), "{title}");
    query.filter = Filter::parse(view, "printer:fro attempts:8").unwrap();
    let few = views::count(&conn, view, &query).unwrap();
    assert_eq!((few.n, few.exact), (5_250, true));

    // The kept counts follow deletes and state changes.
    conn.execute("UPDATE print_jobs SET state = 'pending' WHERE id <= 10", [])
        .unwrap();
    conn.execute("DELETE FROM print_jobs WHERE id > 10_000", [])
        .unwrap();
    for (state, n) in [("pending", 10), ("failed", 4_995), ("succeeded", 4_995)] {
        let kept = backroom::store::counts::kept(&conn, &format!("print_jobs.{state}"))
            .unwrap()
            .unwrap();
        let real: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM print_jobs WHERE state = ?1",
                [state],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!((kept, real), (n, n as i64), "{state}");
    }
}

#[test]
fn every_foreign_key_has_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let conn = backroom::store::open(&dir.path().join("b.db")).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut missing = Vec::new();
    for t in &tables {
        let fks: Vec<String> = conn
            .prepare(&format!(
                "SELECT \"from\" FROM pragma_foreign_key_list('{t}')"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let firsts: Vec<String> = conn
            .prepare(&format!(
                "SELECT (SELECT name FROM pragma_index_info(il.name) WHERE seqno = 0)
                 FROM pragma_index_list('{t}') il"
            ))
            .unwrap()
            .query_map([], |r| r.get::<_, Option<String>>(0))
            .unwrap()
            .filter_map(|r| r.unwrap())
            .collect();
        for fk in fks {
            if !firsts.contains(&fk) {
                missing.push(format!("{t}.{fk}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "foreign keys without an index: {missing:?}"
    );
}

#[test]
fn a_purge_gives_the_write_lock_back_between_small_batches() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    seed_jobs(&db, 2_000, 4, "2026-01-01T00:00:00.000Z");
    seed_jobs(&db, 10, 0, "2026-11-28T00:00:00.000Z");
    let mut conn = backroom::store::open(&db).unwrap();
    // A reprint refers to a job that goes: the reference is cleared, the reprint stays.
    conn.execute(
        "UPDATE print_jobs SET reprint_of = 1 WHERE id = (SELECT MAX(id) FROM print_jobs)",
        [],
    )
    .unwrap();
    // Another writer that will not wait at all: it only gets in if the purge holds no lock.
    let other = rusqlite::Connection::open(&db).unwrap();
    other.busy_timeout(Duration::ZERO).unwrap();
    let mut turns = 0;
    let purged = backroom::store::jobs::purge_finished_before_with(
        &mut conn,
        "2026-06-01T00:00:00.000Z",
        &mut |_| {
            other
                .execute_batch(
                    "BEGIN IMMEDIATE;
                     INSERT INTO settings (key, value) VALUES ('probe', '1')
                       ON CONFLICT (key) DO UPDATE SET value = value + 1;
                     COMMIT;",
                )
                .expect("another writer gets the lock between two purge batches");
            turns += 1;
        },
    )
    .unwrap();
    assert_eq!(purged.jobs, 2_000);
    assert_eq!(purged.documents, 1);
    assert!(
        turns >= 2_000 / backroom::store::jobs::PURGE_BATCH,
        "{turns} turns"
    );
    let left: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM print_jobs WHERE reprint_of IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 10);
    let kept = backroom::store::counts::kept(&conn, "print_jobs").unwrap();
    assert_eq!(kept, Some(10));
    // The full-text index lost the purged jobs.
    let indexed: i64 = conn
        .query_row("SELECT COUNT(*) FROM print_jobs_search", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexed, 10);
}

/// Counts the transactions `conn` commits from now on that change rows of `tables` (not the
/// steps of merging the search index between two batches, say).
fn count_commits(
    conn: &mut rusqlite::Connection,
    tables: &'static [&'static str],
) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let commits = std::sync::Arc::new(AtomicUsize::new(0));
    let changed = std::sync::Arc::new(AtomicBool::new(false));
    let seen = changed.clone();
    conn.update_hook(Some(move |_, _: &str, name: &str, _| {
        if tables.contains(&name) {
            seen.store(true, Ordering::SeqCst);
        }
    }))
    .unwrap();
    let counted = commits.clone();
    conn.commit_hook(Some(move || {
        if changed.swap(false, Ordering::SeqCst) {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        false
    }))
    .unwrap();
    commits
}

#[test]
fn bulk_actions_change_every_job_in_short_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    seed_jobs(&db, 450, 1, "2026-11-01T00:00:00.000Z");
    let mut conn = backroom::store::open(&db).unwrap();
    let commits = count_commits(&mut conn, &["print_jobs"]);
    let ids: Vec<i64> = (1..=450).collect();
    let chunks = 450usize.div_ceil(backroom::store::jobs::BULK_CHUNK);
    assert!(chunks > 1);
    // Every failed job back to pending, then every pending one cancelled: all of them, in
    // order, a chunk per transaction (one transaction held the lock 3 s on 18,000 jobs).
    let rescheduled = backroom::store::jobs::reschedule(&mut conn, &ids).unwrap();
    assert_eq!(rescheduled, ids);
    assert_eq!(commits.swap(0, std::sync::atomic::Ordering::SeqCst), chunks);
    let cancelled = backroom::store::jobs::cancel(&mut conn, &ids).unwrap();
    assert_eq!(cancelled, ids);
    assert_eq!(commits.load(std::sync::atomic::Ordering::SeqCst), chunks);
    // A printer back: all its waiting jobs due now, a chunk per transaction too.
    conn.execute(
        "UPDATE print_jobs SET state = 'pending', finished_at = NULL,
           next_attempt_at = '2999-01-01T00:00:00.000Z' WHERE id <= 450",
        [],
    )
    .unwrap();
    commits.store(0, std::sync::atomic::Ordering::SeqCst);
    let front: i64 = conn
        .query_row("SELECT id FROM printers WHERE name = 'front'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let due = backroom::store::jobs::due_now_for_printer(&conn, front).unwrap();
    assert_eq!(due, 225, "the even jobs are on front");
    assert_eq!(
        commits.load(std::sync::atomic::Ordering::SeqCst),
        225usize.div_ceil(backroom::store::jobs::BULK_CHUNK)
    );
    let waiting: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM print_jobs WHERE next_attempt_at > '2100-01-01'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(waiting, 225, "the jobs of the other printer still wait");
    conn.execute(
        "UPDATE print_jobs SET state = 'cancelled' WHERE id <= 450",
        [],
    )
    .unwrap();
    let by_state = |state: &str| {
        backroom::store::counts::kept(&conn, &format!("print_jobs.{state}"))
            .unwrap()
            .unwrap_or(0)
    };
    assert_eq!((by_state("failed"), by_state("cancelled")), (0, 450));
}

#[test]
fn a_printer_with_a_long_history_is_removed_in_short_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    // 600 finished jobs on each of front (the default) and back, and one pending on back.
    seed_jobs(&db, 1_200, 3, "2026-11-01T00:00:00.000Z");
    let mut conn = backroom::store::open(&db).unwrap();
    conn.execute(
        "UPDATE print_jobs SET state = 'pending', finished_at = NULL
         WHERE id = (SELECT MAX(id) FROM print_jobs WHERE printer_id =
                     (SELECT id FROM printers WHERE name = 'back'))",
        [],
    )
    .unwrap();
    let on = |conn: &rusqlite::Connection, printer: &str| -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM print_jobs
             WHERE printer_id = (SELECT id FROM printers WHERE name = ?1)",
            [printer],
            |r| r.get(0),
        )
        .unwrap()
    };
    // A refused removal lets go of nothing.
    let refused = backroom::store::printers::remove(&mut conn, "front", None);
    assert!(refused.is_err());
    assert_eq!(on(&conn, "front"), 600);

    let commits = count_commits(&mut conn, &["print_jobs"]);
    let mut told = Vec::new();
    let removed =
        backroom::store::printers::remove_with(&mut conn, "back", None, &mut |done, of| {
            told.push((done, of))
        })
        .unwrap();
    assert_eq!(removed.jobs_to_default, 1);
    // Its progress after each batch, of the 599 finished jobs.
    assert_eq!(told, [(500, 599), (599, 599)]);
    // Two batches of the history (599 finished jobs), then the removal itself.
    assert_eq!(commits.load(std::sync::atomic::Ordering::SeqCst), 3);
    let (orphans, pending): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'pending')
             FROM print_jobs WHERE printer_id IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((orphans, pending), (600, 1));
    assert_eq!(on(&conn, "front"), 600);
}

#[test]
fn removing_a_printer_with_a_long_history_says_how_far_it_is_in_a_terminal() {
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    // 12,000 finished jobs on each of front (the default) and back.
    seed_jobs(&env.db(), 24_000, 3, "2026-11-01T00:00:00.000Z");
    let command = format!(
        "'{}' printers remove back",
        support::tmux::backroom_binary().display()
    );
    let t = support::tmux::Tmux::start(&env, &command, &[]);
    assert_eq!(t.wait_exit(), 0, "{}", t.output());
    let out = t.output();
    assert!(
        out.contains("removing back: 1500 of its 12000 finished print jobs let go (12%)")
            && out.contains("removing back: 12000 of its 12000 finished print jobs let go (100%)")
            && out.contains("removed printer back"),
        "{out}"
    );
    // Without a terminal (a script, a pipe) it says nothing until the end.
    let quiet = env.run(&["printers", "remove", "front"]);
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(quiet.status.success(), "{stderr}");
    assert!(!stderr.contains("let go"), "{stderr}");
}

#[test]
fn a_pos_folder_with_a_long_run_log_is_removed_in_short_transactions() {
    let env = TestEnv::new();
    env.ok(&["pos", "folders", "add", "PARIS"]);
    let mut conn = backroom::store::open(&env.db()).unwrap();
    let id: i64 = conn
        .query_row("SELECT id FROM pos_folders WHERE code = 'PARIS'", [], |r| {
            r.get(0)
        })
        .unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
         INSERT INTO sync_runs (folder_id, process, started_at, outcome)
         SELECT ?1, 'export', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'ok' FROM n",
        [id],
    )
    .unwrap();
    let commits = count_commits(&mut conn, &["sync_runs", "pos_folders"]);
    assert!(backroom::store::pos::delete_folder(&conn, id).unwrap());
    let runs: i64 = conn
        .query_row("SELECT COUNT(*) FROM sync_runs", [], |r| r.get(0))
        .unwrap();
    // Three batches of runs (500, 500, 200), then the folder.
    assert_eq!(
        (runs, commits.load(std::sync::atomic::Ordering::SeqCst)),
        (0, 4)
    );
    let out = env.run(&["pos", "folders", "list"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("PARIS"));
}

#[test]
fn the_search_index_is_merged_in_small_steps_and_finds_every_job_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    // 20 commits of one job each: 20 small segments in the trigram index, none merged by FTS5.
    for _ in 0..20 {
        seed_jobs(&db, 1, 2, "2026-11-28T00:00:00.000Z");
    }
    let conn = backroom::store::open(&db).unwrap();
    let mut steps = 0;
    while backroom::store::jobs::tidy_search(&conn).unwrap() {
        steps += 1;
        assert!(steps < 100, "the merging never ends");
    }
    assert!(steps >= 1, "a step merged the small segments");
    assert!(!backroom::store::jobs::tidy_search(&conn).unwrap());
    let view = &views::PRINT_JOBS;
    let mut query = Query::new(view);
    for (filter, n) in [("paper jam", 20), ("printer:front", 20), ("générale", 20)] {
        query.filter = Filter::parse(view, filter).unwrap();
        let count = views::count(&conn, view, &query).unwrap();
        assert_eq!((count.n, count.exact), (n, true), "{filter}");
    }
}

#[test]
fn a_word_is_found_whole_and_case_folded_in_its_column_not_by_its_scattered_trigrams() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    // Two failed jobs of four ("paper jam in tray 2", on the printers front and back) in a store
    // of the version before the index changed: the migration indexes them again.
    let old = backroom::store::open_before(&db, "search_rowids").unwrap();
    drop(old);
    seed_jobs_as_they_are(&db, 4, 2, "2026-11-28T00:00:00.000Z");
    let conn = backroom::store::open(&db).unwrap();
    for title in ["Rapport HÉLÈNE Dupont", "pape, ape, per", "Relevé front"] {
        conn.execute(
            "INSERT INTO documents (kind, title, sha256, bytes, created_at)
             VALUES ('invoice', ?1, 'x', x'25504446', '2026-11-28T00:00:00.000Z')",
            [title],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO print_jobs (uuid, document_id, printer_id, state, attempts,
               next_attempt_at, created_at)
             VALUES (?1, last_insert_rowid(), (SELECT id FROM printers WHERE name = 'back'),
                     'pending', 0, '2026-11-28T00:00:00.000Z', '2026-11-28T00:00:00.000Z')",
            [uuid::Uuid::new_v4().to_string()],
        )
        .unwrap();
    }
    let view = &views::PRINT_JOBS;
    let mut query = Query::new(view);
    // "pape, ape, per" holds every trigram of "paper", but not the word; "Relevé front" is a
    // title on the printer back, so `printer:front` leaves it out.
    for (filter, n) in [
        ("paper", 2),
        ("error:paper", 2),
        ("document:paper", 0),
        ("hélène", 1),
        ("HÉLÈNE", 1),
        ("document:hélène", 1),
        ("error:hélène", 0),
        ("ape", 3),
        ("front", 3),
        ("printer:front", 2),
        ("document:front", 1),
    ] {
        query.filter = Filter::parse(view, filter).unwrap();
        let count = views::count(&conn, view, &query).unwrap();
        assert_eq!((count.n, count.exact), (n, true), "{filter}");
        let ids = views::ids(&conn, view, &query).unwrap();
        assert_eq!(ids.len() as u64, n, "{filter}");
    }
}

#[test]
fn the_search_index_keeps_only_which_jobs_hold_a_trigram() {
    // A merge step of FTS5 writes a trigram's list whole: with positions, the list of a trigram
    // every job holds made one step hold the write lock 50-70 ms on a million jobs.
    let dir = tempfile::tempdir().unwrap();
    let conn = backroom::store::open(&dir.path().join("d.db")).unwrap();
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'print_jobs_search'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sql.contains("detail = none"), "{sql}");
}

/// Runs `backroom ARGS` and returns (exit code, stderr).
fn attempt(env: &TestEnv, args: &[&str]) -> (Option<i32>, String) {
    let out = env.run(args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn four_cli_writers_and_two_workers_never_see_a_locked_database() {
    let env = TestEnv::new();
    env.write_config("[operators]\ntester = \"admin\"\n");
    let spool = env.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let spool = spool.display().to_string();
    env.ok(&[
        "printers",
        "add",
        "front",
        "--provider",
        "spool",
        "--target",
        &spool,
    ]);
    let payload = env.path().join("order.json");
    std::fs::write(
        &payload,
        r#"{"order_number": "A-1", "date": "2026-11-20", "due_date": "2026-12-20", "currency": "EUR",
            "customer": {"name": "Camille Martin", "email": "camille@example.org", "number": "C-77"},
            "billing_address": {"name": "Camille Martin", "street": "12 rue des Lilas",
                "postal_code": "69003", "city": "Lyon", "country": "FR"},
            "lines": [{"sku": "PAP-A4", "description": "Papier A4", "quantity": 3,
                "unit_price": 4.5, "vat_rate": 20}]}"#,
    )
    .unwrap();
    let payload = payload.display().to_string();
    let workers: Vec<Child> = (0..2)
        .map(|_| {
            env.command()
                .arg("worker")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let until = Instant::now() + Duration::from_secs(20);
    let failures = std::sync::Mutex::new(Vec::new());
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for writer in 0..4 {
            let (env, spool, payload) = (&env, &spool, &payload);
            let (failures, done) = (&failures, &done);
            s.spawn(move || {
                let mut i = 0;
                while Instant::now() < until {
                    i += 1;
                    let name = format!("w{writer}-{i}");
                    let email = format!("{name}@x.org");
                    let steps: Vec<Vec<&str>> = match writer {
                        0 | 1 => vec![
                            vec![
                                "printers",
                                "add",
                                &name,
                                "--provider",
                                "spool",
                                "--target",
                                spool,
                            ],
                            vec!["printers", "remove", &name],
                        ],
                        2 => vec![vec!["events", "emit", "order.received", "--file", payload]],
                        _ => vec![
                            vec!["contacts", "add", "Zoé", &email],
                            vec!["jobs", "purge"],
                        ],
                    };
                    for args in steps {
                        let (code, stderr) = attempt(env, &args);
                        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if code != Some(0) {
                            failures
                                .lock()
                                .unwrap()
                                .push(format!("{args:?}: {code:?} {stderr}"));
                        }
                    }
                }
            });
        }
    });
    for mut w in workers {
        let _ = w.kill();
        let out = w.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("locked"),
            "a worker saw a locked database: {stderr}"
        );
    }
    let failures = failures.into_inner().unwrap();
    let done = done.into_inner();
    assert!(done >= 20, "only {done} commands ran");
    assert!(
        failures.is_empty(),
        "{} of {done} commands failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The worker sent what the events queued.
    let printed = std::fs::read_dir(&spool).unwrap().count();
    assert!(printed > 0, "the workers printed nothing");
}

/// The title line of the active pane (the first line that names it).
fn title_of(h: &backroom::tui::harness::Harness) -> String {
    h.lines()
        .into_iter()
        .find(|l| l.contains("Print jobs ·"))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_is_in_the_title_only_once_its_rows_are_on_screen() {
    use backroom::tui::key::KeyPress;
    use ratatui::crossterm::event::KeyCode;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("backroom.db");
    seed_jobs(&db, 300, 3, "2026-11-20T10:00:00.000Z");
    let ctx = backroom::context::Context::for_db(db);
    let mut h = backroom::tui::harness::Harness::new(ctx, 120, 40)
        .await
        .unwrap();
    h.press(&["2", "/"]).await.unwrap();
    // Typed faster than any load answers: nothing is read for the keys in between.
    for c in "state:failed printer:back".chars() {
        h.app.on_key(KeyPress::plain(KeyCode::Char(c)));
    }
    h.draw().unwrap();
    let title = title_of(&h);
    assert!(
        !title.contains("filter: state:failed"),
        "shown before its rows: {title}"
    );
    assert!(title.contains("filtering…"), "{title}");
    h.settle().await;
    h.draw().unwrap();
    let title = title_of(&h);
    assert!(
        title.contains("50 rows · filter: state:failed printer:back")
            && !title.contains("filtering"),
        "{title}"
    );
    let screen = h.screen();
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("2026-11-20"))
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|l| l.contains("failed") && l.contains("back")),
        "{screen}"
    );
}

#[test]
fn printers_list_takes_the_filter_language_too() {
    let env = TestEnv::new();
    let spool = env.path().display().to_string();
    for name in ["front-desk", "back-office", "façade"] {
        env.ok(&[
            "printers",
            "add",
            name,
            "--provider",
            "spool",
            "--target",
            &spool,
        ]);
    }
    let found = env.json(&["printers", "list", "--filter", "name:desk"]);
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let out = env.run(&["printers", "list", "--limit", "1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 more: --limit N or --all"));
    let err = env.fails(2, &["printers", "list", "--filter", "provider:cups"]);
    assert!(
        err.contains("`cups` is not one of ipp, raw, printnode, spool"),
        "{err}"
    );
}

/// Runs `sql` on the test's store (opened through `backroom::store::open`, collation and all).
fn seed(env: &TestEnv, sql: &str) {
    let conn = backroom::store::open(&env.db()).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn events_list_filters_and_stops_at_its_limit() {
    let env = TestEnv::new();
    seed(
        &env,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)
         INSERT INTO events (kind, reference, payload, source, created_at)
         SELECT CASE i % 3 WHEN 0 THEN 'order.shipped' ELSE 'order.received' END,
                'CMD-' || i, '{}', CASE WHEN i % 2 = 0 THEN 'api' ELSE 'till' END,
                printf('2026-11-%02dT10:00:00.000Z', 1 + i % 28)
         FROM n;",
    );
    let out = env.run(&["events", "list"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr_of(&out).contains("70 more: --limit N or --all"));
    let latest = env.json(&["events", "list", "--limit", "2"]);
    let refs: Vec<&str> = latest
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["CMD-120", "CMD-119"]);
    let shipped = env.json(&[
        "events",
        "list",
        "--all",
        "--filter",
        "kind:shipped source:api",
    ]);
    let shipped = shipped.as_array().unwrap();
    assert_eq!(shipped.len(), 20, "every sixth event");
    assert!(
        shipped
            .iter()
            .all(|e| e["kind"] == "order.shipped" && e["source"] == "api")
    );
    let one = env.json(&["events", "list", "--filter", "CMD-77"]);
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    let out = env.run(&["events", "list", "--limit", "3", "--filter", "source:till"]);
    assert!(stderr_of(&out).contains("57 more"), "{}", stderr_of(&out));
    let err = env.fails(2, &["events", "list", "--filter", "source:fax"]);
    assert!(err.contains("`fax` is not one of cli, api, till"), "{err}");
}

#[test]
fn sync_runs_filter_and_stop_at_their_limit() {
    let env = TestEnv::new();
    env.ok(&["pos", "folders", "add", "PARIS"]);
    env.ok(&["pos", "folders", "add", "LYON"]);
    // 150 runs, every third one failed, alternating folders; a minute apart.
    seed(
        &env,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)
         INSERT INTO sync_runs (folder_id, process, started_at, finished_at, rows, outcome, message)
         SELECT (SELECT id FROM pos_folders WHERE code = CASE i % 2 WHEN 0 THEN 'PARIS' ELSE 'LYON' END),
                CASE i % 2 WHEN 0 THEN 'export' ELSE 'push' END,
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d minutes', 150 - i)), NULL, i,
                CASE i % 3 WHEN 0 THEN 'error' ELSE 'ok' END,
                CASE i % 3 WHEN 0 THEN 'the FTP server refused the login' END
         FROM n;",
    );
    let out = env.run(&["sync", "runs"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr_of(&out).contains("100 more: --limit N or --all"),
        "{}",
        stderr_of(&out)
    );
    // A table with its header, as every list (the lines had none).
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.starts_with("ID") && h.contains("PROCESS") && h.contains("OUTCOME")),
        "{text}"
    );
    assert!(
        text.contains("error: the FTP server refused the login"),
        "{text}"
    );
    let latest = env.json(&["sync", "runs", "PARIS", "--limit", "2"]);
    let ids: Vec<i64> = latest
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [150, 148]);
    let failed = env.json(&[
        "sync",
        "runs",
        "PARIS",
        "--all",
        "--filter",
        "outcome:error",
    ]);
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 25, "every sixth run");
    assert!(
        failed
            .iter()
            .all(|r| r["outcome"] == "error" && r["folder"] == "PARIS")
    );
    let out = env.run(&[
        "sync",
        "runs",
        "LYON",
        "--limit",
        "5",
        "--filter",
        "refused rows:>100",
    ]);
    // LYON's failed runs above 100: 105, 111, …, 147 (8), five shown.
    assert!(stderr_of(&out).contains("3 more"), "{}", stderr_of(&out));
    let err = env.fails(2, &["sync", "runs", "--filter", "process:fax"]);
    assert!(
        err.contains("`fax` is not one of export, import, push, update"),
        "{err}"
    );
    // The log keeps 30 days: runs started earlier go, the rest stay.
    seed(
        &env,
        "INSERT INTO sync_runs (folder_id, process, started_at, outcome)
         SELECT id, 'export', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-31 days'), 'ok'
         FROM pos_folders;",
    );
    let conn = backroom::store::open(&env.db()).unwrap();
    let purged = backroom::store::sync::purge_runs(&conn, chrono::Utc::now()).unwrap();
    let left: i64 = conn
        .query_row("SELECT COUNT(*) FROM sync_runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!((purged, left), (2, 150));
}

#[test]
fn audit_list_filters_and_stops_at_its_limit() {
    let env = TestEnv::new();
    seed(
        &env,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80)
         INSERT INTO audit_log (at, os_user, operator, role, action, target, outcome)
         SELECT printf('2026-11-20T10:%02d:00.000Z', i % 60), CASE WHEN i % 4 = 0 THEN 'marie' ELSE 'paul' END,
                CASE WHEN i = 7 THEN 'Zoé' END, CASE WHEN i % 4 = 0 THEN 'admin' ELSE 'staff' END,
                CASE WHEN i % 2 = 0 THEN 'printers.add' ELSE 'contacts.delete' END,
                'target-' || i, CASE WHEN i % 10 = 0 THEN 'refused: admin only' ELSE 'ok' END
         FROM n;",
    );
    let out = env.run(&["audit", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("30 more: --limit N or --all"));
    let refused = env.json(&["audit", "list", "--filter", "outcome:refused role:admin"]);
    let refused = refused.as_array().unwrap();
    assert_eq!(refused.len(), 4, "i = 20, 40, 60, 80");
    assert!(refused.iter().all(|e| e["user"] == "marie"));
    let zoe = env.json(&["audit", "list", "--filter", "user:zoé"]);
    assert_eq!(zoe.as_array().unwrap().len(), 1, "{zoe}");
    let out = env.run(&[
        "audit",
        "list",
        "--action",
        "printers.",
        "--limit",
        "5",
        "--filter",
        "role:staff",
    ]);
    assert!(stderr_of(&out).contains("15 more"), "{}", stderr_of(&out));
}

#[test]
fn till_tickets_list_filters_and_stops_at_its_limit() {
    let env = TestEnv::new();
    seed(
        &env,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
         INSERT INTO till_tickets (uuid, folder, number, sold_at, total_cents, customer, lines)
         SELECT 'u-' || i, CASE WHEN i <= 55 THEN 'STORE1' ELSE 'STORE2' END, 'T' || (1000 + i),
                '2026-11-2' || (i % 3) || 'T09:00:00Z', 100 * i,
                CASE WHEN i % 5 = 0 THEN 'Müller GmbH' END, '[]'
         FROM n;",
    );
    let out = env.run(&["till", "ticket", "list", "STORE1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_lines(&out).len(), 50);
    assert!(stderr_of(&out).contains("5 more: --limit N or --all"));
    let muller = env.json(&[
        "till",
        "ticket",
        "list",
        "STORE1",
        "--all",
        "--filter",
        "customer:müller",
    ]);
    assert_eq!(muller.as_array().unwrap().len(), 11, "{muller}");
    let day = env.json(&[
        "till",
        "ticket",
        "list",
        "STORE1",
        "--filter",
        "sold:2026-11-21 T101",
    ]);
    let day: Vec<&str> = day
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert_eq!(day, ["T1010", "T1013", "T1016", "T1019"]);
}

#[test]
fn triggers_and_operators_lists_filter_the_cells_they_show() {
    let env = TestEnv::new();
    env.ok(&["triggers", "disable", "order.shipped"]);
    let on = env.json(&["triggers", "list", "--filter", "enabled:yes"]);
    let kinds: Vec<&str> = on
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["event_kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["order.received", "invoice.overdue"]);
    let out = env.run(&["triggers", "list", "--limit", "1"]);
    assert_eq!(stdout_lines(&out).len(), 2, "a header and one trigger");
    assert!(stderr_of(&out).contains("2 more: --limit N or --all"));
    let err = env.fails(2, &["triggers", "list", "--filter", "enabled:maybe"]);
    assert!(err.contains("`maybe` is not one of yes, no"), "{err}");

    seed(
        &env,
        "INSERT INTO operators (name, role, password_hash, created_at) VALUES
           ('anaïs', 'admin', 'x', '2026-11-01T00:00:00Z'),
           ('bruno', 'staff', 'x', '2026-11-02T00:00:00Z'),
           ('chloé', 'staff', 'x', '2026-10-03T00:00:00Z');",
    );
    let staff = env.json(&[
        "operators",
        "list",
        "--filter",
        "role:staff created:2026-11",
    ]);
    assert_eq!(staff.as_array().unwrap().len(), 1, "{staff}");
    assert_eq!(staff[0]["name"], "bruno");
    let out = env.run(&["operators", "list", "--limit", "2"]);
    assert!(stderr_of(&out).contains("1 more: --limit N or --all"));
}

#[test]
fn tills_list_filters_and_stops_at_its_limit() {
    let env = TestEnv::new();
    let now = chrono::Utc::now().to_rfc3339();
    seed(
        &env,
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
             INSERT INTO till_status (folder, till, version, waiting, oldest_age_secs, last_batch,
                                      blocked, till_clock, wait_ms, reported_at)
             SELECT CASE WHEN i % 2 = 0 THEN 'PARIS' ELSE 'LYON' END, 'T' || i, '0.1.0',
                    CASE WHEN i % 10 = 0 THEN 7 ELSE 0 END, NULL, i, NULL, '{now}', 5000,
                    CASE WHEN i = 3 THEN '2026-01-01T00:00:00Z' ELSE '{now}' END
             FROM n;"
        ),
    );
    let out = env.run(&["tills", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("10 more: --limit N or --all"));
    let silent = env.json(&["tills", "list", "--filter", "state:silent"]);
    assert_eq!(silent.as_array().unwrap().len(), 1, "{silent}");
    assert_eq!(silent[0]["till"], "T3");
    let busy = env.json(&["tills", "list", "--filter", "folder:paris queue:>0"]);
    assert_eq!(busy.as_array().unwrap().len(), 6, "{busy}");
}

#[test]
fn pos_folders_tables_and_processes_lists_filter_and_limit() {
    let env = TestEnv::new();
    for code in ["PARIS", "LYON", "LILLE"] {
        env.ok(&["pos", "folders", "add", code]);
    }
    let l = env.json(&["pos", "folders", "list", "--filter", "code:l"]);
    let codes: Vec<&str> = l
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes.len(), 2, "{l}");
    let out = env.run(&["pos", "folders", "list", "--limit", "1"]);
    assert!(stderr_of(&out).contains("2 more: --limit N or --all"));

    for (table, direction) in [
        ("ART", "server-to-till"),
        ("CLI", "server-to-till"),
        ("T012", "till-to-server"),
    ] {
        env.ok(&[
            "sync",
            "tables",
            "add",
            "PARIS",
            table,
            "--type",
            "full",
            "--direction",
            direction,
        ]);
    }
    let up = env.json(&[
        "sync",
        "tables",
        "list",
        "PARIS",
        "--filter",
        "direction:till_to_server",
    ]);
    assert_eq!(up.as_array().unwrap().len(), 1, "{up}");
    assert_eq!(up[0]["table_name"], "T012");
    let out = env.run(&["sync", "tables", "list", "PARIS", "--limit", "2"]);
    assert!(stderr_of(&out).contains("1 more: --limit N or --all"));

    env.ok(&[
        "sync",
        "processes",
        "set",
        "PARIS",
        "import_caisseauto",
        "--disable",
    ]);
    let off = env.json(&[
        "sync",
        "processes",
        "list",
        "PARIS",
        "--filter",
        "state:disabled",
    ]);
    assert_eq!(off.as_array().unwrap().len(), 1, "{off}");
    assert_eq!(off[0]["kind"], "import_caisseauto");
    let out = env.run(&["sync", "processes", "list", "PARIS", "--limit", "1"]);
    assert!(stderr_of(&out).contains("2 more: --limit N or --all"));
}

#[test]
fn a_time_in_a_filter_is_local_time_as_the_lists_show_it() {
    let env = TestEnv::new();
    env.ok(&["printers", "list"]);
    // 00:30 on 30 November in Paris, then 00:30 on 1 December (UTC+1 in winter). A POSIX zone,
    // so that the test needs no time zone database.
    seed_jobs(&env.db(), 2, 0, "2026-11-29T23:30:00.000Z");
    seed_jobs(&env.db(), 3, 0, "2026-11-30T23:30:00.000Z");
    let paris = "CET-1CEST,M3.5.0,M10.5.0/3";
    let list = |args: &[&str]| -> Vec<serde_json::Value> {
        let out = env
            .command()
            .env("TZ", paris)
            .arg("--json")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let jobs = |filter: &str| list(&["jobs", "list", "--all", "--filter", filter]).len();
    assert_eq!(
        jobs("created:2026-11-30"),
        2,
        "the Paris day, not the UTC one"
    );
    assert_eq!(jobs("created:2026-12"), 3);
    assert_eq!(
        jobs("created:2026-11-30T00"),
        2,
        "the hour from 00:00 Paris time"
    );
    assert_eq!(jobs("created:<2026-11-30T01"), 2);
    assert_eq!(jobs("created:>2026-11-30"), 3);
    assert_eq!(jobs("created:!2026-11-30"), 3);
    // In UTC the same filter finds the other jobs.
    let utc = env.json(&["jobs", "list", "--all", "--filter", "created:2026-11-30"]);
    assert_eq!(utc.as_array().unwrap().len(), 3);

    // Contacts too (their pane shows the local date of `created`).
    let conn = backroom::store::open(&env.db()).unwrap();
    conn.execute(
        "INSERT INTO contacts (name, email, created_at)
         VALUES ('Élodie', 'e@x.org', '2026-11-29T23:30:00.000Z')",
        [],
    )
    .unwrap();
    drop(conn);
    let found = list(&["contacts", "list", "--filter", "created:2026-11-30"]);
    assert_eq!(found.len(), 1, "{found:?}");
    let utc = env.json(&["contacts", "list", "--filter", "created:2026-11-30"]);
    assert_eq!(utc.as_array().unwrap().len(), 0);

    // The audit and events lists print local times too (their JSON keeps UTC), and a day given
    // to `audit list --since` starts at local midnight.
    let conn = backroom::store::open(&env.db()).unwrap();
    conn.execute_batch(
        "INSERT INTO audit_log (at, os_user, role, action, target, outcome)
         VALUES ('2026-11-29T23:30:00.000Z', 'paul', 'staff', 'printers.add', 'front', 'ok');
         INSERT INTO events (kind, reference, payload, source, created_at)
         VALUES ('order.received', 'CMD-1', '{}', 'api', '2026-11-29T23:30:00.000Z');",
    )
    .unwrap();
    drop(conn);
    let text = |args: &[&str]| {
        let out = env.command().env("TZ", paris).args(args).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let audit = text(&["audit", "list", "--since", "2026-11-30"]);
    assert!(audit.contains("2026-11-30 00:30:00"), "{audit}");
    assert!(text(&["events", "list"]).contains("2026-11-30 00:30:00"));
    let json = list(&["audit", "list", "--since", "2026-11-30"]);
    assert_eq!(json.len(), 1, "{json:?}");
    assert_eq!(json[0]["time"], "2026-11-29T23:30:00.000Z");
    let utc = env.json(&["audit", "list", "--since", "2026-11-30"]);
    assert_eq!(utc.as_array().unwrap().len(), 0, "{utc}");

    // The short lists put together in Rust show local times as well, and filter a time field on
    // the stored time: an operator created at 00:30 Paris time is found under the Paris day.
    let conn = backroom::store::open(&env.db()).unwrap();
    conn.execute(
        "INSERT INTO operators (name, role, password_hash, locked_until, created_at)
         VALUES ('léa', 'staff', 'x', '2026-11-30T23:30:00.000Z', '2026-11-29T23:30:00.000Z')",
        [],
    )
    .unwrap();
    drop(conn);
    let operators = text(&["operators", "list"]);
    let lea = operators.lines().find(|l| l.starts_with("léa")).unwrap();
    assert!(
        lea.contains("2026-11-30 00:30:00") && lea.contains("2026-12-01 00:30:00"),
        "{operators}"
    );
    let found = list(&["operators", "list", "--filter", "created:2026-11-30"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["created_at"], "2026-11-29T23:30:00.000Z");
    let utc = env.json(&["operators", "list", "--filter", "created:2026-11-30"]);
    assert_eq!(utc.as_array().unwrap().len(), 0, "{utc}");
}

/// How many segments the trigram index has.
fn search_segments(conn: &rusqlite::Connection) -> u64 {
    let levels = backroom::store::search_index::levels(conn).unwrap();
    levels.iter().map(|l| l.segments).sum()
}

#[test]
fn a_bulk_action_writes_the_search_index_once_a_batch() {
    // One UPDATE a job left 9 to 14 segments in the index a batch of 200: FTS5 then merged 32 of
    // a level at once, and with them the merge under way above, in one transaction (a bulk
    // reschedule on the million-job store kept another writer out 243.6 ms).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    seed_jobs(&db, 1_000, 1, "2026-11-01T00:00:00.000Z");
    let mut conn = backroom::store::open(&db).unwrap();
    conn.execute_batch("INSERT INTO print_jobs_search (print_jobs_search) VALUES ('optimize')")
        .unwrap();
    assert_eq!(search_segments(&conn), 1);
    let ids: Vec<i64> = (1..=1_000).collect();
    let batches = ids.len().div_ceil(backroom::store::jobs::BULK_CHUNK) as u64;
    let rescheduled = backroom::store::jobs::reschedule(&mut conn, &ids).unwrap();
    assert_eq!(rescheduled, ids);
    // One a batch, and one more while a merge step's output is under way (it was 40).
    let segments = search_segments(&conn);
    assert!(
        segments <= 2 + batches,
        "{segments} segments after {batches} batches"
    );
    // A job named twice changes once; one not in the state, or not there, is left out.
    let again = backroom::store::jobs::reschedule(&mut conn, &[5, 5, 1_000_001]).unwrap();
    assert!(again.is_empty(), "{again:?}");
    let cancelled = backroom::store::jobs::cancel(&mut conn, &[9, 7, 9, 1_000_001]).unwrap();
    assert_eq!(cancelled, [9, 7]);
    // The index still finds them by what changed: no job has an error any more.
    let view = &views::PRINT_JOBS;
    let mut query = Query::new(view);
    query.filter = Filter::parse(view, "error:jam").unwrap();
    assert_eq!(views::count(&conn, view, &query).unwrap().n, 0);
    query.filter = Filter::parse(view, "printer:front").unwrap();
    assert_eq!(views::count(&conn, view, &query).unwrap().n, 500);
}
