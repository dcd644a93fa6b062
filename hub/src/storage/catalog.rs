//! The public catalog: the published cases as the public may see them, read column by column.
//!
//! Every query here selects only columns the public may see and carries `published = TRUE AND
//! kind <> 'to_cao'` in its own SQL, so no caller can forget it and no citizen's name, contact,
//! content, note or token is ever loaded for a public page. The one exception is
//! [`PublicCatalogStore::count_public_cases_by_bucket`], which counts every case but a
//! denunciation (the report buckets are about all received cases) and returns only numbers,
//! and [`PublicCatalogStore::public_statistic_rows`], which does the same for the statistics
//! page and returns only counts, codes of the profile and dates.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{Bucket, CaseCode, CaseKind, EventKind, Status};
use crate::error::Error;
use crate::search::SearchQuery;

/// The order of a public listing, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PublicOrder {
    /// Newest receipt first (the list of cases).
    #[default]
    Received,
    /// Newest publication first (the home page's latest answers).
    Published,
}

/// Which published cases to list or count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicFilter {
    pub kind: Option<CaseKind>,
    pub status: Option<Status>,
    pub bucket: Option<Bucket>,
    /// An area code of the council profile.
    pub area: Option<String>,
    /// A category code of the council profile.
    pub category: Option<String>,
    /// Received in this calendar year.
    pub year: Option<i32>,
    /// Holding every word of the search in its public title, excerpt or answer.
    pub search: Option<SearchQuery>,
    /// Only the cases listed after this one in [`PublicOrder::Received`] order (the keyset
    /// cursor of the next page); nothing if it is not a published case. Ignored by counts.
    pub after: Option<CaseCode>,
    pub order: PublicOrder,
    /// At most this many rows (0 means 100); ignored by counts.
    pub limit: i64,
    /// Rows to skip; ignored by counts.
    pub offset: i64,
}

/// The public columns of one published case, as stored. It has no field for anything personal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicCaseRow {
    pub code: CaseCode,
    pub kind: CaseKind,
    /// An area code of the council profile.
    pub area: Option<String>,
    /// A category code of the council profile.
    pub category: Option<String>,
    pub received_on: NaiveDate,
    pub status: Status,
    pub accepted_on: Option<NaiveDate>,
    pub forwarded_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub statutory_due: Option<NaiveDate>,
    pub council_due: Option<NaiveDate>,
    pub relay_due: Option<NaiveDate>,
    /// The law article (or "council policy") of each clock, public like the law itself.
    pub statutory_source: Option<String>,
    pub council_source: Option<String>,
    pub relay_source: Option<String>,
    /// A unit code of the council profile.
    pub forwarded_unit: Option<String>,
    /// The staff-written public title.
    pub public_title: String,
    /// The staff-written redacted excerpt.
    pub public_summary: String,
    /// The official answer, loaded only once the case is answered or explained.
    pub answer: Option<String>,
    pub published_at: DateTime<Utc>,
}

/// One event of a published case's timeline: when and what, never who or why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicStepRow {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub from: Option<Status>,
    pub to: Option<Status>,
}

/// How many cases (denunciations left out) are in each report bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketCounts {
    /// đã giải quyết
    pub resolved: i64,
    /// đã giải trình, thông tin
    pub explained: i64,
    /// đang giải quyết
    pub in_hand: i64,
}

impl BucketCounts {
    /// Adds `n` cases in `status` to its bucket (rejected and withdrawn are in none).
    pub fn add(&mut self, status: Status, n: i64) {
        match status.bucket() {
            Some(Bucket::Resolved) => self.resolved += n,
            Some(Bucket::Explained) => self.explained += n,
            Some(Bucket::InHand) => self.in_hand += n,
            None => {}
        }
    }
}

/// How many cases (denunciations left out) share one combination of kind, status, area,
/// category, unit and dates: a row of the statistics, with nothing personal in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatisticRow {
    pub kind: CaseKind,
    pub status: Status,
    /// An area code of the council profile.
    pub area: Option<String>,
    /// A category code of the council profile.
    pub category: Option<String>,
    /// The unit code of the council profile the cases were forwarded to.
    pub forwarded_unit: Option<String>,
    pub received_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub statutory_due: Option<NaiveDate>,
    pub council_due: Option<NaiveDate>,
    /// How many cases.
    pub n: i64,
}

/// Read-only queries for the portal, feeds, Open311 and the bot's public answers.
#[async_trait]
pub trait PublicCatalogStore: Send + Sync {
    /// A page of published cases, in one query.
    async fn list_public_cases(&self, filter: &PublicFilter) -> Result<Vec<PublicCaseRow>, Error>;
    /// How many published cases the filter matches, ignoring limit and offset.
    async fn count_public_cases(&self, filter: &PublicFilter) -> Result<i64, Error>;
    /// The published case with this code; `None` if there is none, it is not published, or it
    /// is a denunciation.
    async fn get_public_case(&self, code: &CaseCode) -> Result<Option<PublicCaseRow>, Error>;
    /// The timeline of the published case with this code, oldest first; empty unless it is
    /// published and not a denunciation.
    async fn public_timeline(&self, code: &CaseCode) -> Result<Vec<PublicStepRow>, Error>;
    /// The report buckets over every case but denunciations, published or not.
    async fn count_public_cases_by_bucket(&self) -> Result<BucketCounts, Error>;
    /// Every case but denunciations, published or not, counted per combination of the columns
    /// of [`StatisticRow`]; the statistics are folded from these rows in Rust, so the SQL stays
    /// the same on both backends.
    async fn public_statistic_rows(&self) -> Result<Vec<StatisticRow>, Error>;
    /// How many published cases the filter matches, counting no further than `cap`.
    async fn count_public_cases_upto(&self, filter: &PublicFilter, cap: i64) -> Result<i64, Error>;
    /// When the first and the last published case were received; `None` when none is.
    async fn public_received_span(&self) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, Error>;
}
