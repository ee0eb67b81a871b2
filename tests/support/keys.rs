//! Signing keys for the sync tests, made once per test binary by `backroom sync keygen`: the
//! server's key (its tills trust it) and a stranger's key (nobody trusts it).

use std::path::PathBuf;
use std::sync::OnceLock;

use super::TestEnv;

/// A private key file and its public key.
pub struct Key {
    pub path: PathBuf,
    pub public: String,
    _home: TestEnv,
}

fn make() -> Key {
    let home = TestEnv::new();
    let path = home.path().join("signing.key");
    let out = home.ok(&["sync", "keygen", "--out", path.to_str().unwrap()]);
    let public = out.lines().last().unwrap().trim().to_string();
    Key {
        path,
        public,
        _home: home,
    }
}

/// The server's key.
pub fn server() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(make)
}

/// Another key, trusted by no till.
pub fn stranger() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(make)
}
