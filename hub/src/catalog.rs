//! The public catalog: what the public may see of the cases, for every transport that shows
//! it (the portal, the bot's /status and /follow, and later feeds and Open311).
//!
//! [`PublicCatalog`] reads only through [`PublicCatalogStore`], whose queries load the public
//! columns of published non-denunciations and nothing else, and turns those rows into
//! [`PublicCaseItem`], [`PublicCase`] and [`PublicStep`]. These types have no field for a name,
//! a contact, the citizen's content, a note or an actor, so no transport can show one by
//! mistake. The rules of what is shown live here: names of areas, categories and units from the
//! council profile, the report bucket, the "expected by" date while the case is open, and the
//! answer only once the case is answered or explained.

use std::fmt::Display;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

use crate::domain::{Bucket, Case, CaseCode, CaseKind, CouncilProfile, EventKind, Status};
use crate::error::Error;
pub use crate::statistics::{PublicStatistics, StatisticLine};
pub use crate::storage::{BucketCounts, PublicFilter, PublicOrder};
use crate::storage::{PublicCaseRow, PublicCatalogStore, PublicStepRow};

/// A published case as listed: enough to recognise it and see where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PublicCaseItem {
    #[serde(serialize_with = "display")]
    pub code: CaseCode,
    /// The staff-written public title.
    pub title: String,
    #[serde(serialize_with = "display")]
    pub kind: CaseKind,
    /// The area's name from the council profile.
    pub area: Option<String>,
    pub received_on: NaiveDate,
    #[serde(serialize_with = "display")]
    pub status: Status,
    /// The report bucket; `None` for rejected and withdrawn cases.
    #[serde(serialize_with = "bucket")]
    pub bucket: Option<Bucket>,
    pub published_at: DateTime<Utc>,
}

/// A published case's public page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PublicCase {
    #[serde(flatten)]
    pub item: PublicCaseItem,
    /// The category's name from the council profile.
    pub category: Option<String>,
    /// When an answer is due, while the case is open: the statutory deadline, else the
    /// council's own.
    pub expected_by: Option<NaiveDate>,
    /// What `expected_by` rests on: the law article, or "council policy".
    pub expected_by_source: Option<String>,
    /// The name of the unit the case was forwarded to, from the council profile.
    pub unit: Option<String>,
    /// The staff-written redacted excerpt.
    pub summary: String,
    /// The official answer, once the case is answered or explained.
    pub answer: Option<String>,
    /// The council-local day it was published.
    pub published_on: NaiveDate,
    pub timeline: Vec<PublicStep>,
}

impl PublicCase {
    /// Whether the case is past the date it was expected by on `today` (council-local), and
    /// still open: the portal's "quá hạn" mark.
    pub fn overdue_on(&self, today: NaiveDate) -> bool {
        self.expected_by.is_some_and(|due| due < today)
    }
}

/// One line of the public timeline: when, and what happened, without who or why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PublicStep {
    /// The instant, in the council's time zone.
    pub at: DateTime<Tz>,
    #[serde(serialize_with = "display")]
    pub kind: EventKind,
    /// What happened, in Vietnamese.
    pub label: String,
}

/// One page of a listing, and the code the next page starts after.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicPage {
    pub items: Vec<PublicCaseItem>,
    /// The last item's code when more follow: the next page's [`PublicFilter::after`].
    pub next: Option<CaseCode>,
}

/// The public catalog service; get it from [`crate::Hub::catalog`].
#[derive(Clone)]
pub struct PublicCatalog {
    // Only the catalog's own queries: this service cannot load a whole case.
    store: Arc<dyn PublicCatalogStore>,
    profile: Arc<CouncilProfile>,
}

impl std::fmt::Debug for PublicCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicCatalog")
            .field("council", &self.profile.name)
            .finish_non_exhaustive()
    }
}

impl PublicCatalog {
    /// A catalog reading `store` and naming things from `profile`.
    pub fn new(store: Arc<dyn PublicCatalogStore>, profile: Arc<CouncilProfile>) -> Self {
        Self { store, profile }
    }

    /// A page of published cases (denunciations never), in one query.
    pub async fn list(&self, filter: &PublicFilter) -> Result<Vec<PublicCaseItem>, Error> {
        let rows = self.store.list_public_cases(filter).await?;
        Ok(rows.iter().map(|row| self.item(row)).collect())
    }

    /// `size` published cases, newest receipt first, after `filter.after` if set: one query,
    /// which asks for one row more to learn whether another page follows.
    pub async fn page(&self, filter: &PublicFilter, size: i64) -> Result<PublicPage, Error> {
        let size = size.max(1);
        let probe = PublicFilter {
            order: PublicOrder::Received,
            limit: size + 1,
            offset: 0,
            ..filter.clone()
        };
        let mut items = self.list(&probe).await?;
        let more = items.len() as i64 > size;
        items.truncate(size as usize);
        let next = more.then(|| items.last().map(|i| i.code.clone())).flatten();
        Ok(PublicPage { items, next })
    }

