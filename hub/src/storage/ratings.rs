//! The ratings aggregate: a citizen's ratings of the answer to their case, one row each (the
//! latest counts), written with the timeline event, the audit row and, when "not satisfied"
//! reopens the case, the reopening itself, in one transaction.

use async_trait::async_trait;

use super::cases::ProgressChange;
use crate::domain::{Case, CaseId, NewEvent, NewRating, Rating, Reopening, Status};
use crate::error::Error;

/// A rating planned against a case as the citizen's transport read it, applied now
/// ([`RatingStore::add_rating`]) or with the inbound message it came in
/// (`InboundEffect::Rating`). It is guarded like every case change (`status` and `version`), so
/// a replay of the same planned change applies once and then gets [`Error::Conflict`].
#[derive(Debug, Clone)]
pub struct RatingChange {
    pub case_id: CaseId,
    pub expected_status: Status,
    pub expected_version: i64,
    pub rating: NewRating,
    /// The [`crate::domain::EventKind::Rated`] event.
    pub event: NewEvent,
    /// What the rating does to the case: reopened (then `reopen` holds the change), or why
    /// not. A transport tells the citizen from this.
    pub reopening: Reopening,
    /// The reopening (answered or explained to in_progress), with its own event and its
    /// notifications to the citizen and to the staff on the case.
    pub reopen: Option<ProgressChange>,
}

/// A rating just stored, the case as it now is, and what the rating did to it.
#[derive(Debug, Clone)]
pub struct RatedCase {
    pub case: Case,
    pub rating: Rating,
    pub reopening: Reopening,
}

/// Ratings of cases.
#[async_trait]
pub trait RatingStore: Send + Sync {
    /// Stores a rating with its timeline event and audit row, and applies its reopening, under
    /// the guard of `expected_status` and `expected_version`.
    async fn add_rating(&self, change: RatingChange) -> Result<RatedCase, Error>;
    /// The case's ratings, oldest first.
    async fn list_ratings(&self, case: CaseId) -> Result<Vec<Rating>, Error>;
    /// The rating that counts: the latest.
    async fn latest_rating(&self, case: CaseId) -> Result<Option<Rating>, Error>;
}
