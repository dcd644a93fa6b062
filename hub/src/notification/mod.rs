//! The values of notifications, shared by storage and delivery: the channels, a rendered
//! message, the outbox's rows and states, and pacing reservations. Storage imports these, never
//! the delivery workers.

use std::fmt;
use std::str::FromStr;

use crate::domain::case::named_enum;
use crate::error::DomainError;

pub mod outbox;
pub mod pacing;
pub mod telegram;

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

/// An email as rendered at enqueue: subject, both bodies and the threading headers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailMessage {
    /// One line; an email about a case carries its code in square brackets.
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// `<…@…>`, generated at enqueue, so that a retry threads like the first attempt.
    pub message_id: Option<String>,
    /// The Message-ID of the first mail about the same case, so that mail clients thread.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// A one-click unsubscribe URL (RFC 8058), on reminders and digests.
    pub list_unsubscribe: Option<String>,
    /// The case's signed reply address, on mail about a case when the council's mailbox is
    /// set.
    pub reply_to: Option<String>,
}

/// A Telegram message as rendered at enqueue: HTML parse-mode text, already split into parts
/// that each fit one `sendMessage`, and the inline keyboard that goes under the last part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TelegramMessage {
    /// At least one part; each at most [`telegram::MESSAGE_LIMIT`] UTF-16 code units.
    pub parts: Vec<String>,
    pub keyboard: Keyboard,
    /// The topic of a forum group it goes into; `None` for a private chat or a group's
    /// general thread.
    pub thread: Option<TelegramThread>,
}

/// A topic of a Telegram supergroup with topics (a forum).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelegramThread {
    /// The case's own topic, created under `title` by the first message posted about it.
    Case { case: i64, title: String },
    /// A topic known by its `message_thread_id`: where the message being answered was.
    Topic(i32),
}

/// An inline keyboard: rows of buttons. Empty means none.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Keyboard {
    pub rows: Vec<Vec<Button>>,
}

impl Keyboard {
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(Vec::is_empty)
    }
}

/// One inline button: it either sends callback data back to the bot or opens a URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Button {
    pub text: String,
    #[serde(flatten)]
    pub action: ButtonAction,
}

/// What pressing a button does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonAction {
    /// At most 64 bytes (Telegram's limit), checked when the keyboard is built.
    CallbackData(String),
    Url(String),
}

/// What one call to a [`Channel`](crate::delivery::Channel) sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Email(EmailMessage),
    /// One part of a Telegram message.
    Telegram(TelegramPart),
}

/// One part of a Telegram message, sent by one `sendMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramPart {
    /// HTML parse-mode text.
    pub text: String,
    /// Which part this is, from 0, of `count`.
    pub index: usize,
    pub count: usize,
    /// Only on the last part, so that the buttons sit under the whole message.
    pub keyboard: Keyboard,
    pub thread: Option<TelegramThread>,
}

/// A rendered message for one recipient on one channel.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The outbox row it comes from.
    pub outbox_id: i64,
    pub channel: ChannelKind,
    /// An email address or a Telegram chat id.
    pub address: String,
    pub content: Content,
}

// Written by hand: the address and the text are personal data.
impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("outbox_id", &self.outbox_id)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// What the provider calls a message it accepted: Telegram's `message_id`, or the SMTP server's
/// answer line (`250 2.0.0 Ok: queued as 4Xz…`). Kept on the outbox row, so that a later edit
/// (removing buttons once one was pressed) can name the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderId(pub String);
