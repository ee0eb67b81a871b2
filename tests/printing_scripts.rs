//! Documents in every script, through the real binary on the spool printer: what `pdftotext`
//! reads back from an invoice, a delivery slip and a reminder in eight languages, a 200-character
//! order number that stays inside its box, and the warning for a character no font has.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::TestEnv;

/// Names, addresses and lines in Polish, Czech, Turkish, Greek, Russian, Hebrew, Arabic and Japanese.
const STRINGS: [&str; 16] = [
    "Łukasz Żółkiewski-Wiśniewska",
    "ul. Świętokrzyska 12",
    "Kraków",
    "Jiří Dvořák",
    "Náměstí Míru 7",
    "Příbram",
    "Şükrü Çağlar Öztürk",
    "Χαρτί εκτύπωσης Α4",
    "Бумага для принтера",
    "Москва",
    "נייר מדפסת",
    "רחוב הרצל",
    "ورق طباعة ملون",
    "印刷用紙",
    "東京都千代田区",
    "Kağıt ışıklı, Çanakkale",
];

fn order(number: &str) -> Value {
    json!({
        "order_number": number,
        "date": "2026-11-20",
        "due_date": "2026-12-20",
        "currency": "EUR",
        "customer": {"name": STRINGS[6], "email": "sukru@example.org", "number": "C-77"},
        "billing_address": {"name": STRINGS[0], "street": STRINGS[1],
            "postal_code": "31-000", "city": STRINGS[2], "country": "PL"},
        "shipping_address": {"name": STRINGS[3], "street": STRINGS[4],
            "postal_code": "261 01", "city": STRINGS[5], "country": "CZ"},
        "lines": [
            {"sku": "GR-1", "description": STRINGS[7], "quantity": 2, "unit_price": 4.5, "vat_rate": 24},
            {"sku": "RU-2", "description": format!("{} ({})", STRINGS[8], STRINGS[9]), "quantity": 1, "unit_price": 3, "vat_rate": 20},
            {"sku": "HE-3", "description": format!("{} {}", STRINGS[10], STRINGS[11]), "quantity": 1, "unit_price": 2, "vat_rate": 17},
            {"sku": "AR-4", "description": STRINGS[12], "quantity": 5, "unit_price": 1, "vat_rate": 15},
            {"sku": "JA-5", "description": format!("{} {}", STRINGS[13], STRINGS[14]), "quantity": 1, "unit_price": 9, "vat_rate": 10},
            {"sku": "TR-6", "description": STRINGS[15], "quantity": 1, "unit_price": 1, "vat_rate": 20},
        ],
        "dunning_level": 1
    })
}

fn spool(env: &TestEnv) -> PathBuf {
    let dir = env.path().join("spool");
    std::fs::create_dir_all(&dir).unwrap();
    let mut conn = backroom::store::open(&env.db()).unwrap();
    backroom::store::printers::insert(
        &mut conn,
        &backroom::store::printers::NewPrinter {
            name: "front".into(),
            provider: "spool".parse().unwrap(),
            target: dir.display().to_string(),
            api_key: None,
            tray: None,
            copies: 1,
            enabled: true,
            make_default: false,
        },
    )
    .unwrap();
    dir
}

fn emit(env: &TestEnv, kind: &str, v: &Value) -> Value {
    let f = env.path().join("payload.json");
    std::fs::write(&f, serde_json::to_vec(v).unwrap()).unwrap();
    env.json(&["events", "emit", kind, "--file", f.to_str().unwrap()])
}

