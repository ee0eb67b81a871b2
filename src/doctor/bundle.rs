//! `backroom support-bundle`: a ZIP (0600) a support engineer can send to a colleague — the
//! doctor's report, versions, the config and the log's last lines with every secret redacted,
//! recent runs, attempts and connection tests, the schema version and row counts. Personal data
//! (contacts, order references) only with `--include-personal`.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde_json::{Value, json};

use super::{Report, Subject};

/// Lines of the log kept in the bundle.
pub const LOG_LINES: usize = 500;

/// What a bundle holds, for the command's summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub path: PathBuf,
    pub files: Vec<String>,
    pub bytes: u64,
    pub redacted: usize,
    pub personal: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot write the support bundle {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the support bundle {path}: {source}")]
    Zip {
        path: String,
        source: zip::result::ZipError,
    },
}

/// Every secret value this store knows of: the config's and the database's (the service's list).
pub fn secrets(subject: &Subject, conn: Option<&Connection>) -> Vec<String> {
    crate::service::mask::secrets(&subject.config, conn)
}

/// Replaces every secret in `text`; counts the replacements.
pub fn redact(text: &str, secrets: &[String], count: &mut usize) -> String {
    let mut out = text.to_string();
    for s in secrets {
        let n = out.matches(s.as_str()).count();
        if n > 0 {
            *count += n;
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    out
}

/// Config keys whose values are secrets whatever they hold.
fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "token",
        "api_key",
        "secret",
        "signing_key",
        "tls_key",
    ]
    .iter()
    .any(|s| k.contains(s))
}

fn redact_toml(v: &mut toml::Value, secret_parent: bool) {
    match v {
        toml::Value::Table(t) => {
            for (k, child) in t.iter_mut() {
                if secret_key(k) && !matches!(child, toml::Value::Table(_)) {
                    *child = toml::Value::String("[redacted]".to_string());
                } else {
                    redact_toml(child, secret_parent || secret_key(k));
                }
            }
        }
        toml::Value::Array(a) => a.iter_mut().for_each(|c| redact_toml(c, secret_parent)),
        other if secret_parent => *other = toml::Value::String("[redacted]".to_string()),
        _ => {}
    }
}

/// The config file as written, secrets redacted by key and by value.
fn config_text(subject: &Subject, secrets: &[String], count: &mut usize) -> String {
    let Ok(text) = std::fs::read_to_string(&subject.config_path) else {
        return format!(
            "# no config file at {} (defaults in use)\n",
            subject.config_path.display()
        );
    };
    let redacted = match toml::from_str::<toml::Table>(&text) {
        Ok(t) => {
            let mut v = toml::Value::Table(t);
            redact_toml(&mut v, false);
            toml::to_string_pretty(&v).unwrap_or_default()
        }
        Err(e) => format!("# the config does not parse: {e}\n"),
    };
    redact(&redacted, secrets, count)
}

fn log_tail(secrets: &[String], count: &mut usize) -> String {
    let path = crate::paths::state_dir().join("backroom.log");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return format!("(no log at {})\n", path.display());
    };
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LOG_LINES);
    redact(&lines[start..].join("\n"), secrets, count)
}

fn rows_json(conn: &Connection, sql: &str) -> Value {
    let Ok(mut stmt) = conn.prepare(sql) else {
        return json!([]);
    };
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let rows = stmt.query_map([], |r| {
        let mut m = serde_json::Map::new();
        for (i, n) in names.iter().enumerate() {
            let v = match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => json!(n),
                rusqlite::types::ValueRef::Real(f) => json!(f),
                rusqlite::types::ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                rusqlite::types::ValueRef::Blob(b) => json!(format!("<{} bytes>", b.len())),
            };
            m.insert(n.clone(), v);
        }
        Ok(Value::Object(m))
    });
    match rows {
        Ok(rows) => Value::Array(rows.flatten().collect()),
        Err(_) => json!([]),
    }
}

fn store_json(conn: &Connection) -> Value {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap_or(-1);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_default();
    let mut counts = serde_json::Map::new();
    for t in tables {
        let sql = format!("SELECT COUNT(*) FROM {}", crate::sync::ident(&t));
        if let Ok(n) = conn.query_row(&sql, [], |r| r.get::<_, i64>(0)) {
            counts.insert(t, json!(n));
        }
    }
    json!({ "schema_version": version, "supported_schema_version": crate::store::SCHEMA_VERSION, "row_counts": counts })
}

