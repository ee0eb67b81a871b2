//! Themes: `themes/*.toml` embedded as defaults, laid over by the user's files; `NO_COLOR` strips colours.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use super::layered::{self, FileError, kind_of};

/// The themes shipped with backroom.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Every styled element, by `[section] element` as the theme files name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    HeaderBase,
    HeaderStore,
    HeaderBadge,
    HeaderWorkerUp,
    HeaderWorkerDown,
    TabsActive,
    TabsInactive,
    ListHeader,
    ListRow,
    ListSelected,
    ListMarked,
    ListNotice,
    ListEmpty,
    StatusInfo,
    StatusError,
    StatusProgress,
    StatusHint,
    PopupBorder,
    PopupTitle,
    PopupText,
    PopupLabel,
    PopupError,
    PopupFocus,
    PopupKey,
}

const SLOTS: &[(Slot, &str, &str)] = &[
    (Slot::HeaderBase, "header", "base"),
    (Slot::HeaderStore, "header", "store"),
    (Slot::HeaderBadge, "header", "badge"),
    (Slot::HeaderWorkerUp, "header", "worker_up"),
    (Slot::HeaderWorkerDown, "header", "worker_down"),
    (Slot::TabsActive, "tabs", "active"),
    (Slot::TabsInactive, "tabs", "inactive"),
    (Slot::ListHeader, "list", "header"),
    (Slot::ListRow, "list", "row"),
    (Slot::ListSelected, "list", "selected"),
    (Slot::ListMarked, "list", "marked"),
    (Slot::ListNotice, "list", "notice"),
    (Slot::ListEmpty, "list", "empty"),
    (Slot::StatusInfo, "status", "info"),
    (Slot::StatusError, "status", "error"),
    (Slot::StatusProgress, "status", "progress"),
    (Slot::StatusHint, "status", "hint"),
    (Slot::PopupBorder, "popup", "border"),
    (Slot::PopupTitle, "popup", "title"),
    (Slot::PopupText, "popup", "text"),
    (Slot::PopupLabel, "popup", "label"),
    (Slot::PopupError, "popup", "error"),
    (Slot::PopupFocus, "popup", "focus"),
    (Slot::PopupKey, "popup", "key"),
];

/// What a style may say (shown when a theme file says something else).
const STYLE_EXPECTED: &str =
    "a colour, or a table of fg, bg, bold, dim, italic, underline, reversed";
const COLOUR_EXPECTED: &str =
    "a colour: a name (red, light-blue, dark-gray, ...), #rrggbb, an index 0-255, or reset";

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Slot, Style>,
    /// Cell styles by value in state-like columns (`[states]`: failed, pending, active...).
    states: BTreeMap<String, Style>,
}

impl Theme {
    pub fn style(&self, slot: Slot) -> Style {
        self.styles.get(&slot).copied().unwrap_or_default()
    }

    /// The style of a state cell, if the theme has one for this value.
    pub fn state(&self, value: &str) -> Option<Style> {
        self.states.get(value).copied()
    }

    fn empty(name: &str) -> Theme {
        Theme {
            name: name.to_string(),
            styles: BTreeMap::new(),
            states: BTreeMap::new(),
        }
    }

    /// The shipped theme called `name`.
    pub fn embedded(name: &str) -> Option<Theme> {
        let (_, text) = EMBEDDED.iter().find(|(n, _)| *n == name)?;
        let mut t = Theme::empty(name);
        t.overlay(&format!("themes/{name}.toml"), text).ok()?;
        Some(t)
    }

    /// The default theme (`themes/dark.toml`).
    pub fn default_theme() -> Theme {
        Theme::embedded("dark").unwrap_or_else(|| Theme::empty("dark"))
    }

    /// The theme `name`: the shipped one (or the default) with the user's file laid over it.
    pub fn load(name: &str) -> (Theme, Vec<FileError>) {
        layered::load(name)
    }

