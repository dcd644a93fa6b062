//! The two clocks of a case: the council's own handling clock and the competent body's statutory
//! clock, computed from the profile's deadline table (design.md §8).
//!
//! Deadlines are council-local dates, never UTC instants.

use chrono::NaiveDate;

use super::calendar::{DayCount, WorkCalendar};
use super::case::{CaseKind, ComplaintRound};
use crate::error::DomainError;

/// A number of days counted one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockRule {
    pub days: u32,
    pub count: DayCount,
}

/// The event that starts the statutory clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    /// thụ lý
    Accepted,
    /// chuyển đơn
    Forwarded,
}

/// The competent body's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatutoryRule {
    /// A number of days, longer for complex cases and remote areas, optionally extendable.
    Days {
        start: ClockStart,
        count: DayCount,
        days: u32,
        complex: u32,
        remote: u32,
        remote_complex: u32,
        /// Days one extension adds (0: the kind has no extensions).
        extension_days: u32,
        max_extensions: u32,
    },
    /// Answered by the next regular session of the council after the clock starts.
    NextRegularSession { start: ClockStart },
}

impl StatutoryRule {
    /// The event that starts this clock.
    pub fn start(&self) -> ClockStart {
        match self {
            StatutoryRule::Days { start, .. } | StatutoryRule::NextRegularSession { start } => {
                *start
            }
        }
    }
}

/// The deadlines of one kind of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRule {
    /// From receipt: accept, reject, classify or forward.
    pub council: ClockRule,
    /// From acceptance: notify the citizen that the case was accepted (tố cáo).
    pub notify_acceptance: Option<ClockRule>,
    pub statutory: StatutoryRule,
}

/// The profile's deadline table, one rule per kind (and complaint round).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineTable {
    pub khieu_nai_lan_1: KindRule,
    pub khieu_nai_lan_2: KindRule,
    pub to_cao: KindRule,
    pub kien_nghi: KindRule,
    pub phan_anh: KindRule,
    pub y_kien: KindRule,
    pub kien_nghi_cu_tri: KindRule,
}

impl DeadlineTable {
    /// The rule for a kind; a complaint without a round counts as a first complaint.
    pub fn rule(&self, kind: CaseKind, round: Option<ComplaintRound>) -> &KindRule {
        match kind {
            CaseKind::KhieuNai if round == Some(ComplaintRound::Second) => &self.khieu_nai_lan_2,
            CaseKind::KhieuNai => &self.khieu_nai_lan_1,
            CaseKind::ToCao => &self.to_cao,
            CaseKind::KienNghi => &self.kien_nghi,
            CaseKind::PhanAnh => &self.phan_anh,
            CaseKind::YKien => &self.y_kien,
            CaseKind::KienNghiCuTri => &self.kien_nghi_cu_tri,
        }
    }
}

/// What the statutory clock depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatutoryFacts {
    pub accepted_on: Option<NaiveDate>,
    pub forwarded_on: Option<NaiveDate>,
    pub complex: bool,
    pub remote_area: bool,
    pub extensions: u32,
}

impl ClockRule {
    /// The deadline counted from `start`.
    pub fn due(&self, calendar: &WorkCalendar, start: NaiveDate) -> Result<NaiveDate, DomainError> {
        calendar.add(start, self.days, self.count)
    }
}

impl StatutoryRule {
    /// The statutory deadline, or `None` while its start event has not happened (or no regular
    /// session is scheduled after it).
    pub fn due(
        &self,
        calendar: &WorkCalendar,
        regular_sessions: &[NaiveDate],
        facts: &StatutoryFacts,
    ) -> Result<Option<NaiveDate>, DomainError> {
        let started = match self.start() {
            ClockStart::Accepted => facts.accepted_on,
            ClockStart::Forwarded => facts.forwarded_on,
        };
        let Some(start) = started else {
            return Ok(None);
        };
        match *self {
            StatutoryRule::Days {
                count,
                days,
                complex,
                remote,
                remote_complex,
                extension_days,
                ..
            } => {
                let base = match (facts.remote_area, facts.complex) {
                    (false, false) => days,
                    (false, true) => complex,
                    (true, false) => remote,
                    (true, true) => remote_complex,
                };
                let total = base + extension_days * facts.extensions;
                calendar.add(start, total, count).map(Some)
            }
            StatutoryRule::NextRegularSession { .. } => Ok(regular_sessions
                .iter()
                .copied()
                .filter(|d| *d > start)
                .min()),
        }
    }

