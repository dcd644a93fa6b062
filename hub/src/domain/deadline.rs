//! The three clocks of a case (design.md §8), as the profile's deadline table defines them:
//! the council's own duty (receive, tell the citizen, forward), the resolver's (thụ lý and
//! resolution: owned when the council is competent, followed up when it forwarded the case),
//! and the relay (once the unit's result is recorded, the council tells the citizen).
//!
//! Every clock carries its source, a law article or "council policy", so staff and the public
//! see why a date is what it is. Deadlines are council-local dates, never UTC instants.

use std::fmt;

use chrono::NaiveDate;

use super::calendar::{DayCount, WorkCalendar};
use super::case::{CaseKind, ComplaintRound};
use super::staff::Language;
use crate::error::DomainError;

/// A number of days counted one way, and the text it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRule {
    pub days: u32,
    pub count: DayCount,
    /// The law article, or "council policy" where no legal basis was found.
    pub source: String,
}

impl ClockRule {
    /// The deadline counted from `start`, with `extra` days (suspended, or paused where the
    /// profile allows it) added to the unshifted end: the day-off shift is applied once, at the
    /// end, never to an intermediate date.
    pub fn due(
        &self,
        calendar: &WorkCalendar,
        start: NaiveDate,
        extra: u32,
    ) -> Result<NaiveDate, DomainError> {
        calendar.add(start, self.days + extra, self.count)
    }
}

/// A rule that changed on known dates (a law's amendment coming into force): each version
/// applies to clocks that start on or after its `from` date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedRule {
    /// Oldest first; the first may have no start date (in force since always).
    versions: Vec<(Option<NaiveDate>, ClockRule)>,
}

impl DatedRule {
    /// One rule with no dates.
    pub fn always(rule: ClockRule) -> Self {
        Self {
            versions: vec![(None, rule)],
        }
    }

    /// Versions in force from their dates; refused unless the dates strictly increase and only
    /// the first may have none.
    pub fn new(versions: Vec<(Option<NaiveDate>, ClockRule)>) -> Result<Self, String> {
        if versions.is_empty() {
            return Err("give at least one rule".to_owned());
        }
        let mut last: Option<NaiveDate> = None;
        for (i, (from, _)) in versions.iter().enumerate() {
            match (i, from) {
                (0, _) => {}
                (_, None) => return Err("every rule after the first needs its `from` date".into()),
                (_, Some(day)) if last.is_some_and(|l| *day <= l) => {
                    return Err(format!("`from = {day}` must come after the rule before it"));
                }
                _ => {}
            }
            last = *from;
        }
        Ok(Self { versions })
    }

    /// The version in force for a clock that starts on `day`; before the first dated version,
    /// the first one (the law as it stood).
    pub fn in_force(&self, day: NaiveDate) -> &ClockRule {
        self.versions
            .iter()
            .rev()
            .find(|(from, _)| from.is_none_or(|from| from <= day))
            .map_or(&self.versions[0].1, |(_, rule)| rule)
    }
}

/// The event that starts the resolver's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    /// thụ lý: by the council when it is competent, by the unit after forwarding.
    Accepted,
    /// chuyển đơn (or the council's own acceptance when it handles the case itself).
    Forwarded,
}

/// The resolver's clock: the competent body's time to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolverRule {
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
        /// Extensions a `complex` case may have (Luật Tố cáo art. 30: once).
        max_extensions: u32,
        /// Extensions an `especially_complex` case may have (art. 30: twice).
        max_extensions_especially_complex: u32,
        source: String,
    },
    /// Answered by the next regular session of the council after the clock starts.
    NextRegularSession { start: ClockStart, source: String },
}

impl ResolverRule {
    /// The event that starts this clock.
    pub fn start(&self) -> ClockStart {
        match self {
            ResolverRule::Days { start, .. } | ResolverRule::NextRegularSession { start, .. } => {
                *start
            }
        }
    }

    pub fn source(&self) -> &str {
        match self {
            ResolverRule::Days { source, .. } | ResolverRule::NextRegularSession { source, .. } => {
                source
            }
        }
    }