/// Prints every queued job and returns the PDFs the spool printer received, oldest first.
fn print_all(env: &TestEnv, dir: &Path) -> Vec<PathBuf> {
    env.ok(&["worker", "--until-idle"]);
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

/// Runs a poppler-utils program on `pdf` (`-` is added for those that write to a file).
fn poppler(program: &str, args: &[&str], pdf: &Path) -> String {
    support::require_program(program, "poppler-utils");
    let mut cmd = Command::new(program);
    cmd.args(args).arg(pdf);
    if program == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{program} {}", pdf.display());
    // pdftotext wraps right-to-left text in invisible embedding marks (U+202A to U+202C).
    String::from_utf8(out.stdout)
        .unwrap()
        .replace(['\u{202a}', '\u{202b}', '\u{202c}'], "")
}

fn checked(pdf: &Path) {
    support::require_program("qpdf", "qpdf");
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(pdf)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "qpdf --check {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn an_invoice_a_slip_and_a_reminder_in_eight_scripts_give_back_their_exact_strings() {
    let env = TestEnv::new();
    let dir = spool(&env);
    // The order number: Hebrew, Arabic-Indic digits and Japanese in one line.
    let number = "ע-١٢٣-注文";
    for kind in ["order.received", "order.shipped", "invoice.overdue"] {
        let out = emit(&env, kind, &order(number));
        assert!(out["documents"][0]["warning"].is_null(), "{out}");
    }
    let printed = print_all(&env, &dir);
    assert_eq!(printed.len(), 3);
    for pdf in &printed {
        checked(pdf);
        let text = poppler("pdftotext", &[], pdf);
        let fonts = poppler("pdffonts", &[], pdf);
        for line in fonts.lines().skip(2) {
            assert!(
                line.contains("CID TrueType") || line.contains("CID Type 0"),
                "{fonts}"
            );
            assert!(
                line.contains(" yes yes "),
                "every font embedded and subset:\n{fonts}"
            );
        }
        // The invoice names no customer; the slip leads with the shipping address.
        let (addresses, customer) = if text.contains("DELIVERY SLIP") {
            (&STRINGS[3..6], true)
        } else {
            (&STRINGS[0..3], text.contains("REMINDER"))
        };
        let customer = if customer { &STRINGS[6..7] } else { &[] };
        for s in addresses
            .iter()
            .chain(customer)
            .chain(&STRINGS[7..])
            .chain(&[number])
        {
            assert!(
                text.contains(s),
                "{s:?} missing from {}:\n{text}",
                pdf.display()
            );
        }
    }
}

/// A word's box as `pdftotext -bbox` gives it: (page, x_min, y_min, x_max, y_max, text).
type Word = (usize, f32, f32, f32, f32, String);

fn words(pdf: &Path) -> Vec<Word> {
    let html = poppler("pdftotext", &["-bbox"], pdf);
    let attr = |tag: &str, name: &str| -> f32 {
        let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[at..].split('"').next().unwrap().parse().unwrap()
    };
    let mut page = 0;
    let mut out = Vec::new();
    for line in html.lines() {
        if line.trim_start().starts_with("<page ") {
            page += 1;
        }
        if let Some(tag) = line.trim_start().strip_prefix("<word ") {
            let text = tag.split('>').nth(1).unwrap().trim_end_matches("</word");
            out.push((
                page,
                attr(tag, "xMin"),
                attr(tag, "yMin"),
                attr(tag, "xMax"),
                attr(tag, "yMax"),
                text.to_string(),
            ));
        }
    }
    out
}

#[test]
fn a_200_character_order_number_wraps_inside_its_box_on_every_document() {
    let env = TestEnv::new();
    let dir = spool(&env);
    let number: String = "ZAMÓWIENIE-ŁÓDŹ-2026-ΑΘΗΝΑ-МОСКВА-İSTANBUL-"
        .chars()
        .cycle()
        .take(200)
        .collect();
    let mut o = order(&number);
    o["customer"]["name"] = json!(format!("{} {}", STRINGS[6], STRINGS[0]).repeat(3));
    o["lines"][0]["description"] = json!(format!("{} ", STRINGS[7]).repeat(10).trim());
    for kind in ["order.received", "order.shipped", "invoice.overdue"] {
        emit(&env, kind, &o);
    }
    let printed = print_all(&env, &dir);
    assert_eq!(printed.len(), 3);
    for pdf in &printed {
        checked(pdf);
        let words = words(pdf);
        // The reference values' column, right of the labels, read line by line.
        let mut column: Vec<&Word> = words.iter().filter(|w| w.0 == 1 && w.1 > 430.0).collect();
        column.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.1.total_cmp(&b.1)));
        let column: String = column.iter().map(|w| w.5.as_str()).collect();
        assert!(
            column.contains(&number),
            "the number is cut in {}:\n{column}",
            pdf.display()
        );
        assert!(words.len() > 30, "{words:?}");
        for w in &words {
            assert!(
                w.1 >= 45.0 && w.3 <= 550.0,
                "{w:?} runs out of the page's margins"
            );
        }
        // Nothing runs over anything else: no two words on one line share any width.
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                let same_line = a.0 == b.0 && ((a.2 + a.4) - (b.2 + b.4)).abs() < 4.0;
                let shared = a.3.min(b.3) - a.1.max(b.1);
                assert!(
                    !(same_line && shared > 0.5),
                    "{a:?} overlaps {b:?} in {}",
                    pdf.display()
                );
            }
        }
    }
}

#[test]
fn a_character_no_font_has_prints_as_a_box_and_the_job_says_which() {
    let env = TestEnv::new();
    let dir = spool(&env);
    let mut o = order("SO-77");
    o["lines"][0]["description"] = json!("Gift card 🙂 with love");
    let out = emit(&env, "order.received", &o);
    let warning = out["documents"][0]["warning"].as_str().unwrap().to_string();
    assert!(warning.contains("🙂 (U+1F642)"), "{warning}");
    let id = out["jobs"][0]["id"].as_i64().unwrap().to_string();

    let shown = env.json(&["jobs", "show", &id]);
    assert_eq!(shown["warning"], warning.as_str(), "{shown}");
    let listed = env.json(&["jobs", "list"]);
    assert_eq!(listed[0]["warning"], warning.as_str(), "{listed}");
    let text = env.ok(&["jobs", "show", &id]);
    assert!(text.contains("U+1F642"), "{text}");

    // The rest of the line still prints, and so does the job.
    let printed = print_all(&env, &dir);
    let text = poppler("pdftotext", &[], &printed[0]);
    assert!(
        text.contains("Gift card") && text.contains("with love"),
        "{text}"
    );
    // A document without such characters carries no warning.
    let clean = emit(&env, "order.received", &order("SO-78"));
    assert!(clean["documents"][0]["warning"].is_null(), "{clean}");
}
