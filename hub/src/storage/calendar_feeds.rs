//! The calendar-feed aggregate: the public events as the public may see them, the events one
//! staff member attends, and each member's secret calendar URL (stored as a hash).
//!
//! [`CalendarFeedStore::list_public_events`] carries `public = TRUE` in its own SQL and loads no
//! attendee, so no caller can put a staff-only meeting, or who attends one, on a public page.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{AuditNote, CalendarKind, StaffId};
use crate::error::Error;

/// One event as a feed shows it: no attendees, so a feed cannot name who else comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEventRow {
    pub id: i64,
    pub title: String,
    pub kind: CalendarKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub place: Option<String>,
    /// Shown on the public calendar (always `true` from the public query).
    pub public: bool,
}

/// A staff member's secret calendar URL to store: whose, and the token's hash.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCalendarFeed {
    pub staff: StaffId,
    pub(crate) token_hash: String,
}

impl fmt::Debug for NewCalendarFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCalendarFeed")
            .field("staff", &self.staff)
            .finish_non_exhaustive()
    }
}

/// Public events, attended events and staff calendar URLs.
#[async_trait]
pub trait CalendarFeedStore: Send + Sync {
    /// Public events starting from `from` up to `to`, soonest first.
    async fn list_public_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FeedEventRow>, Error>;
    /// The events `staff` attends (public or not) starting from `from` up to `to`, soonest
    /// first.
    async fn list_attended_events(
        &self,
        staff: StaffId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FeedEventRow>, Error>;
    /// Stores the member's calendar URL, replacing their earlier one (whose token then opens
    /// nothing), audited as `audit` in the same transaction.
    async fn set_calendar_feed(
        &self,
        feed: &NewCalendarFeed,
        audit: &AuditNote,
    ) -> Result<(), Error>;
    /// Whose calendar URL the token hashing to `token_hash` is, if any.
    async fn get_calendar_feed(&self, token_hash: &str) -> Result<Option<StaffId>, Error>;
}