    /// Lays a theme file over this theme; on error the theme is unchanged.
    pub fn overlay(&mut self, file: &str, text: &str) -> Result<(), FileError> {
        let table = layered::parse_toml(file, text)?;
        let mut next = self.clone();
        for (section, value) in &table {
            let toml::Value::Table(elements) = value else {
                return Err(FileError::new(
                    file,
                    section.as_str(),
                    format!("a table [{section}], found {}", kind_of(value)),
                ));
            };
            if section == "states" {
                for (state, v) in elements {
                    let style = parse_style(file, &format!("states.{state}"), v)?;
                    next.states.insert(state.clone(), style);
                }
                continue;
            }
            let known: Vec<&str> = SLOTS
                .iter()
                .filter(|(_, s, _)| s == section)
                .map(|(_, _, e)| *e)
                .collect();
            if known.is_empty() {
                let mut sections: Vec<&str> = SLOTS.iter().map(|(_, s, _)| *s).collect();
                sections.dedup();
                sections.push("states");
                return Err(FileError::new(
                    file,
                    format!("[{section}]"),
                    format!("a section among {}", sections.join(", ")),
                ));
            }
            for (element, v) in elements {
                let key = format!("{section}.{element}");
                let Some((slot, _, _)) =
                    SLOTS.iter().find(|(_, s, e)| s == section && e == element)
                else {
                    return Err(FileError::new(
                        file,
                        key,
                        format!("an element of [{section}]: {}", known.join(", ")),
                    ));
                };
                next.styles.insert(*slot, parse_style(file, &key, v)?);
            }
        }
        *self = next;
        Ok(())
    }

    /// The same theme without any colour (`NO_COLOR`): modifiers only, selection reversed.
    pub fn without_colour(&self) -> Theme {
        let strip = |s: &Style| Style::default().add_modifier(s.add_modifier);
        let mut styles: BTreeMap<Slot, Style> =
            self.styles.iter().map(|(k, s)| (*k, strip(s))).collect();
        for slot in [
            Slot::ListSelected,
            Slot::TabsActive,
            Slot::HeaderBadge,
            Slot::PopupFocus,
        ] {
            let s = styles.entry(slot).or_default();
            *s = s.add_modifier(Modifier::REVERSED);
        }
        let error = styles.entry(Slot::StatusError).or_default();
        *error = error.add_modifier(Modifier::BOLD);
        Theme {
            name: self.name.clone(),
            styles,
            states: self
                .states
                .iter()
                .map(|(k, s)| (k.clone(), strip(s)))
                .collect(),
        }
    }
}

/// Names of the shipped themes and the user's own.
pub fn names() -> Vec<String> {
    let mut all: Vec<String> = EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
    for n in layered::user_names("themes") {
        if !all.contains(&n) {
            all.push(n);
        }
    }
    all
}

/// True when `NO_COLOR` is set to something (<https://no-color.org>).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn parse_colour(file: &str, key: &str, v: &toml::Value) -> Result<Color, FileError> {
    let toml::Value::String(s) = v else {
        return Err(FileError::new(
            file,
            key,
            format!("{COLOUR_EXPECTED}, found {}", kind_of(v)),
        ));
    };
    Color::from_str(s)
        .map_err(|_| FileError::new(file, key, format!("{COLOUR_EXPECTED}, found \"{s}\"")))
}

fn parse_style(file: &str, key: &str, v: &toml::Value) -> Result<Style, FileError> {
    let table = match v {
        toml::Value::String(_) => return Ok(Style::default().fg(parse_colour(file, key, v)?)),
        toml::Value::Table(t) => t,
        other => {
            return Err(FileError::new(
                file,
                key,
                format!("{STYLE_EXPECTED}, found {}", kind_of(other)),
            ));
        }
    };
    let mut style = Style::default();
    for (k, value) in table {
        let sub = format!("{key}.{k}");
        let modifier = match k.as_str() {
            "fg" => {
                style = style.fg(parse_colour(file, &sub, value)?);
                continue;
            }
            "bg" => {
                style = style.bg(parse_colour(file, &sub, value)?);
                continue;
            }
            "bold" => Modifier::BOLD,
            "dim" => Modifier::DIM,
            "italic" => Modifier::ITALIC,
            "underline" => Modifier::UNDERLINED,
            "reversed" => Modifier::REVERSED,
            _ => return Err(FileError::new(file, sub, STYLE_EXPECTED)),
        };
        match value {
            toml::Value::Boolean(true) => style = style.add_modifier(modifier),
            toml::Value::Boolean(false) => style = style.remove_modifier(modifier),
            other => {
                return Err(FileError::new(
                    file,
                    sub,
                    format!("true or false, found {}", kind_of(other)),
                ));
            }
        }
    }
    Ok(style)
}

impl layered::Layered for Theme {
    const DIR: &'static str = "themes";
    const KIND: &'static str = "theme";

    fn embedded(name: &str) -> Option<Self> {
        Theme::embedded(name)
    }

    fn fallback() -> Self {
        Theme::default_theme()
    }

    fn rename(&mut self, name: &str) {
        self.name = name.to_string();
    }

    fn overlay(&mut self, file: &str, text: &str) -> Result<(), FileError> {
        Theme::overlay(self, file, text)
    }

    fn names() -> Vec<String> {
        names()
    }
}