    /// How its days are counted; suspended days are counted the same way.
    pub fn count(&self) -> DayCount {
        match self {
            ResolverRule::Days { count, .. } => *count,
            ResolverRule::NextRegularSession { .. } => DayCount::Calendar,
        }
    }
}

/// The deadlines of one kind of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRule {
    /// The council's duty from receipt when it is not the competent body (the usual case): tell
    /// the citizen, or forward (Luật TCD art. 28(1); Luật TC art. 24(2) for tố cáo).
    pub council: DatedRule,
    /// The council's duty from receipt when it is the competent body; `thu_ly` when absent.
    pub council_competent: Option<DatedRule>,
    /// From receipt, for a kiến nghị or phản ánh on an administrative regulation (NĐ 20/2008).
    pub council_regulation: Option<DatedRule>,
    /// From acceptance: notify the citizen that the case was accepted (tố cáo, art. 29(3)).
    pub notify_acceptance: Option<ClockRule>,
    /// The competent body's time to accept (thụ lý) a case it received, followed up after
    /// forwarding; dated, since the 2026 decrees changed it.
    pub thu_ly: Option<DatedRule>,
    pub resolver: ResolverRule,
    /// From the unit's result: tell the citizen (Luật TCD art. 28(2)).
    pub relay: Option<ClockRule>,
}

impl KindRule {
    /// The council's rule for a case with these flags.
    pub fn council_rule(&self, competent: bool, regulation: bool) -> &DatedRule {
        if competent {
            self.council_competent
                .as_ref()
                .or(self.thu_ly.as_ref())
                .unwrap_or(&self.council)
        } else if regulation {
            self.council_regulation.as_ref().unwrap_or(&self.council)
        } else {
            &self.council
        }
    }
}

/// The profile's deadline table, one rule per kind (and complaint round).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineTable {
    /// Whether a question to the citizen pauses the council clock before acceptance. No legal
    /// basis was found for such a pause, so it is off unless the council makes it its policy.
    pub question_pauses_council_clock: bool,
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

    /// Every kind's rule, for checks that walk the table.
    pub fn all(&self) -> [(&'static str, &KindRule); 7] {
        [
            ("khieu_nai_lan_1", &self.khieu_nai_lan_1),
            ("khieu_nai_lan_2", &self.khieu_nai_lan_2),
            ("to_cao", &self.to_cao),
            ("kien_nghi", &self.kien_nghi),
            ("phan_anh", &self.phan_anh),
            ("y_kien", &self.y_kien),
            ("kien_nghi_cu_tri", &self.kien_nghi_cu_tri),
        ]
    }
}

/// Which of a case's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockKind {
    /// The council's own duty.
    Council,
    /// The competent body's thụ lý and resolution.
    Resolver,
    /// Telling the citizen the unit's result.
    Relay,
}

impl ClockKind {
    pub const ALL: [ClockKind; 3] = [ClockKind::Council, ClockKind::Resolver, ClockKind::Relay];

    /// The name used in keys and APIs.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClockKind::Council => "council",
            ClockKind::Resolver => "resolver",
            ClockKind::Relay => "relay",
        }
    }

    /// What a person reads.
    pub const fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (ClockKind::Council, Language::Vi) => "Hạn xử lý của Hội đồng",
            (ClockKind::Council, Language::En) => "The council's deadline",
            (ClockKind::Resolver, Language::Vi) => "Hạn giải quyết của cơ quan có thẩm quyền",
            (ClockKind::Resolver, Language::En) => "The competent body's deadline",
            (ClockKind::Relay, Language::Vi) => "Hạn thông báo kết quả cho công dân",
            (ClockKind::Relay, Language::En) => "Deadline to tell the citizen the result",
        }
    }
}

impl fmt::Display for ClockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One running clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// `None`: unknown, because the profile has no working-day calendar for the year the count
    /// reaches. The case is stored all the same and the operator is warned.
    pub due: Option<NaiveDate>,
    pub source: String,
}

impl Clock {
    /// A clock from a count; a count that runs past the configured years is "unknown", never
    /// an error that would refuse the case.
    pub fn counted(
        due: Result<NaiveDate, DomainError>,
        source: &str,
    ) -> Result<Clock, DomainError> {
        let due = match due {
            Ok(day) => Some(day),
            Err(DomainError::YearNotConfigured(_)) => None,
            Err(other) => return Err(other),
        };
        Ok(Clock {
            due,
            source: source.to_owned(),
        })
    }
}

