//! Working days of the council: weekends, public holidays and the Saturdays worked in exchange
//! for a bridge holiday, per configured year.
//!
//! Counting follows the Civil Code 2015 arts. 147–148: day 1 is the day after the start event,
//! and a deadline that falls on a day off moves to the next working day. A date in a year the
//! profile does not configure is an error, never a silent weekends-only count.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::error::DomainError;

/// How a deadline counts its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// ngày: calendar days; an end on a day off moves to the next working day.
    Calendar,
    /// ngày làm việc: only working days count.
    Working,
}

/// The days off and extra working days of one year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearCalendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub extra_working_days: BTreeSet<NaiveDate>,
}

/// The council's working-day calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeMap<i32, YearCalendar>,
}

impl WorkCalendar {
    /// Builds a calendar from per-year rules.
    pub fn new(years: BTreeMap<i32, YearCalendar>) -> Self {
        Self { years }
    }

    /// The configured years, oldest first.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// Whether `day` is a working day; an error for a year that is not configured.
    pub fn is_working_day(&self, day: NaiveDate) -> Result<bool, DomainError> {
        let year = self
            .years
            .get(&day.year())
            .ok_or(DomainError::YearNotConfigured(day.year()))?;
        if year.extra_working_days.contains(&day) {
            return Ok(true);
        }
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        Ok(!weekend && !year.holidays.contains(&day))
    }

    /// The first working day on or after `day`.
    pub fn next_working_day(&self, mut day: NaiveDate) -> Result<NaiveDate, DomainError> {
        while !self.is_working_day(day)? {
            day = next(day)?;
        }
        Ok(day)
    }

    /// The deadline `days` days after the start event on `start`.
    pub fn add(
        &self,
        start: NaiveDate,
        days: u32,
        count: DayCount,
    ) -> Result<NaiveDate, DomainError> {
        match count {
            DayCount::Calendar => {
                let end = start
                    .checked_add_days(Days::new(days.into()))
                    .ok_or(DomainError::YearNotConfigured(i32::MAX))?;
                self.next_working_day(end)
            }
            DayCount::Working => {
                let mut day = start;
                let mut left = days;
                while left > 0 {
                    day = next(day)?;
                    if self.is_working_day(day)? {
                        left -= 1;
                    }
                }
                Ok(day)
            }
        }
    }

