//! Contacts import and export as offices use them, through the real binary: files written by
//! LibreOffice (Windows-1252 and UTF-16 CSV, XLSX, ODS) and by Excel (a `sep=` line, trailing
//! columns, CRLF and CR endings), refusals naming file and line, field limits, the export round
//! trip, reactivation, and `--json` errors.

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::TestEnv;

const ADMIN: &str = "[operators]\ntester = \"admin\"\n";

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/office")
        .join(name)
        .display()
        .to_string()
}

/// Name, e-mail and company of every contact, sorted by e-mail.
fn contacts(env: &TestEnv) -> Vec<(String, String, String)> {
    let list = env.json(&["contacts", "list"]);
    let mut rows: Vec<(String, String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or("").to_string();
            (text("name"), text("email"), text("company"))
        })
        .collect();
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    rows
}

fn row(name: &str, email: &str, company: &str) -> (String, String, String) {
    (name.into(), email.into(), company.into())
}

fn french() -> Vec<(String, String, String)> {
    vec![
        row(
            "Élodie Durand",
            "elodie.durand@imprimerie-lyon.fr",
            "Imprimerie Générale",
        ),
        row(
            "François Lefèvre",
            "francois.lefevre@exemple.fr",
            "Œuvres & Fils, Lyon",
        ),
        row("Zoë Martin", "zoe.martin@atelier.fr", ""),
    ]
}

fn import(env: &TestEnv, file: &str) -> Value {
    env.json(&["contacts", "import", &fixture(file)])
}

