//! One key, one meaning: in every shipped keymap a key means the same thing in every pane, no
//! pane hides a list or global key, the README's key table is the one `?` shows, and every row
//! action has its CLI twin.

mod support;

use std::collections::BTreeMap;

use backroom::tui::action::Section;
use backroom::tui::keymap::Keymap;
use backroom::tui::panes::Pane;
use backroom::tui::popups::help;

/// Actions that mean the same thing in different panes, so they may (and must) share a key.
const MEANINGS: &[(&str, &[&str])] = &[
    ("add", &["add"]),
    ("edit", &["edit", "link_settings"]),
    ("delete", &["remove", "delete"]),
    ("test", &["check", "test_all", "check_again"]),
    ("print", &["test_page", "reprint"]),
    ("import", &["import", "run_import"]),
];

fn meaning(action: &str) -> &str {
    MEANINGS
        .iter()
        .find(|(_, names)| names.contains(&action))
        .map(|(m, _)| *m)
        .unwrap_or(action)
}

fn keymaps() -> Vec<Keymap> {
    ["default", "emacs"]
        .iter()
        .map(|n| Keymap::embedded(n).expect("shipped keymap"))
        .collect()
}

#[test]
fn a_key_means_one_thing_in_every_pane() {
    for keymap in keymaps() {
        let mut meanings: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for pane in Pane::ALL {
            for b in keymap.bindings(Section::Pane(pane)) {
                for k in &b.keys {
                    meanings
                        .entry(k.to_string())
                        .or_default()
                        .push((pane.name().to_string(), b.run.clone()));
                }
            }
        }
        for (key, uses) in &meanings {
            let first = meaning(&uses[0].1);
            for (pane, run) in uses {
                assert_eq!(
                    meaning(run),
                    first,
                    "keymap {}: `{key}` means {first} in {} but {run} in {pane}",
                    keymap.name,
                    uses[0].0
                );
            }
        }
        // A pane's key never hides a list or global key (it would mean two things).
        for section in [Section::List, Section::Global] {
            for b in keymap.bindings(section) {
                for k in &b.keys {
                    if let Some(uses) = meanings.get(&k.to_string()) {
                        panic!(
                            "keymap {}: `{k}` is {} in [{}] and {uses:?} in panes",
                            keymap.name,
                            b.run,
                            section.name()
                        );
                    }
                }
            }
        }
        // Each meaning shared by several panes has one key.
        for (m, names) in MEANINGS {
            let keys: Vec<String> = Pane::ALL
                .iter()
                .flat_map(|p| keymap.bindings(Section::Pane(*p)).to_vec())
                .filter(|b| names.contains(&b.run.as_str()))
                .map(|b| b.keys.first().map(|k| k.to_string()).unwrap_or_default())
                .collect();
            assert!(
                keys.windows(2).all(|w| w[0] == w[1]),
                "keymap {}: {m} has several keys: {keys:?}",
                keymap.name
            );
        }
    }
}

#[test]
fn the_readme_key_table_is_what_help_shows() {
    let keymap = Keymap::default_keymap();
    let table = help::markdown(&keymap);
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start =
        "<!-- keys: generated from keymaps/default.toml, checked by tests/tui_keys.rs -->\n";
    let end = "<!-- keys: end -->";
    let from = readme
        .find(start)
        .expect("the README has the key table's start marker")
        + start.len();
    let to = readme[from..].find(end).expect("the end marker") + from;
    assert!(
        readme[from..to] == table,
        "README.md's key table differs from the help; put this between the markers:\n{table}"
    );
}

