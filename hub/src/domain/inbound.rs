//! Inbound messages: whatever a person sent (a Telegram update, a mail, a web form, an Open311
//! request), stored under its source's own key before it is acknowledged and processed under a
//! lease, so that a replay changes nothing and a crash loses nothing.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::case::named_enum;
use crate::error::DomainError;

named_enum!(
    /// Where an inbound message came from.
    InboundSource, "source" {
        Telegram => "telegram", "Telegram";
        Email => "email", "Thư điện tử";
        Web => "web", "Cổng thông tin";
        Open311 => "open311", "Open311";
    }
);

named_enum!(
    /// Where an inbound message stands.
    InboundStatus, "status" {
        New => "new", "Chưa xử lý";
        Processing => "processing", "Đang xử lý";
        Done => "done", "Đã xử lý";
        /// Can never be processed (malformed, hostile); kept with its reason for operators.
        Failed => "failed", "Không xử lý được";
        /// Gave up after the most attempts.
        Dead => "dead", "Đã ngừng thử lại";
    }
);

/// What identifies a message at its source, unique per source. Built from what the source
/// itself guarantees unique (Telegram's update id, IMAP's UIDVALIDITY and UID), never from a
/// value the sender controls: anyone can forge an email's Message-ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalKey(String);

impl ExternalKey {
    /// Longest accepted key.
    pub const MAX_LEN: usize = 300;

    /// A Telegram update: the bot's id and the update's id.
    pub fn telegram(bot_id: u64, update_id: u32) -> Self {
        Self(format!("{bot_id}:{update_id}"))
    }

    /// A mail read over IMAP: the mailbox, its UIDVALIDITY and the message's UID.
    pub fn imap(mailbox: &str, uid_validity: u32, uid: u32) -> Self {
        Self(format!("{mailbox}:{uid_validity}:{uid}"))
    }

    /// A mail delivered to the SMTP listener: the SHA-256 of its bytes, so that a relay's
    /// retry of the same message (after a lost "250") is the same row.
    pub fn smtp(raw: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        Self(format!("smtp:{}", super::token::hex(&Sha256::digest(raw))))
    }

    /// A key made elsewhere (a web form's one-time token, an Open311 client's request id):
    /// printable ASCII without spaces, at most [`Self::MAX_LEN`] bytes.
    pub fn parse(key: &str) -> Result<Self, DomainError> {
        let ok = !key.is_empty()
            && key.len() <= Self::MAX_LEN
            && key.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(key.to_owned()))
        } else {
            Err(DomainError::invalid(
                "external_key",
                "must be 1 to 300 printable ASCII characters without spaces",
            ))
        }
    }

    /// Wraps a key read back from storage.
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message as it arrived, to store before acknowledging it.
#[derive(Clone)]
pub struct NewInbound {
    pub source: InboundSource,
    pub key: ExternalKey,
    /// The message as received (an update's JSON, a raw mail).
    pub payload: Vec<u8>,
    /// It may be a denunciation: the payload is deleted as soon as the row is processed.
    pub sealed: bool,
}

// Written by hand: the payload is what a person typed and stays out of logs.
impl fmt::Debug for NewInbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewInbound")
            .field("source", &self.source)
            .field("key", &self.key)
            .field("payload_bytes", &self.payload.len())
            .field("sealed", &self.sealed)
            .finish()
    }
}

/// A message just stored, or found already stored under the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub id: i64,
    /// `false` when the key was stored before: a replay, to acknowledge and otherwise ignore.
    pub fresh: bool,
}

/// A stored inbound row.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundRow {
    pub id: i64,
    pub source: InboundSource,
    pub key: ExternalKey,
    pub received_at: DateTime<Utc>,
    pub status: InboundStatus,
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    pub lease_token: Option<String>,
    /// The instance that claimed the row last (`host:pid`).
    pub claimed_by: Option<String>,
    pub last_error: Option<String>,
    /// `None` once purged.
    pub payload: Option<Vec<u8>>,
    pub sealed: bool,
    pub processed_at: Option<DateTime<Utc>>,
}

// Written by hand: the payload stays out of logs.
impl fmt::Debug for InboundRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundRow")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("key", &self.key)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .field("payload_bytes", &self.payload.as_ref().map(Vec::len))
            .field("sealed", &self.sealed)
            .finish_non_exhaustive()
    }
}

/// What processing a row came to, when it did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundFailure {
    /// Worth another try at `due_at` (the database or a channel was down).
    Retry {
        due_at: DateTime<Utc>,
        error: String,
    },
    /// Can never succeed: kept, with its reason, for an operator.
    Failed { error: String },
    /// Gave up after the most attempts.
    Dead { error: String },
}

impl InboundFailure {
    pub fn status(&self) -> InboundStatus {
        match self {
            Self::Retry { .. } => InboundStatus::New,
            Self::Failed { .. } => InboundStatus::Failed,
            Self::Dead { .. } => InboundStatus::Dead,
        }
    }

    pub fn error(&self) -> &str {
        match self {
            Self::Retry { error, .. } | Self::Failed { error } | Self::Dead { error } => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_what_the_source_guarantees_unique() {
        assert_eq!(ExternalKey::telegram(4242, 17).as_str(), "4242:17");
        assert_eq!(ExternalKey::imap("INBOX", 7, 301).as_str(), "INBOX:7:301");
        assert!(ExternalKey::parse("form-3f9a").is_ok());
        for bad in ["", "with space", "dòng", &"x".repeat(301)] {
            assert!(ExternalKey::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn debug_shows_no_payload() {
        let new = NewInbound {
            source: InboundSource::Telegram,
            key: ExternalKey::telegram(1, 2),
            payload: b"Nguyen Van An 0900000001".to_vec(),
            sealed: true,
        };
        let shown = format!("{new:?}");
        assert!(!shown.contains("Nguyen") && shown.contains("payload_bytes: 24"));
    }
}
