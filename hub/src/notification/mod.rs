//! The values of notifications, shared by storage and delivery: the channels, a rendered
//! message, the outbox's rows and states, and pacing reservations. Storage imports these, never
//! the delivery workers.

use std::fmt;
use std::str::FromStr;

use crate::domain::case::named_enum;
use crate::error::DomainError;

pub mod outbox;
pub mod pacing;

/// The first 16 hex digits of an address's SHA-256: names an address in dedupe keys and
/// Message-IDs without showing it.
pub fn address_digest(address: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(address.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

named_enum!(
    /// A way hdnd reaches a person.
    ChannelKind, "channel" {
        Email => "email", "Thư điện tử", "Email";
        Telegram => "telegram", "Telegram", "Telegram";
    }
);

/// A rendered message for one recipient on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The outbox row it comes from.
    pub outbox_id: i64,
    pub channel: ChannelKind,
    /// An email address or a Telegram chat id.
    pub address: String,
    /// The email subject (empty for Telegram).
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// `<…@…>`, generated at enqueue (email only).
    pub message_id: Option<String>,
    /// The Message-ID of the first mail about the same case, so that mail clients thread.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// A one-click unsubscribe URL (RFC 8058), on reminders and digests.
    pub list_unsubscribe: Option<String>,
}
