//! E-mail address syntax: what a print shop can send an invitation to.

/// Checks the syntax of an address (`local@domain.tld`); `Err` says what is wrong.
pub fn check(address: &str) -> Result<(), String> {
    if address.is_empty() {
        return Err("it is empty".into());
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains a space or a control character".into());
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("it has no @ (expected name@domain)".into());
    };
    if local.is_empty() {
        return Err("nothing before the @".into());
    }
    if local.len() > 64 || address.len() > 254 {
        return Err("it is too long".into());
    }
    if local.contains('@') {
        return Err("it has more than one @".into());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("misplaced dot before the @".into());
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    if !local_ok {
        return Err("forbidden character before the @".into());
    }
    if domain.is_empty() {
        return Err("nothing after the @".into());
    }
    if !domain.contains('.') {
        return Err(format!(
            "domain {domain:?} has no dot (expected e.g. example.com)"
        ));
    }
    for label in domain.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return Err(format!("domain {domain:?} is not a valid host name"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_ordinary_addresses_and_refuses_broken_ones() {
        for ok in [
            "alice@example.com",
            "a.b+tag@sub.example.fr",
            "zoë@exämple.de",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "alice",
            "@x.com",
            "alice@",
            "alice@x",
            "a b@x.com",
            "a@@x.com",
            "a@-x.com",
            "a..b@x.com",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