/// A case's clocks; `None` for one that is not running.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clocks {
    pub council: Option<Clock>,
    pub resolver: Option<Clock>,
    pub relay: Option<Clock>,
}

impl Clocks {
    pub fn get(&self, kind: ClockKind) -> Option<&Clock> {
        match kind {
            ClockKind::Council => self.council.as_ref(),
            ClockKind::Resolver => self.resolver.as_ref(),
            ClockKind::Relay => self.relay.as_ref(),
        }
    }

    /// The running clocks, council first.
    pub fn running(&self) -> impl Iterator<Item = (ClockKind, &Clock)> {
        ClockKind::ALL
            .into_iter()
            .filter_map(|kind| self.get(kind).map(|clock| (kind, clock)))
    }

    /// The running clocks whose deadline is unknown.
    pub fn unknown(&self) -> impl Iterator<Item = ClockKind> + '_ {
        self.running()
            .filter(|(_, clock)| clock.due.is_none())
            .map(|(kind, _)| kind)
    }

    /// The date the citizen may expect an answer by: the resolver's, else the council's.
    pub fn expected_by(&self) -> Option<NaiveDate> {
        [&self.relay, &self.resolver, &self.council]
            .into_iter()
            .flatten()
            .find_map(|clock| clock.due)
    }
}

/// What the resolver's clock depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolverFacts {
    /// The day the clock started.
    pub start: NaiveDate,
    pub complex: bool,
    pub especially_complex: bool,
    pub remote_area: bool,
    pub extensions: u32,
    /// Days of finished suspensions, counted as the rule counts.
    pub suspended_days: u32,
}

impl ResolverRule {
    /// The resolver's deadline, or `None` when no regular session is scheduled after the start.
    pub fn due(
        &self,
        calendar: &WorkCalendar,
        regular_sessions: &[NaiveDate],
        facts: &ResolverFacts,
    ) -> Result<Option<NaiveDate>, DomainError> {
        match self {
            ResolverRule::Days {
                count,
                days,
                complex,
                remote,
                remote_complex,
                extension_days,
                ..
            } => {
                let complex_case = facts.complex || facts.especially_complex;
                let base = match (facts.remote_area, complex_case) {
                    (false, false) => *days,
                    (false, true) => *complex,
                    (true, false) => *remote,
                    (true, true) => *remote_complex,
                };
                let total = base + extension_days * facts.extensions + facts.suspended_days;
                calendar.add(facts.start, total, *count).map(Some)
            }
            ResolverRule::NextRegularSession { .. } => {
                // Suspended days push the start, so a session held during a suspension is
                // not the one the petition is due at.
                let start = facts.start + chrono::Days::new(facts.suspended_days.into());
                Ok(regular_sessions
                    .iter()
                    .copied()
                    .filter(|d| *d > start)
                    .min())
            }
        }
    }

