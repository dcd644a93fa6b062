//! The internal messages aggregate: a message with its thread, its recipients (when each read
//! it, and the hash of each one's email read token), its audit row and its notifications, all
//! written in one transaction. The body is personal data: no `Debug` here prints it, and no
//! log line or outbox key holds it (a recipient's notification is keyed by the message and the
//! account ids).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{Audience, Message, MessageId, ReadVia, Receipt, StaffId};
use crate::error::Error;
use crate::notification::outbox::NewNotification;

/// Renders the notifications of a message from its id, known only once it is inserted (the
/// "đã đọc" and reply buttons carry it), in the same transaction.
#[derive(Clone)]
pub struct MessageNotify(pub Arc<MessageNotifyFn>);

/// The function inside [`MessageNotify`].
pub type MessageNotifyFn = dyn Fn(MessageId) -> Result<Vec<NewNotification>, Error> + Send + Sync;

impl MessageNotify {
    /// No notifications (a hub without a notifier).
    pub fn none() -> Self {
        Self(Arc::new(|_| Ok(Vec::new())))
    }
}

impl fmt::Debug for MessageNotify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MessageNotify(..)")
    }
}

/// One recipient as planned: the account, and the hash of the token of their email's read
/// link (the token itself is only in the rendered email).
#[derive(Clone, PartialEq, Eq)]
pub struct PlannedRecipient {
    pub staff: StaffId,
    pub(crate) token_hash: String,
}

impl fmt::Debug for PlannedRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlannedRecipient")
            .field("staff", &self.staff)
            .finish_non_exhaustive()
    }
}

/// A message planned by the hub ([`Hub::plan_message`](crate::Hub::plan_message),
/// [`Hub::plan_reply`](crate::Hub::plan_reply)); applied now
/// ([`MessageStore::add_message`]) or with the inbound message it came in
/// (`InboundEffect::Message`, whose row names it in `source_ref`, so that a replay sends
/// nothing twice).
#[derive(Clone)]
pub struct MessageChange {
    pub sender: StaffId,
    /// The thread's root, for a reply.
    pub thread: Option<MessageId>,
    pub audience: Audience,
    pub body: String,
    pub recipients: Vec<PlannedRecipient>,
    /// A reply marks the message replied to as read by its author, if they received it.
    pub marks_read: Option<MessageId>,
    /// Unique: a second message with the same reference is not stored.
    pub source_ref: Option<String>,
    pub notify: MessageNotify,
}

impl fmt::Debug for MessageChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageChange")
            .field("sender", &self.sender)
            .field("thread", &self.thread)
            .field("audience", &self.audience)
            .field("recipients", &self.recipients.len())
            .field("marks_read", &self.marks_read)
            .finish_non_exhaustive()
    }
}

/// A message as [`MessageStore::add_message`] left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub message: Message,
    pub recipients: usize,
    /// `false` when a message with the same `source_ref` was there already: nothing was
    /// written, and `message` is that one.
    pub fresh: bool,
}

/// A recipient reading a message, planned by the hub
/// ([`Hub::plan_mark_read`](crate::Hub::plan_mark_read)); applied now
/// ([`MessageStore::mark_message_read`]) or with the pressed button's update
/// (`InboundEffect::MessageRead`). Reading twice changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadChange {
    pub message: MessageId,
    pub staff: StaffId,
    pub via: ReadVia,
    /// The recipient had read it already when the change was planned.
    pub already_read: bool,
}

/// One thread a member takes part in, as listed: its root, its newest message, how many it
/// holds, how many of those the member received and has not read, and the member's own newest
/// message in it (whose read receipts they see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    pub root: MessageId,
    pub last: MessageId,
    pub messages: i64,
    pub unread: i64,
    pub own_last: Option<MessageId>,
}

/// What an email's read link opened: the message, whose link it was, and whether this
/// opening is the one that marked it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadByLink {
    pub message: Message,
    pub reader: StaffId,
    pub newly_read: bool,
}

/// Internal messages, their threads and who has read them.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores a message with its recipients, its audit row, its notifications and, for a
    /// reply, the replied message read by its author, in one transaction; a `source_ref`
    /// stored before changes nothing (see [`SentMessage::fresh`]).
    async fn add_message(&self, change: &MessageChange) -> Result<SentMessage, Error>;
    async fn get_message(&self, id: MessageId) -> Result<Message, Error>;
    /// The recipients of a message and when each read it, by account id.
    async fn list_message_recipients(&self, id: MessageId) -> Result<Vec<Receipt>, Error>;
    /// Everyone who sent or received a message of the thread `root`.
    async fn list_thread_participants(&self, root: MessageId) -> Result<Vec<StaffId>, Error>;
    /// The threads `staff` sent or received a message in, newest activity first.
    async fn list_threads(&self, staff: StaffId, limit: i64) -> Result<Vec<ThreadRow>, Error>;
    /// Marks a message read by a recipient, with its audit row; `false` when it was read
    /// already (or `staff` did not receive it).
    async fn mark_message_read(&self, change: &ReadChange) -> Result<bool, Error>;
    /// The message whose email read token hashes to `token_hash`, marked read by its
    /// recipient (audited) in the same transaction if it was not.
    async fn read_message_by_token(&self, token_hash: &str) -> Result<Option<ReadByLink>, Error>;
}
