//! The follows aggregate: contacts (a Telegram chat, an email address) following published
//! cases, unique per case and contact. The contact is personal data, as in
//! `citizen_contacts`: no `Debug` here prints it, and no outbox key or log line holds it (a
//! follower's notifications are keyed by the follow's id).

use std::fmt;

use async_trait::async_trait;

use crate::domain::{CaseCode, CaseId, Followed, Follower, Language, NormalisedContact};
use crate::error::Error;

/// Following one case, planned by the hub; applied now ([`FollowStore::add_follow`]) or with
/// the inbound message it came in (`InboundEffect::Follow`). It applies only while the case is
/// published (and never to a denunciation); following again changes nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct FollowChange {
    pub case_id: CaseId,
    pub code: CaseCode,
    pub contact: NormalisedContact,
    /// The contact already followed the case when the change was planned.
    pub already_following: bool,
    /// The secret of the one-click unsubscribe link of the follow's emails.
    pub(crate) unsubscribe_token: String,
}

impl fmt::Debug for FollowChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FollowChange")
            .field("case_id", &self.case_id)
            .field("code", &self.code)
            .field("contact", &self.contact)
            .field("already_following", &self.already_following)
            .finish_non_exhaustive()
    }
}

/// No longer following one case (`case` set) or any (`None`).
#[derive(Clone, PartialEq, Eq)]
pub struct UnfollowChange {
    pub contact: NormalisedContact,
    pub case: Option<(CaseId, CaseCode)>,
    /// How many follows the change removes, as planned; the store removes whatever is there
    /// when it applies.
    pub following: usize,
}

impl fmt::Debug for UnfollowChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnfollowChange")
            .field("contact", &self.contact)
            .field("case", &self.case.as_ref().map(|(_, code)| code))
            .field("following", &self.following)
            .finish()
    }
}

/// What a one-click unsubscribe token of a follow's email names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowToken {
    pub follow_id: i64,
    pub case_id: CaseId,
    /// The language the follower reads.
    pub language: Language,
}

/// Follows of published cases.
#[async_trait]
pub trait FollowStore: Send + Sync {
    /// Stores a follow with its audit row; `false` when nothing was added (the contact
    /// already followed the case, or the case is no longer published).
    async fn add_follow(&self, change: &FollowChange) -> Result<bool, Error>;
    /// Removes the follows the change names, with an audit row; returns how many.
    async fn remove_follows(&self, change: &UnfollowChange) -> Result<u64, Error>;
    /// Everyone following the case, oldest follow first.
    async fn list_followers(&self, case: CaseId) -> Result<Vec<Follower>, Error>;
    /// The cases `contact` follows, oldest follow first.
    async fn list_followed(&self, contact: &NormalisedContact) -> Result<Vec<Followed>, Error>;
    /// What an unsubscribe token of a follow's email names, changing nothing.
    async fn follow_token(&self, token: &str) -> Result<Option<FollowToken>, Error>;
    /// Removes the follow an unsubscribe token names, with an audit row.
    async fn unfollow_by_token(&self, token: &str) -> Result<Option<FollowToken>, Error>;
}
