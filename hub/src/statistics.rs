//! The public statistics: how many cases the council received and how it handled them, as
//! numbers only.
//!
//! The figures are folded here from [`StatisticRow`]s, the store's counts per combination of
//! kind, status, codes and dates, over every received case but denunciations (as the report
//! buckets of [`crate::catalog::PublicCatalog::counts_by_bucket`]): a tố cáo is never counted
//! in a public figure. Years and days are computed in Rust from the stored dates, so the SQL is
//! the same on both backends. Names come from the council profile; a code it does not know (or
//! none) is shown as "Khác".
//!
//! The rules, once:
//! - a case's due date is its statutory deadline if it has one, else the council's own;
//! - a closed case is on time when it closed on or before that date; a closed case without
//!   any due date is left out of the on-time rate (it is neither on time nor late), but counts
//!   in the median;
//! - the median is over the days from receipt to closing of the closed cases;
//! - a case is overdue now when it is open and its due date is before today, the council's
//!   local day.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::domain::{Bucket, CouncilProfile};
use crate::storage::{BucketCounts, StatisticRow};

/// What an unknown or missing code is shown as.
pub const OTHER: &str = "Khác";

/// The figures of one line of a breakdown (one area, one unit, one year…).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StatisticLine {
    /// The profile's name, the kind's or the bucket's label, or the year.
    pub name: String,
    /// How many cases were received.
    pub cases: i64,
    /// How many are closed.
    pub closed: i64,
    /// How many closed cases had a due date ([`StatisticLine::on_time`] is out of these).
    pub closed_with_due: i64,
    /// How many of those closed on or before it.
    pub on_time: i64,
    /// The median days from receipt to closing over the closed cases; `None` if none is.
    pub median_days: Option<f64>,
    /// How many open cases are past their due date today.
    pub overdue: i64,
}

impl StatisticLine {
    /// The share of closed cases with a due date that closed on time, in percent; `None` when
    /// no closed case had a due date.
    pub fn on_time_percent(&self) -> Option<f64> {
        (self.closed_with_due > 0)
            .then(|| self.on_time as f64 * 100.0 / self.closed_with_due as f64)
    }
}

/// The statistics page's figures; get them from
/// [`crate::catalog::PublicCatalog::statistics`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PublicStatistics {
    /// The day "overdue now" is reckoned on.
    pub today: NaiveDate,
    /// Every case counted, in one line.
    pub total: StatisticLine,
    /// The report buckets.
    pub buckets: BucketCounts,
    /// Per report bucket, in report order (resolved, explained, in hand); rejected and
    /// withdrawn cases are in none.
    pub by_bucket: Vec<StatisticLine>,
    /// Per kind, the most cases first.
    pub by_kind: Vec<StatisticLine>,
    /// Per area, the most cases first.
    pub by_area: Vec<StatisticLine>,
    /// Per category, the most cases first.
    pub by_category: Vec<StatisticLine>,
    /// Per unit the cases were forwarded to (cases never forwarded are in none), the most
    /// first.
    pub by_unit: Vec<StatisticLine>,
    /// Per year of receipt, oldest first.
    pub by_year: Vec<StatisticLine>,
}

/// The Vietnamese name of a report bucket.
pub const fn bucket_label(bucket: Bucket) -> &'static str {
    match bucket {
        Bucket::Resolved => "Đã giải quyết",
        Bucket::Explained => "Đã giải trình, thông tin",
        Bucket::InHand => "Đang giải quyết",
    }
}

/// One line being summed: the counts, and the days each closed case took.
#[derive(Default)]
struct Acc {
    line: StatisticLine,
    /// Days from receipt to closing, with how many cases took them.
    days: BTreeMap<i64, i64>,
}

impl Acc {
    fn add(&mut self, row: &StatisticRow, today: NaiveDate) {
        let due = row.statutory_due.or(row.council_due);
        let line = &mut self.line;
        line.cases += row.n;
        if let Some(closed) = row.closed_on.filter(|_| !row.status.is_open()) {
            line.closed += row.n;
            if let Some(due) = due {
                line.closed_with_due += row.n;
                if closed <= due {
                    line.on_time += row.n;
                }
            }
            *self
                .days
                .entry((closed - row.received_on).num_days())
                .or_default() += row.n;
        } else if row.status.is_open() && due.is_some_and(|due| due < today) {
            line.overdue += row.n;
        }
    }

    fn finish(mut self, name: String) -> StatisticLine {
        self.line.name = name;
        self.line.median_days = median(&self.days);
        self.line
    }
}

/// The median of values given with their counts: the middle one, or the mean of the two
/// middle ones.
fn median(counts: &BTreeMap<i64, i64>) -> Option<f64> {
    let total: i64 = counts.values().sum();
    if total == 0 {
        return None;
    }
    // The values at the 0-based ranks (total - 1) / 2 and total / 2.
    let nth = |rank: i64| {
        let mut seen = 0;
        counts.iter().find_map(|(value, n)| {
            seen += n;
            (seen > rank).then_some(*value)
        })
    };
    let (low, high) = (nth((total - 1) / 2)?, nth(total / 2)?);
    Some((low + high) as f64 / 2.0)
}

/// Lines keyed by `K`, folded from rows.
struct Breakdown<K> {
    lines: BTreeMap<K, Acc>,
}

impl<K: Ord> Breakdown<K> {
    fn new() -> Self {
        Self {
            lines: BTreeMap::new(),
        }
    }

    fn add(&mut self, key: K, row: &StatisticRow, today: NaiveDate) {
        self.lines.entry(key).or_default().add(row, today);
    }

