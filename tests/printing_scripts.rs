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
    String::from_utf8(out.stdout).unwrap()
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
    for kind in ["order.received", "order.shipped", "invoice.overdue"] {
        let out = emit(&env, kind, &order("ע-١٢٣-注文"));
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
        for s in addresses.iter().chain(customer).chain(&STRINGS[7..]) {
            assert!(
                text.contains(s),
                "{s:?} missing from {}:\n{text}",
                pdf.display()
            );
        }
    }
}