/// Writes the bundle to `out` (0600) and returns what it holds.
pub fn write(
    subject: &Subject,
    report: &Report,
    out: &Path,
    include_personal: bool,
) -> Result<Written, BundleError> {
    let conn = crate::store::open_read_only(&subject.db_path).ok();
    let secrets = secrets(subject, conn.as_ref());
    let mut redacted = 0usize;
    let mut files: Vec<(String, String)> = Vec::new();
    let report_json = serde_json::to_string_pretty(report).unwrap_or_default();
    files.push((
        "doctor.json".into(),
        redact(&report_json, &secrets, &mut redacted),
    ));
    files.push((
        "versions.json".into(),
        serde_json::to_string_pretty(&json!({
            "backroom": env!("CARGO_PKG_VERSION"),
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
            "database": subject.db_path.display().to_string(),
            "config": subject.config_path.display().to_string(),
            "created_at": crate::store::now(),
        }))
        .unwrap_or_default(),
    ));
    files.push((
        "config.toml".into(),
        config_text(subject, &secrets, &mut redacted),
    ));
    files.push(("backroom.log".into(), log_tail(&secrets, &mut redacted)));
    if let Some(conn) = &conn {
        files.push((
            "store.json".into(),
            serde_json::to_string_pretty(&store_json(conn)).unwrap_or_default(),
        ));
        let sections = [
            (
                "sync_runs.json",
                "SELECT r.id, f.code AS folder, r.process, r.started_at, r.finished_at, r.rows, r.batches, r.bytes, r.outcome, r.message
                 FROM sync_runs r LEFT JOIN pos_folders f ON f.id = r.folder_id ORDER BY r.id DESC LIMIT 200",
            ),
            (
                "print_attempts.json",
                "SELECT a.id, a.job_id, p.name AS printer, p.provider, a.started_at, a.finished_at, a.outcome, a.error, a.worker
                 FROM print_attempts a JOIN print_jobs j ON j.id = a.job_id LEFT JOIN printers p ON p.id = j.printer_id
                 ORDER BY a.id DESC LIMIT 200",
            ),
            (
                "connection_tests.json",
                "SELECT t.id, f.code AS folder, t.target, t.ok, t.failure, t.verdict, t.detail, t.elapsed_ms, t.tested_at
                 FROM connection_tests t JOIN pos_folders f ON f.id = t.folder_id ORDER BY t.id DESC LIMIT 200",
            ),
            (
                "printers.json",
                "SELECT id, name, provider, target, tray, copies, enabled, is_default FROM printers ORDER BY id",
            ),
            (
                "sync_blocks.json",
                "SELECT folder, channel, batch, error, hint, since FROM sync_blocks",
            ),
        ];
        for (name, sql) in sections {
            let text = serde_json::to_string_pretty(&rows_json(conn, sql)).unwrap_or_default();
            files.push((name.into(), redact(&text, &secrets, &mut redacted)));
        }
        if include_personal {
            for (name, sql) in [
                (
                    "personal/print_jobs.json",
                    "SELECT j.id, e.reference, e.kind, j.state, j.attempts, j.last_error, j.created_at
                     FROM print_jobs j LEFT JOIN events e ON e.id = j.event_id ORDER BY j.id DESC LIMIT 500",
                ),
                (
                    "personal/contacts.json",
                    "SELECT id, name, email, company, state FROM contacts ORDER BY id LIMIT 5000",
                ),
            ] {
                let text = serde_json::to_string_pretty(&rows_json(conn, sql)).unwrap_or_default();
                files.push((name.into(), redact(&text, &secrets, &mut redacted)));
            }
        }
    }
    let zip_err = |source| BundleError::Zip {
        path: out.display().to_string(),
        source,
    };
    let io_err = |source| BundleError::Write {
        path: out.display().to_string(),
        source,
    };
    let file = private_file(out).map_err(io_err)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    for (name, text) in &files {
        zip.start_file(name.as_str(), options).map_err(zip_err)?;
        zip.write_all(text.as_bytes()).map_err(io_err)?;
    }
    zip.finish().map_err(zip_err)?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(Written {
        path: out.to_path_buf(),
        files: files.into_iter().map(|(n, _)| n).collect(),
        bytes,
        redacted,
        personal: include_personal,
    })
}

/// Creates `path` 0600 (replacing a file already there).
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}
