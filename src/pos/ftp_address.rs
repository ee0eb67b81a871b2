//! The FTP server address of a POS folder: `ftp://host[:port]` or `ftps://host[:port]`, with an
//! optional target folder written after `{}` (`ftp://files.example{}store12/outbox`).

use serde::Serialize;

/// A parsed FTP address. `tls` means explicit TLS (`AUTH TLS` on the control port, `ftps://`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FtpAddress {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// The target folder on the server; `None` means the login folder.
    pub target: Option<String>,
}

/// The default FTP control port (explicit TLS uses it too).
pub const DEFAULT_PORT: u16 = 21;

impl FtpAddress {
    /// Parses an address; the error says what is wrong and how to write it.
    pub fn parse(text: &str) -> Result<FtpAddress, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the address is empty: expected ftp://host[:port] or ftps://host[:port], optionally followed by {}target/folder".into());
        }
        let (tls, rest) = if let Some(r) = strip_prefix_ci(text, "ftps://") {
            (true, r)
        } else if let Some(r) = strip_prefix_ci(text, "ftp://") {
            (false, r)
        } else if text.contains("://") {
            let scheme = text.split("://").next().unwrap_or_default();
            return Err(format!(
                "unsupported scheme {scheme:?}: expected ftp:// or ftps:// (explicit TLS)"
            ));
        } else {
            return Err(format!(
                "{text:?} has no scheme: write ftp://{text} or ftps://{text}"
            ));
        };
        let (server, target) = match rest.split_once("{}") {
            Some((server, target)) => (server, Some(target)),
            None => (rest, None),
        };
        let target = match target {
            None => None,
            Some(t) => Some(parse_target(t)?),
        };
        let server = server.strip_suffix('/').unwrap_or(server);
        if server.contains('@') {
            return Err("the address holds a user or password (user@host): put them in the user and password fields instead".into());
        }
        if server.contains('/') {
            return Err(format!(
                "{server:?} has a path: write the target folder after {{}}, e.g. ftp://host{{}}store12/outbox"
            ));
        }
        let (host, port) = split_host_port(server)?;
        Ok(FtpAddress {
            tls,
            host,
            port: port.unwrap_or(DEFAULT_PORT),
            target,
        })
    }

    /// The `host:port` to connect to (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The target folder as shown to people: the folder, or "the login folder".
    pub fn target_text(&self) -> String {
        match &self.target {
            Some(t) => t.clone(),
            None => "the login folder".to_string(),
        }
    }
}

impl std::fmt::Display for FtpAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "ftps" } else { "ftp" };
        write!(f, "{scheme}://")?;
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if self.port != DEFAULT_PORT {
            write!(f, ":{}", self.port)?;
        }
        if let Some(t) = &self.target {
            write!(f, "{{}}{t}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for FtpAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FtpAddress::parse(s)
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn parse_target(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().all(|c| c == '/') {
        return Err("empty target after {}: write the target folder after {} (e.g. ftp://host{}store12/outbox), or remove {}".into());
    }
    if t.contains("{}") {
        return Err("{} appears twice: write one target folder after the first {}".into());
    }
    if let Some(c) = t.chars().find(|c| c.is_control()) {
        return Err(format!(
            "the target folder holds a control character ({:?})",
            c
        ));
    }
    let t = t.trim_end_matches('/');
    Ok(t.to_string())
}

fn split_host_port(server: &str) -> Result<(String, Option<u16>), String> {
    if server.is_empty() {
        return Err("no host: expected ftp://host[:port]".into());
    }
    let (host, port) = if let Some(rest) = server.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{server:?}: an IPv6 address must end with ]"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{host:?} is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("unexpected {p:?} after the IPv6 address"))?,
            ),
        };
        (host.to_string(), port)
    } else {
        match server.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (server.to_string(), None),
        }
    };
    if !host.contains(':') {
        super::field::check_host(&host)?;
    }
    let port = match port {
        None => None,
        Some(p) => Some(super::field::parse_port(p)?),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_form_with_a_target_after_braces() {
        let a = FtpAddress::parse("ftp://files.example{}store12/outbox").unwrap();
        assert_eq!(a.host, "files.example");
        assert_eq!(a.port, 21);
        assert!(!a.tls);
        assert_eq!(a.target.as_deref(), Some("store12/outbox"));
        assert_eq!(a.to_string(), "ftp://files.example{}store12/outbox");
    }

    #[test]
    fn parses_ports_tls_and_ipv6() {
        let a = FtpAddress::parse("FTPS://127.0.0.1:2121").unwrap();
        assert!(a.tls);
        assert_eq!(a.port, 2121);
        assert_eq!(a.target, None);
        assert_eq!(a.authority(), "127.0.0.1:2121");
        let b = FtpAddress::parse("ftp://[::1]:21{}/in/").unwrap();
        assert_eq!(b.host, "::1");
        assert_eq!(b.target.as_deref(), Some("/in"));
        assert_eq!(b.authority(), "[::1]:21");
    }

    #[test]
    fn refuses_with_the_reason() {
        let err = |s: &str| FtpAddress::parse(s).unwrap_err();
        assert!(err("ftp://host{}").contains("empty target"));
        assert!(err("ftp://host{}  ").contains("empty target"));
        assert!(err("ftp://host:70000").contains("out of range"));
        assert!(err("ftp://host:0").contains("out of range"));
        assert!(err("ftp://host:abc").contains("port"));
        assert!(err("http://host").contains("unsupported scheme"));
        assert!(err("files.example").contains("no scheme"));
        assert!(err("ftp://bob:pw@host").contains("user and password fields"));
        assert!(err("ftp://host/out").contains("after {}"));
        assert!(err("ftp://").contains("no host"));
        assert!(err("ftp://bad host").contains("host"));
    }
}
