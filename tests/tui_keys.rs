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
    ("test", &["check", "test_all"]),
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
