//! The citizen's access token: an unguessable secret for the private view of a case.
//!
//! Only its SHA-256 is stored, so a copy of the database does not open anyone's case.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, hex-encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex(&bytes))
    }

    /// Wraps a token a citizen presented.
    pub fn from_presented(token: &str) -> Self {
        Self(token.trim().to_owned())
    }

    /// The secret itself, to hand to the citizen once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored and looked up.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<secret>)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_stored_hashed() {
        let a = AccessToken::generate();
        let b = AccessToken::generate();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a, b);
        assert_ne!(a.hash(), a.expose());
        assert_eq!(AccessToken::from_presented(a.expose()).hash(), a.hash());
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
