//! The staff-link aggregate: one-time tokens that tie a staff account to a Telegram chat, and
//! the lookup of the account a chat belongs to. The chat id is personal data, as in
//! `staff_contacts`: no `Debug` here prints it, and no log line or outbox key holds it.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{AuditNote, NormalisedContact, Staff, StaffId};
use crate::error::Error;

/// A staff link to store: whose, the token's hash, and until when it may be used.
#[derive(Clone, PartialEq, Eq)]
pub struct NewStaffLink {
    pub staff: StaffId,
    pub(crate) token_hash: String,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for NewStaffLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewStaffLink")
            .field("staff", &self.staff)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A stored staff link, as planning reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffLinkRow {
    pub staff: StaffId,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for StaffLinkRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffLinkRow")
            .field("staff", &self.staff)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish()
    }
}

/// Linking a chat to a staff account, planned by the hub
/// ([`Hub::plan_staff_link`](crate::Hub::plan_staff_link)); applied with the inbound message
/// it came in (`InboundEffect::StaffLink`) or at once
/// ([`StaffLinkStore::link_staff_chat`]). Applying it uses the token up; a token used or
/// expired meanwhile makes it fail with [`Error::Conflict`] and change nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffLinkChange {
    /// The account as it was read when the change was planned.
    pub staff: Staff,
    /// The Telegram chat to link.
    pub chat: NormalisedContact,
    /// The account the chat was linked to before, if another (it is moved).
    pub moved_from: Option<StaffId>,
    /// Whether the account had a Telegram chat already (it is replaced).
    pub replaces_chat: bool,
    pub(crate) token_hash: String,
}

impl fmt::Debug for StaffLinkChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffLinkChange")
            .field("staff", &self.staff.id)
            .field("chat", &self.chat)
            .field("moved_from", &self.moved_from)
            .field("replaces_chat", &self.replaces_chat)
            .finish_non_exhaustive()
    }
}

/// Staff links and the chats they linked.
#[async_trait]
pub trait StaffLinkStore: Send + Sync {
    /// Stores a link, audited as `audit` in the same transaction.
    async fn add_staff_link(&self, link: &NewStaffLink, audit: &AuditNote) -> Result<(), Error>;
    /// The link whose token hashes to `token_hash`, used or not.
    async fn get_staff_link(&self, token_hash: &str) -> Result<Option<StaffLinkRow>, Error>;
    /// Applies a planned link at once (see [`StaffLinkChange`]) and returns the account as
    /// it is now.
    async fn link_staff_chat(&self, change: &StaffLinkChange) -> Result<Staff, Error>;
    /// The account whose contact is `chat`: an active one before an inactive one.
    async fn get_staff_by_chat(&self, chat: &NormalisedContact) -> Result<Option<Staff>, Error>;
}
