//! Secrets never leave the service: every configured secret value (config tokens and passwords,
//! printer API keys, POS passwords) is replaced by its mask in whatever goes back to a client.

use rusqlite::Connection;

use crate::config::Config;

/// The secret values a reply must never carry.
pub fn secrets(config: &Config, conn: Option<&Connection>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    out.extend(config.server.api_token.clone());
    out.extend(config.server.till_tokens.values().cloned());
    out.extend(config.till.token.clone());
    if let Some(smtp) = &config.smtp {
        out.extend(smtp.password.clone());
    }
    if let Some(conn) = conn {
        for sql in [
            "SELECT api_key FROM printers WHERE api_key IS NOT NULL",
            "SELECT db_password FROM pos_folders WHERE db_password IS NOT NULL",
            "SELECT ftp_password FROM pos_folders WHERE ftp_password IS NOT NULL",
        ] {
            if let Ok(mut stmt) = conn.prepare(sql)
                && let Ok(rows) = stmt.query_map([], |r| r.get::<_, String>(0))
            {
                out.extend(rows.flatten());
            }
        }
    }
    // Very short values would mask ordinary words; they are masked where they are shown.
    out.retain(|s| s.chars().count() >= 4);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `text` with every secret value replaced by its mask.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), &crate::secret::mask(s));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_secrets_are_masked_wherever_they_appear() {
        let config = Config::parse(
            "[server]\napi_token = \"tok-123456789\"\n[server.till_tokens]\n\"3\" = \"till-secret-3\"\n",
            std::path::Path::new("c.toml"),
        )
        .unwrap();
        let secrets = secrets(&config, None);
        let out = scrub(
            "{\"token\": \"tok-123456789\", \"t\": \"till-secret-3\"}",
            &secrets,
        );
        assert!(!out.contains("tok-123456789"), "{out}");
        assert!(!out.contains("till-secret-3"), "{out}");
        assert!(out.contains("••••••89"), "{out}");
    }
}
