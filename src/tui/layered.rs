//! Embedded default files overridden by user files in the config dir, and the error a bad file gives.

use std::path::PathBuf;

/// A bad theme or keymap file: which file, which key, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {expected}")]
pub struct FileError {
    pub file: String,
    pub key: String,
    pub expected: String,
}

impl FileError {
    pub fn new(file: &str, key: impl Into<String>, expected: impl Into<String>) -> FileError {
        FileError {
            file: file.to_string(),
            key: key.into(),
            expected: expected.into(),
        }
    }
}

/// Where a user's file of `kind` (`themes`, `keymaps`) called `name` lives.
pub fn user_path(kind: &str, name: &str) -> PathBuf {
    crate::paths::config_dir()
        .join(kind)
        .join(format!("{name}.toml"))
}

/// The user's file, if there is one; an unreadable file is an error naming it.
pub fn read_user(kind: &str, name: &str) -> Result<Option<(String, String)>, FileError> {
    let path = user_path(kind, name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path.display().to_string(), text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FileError::new(
            &path.display().to_string(),
            "(file)",
            format!("a readable UTF-8 TOML file ({e})"),
        )),
    }
}

/// Names of the user's files of `kind`, without `.toml`.
pub fn user_names(kind: &str) -> Vec<String> {
    let dir = crate::paths::config_dir().join(kind);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// Parses TOML, naming the file and the line of a syntax error.
pub fn parse_toml(file: &str, text: &str) -> Result<toml::Table, FileError> {
    text.parse::<toml::Table>().map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
            .unwrap_or(1);
        FileError::new(
            file,
            format!("line {line}"),
            format!("valid TOML ({})", e.message()),
        )
    })
}

/// A TOML value's type in words (for "expected ..., found ...").
pub fn kind_of(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// A kind of file that ships embedded and that a user file of the same name is laid over
/// (themes, keymaps).
pub trait Layered: Clone {
    /// The config sub-folder and the word used in messages: `themes` / `theme`.
    const DIR: &'static str;
    const KIND: &'static str;
    fn embedded(name: &str) -> Option<Self>;
    fn fallback() -> Self;
    fn rename(&mut self, name: &str);
    fn overlay(&mut self, file: &str, text: &str) -> Result<(), FileError>;
    fn names() -> Vec<String>;
}

/// The shipped `name` (or the fallback) with the user's file laid over it; errors come back with
/// what to use instead.
pub fn load<T: Layered>(name: &str) -> (T, Vec<FileError>) {
    let mut errors = Vec::new();
    let shipped = || format!("{} to choose from: {}", T::DIR, T::names().join(", "));
    // A name, not a path: `:theme ../../x` read any TOML file the process could (in the daemon,
    // the service account's). Dots inside a name (`solarized.dark`) are fine.
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains("..")
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if !plain {
        let expected = format!(
            "a {} name (the file's name in {} without .toml, not a path): {}",
            T::KIND,
            T::DIR,
            shipped()
        );
        errors.push(FileError::new(name, "(name)", expected));
        return (T::fallback(), errors);
    }
    let base = T::embedded(name).unwrap_or_else(T::fallback);
    match read_user(T::DIR, name) {
        Ok(Some((file, text))) => {
            let mut layered = base.clone();
            layered.rename(name);
            match layered.overlay(&file, &text) {
                Ok(()) => return (layered, errors),
                Err(e) => errors.push(e),
            }
        }
        Ok(None) if T::embedded(name).is_none() => errors.push(FileError::new(
            &user_path(T::DIR, name).display().to_string(),
            "(file)",
            format!("a {} called {name}: {}", T::KIND, shipped()),
        )),
        Ok(None) => {}
        Err(e) => errors.push(e),
    }
    (base, errors)
}