#[test]
fn french_excel_windows_1252_semicolons_are_read_and_named() {
    let env = TestEnv::new();
    let report = import(&env, "fr_semicolon_windows1252.csv");
    assert_eq!(report["encoding"], "windows-1252", "{report}");
    assert_eq!(report["separator"], ";");
    assert_eq!(
        (report["rows"].as_u64(), report["imported"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(contacts(&env), french());
    let env = TestEnv::new();
    let text = env.ok(&[
        "contacts",
        "import",
        &fixture("fr_semicolon_windows1252.csv"),
    ]);
    assert!(
        text.contains("imported 3 of 3 rows")
            && text.contains("CSV, windows-1252, separator semicolon"),
        "{text}"
    );
}

#[test]
fn unicode_text_utf16_tab_separated_is_read() {
    let env = TestEnv::new();
    let report = import(&env, "fr_unicode_text_utf16.txt");
    assert_eq!(report["encoding"], "UTF-16LE with BOM", "{report}");
    assert_eq!(report["separator"], "\t");
    assert_eq!(contacts(&env), french());
}

#[test]
fn xlsx_and_ods_written_by_libreoffice_are_read_directly() {
    for file in ["fr.xlsx", "fr.ods"] {
        let env = TestEnv::new();
        let report = import(&env, file);
        assert_eq!(report["imported"], 3, "{file}: {report}");
        assert_eq!(report["encoding"], Value::Null);
        assert_eq!(contacts(&env), french(), "{file}");
    }
    for file in ["de.xlsx", "de.ods"] {
        let env = TestEnv::new();
        import(&env, file);
        assert_eq!(
            contacts(&env),
            vec![
                row("Anna Schäfer", "anna.schaefer@beispiel.de", ""),
                row(
                    "Jürgen Groß",
                    "juergen.gross@druckerei.de",
                    "Druckerei Weiß GmbH"
                ),
            ],
            "{file}"
        );
    }
}

#[test]
fn a_bad_row_in_a_spreadsheet_is_named_by_its_row_number() {
    let env = TestEnv::new();
    let dir = env.path().join("sheet");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.xlsx");
    let rows = [["A", "a@x.org", ""], ["B", "not-an-email", "Co"]];
    std::fs::write(
        &path,
        backroom::contacts::export::xlsx_bytes(&["Nom", "Courriel", "Société"], &rows).unwrap(),
    )
    .unwrap();
    let err = env.fails(2, &["contacts", "import", path.to_str().unwrap()]);
    assert!(err.contains("bad.xlsx:3: column 2 (email)"), "{err}");
    assert!(err.contains("1 of 2 rows are invalid"), "{err}");
}

#[test]
fn an_excel_sep_line_and_trailing_empty_columns_are_honoured() {
    let env = TestEnv::new();
    let report = import(&env, "excel_sep_line_trailing_columns.csv");
    assert_eq!(
        (report["separator"].as_str(), report["rows"].as_u64()),
        (Some(";"), Some(2))
    );
    assert_eq!(
        contacts(&env),
        vec![
            row(
                "Élodie Durand",
                "elodie@imprimerie.fr",
                "Imprimerie Générale"
            ),
            row("Zoë Martin", "zoe@atelier.fr", ""),
        ]
    );
    let env = TestEnv::new();
    let report = import(&env, "pipe_separated.csv");
    assert_eq!(report["separator"], "|");
    assert_eq!(
        contacts(&env),
        vec![row("Jürgen Groß", "juergen@druckerei.de", "Druckerei Weiß")]
    );
}

#[test]
fn line_numbers_are_exact_with_crlf_and_cr_endings() {
    let env = TestEnv::new();
    let err = env.fails(2, &["contacts", "import", &fixture("crlf_bad_row.csv")]);
    assert!(
        err.contains("crlf_bad_row.csv:4: column 2 (email)"),
        "{err}"
    );
    assert!(err.contains("1 of 3 rows are invalid"), "{err}");
    let err = env.fails(2, &["contacts", "import", &fixture("cr_only_bad_row.csv")]);
    assert!(
        err.contains("cr_only_bad_row.csv:3: column 2 (email)"),
        "{err}"
    );
    assert!(err.contains("1 of 3 rows are invalid"), "{err}");
    let out = env.ok(&[
        "contacts",
        "import",
        "--skip-invalid",
        &fixture("cr_only_bad_row.csv"),
    ]);
    assert!(out.contains("imported 2 of 3 rows"), "{out}");
    assert!(out.contains("skipped 1 invalid rows"), "{out}");
}

#[test]
fn an_unclosed_quote_is_refused_naming_the_line_it_opens_on() {
    let env = TestEnv::new();
    let err = env.fails(2, &["contacts", "import", &fixture("unclosed_quote.csv")]);
    assert!(
        err.contains("unclosed_quote.csv:2: a quoted field opens here and is never closed"),
        "{err}"
    );
    assert_eq!(contacts(&env), vec![]);
}

#[test]
fn the_summary_counts_rows_and_echoes_at_most_80_characters() {
    let env = TestEnv::new();
    let path = env.path().join("big.csv");
    let huge = "x".repeat(10_000_000);
    let text = format!(
        "name,email,company\n{huge},a@x.org,\nB,b@,{}\nC,c@x.org,\n",
        "y".repeat(201)
    );
    std::fs::write(&path, text).unwrap();
    let err = env.fails(2, &["contacts", "import", path.to_str().unwrap()]);
    assert!(err.len() < 2_000, "stderr is {} bytes", err.len());
    assert!(
        err.contains(&format!(
            "big.csv:2: column 1 (name): \"{}…\": 10000000 characters, at most 200",
            "x".repeat(80)
        )),
        "{err}"
    );
    assert!(err.contains("big.csv:3: column 3 (company)"), "{err}");
    assert!(err.contains("big.csv:3: column 2 (email)"), "{err}");
    assert!(err.contains("2 of 3 rows are invalid"), "{err}");
}

#[test]
fn field_limits_hold_on_add_and_list_never_panics() {
    let env = TestEnv::new();
    let long = "n".repeat(201);
    let err = env.fails(2, &["contacts", "add", &long, "a@x.org"]);
    assert!(
        err.contains("name is too long: 201 characters, at most 200"),
        "{err}"
    );
    let err = env.fails(
        2,
        &[
            "contacts",
            "add",
            "A",
            "a@x.org",
            "--company",
            &"c".repeat(201),
        ],
    );
    assert!(err.contains("company is too long"), "{err}");
    let email = format!("{}@x.org", "e".repeat(250));
    env.fails(2, &["contacts", "add", "A", &email]);
    // A value written before the limits existed must not break the list.
    env.ok(&["contacts", "add", "Short", "short@x.org"]);
    let conn = backroom::store::open(&env.db()).unwrap();
    conn.execute(
        "UPDATE contacts SET company = ?1",
        [String::from("C").repeat(70_000)],
    )
    .unwrap();
    drop(conn);
    let out = env.ok(&["contacts", "list"]);
    assert!(out.contains("short@x.org"), "{}", &out[..200]);
}

#[test]
fn export_then_import_into_a_fresh_database_gives_the_same_contacts() {
    let env = TestEnv::new();
    import(&env, "fr_semicolon_windows1252.csv");
    env.ok(&[
        "contacts",
        "add",
        "Jürgen Groß",
        "juergen@druckerei.de",
        "--company",
        "Druck \"Weiß\"; Söhne",
    ]);
    let before = contacts(&env);
    let out = env.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let cases: [(&str, &[&str]); 5] = [
        ("c.xlsx", &[]),
        ("c.csv", &[]),
        (
            "c-fr.csv",
            &["--separator", "semicolon", "--encoding", "windows-1252"],
        ),
        (
            "c-bom.csv",
            &["--separator", "tab", "--encoding", "utf-8-bom"],
        ),
        ("c16.txt", &["--format", "csv", "--encoding", "utf-16le"]),
    ];
    for (file, options) in cases {
        let path = out.join(file).display().to_string();
        let mut args = vec!["contacts", "export", "--out", &path];
        args.extend_from_slice(options);
        let written = env.json(&args);
        assert_eq!(written["rows"], 4, "{written}");
        let fresh = TestEnv::new();
        let report = fresh.json(&["contacts", "import", &path]);
        assert_eq!(report["imported"], 4, "{file}: {report}");
        assert_eq!(contacts(&fresh), before, "{file}");
    }
    let bytes = std::fs::read(out.join("c-fr.csv")).unwrap();
    assert!(bytes.starts_with(b"name;email;company\r\n"), "{bytes:?}");
    assert!(bytes.windows(2).any(|w| w == b"\xC9l"), "É as windows-1252");
    // A character windows-1252 lacks is refused, naming the contact.
    env.ok(&["contacts", "add", "Łukasz", "lukasz@x.pl"]);
    let path = out.join("pl.csv").display().to_string();
    let err = env.fails(
        2,
        &[
            "contacts",
            "export",
            "--out",
            &path,
            "--encoding",
            "windows-1252",
        ],
    );
    assert!(err.contains("lukasz@x.pl"), "{err}");
    assert!(!out.join("pl.csv").exists());
}

#[test]
fn the_template_is_offered_as_xlsx_and_imports_its_example() {
    let env = TestEnv::new();
    let path = env.path().join("t.xlsx").display().to_string();
    env.ok(&["contacts", "template", "--out", &path]);
    let report = env.json(&["contacts", "import", &path]);
    assert_eq!(
        (report["format"].as_str(), report["imported"].as_u64()),
        (Some("XLSX"), Some(1))
    );
    let dir = env.path().join("home/Downloads");
    env.ok(&[
        "contacts",
        "template",
        "--format",
        "xlsx",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(dir.join("users_template.xlsx").exists());
}

#[test]
fn reactivate_brings_a_deactivated_contact_back_for_admins_only() {
    let env = TestEnv::new();
    env.ok(&["contacts", "add", "Clara Weber", "clara@weber.de"]);
    // Personal mode on a database someone else owns (`nobody`): this user is staff there.
    use std::os::unix::fs::MetadataExt;
    let me = std::fs::metadata(env.path()).unwrap().uid();
    std::os::unix::fs::chown(env.db(), Some(65534), None)
        .expect("chown the database to nobody (the tests run as root, as CI does)");
    let err = env.fails(4, &["contacts", "reactivate", "clara@weber.de"]);
    assert!(
        err.contains("reactivating a contact is for administrators"),
        "{err}"
    );
    // Its owner is its admin.
    std::os::unix::fs::chown(env.db(), Some(me), None).unwrap();
    env.write_config(ADMIN);
    let err = env.fails(4, &["contacts", "reactivate", "clara@weber.de"]);
    assert!(
        err.contains("reactivate is only for deactivated contacts"),
        "{err}"
    );
    let conn = backroom::store::open(&env.db()).unwrap();
    let c = backroom::store::contacts::by_email(&conn, "clara@weber.de")
        .unwrap()
        .unwrap();
    backroom::store::contacts::set_state(&conn, c.id, backroom::contacts::ContactState::Active)
        .unwrap();
    drop(conn);
    env.ok(&["contacts", "deactivate", "clara@weber.de"]);
    let shown = env.json(&["contacts", "show", "clara@weber.de"]);
    assert_eq!(shown["actions"], serde_json::json!(["reactivate"]));
    let out = env.ok(&["contacts", "reactivate", "CLARA@weber.de"]);
    assert!(out.contains("clara@weber.de> is now active"), "{out}");
    env.fails(
        4,
        &["--read-only", "contacts", "reactivate", "clara@weber.de"],
    );
}

#[test]
fn json_errors_are_json_on_stderr_with_a_stable_code() {
    let env = TestEnv::new();
    let parse = |stderr: &str| -> Value {
        serde_json::from_str(stderr.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"))
    };
    let err = parse(&env.fails(
        2,
        &[
            "--json",
            "contacts",
            "import",
            &fixture("unclosed_quote.csv"),
        ],
    ));
    assert_eq!(err["error"]["code"], "usage");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("never closed"),
        "{err}"
    );
    let err = parse(&env.fails(3, &["--json", "contacts", "show", "nobody@x.org"]));
    assert_eq!(err["error"]["code"], "not_found");
    assert_eq!(err["error"]["exit"], 3);
    // A refusal (read-only here: on one's own database the owner is admin).
    let err = parse(&env.fails(
        4,
        &[
            "--json",
            "--read-only",
            "contacts",
            "reactivate",
            "nobody@x.org",
        ],
    ));
    assert_eq!(err["error"]["code"], "refused");
    let err = parse(&env.fails(2, &["--json", "contacts", "frobnicate"]));
    assert_eq!(err["error"]["code"], "usage");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("frobnicate"),
        "{err}"
    );
    env.ok(&["contacts", "add", "Ana", "ana@x.org"]);
    let err = parse(&env.fails(2, &["--json", "contacts", "delete", "ana@x.org"]));
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("Ana <ana@x.org> and 0 job(s)"), "{err}");
    assert!(message.ends_with("add --yes to confirm"), "{err}");
    let plain = env.fails(3, &["contacts", "show", "nobody@x.org"]);
    assert!(plain.starts_with("error: "), "{plain}");
}
