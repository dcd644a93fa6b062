//! Linking a staff account to a Telegram chat: the one-time token of the deep link
//! `https://t.me/<bot>?start=<token>` that `hdnd staff link <login>` prints.
//!
//! The token is 256 random bits in base64url behind a short prefix, 46 characters of
//! `A-Z a-z 0-9 _ -` (Telegram's limit for a start parameter is 64 of those). Only its SHA-256 is
//! stored; it expires and is used at most once.

use std::fmt;

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::staff::StaffId;
use super::token::base64url;
use crate::error::DomainError;

/// A staff link's one-time secret, with whom it links and until when.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffLinkToken {
    secret: String,
    pub staff: StaffId,
    pub login: String,
    pub expires_at: DateTime<Utc>,
}

impl StaffLinkToken {
    /// What every staff link token starts with, so that the bot tells a staff link from any
    /// other `/start` payload without a database read.
    pub const PREFIX: &'static str = "sl_";
    /// The longest start parameter Telegram passes on (its deep-link limit).
    pub const MAX_LEN: usize = 64;

    /// A fresh token for `staff`, from the operating system's random source.
    pub(crate) fn generate(staff: StaffId, login: &str, expires_at: DateTime<Utc>) -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self {
            secret: format!("{}{}", Self::PREFIX, base64url(&bytes)),
            staff,
            login: login.to_owned(),
            expires_at,
        }
    }

    /// The secret itself, to hand to the staff member once.
    pub fn expose(&self) -> &str {
        &self.secret
    }

    /// The deep link that opens the bot `username` and sends it `/start <token>`.
    pub fn deep_link(&self, username: &str) -> String {
        format!(
            "https://t.me/{}?start={}",
            username.trim_start_matches('@'),
            self.secret
        )
    }

    /// What to send the bot by hand when there is no deep link.
    pub fn start_command(&self) -> String {
        format!("/start {}", self.secret)
    }

    /// What is stored and looked up.
    pub(crate) fn hash(&self) -> String {
        hash_presented(&self.secret)
    }

    /// Whether a `/start` payload has the shape of a staff link token (it may still be
    /// unknown, used or expired).
    pub fn looks_like(payload: &str) -> bool {
        let payload = payload.trim();
        payload.starts_with(Self::PREFIX) && shaped(payload)
    }
}

impl fmt::Debug for StaffLinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffLinkToken")
            .field("staff", &self.staff)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Telegram's rule for a start parameter: 1 to 64 of `A-Z a-z 0-9 _ -`.
fn shaped(token: &str) -> bool {
    (1..=StaffLinkToken::MAX_LEN).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The hash a presented token is looked up by, or `None` when it cannot be a token at all.
pub(crate) fn presented_hash(token: &str) -> Option<String> {
    let token = token.trim();
    shaped(token).then(|| hash_presented(token))
}

fn hash_presented(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The one refusal of a token that is unknown, used, expired or of an inactive account: the
/// person cannot tell which, and neither can somebody guessing tokens.
pub fn link_refused() -> DomainError {
    DomainError::invalid(
        "staff_link",
        "mã liên kết không đúng, đã được dùng hoặc đã hết hạn; đề nghị quản trị hệ thống cấp \
         mã mới bằng `hdnd staff link` (the link code is wrong, used or expired: ask an \
         administrator for a new one)",
    )
}

/// Whether `error` is the refusal of [`link_refused`].
pub fn is_link_refusal(error: &crate::Error) -> bool {
    matches!(
        error,
        crate::Error::Domain(DomainError::Invalid {
            field: "staff_link",
            ..
        })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_fits_a_deep_link_and_is_never_printed() {
        let at = chrono::Utc::now();
        let a = StaffLinkToken::generate(StaffId(7), "tam.cao", at);
        let b = StaffLinkToken::generate(StaffId(7), "tam.cao", at);
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().len() <= StaffLinkToken::MAX_LEN);
        assert_eq!(a.expose().len(), 46);
        assert!(StaffLinkToken::looks_like(a.expose()));
        assert!(!StaffLinkToken::looks_like("sl_a b"));
        assert!(!StaffLinkToken::looks_like("hello"));
        assert_eq!(
            a.deep_link("@hdnd_hongbang_bot"),
            format!("https://t.me/hdnd_hongbang_bot?start={}", a.expose())
        );
        assert_eq!(a.start_command(), format!("/start {}", a.expose()));
        assert!(!format!("{a:?}").contains(a.expose()));
        assert_eq!(presented_hash(a.expose()), Some(a.hash()));
        assert_eq!(presented_hash(&format!(" {} ", a.expose())), Some(a.hash()));
        assert_ne!(a.hash(), a.expose());
        assert_eq!(presented_hash(&"a".repeat(65)), None);
        assert_eq!(presented_hash("sl_<script>"), None);
        assert_eq!(presented_hash(""), None);
    }

    #[test]
    fn the_refusal_is_recognised_and_vietnamese_first() {
        let refusal = crate::Error::from(link_refused());
        assert!(is_link_refusal(&refusal));
        assert!(refusal.to_string().contains("mã liên kết"));
        assert!(!is_link_refusal(&crate::Error::NotFound("staff")));
    }
}
