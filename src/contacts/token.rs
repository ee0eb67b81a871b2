//! Random tokens (activation links, access keys, generic links) and their stored hashes.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh 128-bit random token, as 32 lowercase hex characters.
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of a token, as stored in place of the token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_128_bit_and_distinct() {
        let a = super::generate();
        assert_eq!(a.len(), 32);
        assert_ne!(a, super::generate());
        assert_eq!(super::hash(&a).len(), 64);
        assert_ne!(super::hash(&a), a);
    }
}
