//! The config and secrets files `backroom setup --system` writes when they do not exist yet.

/// `config.toml`: readable by the service account's group, never holding a secret.
pub const CONFIG: &str = r#"# backroom store server configuration, read by `backroom daemon` at start
# (systemctl restart backroom after a change; SIGHUP reloads only the TLS certificate).
# Secrets (API and till tokens, the SMTP password) go in secrets.toml next to this file.

[store]
name = "backroom"

[operators]
# An OS user by name -> admin | staff; members of the group backroom-admin are admins.
# marie = "admin"

[server]
listen = "127.0.0.1:8080"
# HTTPS for the tills and webhooks (plain HTTP is served only on loopback):
# listen = "0.0.0.0:8443"
# tls_cert = "/etc/backroom/tls/fullchain.pem"
# tls_key = "/etc/backroom/tls/privkey.pem"
"#;

/// `secrets.toml`: 0600, owned by the service account alone.
pub const SECRETS: &str = r#"# Secrets laid over config.toml. Keep this file 0600, owned by the service account.
# Only these keys are allowed here:
#
# [server]
# api_token = "..."            # bearer token of POST /api/events
# [server.till_tokens]
# "1" = "..."                  # per-till tokens
# [smtp]
# user = "..."
# password = "..."
# [till]
# token = "..."
"#;
