//! Delivery: the outbound channels and what they carry.
//!
//! A notification is rendered when it is enqueued and stored whole in the outbox, so that a
//! retry sends the same bytes (and the same email Message-ID). A [`Channel`] only sends an
//! [`Outgoing`] message and says whether a failure is worth retrying.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::case::named_enum;
use crate::error::DomainError;

pub mod email;
pub mod notify;
pub mod outbox;
pub mod pacing;
pub mod render;
pub mod worker;

named_enum!(
    /// A way hdnd reaches a person.
    ChannelKind, "channel" {
        Email => "email", "Thư điện tử";
        Telegram => "telegram", "Telegram";
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

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Retrying will not help (SMTP 5xx, Telegram 403 blocked or 400 chat not found): the
    /// recipient's next channel is tried instead.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// Worth retrying later (SMTP 4xx, timeouts, Telegram 429 and 5xx), not before
    /// `retry_after` when the channel said so.
    #[error("transient failure: {reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
}

/// An outbound channel.
#[async_trait]
pub trait Channel: Send + Sync + fmt::Debug {
    fn kind(&self) -> ChannelKind;

    /// Sends one message. Called at most once at a time per message; may be called again for
    /// the same message after a crash, so it must not depend on state kept between calls.
    async fn send(&self, message: &Outgoing) -> Result<(), DeliveryError>;
}