    /// The years published cases were received in, newest first, for the listing's filter.
    pub async fn years(&self) -> Result<Vec<i32>, Error> {
        use chrono::Datelike;
        let profile = &self.profile;
        Ok(match self.store.public_received_span().await? {
            Some((first, last)) => (profile.local_date(first).year()
                ..=profile.local_date(last).year())
                .rev()
                .collect(),
            None => Vec::new(),
        })
    }

    /// How many published cases the filter matches, counting no further than `cap`: a listing
    /// shows "more than `cap`" rather than count every row on every view.
    pub async fn count_upto(&self, filter: &PublicFilter, cap: i64) -> Result<i64, Error> {
        self.store.count_public_cases_upto(filter, cap).await
    }

    /// A page of published cases with their summary and answer (for feeds), in the one query
    /// of [`PublicCatalog::list`]. The timelines are left empty: [`PublicCatalog::get`] loads
    /// one case's.
    pub async fn list_cases(&self, filter: &PublicFilter) -> Result<Vec<PublicCase>, Error> {
        let rows = self.store.list_public_cases(filter).await?;
        Ok(rows.iter().map(|row| self.case(row, &[])).collect())
    }

    /// How many published cases the filter matches, ignoring limit and offset.
    pub async fn count(&self, filter: &PublicFilter) -> Result<i64, Error> {
        self.store.count_public_cases(filter).await
    }

    /// The `n` cases published last, newest first.
    pub async fn latest(&self, n: i64) -> Result<Vec<PublicCaseItem>, Error> {
        self.list(&PublicFilter {
            order: PublicOrder::Published,
            limit: n,
            ..PublicFilter::default()
        })
        .await
    }

    /// The public page of the case with this code; `None` for an unknown code, an unpublished
    /// case and any denunciation alike, so that none can be told from another.
    pub async fn get(&self, code: &CaseCode) -> Result<Option<PublicCase>, Error> {
        let Some(row) = self.store.get_public_case(code).await? else {
            return Ok(None);
        };
        let steps = self.store.public_timeline(code).await?;
        Ok(Some(self.case(&row, &steps)))
    }

    /// The report buckets over every received case but denunciations.
    pub async fn counts_by_bucket(&self) -> Result<BucketCounts, Error> {
        self.store.count_public_cases_by_bucket().await
    }

    /// The public statistics over every received case but denunciations, with "overdue now"
    /// reckoned on `today` (the council's local day): numbers and profile names only.
    pub async fn statistics(&self, today: NaiveDate) -> Result<PublicStatistics, Error> {
        let rows = self.store.public_statistic_rows().await?;
        Ok(crate::statistics::fold(&rows, &self.profile, today))
    }

    fn item(&self, row: &PublicCaseRow) -> PublicCaseItem {
        let profile = &self.profile;
        PublicCaseItem {
            code: row.code.clone(),
            title: row.public_title.clone(),
            kind: row.kind,
            area: name(row.area.as_deref(), |a| profile.area(a)),
            received_on: row.received_on,
            status: row.status,
            bucket: row.status.bucket(),
            published_at: row.published_at,
        }
    }

    fn case(&self, row: &PublicCaseRow, steps: &[PublicStepRow]) -> PublicCase {
        let profile = &self.profile;
        PublicCase {
            item: self.item(row),
            category: name(row.category.as_deref(), |c| profile.category(c)),
            expected_by: expected_by(row).map(|(day, _)| day),
            expected_by_source: expected_by(row).and_then(|(_, source)| source.cloned()),
            unit: name(row.forwarded_unit.as_deref(), |u| profile.unit(u)),
            summary: row.public_summary.clone(),
            answer: visible_answer(row.status, row.answer.as_deref()),
            published_on: profile.local_date(row.published_at),
            timeline: steps
                .iter()
                .filter_map(|s| step(profile.time_zone, s))
                .collect(),
        }
    }
}

/// What the public catalog shows of a whole case, for the notifications to its followers:
/// `None` unless it is published and not a denunciation. The rules are the catalog's own: the
/// staff-written public title (never the citizen's), names from the profile, and the answer
/// only once it is final.
pub(crate) fn public_view(
    case: &Case,
    profile: &CouncilProfile,
) -> Option<(PublicCaseItem, Option<String>)> {
    if case.kind == CaseKind::ToCao {
        return None;
    }
    let publication = case.publication.as_ref()?;
    let status = case.progress.status;
    let item = PublicCaseItem {
        code: case.code.clone(),
        title: publication.title.clone(),
        kind: case.kind,
        area: name(case.area.as_deref(), |a| profile.area(a)),
        received_on: case.received_on,
        status,
        bucket: status.bucket(),
        published_at: publication.published_at,
    };
    Some((
        item,
        visible_answer(status, case.progress.answer.as_deref()),
    ))
}

