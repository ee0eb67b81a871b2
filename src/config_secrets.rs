//! The secrets file: API and till tokens, the SMTP password and the till's token kept out of
//! `config.toml`, in `secrets.toml` next to it (mode 0600, readable only by the account that runs
//! backroom, the service account on a store server). Its keys are laid over config.toml's.

use std::path::{Path, PathBuf};

use crate::config::ConfigError;

/// The keys a secrets file may hold: `[section] key`.
pub const SECRET_KEYS: &[(&str, &str)] = &[
    ("server", "api_token"),
    ("server", "till_tokens"),
    ("smtp", "user"),
    ("smtp", "password"),
    ("till", "token"),
];

/// The secrets file of a config file: `secrets.toml` in the same folder.
pub fn path_for(config: &Path) -> PathBuf {
    config.with_file_name("secrets.toml")
}

/// Reads the secrets file next to `config` (None when there is none, or when this account may
/// not read it: then it is another account's file and holds nothing for this process).
pub fn read(config: &Path) -> Result<Option<(PathBuf, toml::Table)>, ConfigError> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = path_for(config);
    let error = |message: String| ConfigError::Parse {
        path: path.display().to_string(),
        message,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            return Ok(None);
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let mode = std::fs::metadata(&path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    if mode & 0o077 != 0 {
        return Err(error(format!(
            "the secrets file is readable by other accounts (mode {mode:04o}); run `chmod 600 {}`",
            path.display()
        )));
    }
    let table: toml::Table = toml::from_str(&text).map_err(|e| error(e.to_string()))?;
    check_keys(&table).map_err(error)?;
    Ok(Some((path, table)))
}

/// Only secrets belong in the secrets file.
fn check_keys(table: &toml::Table) -> Result<(), String> {
    let allowed = SECRET_KEYS
        .iter()
        .map(|(s, k)| format!("[{s}] {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    for (section, value) in table {
        let Some(keys) = value.as_table() else {
            return Err(format!(
                "`{section}` must be a section ([{section}]); the secrets file holds only {allowed}"
            ));
        };
        for key in keys.keys() {
            if !SECRET_KEYS.contains(&(section.as_str(), key.as_str())) {
                return Err(format!(
                    "[{section}] {key} is not a secret: put it in config.toml (the secrets file holds only {allowed})"
                ));
            }
        }
    }
    Ok(())
}

/// Lays the secrets over the config's table, section by section.
pub fn lay_over(config: &mut toml::Table, secrets: toml::Table) {
    for (section, value) in secrets {
        let Some(keys) = value.as_table() else {
            continue;
        };
        let target = config
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let Some(target) = target.as_table_mut() {
            for (k, v) in keys {
                target.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_laid_over_and_other_keys_are_refused() {
        let mut config: toml::Table =
            toml::from_str("[server]\nlisten = \"127.0.0.1:1\"\napi_token = \"old\"\n").unwrap();
        let secrets: toml::Table =
            toml::from_str("[server]\napi_token = \"new\"\n[smtp]\npassword = \"pw\"\n").unwrap();
        check_keys(&secrets).unwrap();
        lay_over(&mut config, secrets);
        assert_eq!(config["server"]["api_token"].as_str(), Some("new"));
        assert_eq!(config["server"]["listen"].as_str(), Some("127.0.0.1:1"));
        assert_eq!(config["smtp"]["password"].as_str(), Some("pw"));
        let bad: toml::Table = toml::from_str("[server]\nlisten = \"0.0.0.0:1\"\n").unwrap();
        let msg = check_keys(&bad).unwrap_err();
        assert!(msg.contains("[server] listen is not a secret"), "{msg}");
    }
}
