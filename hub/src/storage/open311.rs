//! The Open311 aggregate: the API clients that may file cases (only a hash of each key is
//! kept), and the public columns of published cases as Open311 lists them.
//!
//! Like the public catalog's, every query of cases here selects only public columns and carries
//! `published = TRUE AND kind <> 'to_cao'` in its own SQL, so no caller can forget it.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{AuditNote, CaseCode, Status};
use crate::error::Error;
use crate::storage::PublicCaseRow;

/// An Open311 client's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Open311ClientId(pub i64);

impl fmt::Display for Open311ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A client whose key is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Client {
    pub id: Open311ClientId,
    pub name: String,
}

/// Which published cases Open311 lists: either these codes, or the other conditions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Open311Filter {
    /// When not empty, only these cases, and every other condition is ignored.
    pub codes: Vec<CaseCode>,
    /// Category codes (Open311's service codes); empty means all.
    pub categories: Vec<String>,
    /// Statuses; empty means all.
    pub statuses: Vec<Status>,
    /// Received at or after.
    pub from: Option<DateTime<Utc>>,
    /// Received at or before.
    pub until: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

/// A published case as Open311 shows it: the catalog's public columns, plus when it was
/// received and when it last took a step the public timeline shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Row {
    pub public: PublicCaseRow,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Open311 clients and the Open311 listing of cases.
#[async_trait]
pub trait Open311Store: Send + Sync {
    /// Gives the client `name` the key hashing to `key_hash`, adding the client or replacing
    /// its earlier key (revoked or not); audited as `audit` in the same transaction. Returns
    /// the client, and whether it had a key before.
    async fn put_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        audit: &AuditNote,
    ) -> Result<(Open311Client, bool), Error>;
    /// Revokes the key of the client `name`, audited; `NotFound` unless it has a valid one.
    async fn revoke_open311_key(&self, name: &str, audit: &AuditNote) -> Result<(), Error>;
    /// The client whose valid (not revoked) key hashes to `key_hash`.
    async fn get_open311_client(&self, key_hash: &str) -> Result<Option<Open311Client>, Error>;
    /// How many cases came in through Open311 with a source reference starting `prefix` since
    /// `since` (published or not; only the number leaves the query).
    async fn count_open311_cases_since(
        &self,
        prefix: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, Error>;
    /// Published non-denunciations matching `filter`, newest receipt first.
    async fn list_open311_cases(&self, filter: &Open311Filter) -> Result<Vec<Open311Row>, Error>;
}