/// What the search index holds of a case: its public title, excerpt and (once final) answer,
/// folded; `None` while the public may not see it. The same rules as [`public_view`], so a
/// search never finds a case by words its page does not show.
pub(crate) fn search_text(case: &Case) -> Option<String> {
    if case.kind == CaseKind::ToCao {
        return None;
    }
    let publication = case.publication.as_ref()?;
    let answer = visible_answer(case.progress.status, case.progress.answer.as_deref());
    Some(crate::search::fold(&format!(
        "{}\n{}\n{}",
        publication.title,
        publication.summary,
        answer.unwrap_or_default()
    )))
}

/// The profile's name for a code; a code the profile no longer knows is shown as nothing.
pub(crate) fn name<'p>(
    code: Option<&str>,
    lookup: impl Fn(&str) -> Option<&'p crate::domain::profile::NamedCode>,
) -> Option<String> {
    code.and_then(lookup).map(|n| n.name.clone())
}

/// While the case is open: the relay's deadline once the result is in, else the competent
/// body's, else the council's own.
pub(crate) fn expected_by(row: &PublicCaseRow) -> Option<(NaiveDate, Option<&String>)> {
    [
        (row.relay_due, row.relay_source.as_ref()),
        (row.statutory_due, row.statutory_source.as_ref()),
        (row.council_due, row.council_source.as_ref()),
    ]
    .into_iter()
    .find_map(|(due, source)| due.map(|day| (day, source)))
    .filter(|_| row.status.is_open())
}

/// The answer is public only once it is final: answered or explained, never while in hand,
/// rejected or withdrawn.
fn visible_answer(status: Status, answer: Option<&str>) -> Option<String> {
    let settled = matches!(status.bucket(), Some(Bucket::Resolved | Bucket::Explained));
    answer.filter(|_| settled).map(str::to_owned)
}

fn step(zone: Tz, event: &PublicStepRow) -> Option<PublicStep> {
    let label = match event.kind {
        EventKind::Created => "Tiếp nhận".to_owned(),
        EventKind::StatusChanged => event.to?.label_vi().to_owned(),
        EventKind::Reopened => format!("Mở lại: {}", event.to?.label_vi()),
        EventKind::DeadlineExtended => "Gia hạn thời hạn giải quyết".to_owned(),
        EventKind::Published => "Công khai trên cổng thông tin".to_owned(),
        // That the file grew is procedure; what was added (the note, the files) is not shown.
        EventKind::InformationAdded => "Bổ sung thông tin, tài liệu".to_owned(),
        EventKind::UnitResultRecorded => "Cơ quan có thẩm quyền đã có kết quả".to_owned(),
        EventKind::PartWithdrawn => "Rút một phần nội dung".to_owned(),
        // A withdrawal of the public copy is staff business; the page is gone meanwhile. How
        // staff classified the case (complexity, competence) is procedure, and its reason may
        // name people. A rating is the citizen's own opinion, and its comment may name them.
        EventKind::Unpublished | EventKind::FlagsChanged | EventKind::Rated => return None,
    };
    Some(PublicStep {
        at: event.at.with_timezone(&zone),
        kind: event.kind,
        label,
    })
}

