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

/// `bytes` in base64url without padding (RFC 4648 §5): only `A-Z a-z 0-9 - _`, the
/// characters Telegram allows in a deep link's start parameter and safe in any URL.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        // One input byte gives two characters, two give three, three give four.
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// `bytes` in lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two secrets are equal, comparing every byte whatever the first difference (the
/// lengths are no secret: a tag's or a hash's is fixed).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the compiler from turning the fold into an early exit.
    a.len() == b.len() && std::hint::black_box(difference) == 0
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

    #[test]
    fn base64url_matches_rfc_4648_without_padding() {
        // RFC 4648 §10, with the URL alphabet and no '='.
        for (input, want) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), want, "{input}");
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