    /// Checks that one more extension may be recorded for a case with these facts.
    pub fn check_extension(&self, facts: &ResolverFacts) -> Result<(), DomainError> {
        let no = || DomainError::invalid("extension", "this kind of case has no extensions");
        let ResolverRule::Days {
            extension_days,
            max_extensions,
            max_extensions_especially_complex,
            ..
        } = *self
        else {
            return Err(no());
        };
        if extension_days == 0 {
            return Err(no());
        }
        let limit = if facts.especially_complex {
            max_extensions_especially_complex.max(max_extensions)
        } else if facts.complex {
            max_extensions
        } else {
            return Err(DomainError::invalid(
                "extension",
                "only a case marked complex (with its written reason) may be extended",
            ));
        };
        if limit == 0 {
            return Err(no());
        }
        if facts.extensions >= limit {
            return Err(DomainError::invalid(
                "extension",
                format!("the limit of {limit} extensions for this case is reached"),
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
            "2026-01-01",
            "2026-01-02",
            "2026-02-16",
            "2026-02-17",
            "2026-02-18",
            "2026-02-19",
            "2026-02-20",
            "2026-04-27",
            "2026-04-30",
            "2026-05-01",
            "2026-08-31",
            "2026-09-01",
            "2026-09-02",
        ];
        let year = YearCalendar {
            holidays: holidays.into_iter().map(d).collect(),
            extra_working_days: [d("2026-01-10"), d("2026-08-22")].into_iter().collect(),
        };
        WorkCalendar::new([(2026, year)].into_iter().collect())
    }

    fn rule(days: u32, count: DayCount, source: &str) -> ClockRule {
        ClockRule {
            days,
            count,
            source: source.to_owned(),
        }
    }

    fn to_cao() -> ResolverRule {
        ResolverRule::Days {
            start: ClockStart::Accepted,
            count: DayCount::Calendar,
            days: 30,
            complex: 30,
            remote: 30,
            remote_complex: 30,
            extension_days: 30,
            max_extensions: 1,
            max_extensions_especially_complex: 2,
            source: "Luật Tố cáo, Điều 30".to_owned(),
        }
    }

    fn khieu_nai_1() -> ResolverRule {
        ResolverRule::Days {
            start: ClockStart::Accepted,
            count: DayCount::Calendar,
            days: 30,
            complex: 45,
            remote: 45,
            remote_complex: 60,
            extension_days: 0,
            max_extensions: 0,
            max_extensions_especially_complex: 0,
            source: "Luật Khiếu nại, Điều 28".to_owned(),
        }
    }

    fn facts(start: &str) -> ResolverFacts {
        ResolverFacts {
            start: d(start),
            complex: false,
            especially_complex: false,
            remote_area: false,
            extensions: 0,
            suspended_days: 0,
        }
    }

    #[test]
    fn a_dated_rule_applies_the_version_in_force_on_the_start_day() {
        let thu_ly = DatedRule::new(vec![
            (
                None,
                rule(10, DayCount::Calendar, "Luật Khiếu nại, Điều 27"),
            ),
            (
                Some(d("2026-07-01")),
                rule(7, DayCount::Working, "NĐ 155/2026"),
            ),
        ])
        .unwrap();
        assert_eq!(thu_ly.in_force(d("2026-06-30")).days, 10);
        assert_eq!(thu_ly.in_force(d("2026-07-01")).days, 7);
        assert_eq!(
            thu_ly.in_force(d("2020-01-01")).source,
            "Luật Khiếu nại, Điều 27"
        );
        assert!(
            DatedRule::new(vec![
                (Some(d("2026-07-01")), rule(7, DayCount::Working, "a")),
                (Some(d("2026-07-01")), rule(5, DayCount::Working, "b")),
            ])
            .is_err(),
            "dates must increase"
        );
        assert!(
            DatedRule::new(vec![
                (None, rule(7, DayCount::Working, "a")),
                (None, rule(5, DayCount::Working, "b")),
            ])
            .is_err(),
            "only the first may be undated"
        );
    }

    #[test]
    fn extra_days_are_added_before_the_day_off_shift_which_happens_once() {
        let cal = calendar();
        let thirty = rule(30, DayCount::Calendar, "x");
        // 31 March + 30 days = Thursday 30 April, a holiday; with 1/5 and the weekend it moves
        // to Monday 4 May.
        assert_eq!(
            thirty.due(&cal, d("2026-03-31"), 0).unwrap(),
            d("2026-05-04")
        );
        // Ten suspended days go on the unshifted 30 April: Sunday 10 May, so Monday 11 May;
        // shifting first and adding after would give 14 May.
        assert_eq!(
            thirty.due(&cal, d("2026-03-31"), 10).unwrap(),
            d("2026-05-11")
        );
        // Across Tết: 17 January + 30 = Monday 16 February (Tết), moves to Monday 23 February;
        // 3 suspended days land on Thursday 19 (still Tết) and move to the same Monday 23.
        assert_eq!(
            thirty.due(&cal, d("2026-01-17"), 0).unwrap(),
            d("2026-02-23")
        );
        assert_eq!(
            thirty.due(&cal, d("2026-01-17"), 3).unwrap(),
            d("2026-02-23")
        );
    }

    #[test]
    fn the_2026_bridge_days_count_as_the_government_announced() {
        let cal = calendar();
        let five = rule(5, DayCount::Working, "x");
        // Wednesday 31 December 2025 is not configured; from Tuesday 30 December… start in 2026:
        // Thursday 8 January + 5 working days: Fri 9, Sat 10 (worked), Mon 12, Tue 13, Wed 14.
        assert_eq!(five.due(&cal, d("2026-01-08"), 0).unwrap(), d("2026-01-14"));
        // Thursday 27 August + 5: Fri 28, then 29/8–2/9 off, Thu 3, Fri 4, Mon 7, Tue 8.
        assert_eq!(five.due(&cal, d("2026-08-27"), 0).unwrap(), d("2026-09-08"));
        // Friday 21 August + 1: Saturday 22 August is worked.
        assert_eq!(
            rule(1, DayCount::Working, "x")
                .due(&cal, d("2026-08-21"), 0)
                .unwrap(),
            d("2026-08-22")
        );
    }

    #[test]
    fn a_count_past_the_configured_years_is_an_unknown_clock_not_an_error() {
        let cal = calendar();
        let ten = rule(10, DayCount::Working, "Luật Tiếp công dân, Điều 28");
        let clock = Clock::counted(ten.due(&cal, d("2026-12-31"), 0), &ten.source).unwrap();
        assert_eq!(clock.due, None);
        assert_eq!(clock.source, "Luật Tiếp công dân, Điều 28");
        let clocks = Clocks {
            council: Some(clock),
            ..Clocks::default()
        };
        assert_eq!(clocks.unknown().collect::<Vec<_>>(), [ClockKind::Council]);
    }

    #[test]
    fn complaint_deadline_depends_on_complexity_and_remoteness() {
        let cal = calendar();
        let rule = khieu_nai_1();
        let base = facts("2026-06-01"); // Monday
        let due = |f: ResolverFacts| rule.due(&cal, &[], &f).unwrap().unwrap();
        assert_eq!(due(base), d("2026-07-01"));
        assert_eq!(
            due(ResolverFacts {
                complex: true,
                ..base
            }),
            d("2026-07-16")
        );
        assert_eq!(
            due(ResolverFacts {
                remote_area: true,
                ..base
            }),
            d("2026-07-16")
        );
        assert_eq!(
            due(ResolverFacts {
                remote_area: true,
                complex: true,
                ..base
            }),
            d("2026-07-31")
        );
    }

    #[test]
    fn a_complex_denunciation_is_extended_once_and_an_especially_complex_one_twice() {
        let cal = calendar();
        let rule = to_cao();
        let mut f = ResolverFacts {
            complex: true,
            ..facts("2026-06-01")
        };
        assert_eq!(rule.due(&cal, &[], &f).unwrap(), Some(d("2026-07-01")));
        rule.check_extension(&f).unwrap();
        f.extensions = 1;
        // 60 days after 1 June is Friday 31 July.
        assert_eq!(rule.due(&cal, &[], &f).unwrap(), Some(d("2026-07-31")));
        assert!(rule.check_extension(&f).is_err(), "complex: once");
        f.especially_complex = true;
        rule.check_extension(&f).unwrap();
        f.extensions = 2;
        // 90 days after 1 June is Sunday 30 August; Monday 31 August is a day off in 2026,
        // and 1–2 September are Quốc khánh: Thursday 3 September.
        assert_eq!(rule.due(&cal, &[], &f).unwrap(), Some(d("2026-09-03")));
        assert!(
            rule.check_extension(&f).is_err(),
            "especially complex: twice"
        );
    }

    #[test]
    fn only_complex_cases_of_extendable_kinds_are_extended() {
        assert!(to_cao().check_extension(&facts("2026-06-01")).is_err());
        let complex = ResolverFacts {
            complex: true,
            ..facts("2026-06-01")
        };
        assert!(khieu_nai_1().check_extension(&complex).is_err());
    }

    #[test]
    fn voters_petition_is_due_at_the_next_regular_session() {
        let rule = ResolverRule::NextRegularSession {
            start: ClockStart::Forwarded,
            source: "council policy".to_owned(),
        };
        let sessions = [d("2026-07-10"), d("2026-12-10")];
        assert_eq!(
            rule.due(&calendar(), &sessions, &facts("2026-07-10"))
                .unwrap(),
            Some(d("2026-12-10"))
        );
    }
}