fn display<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn bucket<S: Serializer>(value: &Option<Bucket>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(b) => serializer.serialize_some(b.as_str()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn row(status: Status) -> PublicCaseRow {
        PublicCaseRow {
            code: CaseCode::from_stored("HB.20261126.0001".to_owned()),
            kind: CaseKind::KienNghi,
            area: Some("hoang-van-thu".to_owned()),
            category: Some("giao-thong".to_owned()),
            received_on: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            status,
            accepted_on: None,
            forwarded_on: None,
            closed_on: None,
            statutory_due: None,
            council_due: NaiveDate::from_ymd_opt(2026, 12, 3),
            relay_due: None,
            statutory_source: None,
            council_source: Some("Luật Tiếp công dân 2013, Điều 28 khoản 1".to_owned()),
            relay_source: None,
            forwarded_unit: None,
            public_title: "Đèn ngõ 12".to_owned(),
            public_summary: "Đèn hỏng.".to_owned(),
            answer: Some("Đã thay bóng đèn.".to_owned()),
            published_at: Utc.with_ymd_and_hms(2026, 11, 30, 17, 30, 0).unwrap(),
        }
    }

    fn catalog() -> PublicCatalog {
        // The store is never called by the pure rules under test.
        struct NoStore;
        #[async_trait::async_trait]
        impl PublicCatalogStore for NoStore {
            async fn list_public_cases(
                &self,
                _: &PublicFilter,
            ) -> Result<Vec<PublicCaseRow>, Error> {
                unreachable!()
            }
            async fn count_public_cases(&self, _: &PublicFilter) -> Result<i64, Error> {
                unreachable!()
            }
            async fn get_public_case(&self, _: &CaseCode) -> Result<Option<PublicCaseRow>, Error> {
                unreachable!()
            }
            async fn public_timeline(&self, _: &CaseCode) -> Result<Vec<PublicStepRow>, Error> {
                unreachable!()
            }
            async fn count_public_cases_by_bucket(&self) -> Result<BucketCounts, Error> {
                unreachable!()
            }
            async fn public_statistic_rows(
                &self,
            ) -> Result<Vec<crate::storage::StatisticRow>, Error> {
                unreachable!()
            }
            async fn count_public_cases_upto(
                &self,
                _: &PublicFilter,
                _: i64,
            ) -> Result<i64, Error> {
                unreachable!()
            }
            async fn public_received_span(
                &self,
            ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, Error> {
                unreachable!()
            }
        }
        PublicCatalog::new(Arc::new(NoStore), Arc::new(CouncilProfile::demo()))
    }

    #[test]
    fn an_open_case_is_expected_by_its_statutory_deadline_else_the_councils() {
        // Arrange
        let mut forwarded = row(Status::Forwarded);
        forwarded.statutory_due = NaiveDate::from_ymd_opt(2026, 12, 28);
        let received = row(Status::Received);

        // Act
        let by_unit = catalog().case(&forwarded, &[]);
        let by_council = catalog().case(&received, &[]);

        // Assert
        assert_eq!(by_unit.expected_by, NaiveDate::from_ymd_opt(2026, 12, 28));
        assert_eq!(by_council.expected_by, NaiveDate::from_ymd_opt(2026, 12, 3));
        assert_eq!(
            by_council.expected_by_source.as_deref(),
            Some("Luật Tiếp công dân 2013, Điều 28 khoản 1"),
            "the date is shown with the law it rests on"
        );
    }

    #[test]
    fn a_closed_case_is_expected_by_nothing() {
        for status in [
            Status::Answered,
            Status::Explained,
            Status::Rejected,
            Status::Withdrawn,
        ] {
            // Arrange
            let mut closed = row(status);
            closed.statutory_due = NaiveDate::from_ymd_opt(2026, 12, 28);

            // Act
            let case = catalog().case(&closed, &[]);

            // Assert
            assert_eq!(case.expected_by, None, "{status}");
        }
    }

    #[test]
    fn the_answer_is_shown_only_once_the_case_is_answered_or_explained() {
        for status in Status::ALL {
            // Arrange
            let stored = row(status);

            // Act
            let case = catalog().case(&stored, &[]);

            // Assert
            let shown = matches!(status, Status::Answered | Status::Explained);
            assert_eq!(case.answer.is_some(), shown, "{status}");
        }
    }

    #[test]
    fn names_come_from_the_profile_and_dates_are_council_local() {
        // Arrange: published at 00:30 on 1 December in Hải Phòng, 17:30 UTC the day before.
        let mut stored = row(Status::Forwarded);
        stored.forwarded_unit = Some("ubnd-phuong".to_owned());
        stored.area = Some("no-such-area".to_owned());

        // Act
        let case = catalog().case(&stored, &[]);

        // Assert
        assert_eq!(case.item.area, None, "an unknown code shows nothing");
        assert_eq!(
            case.unit.as_deref(),
            Some("Ủy ban nhân dân phường Hồng Bàng")
        );
        assert!(case.category.is_some());
        assert_eq!(
            case.published_on,
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        assert_eq!(case.item.bucket, Some(Bucket::InHand));
    }

    #[test]
    fn the_timeline_names_steps_and_leaves_out_withdrawals_of_the_public_copy() {
        // Arrange
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 2, 30, 0).unwrap();
        let steps = [
            PublicStepRow {
                at,
                kind: EventKind::Created,
                from: None,
                to: Some(Status::Received),
            },
            PublicStepRow {
                at,
                kind: EventKind::StatusChanged,
                from: Some(Status::Received),
                to: Some(Status::NeedsInfo),
            },
            PublicStepRow {
                at,
                kind: EventKind::Unpublished,
                from: None,
                to: None,
            },
        ];

        // Act
        let case = catalog().case(&row(Status::NeedsInfo), &steps);

        // Assert
        let labels: Vec<_> = case.timeline.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["Tiếp nhận", "Cần bổ sung thông tin"]);
        assert_eq!(
            case.timeline[0].at.to_rfc3339(),
            "2026-11-26T09:30:00+07:00"
        );
    }
}
