//! Ed25519 signatures of what travels over FTP (batch files, the update manifest): the server
//! signs with its private key (`[server] signing_key`), a till verifies with the server's public
//! key (`[till] server_public_key`) before it reads anything else of the file.
//!
//! A signed file starts with one line, `backroom-signature ed25519 <base64 signature>`, over the
//! SHA-256 of every byte after that line, prefixed by what the file is (so a signed batch cannot
//! pass for a signed update manifest).

use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::SyncError;

/// The start of a signature line.
pub const PREFIX: &str = "backroom-signature ed25519 ";

/// The length of a signature line, newline included (a signature is always 88 base64 characters).
pub const LINE_LEN: usize = PREFIX.len() + 88 + 1;

/// What a signed file is; part of the signed message.
#[derive(Debug, Clone, Copy)]
pub enum Domain {
    Batch,
    Updates,
}

impl Domain {
    fn tag(self) -> &'static [u8] {
        match self {
            Domain::Batch => b"backroom batch v1\n",
            Domain::Updates => b"backroom updates v1\n",
        }
    }
}

/// The server's private key.
pub struct Signer(SigningKey);

/// What a till trusts: the server's public key, and whether a test lab accepts unsigned files.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub key: Option<VerifyingKey>,
    pub allow_unsigned: bool,
}

/// How to give a till the server's public key (shown when it has none).
pub const SET_KEY_HINT: &str = "set server_public_key under [till] in config.toml to the public key the server's \
     `backroom sync keygen --out PATH` printed (the server signs with signing_key under [server])";

impl Trust {
    /// The till's trust from `[till]` in config.toml; a malformed key names the key to fix.
    pub fn from_config(till: &crate::config::TillSection) -> Result<Trust, SyncError> {
        let key = match till.server_public_key.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(parse_public(text).map_err(|e| {
                SyncError::Config(format!("[till] server_public_key in config.toml: {e}"))
            })?),
        };
        Ok(Trust {
            key,
            allow_unsigned: till.allow_unsigned,
        })
    }

    /// Checks a file's first line (a signature line, or `None` for an unsigned file) against the
    /// digest of the rest; `what` names the file in errors.
    pub fn check(
        &self,
        domain: Domain,
        signature_line: Option<&str>,
        digest: &[u8; 32],
        what: &str,
    ) -> Result<(), String> {
        let Some(line) = signature_line else {
            if self.allow_unsigned {
                return Ok(());
            }
            return Err(format!(
                "{what} is not signed; this till accepts only what its server signed{}",
                if self.key.is_none() {
                    format!(" ({SET_KEY_HINT})")
                } else {
                    String::new()
                }
            ));
        };
        let Some(key) = &self.key else {
            if self.allow_unsigned {
                return Ok(());
            }
            return Err(format!(
                "this till has no server public key to check the signature of {what}: {SET_KEY_HINT}"
            ));
        };
        let text = line.trim_end().strip_prefix(PREFIX).unwrap_or_default();
        let bytes: [u8; 64] = B64
            .decode(text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("the signature line of {what} is malformed"))?;
        key.verify_strict(&message(domain, digest), &Signature::from_bytes(&bytes))
            .map_err(|_| {
                format!(
                    "the signature of {what} does not match: it was changed after the server signed it, \
                     or signed by another key than [till] server_public_key"
                )
            })
    }
}

fn message(domain: Domain, digest: &[u8; 32]) -> Vec<u8> {
    let mut m = domain.tag().to_vec();
    m.extend_from_slice(hex::encode(digest).as_bytes());
    m
}

impl Signer {
    /// Loads the private key written by [`keygen`]; refuses a key file others can read.
    pub fn load(path: &Path) -> Result<Signer, SyncError> {
        let shown = path.display();
        let meta = std::fs::metadata(path).map_err(|e| {
            SyncError::Config(format!(
                "[server] signing_key {shown}: {e} (create one with backroom sync keygen --out {shown})"
            ))
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SyncError::Config(format!(
                    "[server] signing_key {shown} is readable by others (mode {mode:o}): chmod 600 {shown}"
                )));
            }
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| SyncError::Config(format!("[server] signing_key {shown}: {e}")))?;
        let seed: [u8; 32] = B64
            .decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                SyncError::Config(format!(
                    "[server] signing_key {shown}: expected one line of base64 (32 bytes), as written by backroom sync keygen"
                ))
            })?;
        Ok(Signer(SigningKey::from_bytes(&seed)))
    }

    /// The signature line (with its newline) over a file whose rest has this SHA-256.
    pub fn line(&self, domain: Domain, digest: &[u8; 32]) -> String {
        let sig = self.0.sign(&message(domain, digest));
        format!("{PREFIX}{}\n", B64.encode(sig.to_bytes()))
    }

    /// The public key, as a till writes it in `server_public_key`.
    pub fn public(&self) -> String {
        B64.encode(self.0.verifying_key().to_bytes())
    }
}

/// Parses a public key as [`Signer::public`] writes it.
pub fn parse_public(text: &str) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = B64
        .decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("expected the base64 public key (32 bytes) printed by backroom sync keygen")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid Ed25519 public key".to_string())
}

/// Writes a new private key at `out` (mode 0600, never over an existing file); returns the public key.
pub fn keygen(out: &Path) -> Result<String, SyncError> {
    let seed: [u8; 32] = rand::random();
    let signer = Signer(SigningKey::from_bytes(&seed));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(out)
        .map_err(SyncError::io(format!("creating {}", out.display())))?;
    std::io::Write::write_all(&mut file, format!("{}\n", B64.encode(seed)).as_bytes())
        .map_err(SyncError::io(format!("writing {}", out.display())))?;
    Ok(signer.public())
}

/// SHA-256 of everything `reader` yields.
pub fn digest_of(reader: &mut impl Read, what: &str) -> Result<[u8; 32], SyncError> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(SyncError::io(format!("reading {what}")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Splits a signed text (the update manifest) into its signature line and the rest.
pub fn split(text: &str) -> (Option<&str>, &str) {
    match text.strip_prefix(PREFIX) {
        Some(_) => match text.split_once('\n') {
            Some((line, rest)) => (Some(line), rest),
            None => (Some(text), ""),
        },
        None => (None, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_its_key_domain_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let public = keygen(&dir.path().join("k")).unwrap();
        let signer = Signer::load(&dir.path().join("k")).unwrap();
        assert_eq!(signer.public(), public);
        let digest: [u8; 32] = Sha256::digest(b"rows").into();
        let line = signer.line(Domain::Batch, &digest);
        assert_eq!(line.len(), LINE_LEN);
        let trust = Trust {
            key: Some(parse_public(&public).unwrap()),
            allow_unsigned: false,
        };
        trust
            .check(Domain::Batch, Some(&line), &digest, "f")
            .unwrap();
        assert!(
            trust
                .check(Domain::Updates, Some(&line), &digest, "f")
                .is_err()
        );
        let other: [u8; 32] = Sha256::digest(b"rowz").into();
        assert!(
            trust
                .check(Domain::Batch, Some(&line), &other, "f")
                .is_err()
        );
        assert!(trust.check(Domain::Batch, None, &digest, "f").is_err());
        let other_key = keygen(&dir.path().join("k2")).unwrap();
        let stranger = Trust {
            key: Some(parse_public(&other_key).unwrap()),
            allow_unsigned: false,
        };
        assert!(
            stranger
                .check(Domain::Batch, Some(&line), &digest, "f")
                .is_err()
        );
        assert!(keygen(&dir.path().join("k")).is_err(), "never overwrites");
    }
}