    /// Checks that one more extension may be recorded for a case with these facts.
    pub fn check_extension(&self, facts: &StatutoryFacts) -> Result<(), DomainError> {
        let StatutoryRule::Days {
            extension_days,
            max_extensions,
            ..
        } = *self
        else {
            return Err(DomainError::invalid(
                "extension",
                "this kind of case has no extensions",
            ));
        };
        if extension_days == 0 || max_extensions == 0 {
            return Err(DomainError::invalid(
                "extension",
                "this kind of case has no extensions",
            ));
        }
        if !facts.complex {
            return Err(DomainError::invalid(
                "extension",
                "only a case marked complex may be extended",
            ));
        }
        if facts.extensions >= max_extensions {
            return Err(DomainError::invalid(
                "extension",
                format!("the limit of {max_extensions} extensions is reached"),
            ));
        }
        if facts.accepted_on.is_none() && facts.forwarded_on.is_none() {
            return Err(DomainError::invalid(
                "extension",
                "the statutory clock has not started",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::YearCalendar;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn calendar() -> WorkCalendar {
        let holidays = [
            "2026-04-27",
            "2026-04-30",
            "2026-05-01",
            "2026-09-01",
            "2026-09-02",
        ];
        let year = YearCalendar {
            holidays: holidays.into_iter().map(d).collect(),
            extra_working_days: Default::default(),
        };
        WorkCalendar::new([(2026, year)].into_iter().collect())
    }

    fn to_cao() -> StatutoryRule {
        StatutoryRule::Days {
            start: ClockStart::Accepted,
            count: DayCount::Calendar,
            days: 30,
            complex: 30,
            remote: 30,
            remote_complex: 30,
            extension_days: 30,
            max_extensions: 2,
        }
    }

    fn khieu_nai_1() -> StatutoryRule {
        StatutoryRule::Days {
            start: ClockStart::Accepted,
            count: DayCount::Calendar,
            days: 30,
            complex: 45,
            remote: 45,
            remote_complex: 60,
            extension_days: 0,
            max_extensions: 0,
        }
    }

    fn facts(accepted: &str) -> StatutoryFacts {
        StatutoryFacts {
            accepted_on: Some(d(accepted)),
            forwarded_on: None,
            complex: false,
            remote_area: false,
            extensions: 0,
        }
    }

    #[test]
    fn statutory_clock_waits_for_its_start_event() {
        let f = StatutoryFacts {
            accepted_on: None,
            ..facts("2026-06-01")
        };
        assert_eq!(khieu_nai_1().due(&calendar(), &[], &f).unwrap(), None);
    }

    #[test]
    fn complaint_deadline_depends_on_complexity_and_remoteness() {
        let cal = calendar();
        let rule = khieu_nai_1();
        let base = facts("2026-06-01"); // Monday
        let due = |f: StatutoryFacts| rule.due(&cal, &[], &f).unwrap().unwrap();
        assert_eq!(due(base), d("2026-07-01"));
        assert_eq!(
            due(StatutoryFacts {
                complex: true,
                ..base
            }),
            d("2026-07-16")
        );
        assert_eq!(
            due(StatutoryFacts {
                remote_area: true,
                ..base
            }),
            d("2026-07-16")
        );
        assert_eq!(
            due(StatutoryFacts {
                remote_area: true,
                complex: true,
                ..base
            }),
            d("2026-07-31")
        );
    }

    #[test]
    fn an_extension_adds_its_days_and_the_limit_holds() {
        let cal = calendar();
        let rule = to_cao();
        let mut f = StatutoryFacts {
            complex: true,
            ..facts("2026-06-01")
        };
        assert_eq!(rule.due(&cal, &[], &f).unwrap(), Some(d("2026-07-01")));
        rule.check_extension(&f).unwrap();
        f.extensions = 1;
        // 60 days after 1 June is Friday 31 July.
        assert_eq!(rule.due(&cal, &[], &f).unwrap(), Some(d("2026-07-31")));
        rule.check_extension(&f).unwrap();
        f.extensions = 2;
        // 90 days after 1 June is Sunday 30 August: it moves to Monday 31 August.
        assert_eq!(rule.due(&cal, &[], &f).unwrap(), Some(d("2026-08-31")));
        assert!(rule.check_extension(&f).is_err());
    }

    #[test]
    fn only_complex_cases_of_extendable_kinds_are_extended() {
        assert!(to_cao().check_extension(&facts("2026-06-01")).is_err());
        let complex = StatutoryFacts {
            complex: true,
            ..facts("2026-06-01")
        };
        assert!(khieu_nai_1().check_extension(&complex).is_err());
    }

    #[test]
    fn voters_petition_is_due_at_the_next_regular_session() {
        let rule = StatutoryRule::NextRegularSession {
            start: ClockStart::Forwarded,
        };
        let sessions = [d("2026-07-10"), d("2026-12-10")];
        let f = StatutoryFacts {
            accepted_on: None,
            forwarded_on: Some(d("2026-07-10")),
            complex: false,
            remote_area: false,
            extensions: 0,
        };
        assert_eq!(
            rule.due(&calendar(), &sessions, &f).unwrap(),
            Some(d("2026-12-10"))
        );
    }
}
