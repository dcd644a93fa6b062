//! An Open311 client's API key: 256 random bits in base64url behind the prefix `o311_`. Only
//! its SHA-256 is stored, so a copy of the database files nothing.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::token::{base64url, hex};
use crate::error::DomainError;

/// A client's API key, as issued: shown once, then only its hash is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct Open311Key(String);

impl Open311Key {
    /// What every key starts with, so that an operator can tell one from another secret.
    pub const PREFIX: &'static str = "o311_";

    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!("{}{}", Self::PREFIX, base64url(&bytes)))
    }

    /// The key itself, to hand to the client's operator once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn hash(&self) -> String {
        hash(&self.0)
    }
}

impl fmt::Debug for Open311Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Open311Key(<secret>)")
    }
}

/// The hash a presented key is looked up by, or `None` when it cannot be a key at all (so that
/// no odd input reaches the database).
pub(crate) fn presented_hash(presented: &str) -> Option<String> {
    let presented = presented.trim();
    let shaped = presented.starts_with(Open311Key::PREFIX)
        && presented.len() <= 100
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    shaped.then(|| hash(presented))
}

fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// A client's name as the operator types it: 1 to 100 of `a-z 0-9 . _ -`, like a login.
pub(crate) fn client_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim().to_lowercase();
    let ok = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(DomainError::invalid(
            "client",
            "tên ứng dụng chỉ gồm a-z, 0-9, '.', '_', '-', tối đa 100 ký tự (a client name is \
             1 to 100 of a-z, 0-9, '.', '_', '-')",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_found_by_its_hash_and_never_shown_by_debug() {
        let key = Open311Key::generate();
        assert!(key.expose().starts_with("o311_"));
        assert_eq!(key.expose().len(), 5 + 43);
        assert_eq!(presented_hash(key.expose()), Some(key.hash()));
        assert_ne!(key.hash(), key.expose());
        assert!(!format!("{key:?}").contains(key.expose()));
        assert_ne!(Open311Key::generate(), key);
    }

    #[test]
    fn input_that_cannot_be_a_key_is_not_looked_up() {
        for odd in ["", "o311_", "abc", "o311_a b", "o311_a';--"] {
            assert_eq!(presented_hash(odd).is_some(), odd == "o311_", "{odd:?}");
        }
    }

    #[test]
    fn client_names_are_lowercase_words() {
        assert_eq!(client_name(" FixMyStreet.vn ").unwrap(), "fixmystreet.vn");
        assert!(client_name("").is_err());
        assert!(client_name("a b").is_err());
    }
}
