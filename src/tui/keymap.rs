//! Keymaps: `keymaps/*.toml` embedded as defaults, laid over by the user's files (yazi style).
//!
//! A section lists bindings `{ on = ["down", "j"], run = "down", desc = "..." }` under `keymap`;
//! a user's file may replace a section (`keymap`), or add before (`prepend_keymap`, which wins)
//! or after (`append_keymap`) the default bindings.

use std::collections::BTreeMap;

use super::action::{Action, Section};
use super::key::{self, KeyPress};
use super::layered::{self, FileError, kind_of};

/// The keymaps shipped with backroom.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// One binding: keys, the action they run, and what help says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub keys: Vec<KeyPress>,
    pub run: String,
    pub action: Action,
    pub desc: Option<String>,
}

impl Binding {
    pub fn description(&self) -> &str {
        self.desc.as_deref().unwrap_or(self.action.description())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    pub name: String,
    sections: BTreeMap<Section, Vec<Binding>>,
}

impl Keymap {
    /// The shipped keymap called `name`.
    pub fn embedded(name: &str) -> Option<Keymap> {
        let (file, text) = EMBEDDED.iter().find(|(n, _)| *n == name)?;
        let mut k = Keymap {
            name: name.to_string(),
            sections: BTreeMap::new(),
        };
        // A shipped file that does not parse is caught by the tests; start empty rather than panic.
        k.overlay(&format!("keymaps/{file}.toml"), text).ok()?;
        Some(k)
    }

    /// The default keymap (`keymaps/default.toml`).
    pub fn default_keymap() -> Keymap {
        Keymap::embedded("default").unwrap_or(Keymap {
            name: "default".to_string(),
            sections: BTreeMap::new(),
        })
    }

    /// The keymap `name`: the shipped one (or the default) with the user's file laid over it.
    /// Errors are returned with the keymap to use instead.
    pub fn load(name: &str) -> (Keymap, Vec<FileError>) {
        layered::load(name)
    }

    /// Lays a keymap file over this one; on error this keymap is unchanged.
    pub fn overlay(&mut self, file: &str, text: &str) -> Result<(), FileError> {
        let table = layered::parse_toml(file, text)?;
        let mut next = self.sections.clone();
        for (section_name, value) in &table {
            let Some(section) = Section::from_name(section_name) else {
                let all: Vec<&str> = Section::all().iter().map(|s| s.name()).collect();
                return Err(FileError::new(
                    file,
                    format!("[{section_name}]"),
                    format!("a section among {}", all.join(", ")),
                ));
            };
            let toml::Value::Table(parts) = value else {
                return Err(FileError::new(
                    file,
                    section_name.as_str(),
                    format!("a table [{section_name}], found {}", kind_of(value)),
                ));
            };
            let current = next.entry(section).or_default();
            for (part, list) in parts {
                let key = format!("[{section_name}] {part}");
                let bindings = parse_list(file, &key, section, list)?;
                match part.as_str() {
                    "keymap" => *current = bindings,
                    "prepend_keymap" => {
                        let mut all = bindings;
                        all.append(current);
                        *current = all;
                    }
                    "append_keymap" => current.extend(bindings),
                    _ => {
                        return Err(FileError::new(
                            file,
                            key,
                            "keymap, prepend_keymap or append_keymap",
                        ));
                    }
                }
            }
        }
        self.sections = next;
        Ok(())
    }

    /// The action `key` runs in `section`, if any.
    pub fn lookup(&self, section: Section, key: KeyPress) -> Option<Action> {
        self.bindings(section)
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| b.action)
    }

    pub fn bindings(&self, section: Section) -> &[Binding] {
        self.sections
            .get(&section)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The first key bound to `action` in `section`, for hints.
    pub fn key_for(&self, section: Section, action: Action) -> Option<KeyPress> {
        self.bindings(section)
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first().copied())
    }
}

/// Names of the shipped keymaps and the user's own.
pub fn names() -> Vec<String> {
    let mut all: Vec<String> = EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
    for n in layered::user_names("keymaps") {
        if !all.contains(&n) {
            all.push(n);
        }
    }
    all
}

fn parse_list(
    file: &str,
    key: &str,
    section: Section,
    list: &toml::Value,
) -> Result<Vec<Binding>, FileError> {
    let toml::Value::Array(items) = list else {
        return Err(FileError::new(
            file,
            key,
            format!(
                "an array of {{ on, run, desc }} tables, found {}",
                kind_of(list)
            ),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_binding(file, &format!("{key}[{i}]"), section, item))
        .collect()
}

fn parse_binding(
    file: &str,
    key: &str,
    section: Section,
    item: &toml::Value,
) -> Result<Binding, FileError> {
    let toml::Value::Table(t) = item else {
        return Err(FileError::new(
            file,
            key,
            format!(
                "a table {{ on = \"key\", run = \"action\" }}, found {}",
                kind_of(item)
            ),
        ));
    };
    for k in t.keys() {
        if !["on", "run", "desc"].contains(&k.as_str()) {
            return Err(FileError::new(
                file,
                format!("{key}.{k}"),
                "only on, run and desc",
            ));
        }
    }
    let on_key = format!("{key}.on");
    let names: Vec<&str> = match t.get("on") {
        Some(toml::Value::String(s)) => vec![s.as_str()],
        Some(toml::Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str())
            .collect::<Option<_>>()
            .ok_or_else(|| FileError::new(file, &on_key, "key names as strings"))?,
        Some(other) => {
            return Err(FileError::new(
                file,
                &on_key,
                format!(
                    "a key name or a non-empty array of key names, found {}",
                    kind_of(other)
                ),
            ));
        }
        None => return Err(FileError::new(file, &on_key, "the keys to bind (missing)")),
    };
    let keys = names
        .iter()
        .map(|n| {
            KeyPress::parse(n).ok_or_else(|| {
                FileError::new(
                    file,
                    &on_key,
                    format!(
                        "found \"{n}\", which is not a key; expected {}",
                        key::EXPECTED
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let run_key = format!("{key}.run");
    let run = match t.get("run") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(FileError::new(
                file,
                &run_key,
                format!("an action name, found {}", kind_of(other)),
            ));
        }
        None => {
            return Err(FileError::new(
                file,
                &run_key,
                "the action to run (missing)",
            ));
        }
    };
    let action = section.action(&run).ok_or_else(|| {
        let known: Vec<&str> = section.actions().iter().map(|(n, _)| *n).collect();
        let expected = if known.is_empty() {
            format!(
                "no action yet: [{}] has no row actions, found \"{run}\"",
                section.name()
            )
        } else {
            format!(
                "an action of [{}] ({}), found \"{run}\"",
                section.name(),
                known.join(", ")
            )
        };
        FileError::new(file, &run_key, expected)
    })?;
    let desc = match t.get("desc") {
        None => None,
        Some(toml::Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(FileError::new(
                file,
                format!("{key}.desc"),
                format!("a description string, found {}", kind_of(other)),
            ));
        }
    };
    Ok(Binding {
        keys,
        run,
        action,
        desc,
    })
}

impl layered::Layered for Keymap {
    const DIR: &'static str = "keymaps";
    const KIND: &'static str = "keymap";

    fn embedded(name: &str) -> Option<Self> {
        Keymap::embedded(name)
    }

    fn fallback() -> Self {
        Keymap::default_keymap()
    }

    fn rename(&mut self, name: &str) {
        self.name = name.to_string();
    }

    fn overlay(&mut self, file: &str, text: &str) -> Result<(), FileError> {
        Keymap::overlay(self, file, text)
    }

    fn names() -> Vec<String> {
        names()
    }
}