    /// The working day `n` working days before `day` (for warnings ahead of a deadline).
    pub fn working_days_before(
        &self,
        mut day: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, DomainError> {
        let mut left = n;
        while left > 0 {
            day = day
                .pred_opt()
                .ok_or(DomainError::YearNotConfigured(i32::MIN))?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// How many days of `count` lie after `from` up to and including `to` (0 if `to <= from`).
    pub fn days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        count: DayCount,
    ) -> Result<u32, DomainError> {
        let mut n = 0;
        let mut day = from;
        while day < to {
            day = next(day)?;
            if count == DayCount::Calendar || self.is_working_day(day)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// A date as Vietnamese readers write it: 26/11/2026.
pub fn vn_date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

fn next(day: NaiveDate) -> Result<NaiveDate, DomainError> {
    day.succ_opt()
        .ok_or(DomainError::YearNotConfigured(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// 2026 as the Ministry of Home Affairs announced it: Tết from Saturday 14 to Sunday 22
    /// February, with an invented extra working Saturday to test the exchange rule.
    fn calendar() -> WorkCalendar {
        let y2026 = YearCalendar {
            holidays: [
                "2026-01-01",
                "2026-02-16",
                "2026-02-17",
                "2026-02-18",
                "2026-02-19",
                "2026-02-20",
                "2026-04-27",
                "2026-04-30",
                "2026-05-01",
                "2026-09-01",
                "2026-09-02",
            ]
            .into_iter()
            .map(d)
            .collect(),
            extra_working_days: [d("2026-03-07")].into_iter().collect(),
        };
        WorkCalendar::new([(2026, y2026)].into_iter().collect())
    }

    #[test]
    fn working_day_count_skips_tet_2026_and_the_weekends() {
        // Received Thursday 12 February 2026. Working days after it: Fri 13, then Tết with its
        // two weekends (14–22), then Mon 23 to Fri 27, so the 7th working day is Monday 2 March.
        let due = calendar()
            .add(d("2026-02-12"), 7, DayCount::Working)
            .unwrap();
        assert_eq!(due, d("2026-03-02"));
    }

    #[test]
    fn day_one_is_the_day_after_the_start_event() {
        // Monday + 1 working day is Tuesday, not Monday.
        let due = calendar()
            .add(d("2026-03-09"), 1, DayCount::Working)
            .unwrap();
        assert_eq!(due, d("2026-03-10"));
        let due = calendar()
            .add(d("2026-03-09"), 1, DayCount::Calendar)
            .unwrap();
        assert_eq!(due, d("2026-03-10"));
    }

    #[test]
    fn calendar_deadline_landing_on_a_holiday_moves_to_the_next_working_day() {
        // 10 days after 6 February is 16 February, a Tết holiday: the deadline moves to Monday 23.
        let due = calendar()
            .add(d("2026-02-06"), 10, DayCount::Calendar)
            .unwrap();
        assert_eq!(due, d("2026-02-23"));
        // 10 days after 21 April is Friday 1 May (holiday): then Saturday, Sunday → Monday 4 May.
        let due = calendar()
            .add(d("2026-04-21"), 10, DayCount::Calendar)
            .unwrap();
        assert_eq!(due, d("2026-05-04"));
    }

    #[test]
    fn calendar_deadline_landing_on_a_weekend_moves_to_monday() {
        let due = calendar()
            .add(d("2026-03-04"), 10, DayCount::Calendar)
            .unwrap();
        assert_eq!(due, d("2026-03-16")); // Saturday 14 → Monday 16
    }

    #[test]
    fn an_extra_working_saturday_counts() {
        // Friday 6 March + 1 working day: Saturday 7 March is worked in exchange.
        let cal = calendar();
        assert!(cal.is_working_day(d("2026-03-07")).unwrap());
        assert!(!cal.is_working_day(d("2026-03-14")).unwrap());
        let due = cal.add(d("2026-03-06"), 1, DayCount::Working).unwrap();
        assert_eq!(due, d("2026-03-07"));
        // And a calendar deadline may end on it without moving.
        let due = cal.add(d("2026-02-25"), 10, DayCount::Calendar).unwrap();
        assert_eq!(due, d("2026-03-07"));
    }

    #[test]
    fn a_date_beyond_the_configured_years_is_an_error() {
        let cal = calendar();
        assert_eq!(
            cal.is_working_day(d("2027-01-04")),
            Err(DomainError::YearNotConfigured(2027))
        );
        // A count that runs past 31 December 2026 fails instead of guessing.
        assert_eq!(
            cal.add(d("2026-12-28"), 10, DayCount::Working),
            Err(DomainError::YearNotConfigured(2027))
        );
        assert_eq!(
            cal.add(d("2025-12-30"), 1, DayCount::Calendar),
            Err(DomainError::YearNotConfigured(2025))
        );
    }

    #[test]
    fn warnings_count_working_days_back_over_tet() {
        // Three working days before Tuesday 24 February 2026: Mon 23, then Fri 13, Thu 12.
        let day = calendar().working_days_before(d("2026-02-24"), 3).unwrap();
        assert_eq!(day, d("2026-02-12"));
    }

    #[test]
    fn days_between_counts_the_unit_of_the_rule() {
        let cal = calendar();
        // Fri 13 Feb to Mon 23 Feb: one working day (the Monday) after Friday.
        assert_eq!(
            cal.days_between(d("2026-02-13"), d("2026-02-23"), DayCount::Working)
                .unwrap(),
            1
        );
        assert_eq!(
            cal.days_between(d("2026-02-13"), d("2026-02-23"), DayCount::Calendar)
                .unwrap(),
            10
        );
        assert_eq!(
            cal.days_between(d("2026-02-23"), d("2026-02-13"), DayCount::Calendar)
                .unwrap(),
            0
        );
    }
}
