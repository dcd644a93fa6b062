//! The inbound aggregate: messages stored before they are acknowledged, claimed under a lease,
//! and completed together with their effect.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::cases::{CaseRecord, CreatedCase, InformationChange, ProgressChange, PublicationChange};
use super::follows::{FollowChange, UnfollowChange};
use super::messages::{MessageChange, ReadChange};
use super::outbox::BounceChange;
use super::ratings::RatingChange;
use super::staff_links::StaffLinkChange;
use super::work::TaskChange;
use crate::domain::{ChatChange, InboundFailure, InboundRow, InboundStatus, NewInbound, Received};
use crate::error::Error;
use crate::notification::outbox::NewNotification;

/// What processing an inbound message changes, applied in the same transaction as the row's
/// `done`: either both happen or neither does.
#[derive(Debug, Clone)]
pub enum InboundEffect {
    /// Nothing beyond the replies (a command answered, a message ignored on purpose).
    Nothing,
    /// A new case; its source reference is the inbound row, so even a case written by a
    /// handler that forgot the row's key cannot be made twice.
    Case(Box<CaseRecord>),
    /// A change to an existing case (the citizen's answer to the council's question), applied
    /// only if the case is still as the handler read it.
    Progress(Box<ProgressChange>),
    /// A citizen's rating of the answer, and the reopening it causes, if any; applied only if
    /// the case is still as the handler read it, so a replay rates nothing twice.
    Rating(Box<RatingChange>),
    /// A contact starts following a published case (nothing if it already does, or if the
    /// case was unpublished meanwhile).
    Follow(Box<FollowChange>),
    /// A contact stops following one case, or every case.
    Unfollow(Box<UnfollowChange>),
    /// A staff member's `/start <token>`: the token is used up and the chat becomes the
    /// account's Telegram contact; a token used or expired meanwhile fails the completion
    /// with `Conflict`, and the message is handled again (and then refused).
    StaffLink(Box<StaffLinkChange>),
    /// Information the citizen adds to their open case from the chat (a text, files), applied
    /// only if the case is still as the handler read it.
    Information(Box<InformationChange>),
    /// A staff member publishes a case from the chat, with the title and excerpt they wrote.
    Publication(Box<PublicationChange>),
    /// A staff member's internal message or reply (`/msg`, the reply button's text), stored
    /// with its recipients and notifications; its source reference is the inbound row, so a
    /// replayed update sends nothing twice.
    Message(Box<MessageChange>),
    /// A recipient's "đã đọc" on an internal message; reading twice changes nothing.
    MessageRead(Box<ReadChange>),
    /// A staff member's task changes status (a reminder's "done" button), audited; a task
    /// changed meanwhile fails the completion with `Conflict`, and the message is handled again
    /// (and then told it was done already).
    Task(Box<TaskChange>),
    /// A delivery report says a mail we sent will never arrive: the row fails, the address
    /// becomes unreachable and the fallback goes out; a report read twice changes nothing.
    Bounce(Box<BounceChange>),
}

/// A processed message: its effect, the replies to enqueue with it, and whether the content
/// turned out to be secret (a denunciation), which purges the payload at once.
#[derive(Debug, Clone)]
pub struct InboundCompletion {
    pub effect: InboundEffect,
    /// Each reply's dedupe key is `inbound:<row id>:<key>`.
    pub replies: Vec<NewNotification>,
    pub seal: bool,
    /// What the bot keeps of the chat changes with the message (a language, a dialogue step).
    pub chat: Option<ChatChange>,
    /// For a mail: the keyed hash of its sender and Message-ID ([`crate::Hub::mail_identity`]),
    /// kept with the `done`; a mail with the same key already taken in by another row fails
    /// the completion with `Conflict`, and the message is handled again (and then ignored).
    pub mail_key: Option<String>,
}

impl InboundCompletion {
    /// Done, with nothing to change or say.
    pub fn nothing() -> Self {
        Self {
            effect: InboundEffect::Nothing,
            replies: Vec::new(),
            seal: false,
            chat: None,
            mail_key: None,
        }
    }
}

/// What completing a row came to.
#[derive(Debug, Clone)]
pub enum Completed {
    /// The effect and the `done` committed together.
    Done { case: Option<Box<CreatedCase>> },
    /// The row's lease was lost to another worker meanwhile: nothing was applied.
    LeaseLost,
}

/// The inbound store.
#[async_trait]
pub trait InboundStore: Send + Sync {
    /// Stores a message under its source's key; a key stored before is a replay and changes
    /// nothing (`fresh` is then `false`).
    async fn add_inbound(&self, message: NewInbound) -> Result<Received, Error>;

    /// Claims up to `limit` due rows, oldest first, under a fresh lease token for `lease`; a
    /// row whose lease expired (its worker died) is due again.
    async fn claim_inbound(&self, limit: i64, lease: Duration) -> Result<Vec<InboundRow>, Error>;

    /// Applies the effect, enqueues the replies and marks the row done, in one transaction
    /// fenced by the row's lease token. A sealed row's payload is deleted with it.
    async fn complete_inbound(
        &self,
        row: &InboundRow,
        completion: InboundCompletion,
    ) -> Result<Completed, Error>;

    /// Records a failed attempt, fenced by the lease token; `false` if the lease was lost.
    async fn fail_inbound(&self, row: &InboundRow, failure: InboundFailure) -> Result<bool, Error>;

    /// Whether a mail with this key ([`InboundCompletion::mail_key`]) was taken in.
    async fn inbound_mail_seen(&self, mail_key: &str) -> Result<bool, Error>;

    /// Deletes the payloads of rows processed before `before`; returns how many.
    async fn purge_inbound_payloads(&self, before: DateTime<Utc>) -> Result<u64, Error>;

    async fn get_inbound(&self, id: i64) -> Result<InboundRow, Error>;
    /// The number of rows in each status.
    async fn count_inbound(&self) -> Result<Vec<(InboundStatus, i64)>, Error>;
}