/// Each TUI row action's CLI twin: the command, then the options that do what the action does.
/// An action missing here fails `every_tui_action_has_a_cli_twin`: add its twin.
const TWINS: &[(&str, &str, &[&str])] = &[
    ("printers", "add", &["printers add"]),
    ("printers", "edit", &["printers edit"]),
    ("printers", "remove", &["printers remove --successor"]),
    ("printers", "make_default", &["printers set-default"]),
    ("printers", "check", &["printers check"]),
    (
        "printers",
        "choose_tray",
        &["printers edit --tray --no-tray"],
    ),
    ("printers", "test_page", &["printers test-page"]),
    (
        "printers",
        "toggle_enabled",
        &["printers edit --enable --disable"],
    ),
    (
        "printers",
        "toggle_printing",
        &["printers enable", "printers disable"],
    ),
    (
        "printers",
        "triggers",
        &["triggers set", "triggers enable", "triggers disable"],
    ),
    ("print_jobs", "reschedule", &["jobs reschedule"]),
    (
        "print_jobs",
        "reschedule_filtered",
        &["jobs reschedule --state"],
    ),
    ("print_jobs", "reprint", &["jobs reprint"]),
    ("print_jobs", "cancel", &["jobs cancel"]),
    ("print_jobs", "cancel_filtered", &["jobs cancel --state"]),
    ("print_jobs", "download", &["jobs download --out"]),
    ("print_jobs", "confirm_printed", &["jobs confirm --printed"]),
    ("print_jobs", "confirm_reprint", &["jobs confirm --reprint"]),
    (
        "contacts",
        "actions",
        &[
            "contacts invite",
            "contacts activate",
            "contacts deactivate",
            "contacts delete-identities",
        ],
    ),
    ("contacts", "add", &["contacts add"]),
    ("contacts", "invite", &["contacts invite"]),
    ("contacts", "activate", &["contacts activate"]),
    ("contacts", "deactivate", &["contacts deactivate"]),
    ("contacts", "reactivate", &["contacts reactivate"]),
    (
        "contacts",
        "delete_identities",
        &["contacts delete-identities"],
    ),
    ("contacts", "delete", &["contacts delete"]),
    ("contacts", "import", &["contacts import"]),
    ("contacts", "template", &["contacts template"]),
    ("contacts", "backup", &["contacts backup"]),
    ("contacts", "copy_link", &["links show"]),
    ("contacts", "copy_generic_link", &["links show"]),
    ("contacts", "send_link", &["links send"]),
    ("contacts", "regenerate_link", &["links regenerate"]),
    ("contacts", "link_settings", &["links set --expires"]),
    (
        "contacts",
        "next_limit",
        &["links set --jobs-per-day --max-job-size --max-day-size"],
    ),
    (
        "contacts",
        "limit_up",
        &["links set --jobs-per-day --max-job-size --max-day-size"],
    ),
    (
        "contacts",
        "limit_down",
        &["links set --jobs-per-day --max-job-size --max-day-size"],
    ),
    ("contacts", "upload_terms", &["terms upload"]),
    ("pos_folders", "add", &["pos folders add"]),
    ("pos_folders", "edit", &["pos folders set"]),
    ("pos_folders", "test_db", &["pos test-db"]),
    ("pos_folders", "test_ftp", &["pos test-ftp"]),
    ("pos_folders", "test_ws", &["pos test-ws"]),
    ("pos_folders", "test_all", &["pos test"]),
    ("pos_folders", "processes", &["sync processes set"]),
    ("pos_folders", "remove", &["pos folders remove"]),
    ("sync_tables", "add", &["sync tables add"]),
    ("sync_tables", "remove", &["sync tables remove"]),
    (
        "sync_tables",
        "toggle_type",
        &["sync tables set-type --type"],
    ),
    ("sync_tables", "check", &["sync tables check"]),
    ("sync", "run_export", &["sync run"]),
    ("sync", "run_export_full", &["sync run --full"]),
    ("sync", "run_import", &["sync run"]),
    ("sync", "run_import_full", &["sync run --full"]),
    ("sync", "run_push", &["sync run"]),
    ("sync", "run_update", &["sync run --yes"]),
    ("health", "check_again", &["doctor"]),
    (
        "health",
        "apply_fix",
        &[
            "jobs reschedule --state",
            "printers enable",
            "sync run --full",
        ],
    ),
];

/// Walks every pane's actions (what the keymap's pane sections accept): each has a CLI twin,
/// a real command whose `--help` names the options that do what the action does.
#[test]
fn every_tui_action_has_a_cli_twin() {
    let bin = env!("CARGO_BIN_EXE_backroom");
    let mut missing = Vec::new();
    for pane in Pane::ALL {
        for (name, _) in Section::Pane(pane).actions() {
            let Some((_, _, twins)) = TWINS
                .iter()
                .find(|(p, a, _)| *p == pane.name() && *a == name)
            else {
                missing.push(format!("{}.{name}", pane.name()));
                continue;
            };
            for twin in *twins {
                let (words, options): (Vec<&str>, Vec<&str>) =
                    twin.split(' ').partition(|w| !w.starts_with("--"));
                let out = std::process::Command::new(bin)
                    .args(&words)
                    .arg("--help")
                    .output()
                    .expect("run backroom");
                let help = String::from_utf8_lossy(&out.stdout);
                assert!(
                    out.status.success(),
                    "{}.{name}: `backroom {}` is not a command: {}",
                    pane.name(),
                    words.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                );
                for o in options {
                    assert!(
                        help.contains(o),
                        "{}.{name}: `backroom {}` has no {o}:\n{help}",
                        pane.name(),
                        words.join(" ")
                    );
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "TUI actions without a CLI twin: {missing:?}"
    );
}
