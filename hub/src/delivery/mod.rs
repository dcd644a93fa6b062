//! Delivery: the outbound channels and what they carry.
//!
//! A notification is rendered when it is enqueued, for each channel it may go out on, and
//! stored whole in the outbox, so that a retry sends the same bytes (and the same email
//! Message-ID). A [`Channel`] only sends an [`Outgoing`] message (an email, or one part of a
//! Telegram message), says what the provider called it, and whether a failure is worth
//! retrying.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

pub mod email;
pub mod notify;
pub mod pacing;
pub mod render;
pub mod worker;

// The values the outbox stores live beside the store, which must not import delivery; they
// are re-exported here under their old paths.
pub use crate::notification::{
    Button, ButtonAction, ChannelKind, Content, EmailMessage, Keyboard, Outgoing, ProviderId,
    TelegramMessage, TelegramPart, TelegramThread, outbox, telegram,
};

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

    /// Sends one message (one part of a split Telegram message) and returns what the provider
    /// calls it. Called at most once at a time per message; may be called again for the same
    /// message after a crash, so it must not depend on state kept between calls.
    async fn send(&self, message: &Outgoing) -> Result<ProviderId, DeliveryError>;
}