    /// The lines named by `name`, in key order.
    fn lines(self, name: impl Fn(&K) -> String) -> Vec<StatisticLine> {
        self.lines
            .into_iter()
            .map(|(key, acc)| acc.finish(name(&key)))
            .collect()
    }

    /// The lines named by `name`, merged by name (two unknown codes are one "Khác"), the most
    /// cases first, then by name.
    fn ranked(self, name: impl Fn(&K) -> String) -> Vec<StatisticLine> {
        let mut merged: BTreeMap<String, Acc> = BTreeMap::new();
        for (key, acc) in self.lines {
            let into = merged.entry(name(&key)).or_default();
            into.line.cases += acc.line.cases;
            into.line.closed += acc.line.closed;
            into.line.closed_with_due += acc.line.closed_with_due;
            into.line.on_time += acc.line.on_time;
            into.line.overdue += acc.line.overdue;
            for (days, n) in acc.days {
                *into.days.entry(days).or_default() += n;
            }
        }
        let mut lines: Vec<_> = merged
            .into_iter()
            .map(|(name, acc)| acc.finish(name))
            .collect();
        // "Khác" goes last among equals, whatever its letters.
        lines.sort_by(|a, b| {
            b.cases
                .cmp(&a.cases)
                .then_with(|| (a.name == OTHER).cmp(&(b.name == OTHER)))
                .then_with(|| a.name.cmp(&b.name))
        });
        lines
    }
}

/// Folds the store's rows into the figures, naming codes from `profile`.
pub(crate) fn fold(
    rows: &[StatisticRow],
    profile: &CouncilProfile,
    today: NaiveDate,
) -> PublicStatistics {
    let mut total = Acc::default();
    let mut buckets = BucketCounts::default();
    let mut by_bucket = Breakdown::new();
    let mut by_kind = Breakdown::new();
    let mut by_area = Breakdown::new();
    let mut by_category = Breakdown::new();
    let mut by_unit = Breakdown::new();
    let mut by_year = Breakdown::new();
    for row in rows
        .iter()
        .filter(|r| r.kind != crate::domain::CaseKind::ToCao)
    {
        total.add(row, today);
        buckets.add(row.status, row.n);
        if let Some(bucket) = row.status.bucket() {
            let order = [Bucket::Resolved, Bucket::Explained, Bucket::InHand]
                .iter()
                .position(|b| *b == bucket);
            by_bucket.add((order, bucket_label(bucket)), row, today);
        }
        by_kind.add(row.kind.label_vi(), row, today);
        by_area.add(row.area.clone(), row, today);
        by_category.add(row.category.clone(), row, today);
        if let Some(unit) = &row.forwarded_unit {
            by_unit.add(unit.clone(), row, today);
        }
        by_year.add(row.received_on.year(), row, today);
    }
    let named = |found: Option<&crate::domain::profile::NamedCode>| {
        found.map_or_else(|| OTHER.to_owned(), |n| n.name.clone())
    };
    PublicStatistics {
        today,
        total: total.finish("Tổng số".to_owned()),
        buckets,
        by_bucket: by_bucket.lines(|(_, label)| (*label).to_owned()),
        by_kind: by_kind.ranked(|label| (*label).to_owned()),
        by_area: by_area.ranked(|code| named(code.as_deref().and_then(|c| profile.area(c)))),
        by_category: by_category
            .ranked(|code| named(code.as_deref().and_then(|c| profile.category(c)))),
        by_unit: by_unit.ranked(|code| named(profile.unit(code))),
        by_year: by_year.lines(|year| year.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CaseKind, Status};

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn row(kind: CaseKind, status: Status) -> StatisticRow {
        StatisticRow {
            kind,
            status,
            area: Some("hoang-van-thu".to_owned()),
            category: None,
            forwarded_unit: None,
            received_on: day(11, 1),
            closed_on: None,
            statutory_due: None,
            council_due: Some(day(11, 10)),
            n: 1,
        }
    }

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_two_middle_ones() {
        let odd = BTreeMap::from([(3, 1), (10, 2)]);
        let even = BTreeMap::from([(3, 1), (10, 1)]);
        assert_eq!(median(&odd), Some(10.0));
        assert_eq!(median(&even), Some(6.5));
        assert_eq!(median(&BTreeMap::new()), None);
    }

    #[test]
    fn on_time_late_overdue_and_no_due_date_are_told_apart() {
        // Arrange
        let mut on_time = row(CaseKind::KienNghi, Status::Answered);
        on_time.closed_on = Some(day(11, 10));
        let mut late = row(CaseKind::KienNghi, Status::Answered);
        late.closed_on = Some(day(11, 21));
        late.statutory_due = Some(day(11, 20));
        let mut undated = row(CaseKind::PhanAnh, Status::Explained);
        undated.council_due = None;
        undated.closed_on = Some(day(11, 3));
        let overdue = row(CaseKind::PhanAnh, Status::InProgress);
        let mut denounced = row(CaseKind::ToCao, Status::InProgress);
        denounced.n = 7;
        let rows = [on_time, late, undated, overdue, denounced];

        // Act
        let stats = fold(&rows, &CouncilProfile::demo(), day(11, 15));

        // Assert
        let total = &stats.total;
        assert_eq!((total.cases, total.closed, total.overdue), (4, 3, 1));
        assert_eq!((total.closed_with_due, total.on_time), (2, 1));
        assert_eq!(total.on_time_percent(), Some(50.0));
        assert_eq!(total.median_days, Some(9.0), "2, 9 and 20 days");
        assert_eq!(stats.by_area.len(), 1);
        assert_eq!(stats.by_category[0].name, OTHER);
        assert!(stats.by_kind.iter().all(|l| l.name != "Tố cáo"));
        assert_eq!(stats.by_year[0].name, "2026");
    }
}
