//! The council profile: who the council is, where, its calendar and its legal deadlines.
//!
//! Since 1 July 2025 Vietnam has two levels of local government, so nothing here is hard-coded:
//! it is read from the council's own TOML file. An error names the file, the key and the line.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_spanned::Spanned;

use crate::toml_file::{FileError, Locator};

use super::calendar::{DayCount, WorkCalendar, YearCalendar};
use super::deadline::{ClockRule, ClockStart, DatedRule, DeadlineTable, KindRule, ResolverRule};
use super::feedback::{FeedbackPolicy, MAX_REOPEN_WITHIN_DAYS};

/// The demo profile (phường Hồng Bàng, Hải Phòng), built in so that no file is needed to start.
pub const DEMO_PROFILE: &str = include_str!("../../../config/council.toml");

/// The level of the council in the two-level local government.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouncilLevel {
    /// HĐND tỉnh, thành phố trực thuộc trung ương
    Tinh,
    /// HĐND xã, phường, đặc khu
    Xa,
}

/// Something with a stable code and a name people read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedCode {
    pub code: String,
    pub name: String,
}

/// A session (kỳ họp) of the council.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub date: NaiveDate,
    pub name: String,
    /// Regular sessions (kỳ họp thường lệ) are when voters' petitions are answered.
    pub regular: bool,
}

/// Everything hdnd knows about the council it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouncilProfile {
    pub name: String,
    pub level: CouncilLevel,
    pub locality: String,
    pub time_zone: Tz,
    pub case_code_prefix: String,
    pub areas: Vec<NamedCode>,
    pub categories: Vec<NamedCode>,
    /// Receiving units (cơ quan có thẩm quyền) cases are forwarded to.
    pub units: Vec<NamedCode>,
    pub calendar: WorkCalendar,
    pub deadlines: DeadlineTable,
    pub sessions: Vec<Session>,
    /// Calendar years marked provisional (placeholders until the official notice).
    pub provisional_years: BTreeSet<i32>,
    /// `[feedback]`: what a citizen's rating may do (council policy, not law).
    pub feedback: FeedbackPolicy,
    /// `[contact]`: how the public reaches the council, for the portal's contact page.
    pub contact: CouncilContact,
}

/// `[contact]`, optional as a whole and in each key: what the portal's "about" and "contact"
/// page prints (NĐ 42/2022 asks a state body's portal to publish its contact points).
///
/// ```toml
/// [contact]
/// address = "Số 1 phố Minh Khai, phường Hồng Bàng, thành phố Hải Phòng"
/// phone = "0225 0000 000"
/// email = "hdnd@hongbang.example"
/// reception = "Thứ Năm hằng tuần, 8:00–11:00, tại trụ sở"
/// about = "Hội đồng nhân dân phường … là cơ quan quyền lực nhà nước ở địa phương …"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CouncilContact {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// When and where citizens are received in person (lịch tiếp công dân thường xuyên).
    pub reception: Option<String>,
    /// A paragraph about the council, its duties and how it answers.
    pub about: Option<String>,
}

/// A bad profile: which file, which key, which line, and what is wrong.
pub type ProfileError = FileError;

impl CouncilProfile {
    /// Reads and checks the profile at `path`.
    pub fn load(path: &Path) -> Result<Self, ProfileError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
            file: file.clone(),
            key: String::new(),
            line: 0,
            message: format!("cannot read the file: {e}"),
        })?;
        Self::parse(&file, &text)
    }

    /// The built-in demo profile.
    pub fn demo() -> Self {
        Self::parse("config/council.toml", DEMO_PROFILE)
            .expect("the built-in demo profile is valid")
    }

    /// Parses and checks a profile; `file` is only used in error messages.
    pub fn parse(file: &str, text: &str) -> Result<Self, ProfileError> {
        let at = Locator::new(file, text);
        let raw: RawProfile = toml::from_str(text).map_err(|e| at.de_error(&e))?;
        raw.check(&at)
    }

    /// The council-local date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    /// Dates of the regular sessions, in order.
    /// What the operator should know about the calendar on `today`: next year missing (its
    /// deadlines would be unknown), or provisional years.
    pub fn calendar_warnings(&self, today: NaiveDate) -> Vec<String> {
        let mut warnings = Vec::new();
        let years: BTreeSet<i32> = self.calendar.years().collect();
        for year in [today.year(), today.year() + 1] {
            if !years.contains(&year) {
                warnings.push(format!(
                    "the profile has no working-day calendar for {year}: deadlines that reach \
                     {year} are \"unknown\" until [calendar.{year}] is added"
                ));
            }
        }
        for year in &self.provisional_years {
            if *year >= today.year() {
                warnings.push(format!(
                    "the calendar for {year} is provisional: replace it with the Government's \
                     notice"
                ));
            }
        }
        warnings
    }

    pub fn regular_session_dates(&self) -> Vec<NaiveDate> {
        let mut dates: Vec<_> = self
            .sessions
            .iter()
            .filter(|s| s.regular)
            .map(|s| s.date)
            .collect();
        dates.sort();
        dates
    }

    pub fn area(&self, code: &str) -> Option<&NamedCode> {
        self.areas.iter().find(|a| a.code == code)
    }

    pub fn category(&self, code: &str) -> Option<&NamedCode> {
        self.categories.iter().find(|c| c.code == code)
    }

    pub fn unit(&self, code: &str) -> Option<&NamedCode> {
        self.units.iter().find(|u| u.code == code)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    council: RawCouncil,
    #[serde(default)]
    areas: Vec<NamedCode>,
    #[serde(default)]
    categories: Vec<NamedCode>,
    #[serde(default)]
    units: Vec<NamedCode>,
    calendar: BTreeMap<Spanned<String>, RawYear>,
    deadlines: RawDeadlines,
    #[serde(default)]
    sessions: Vec<RawSession>,
    #[serde(default)]
    feedback: RawFeedback,
    #[serde(default)]
    contact: CouncilContact,
}

/// `[feedback]`, optional as a whole and in each key.
///
/// ```toml
/// [feedback]
/// # Council policy, not law: calendar days after the day of the answer during which a
/// # citizen who is "not satisfied" reopens the case (1 to 366; default 30). Later, the rating
/// # is stored and the citizen is pointed to a new petition or a second complaint.
/// reopen_within_days = 30
/// ```
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFeedback {
    reopen_within_days: Option<Spanned<u32>>,
}

impl RawFeedback {
    fn check(&self, at: &Locator<'_>) -> Result<FeedbackPolicy, ProfileError> {
        let mut policy = FeedbackPolicy::default();
        if let Some(days) = &self.reopen_within_days {
            if !(1..=MAX_REOPEN_WITHIN_DAYS).contains(days.get_ref()) {
                return Err(at.spanned(
                    "feedback.reopen_within_days",
                    days,
                    format!(
                        "give 1 to {MAX_REOPEN_WITHIN_DAYS} calendar days after the answer \
                         (council policy; the default is {})",
                        policy.reopen_within_days
                    ),
                ));
            }
            policy.reopen_within_days = *days.get_ref();
        }
        Ok(policy)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCouncil {
    name: String,
    level: CouncilLevel,
    locality: String,
    time_zone: Spanned<String>,
    case_code_prefix: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    /// Not yet announced by the Government: `config check` says so.
    #[serde(default)]
    provisional: bool,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    extra_working_days: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadlines {
    #[serde(default)]
    question_pauses_council_clock: bool,
    khieu_nai_lan_1: RawKindRule,
    khieu_nai_lan_2: RawKindRule,
    to_cao: RawKindRule,
    kien_nghi: RawKindRule,
    phan_anh: RawKindRule,
    y_kien: RawKindRule,
    kien_nghi_cu_tri: RawKindRule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKindRule {
    council: RawDated,
    council_competent: Option<RawDated>,
    council_regulation: Option<RawDated>,
    notify_acceptance: Option<RawClock>,
    thu_ly: Option<RawDated>,
    resolver: RawResolver,
    relay: Option<RawClock>,
}

/// One clock, or a list of versions each in force from its `from` date.
enum RawDated {
    One(RawClock),
    Versions(Vec<RawClock>),
}

// By hand, not `#[serde(untagged)]`: untagged buffers the input, which loses the spans that
// name the line of a bad value.
impl<'de> Deserialize<'de> for RawDated {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawDated;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a clock { days, count, source } or a list of dated clocks")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawDated, A::Error> {
                RawClock::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawDated::One)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<RawDated, A::Error> {
                Vec::<RawClock>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(RawDated::Versions)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClock {
    /// Only in a list of versions: the first day this version applies to.
    from: Option<Spanned<String>>,
    days: Spanned<u32>,
    count: DayCount,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResolver {
    start: ClockStart,
    #[serde(default)]
    next_regular_session: bool,
    days: Option<Spanned<u32>>,
    count: Option<DayCount>,
    complex: Option<u32>,
    remote: Option<u32>,
    remote_complex: Option<u32>,
    #[serde(default)]
    extension_days: u32,
    #[serde(default)]
    max_extensions: u32,
    max_extensions_especially_complex: Option<u32>,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    date: Spanned<String>,
    name: String,
    #[serde(default = "yes")]
    regular: bool,
}

fn yes() -> bool {
    true
}

impl RawProfile {
    fn check(self, at: &Locator<'_>) -> Result<CouncilProfile, ProfileError> {
        let tz_value = &self.council.time_zone;
        let time_zone: Tz = tz_value.get_ref().parse().map_err(|_| {
            at.spanned(
                "council.time_zone",
                tz_value,
                format!(
                    "`{}` is not an IANA time zone such as Asia/Ho_Chi_Minh",
                    tz_value.get_ref()
                ),
            )
        })?;
        let prefix = &self.council.case_code_prefix;
        let prefix_ok = (1..=10).contains(&prefix.get_ref().len())
            && prefix
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !prefix_ok {
            return Err(at.spanned(
                "council.case_code_prefix",
                prefix,
                "use 1 to 10 capital letters A-Z, digits or '-'",
            ));
        }
        for (list, name) in [
            (&self.areas, "areas"),
            (&self.categories, "categories"),
            (&self.units, "units"),
        ] {
            let mut seen = HashSet::new();
            for item in list {
                if item.code.trim().is_empty() || !seen.insert(item.code.as_str()) {
                    let offset = at.text().find(&format!("\"{}\"", item.code)).unwrap_or(0);
                    return Err(at.error(
                        name,
                        offset,
                        format!("code `{}` is empty or repeated", item.code),
                    ));
                }
            }
        }
        let calendar = check_calendar(at, &self.calendar)?;
        let deadlines = self.deadlines.check(at)?;
        let feedback = self.feedback.check(at)?;
        let mut sessions = Vec::new();
        for session in &self.sessions {
            sessions.push(Session {
                date: at.date("sessions.date", &session.date)?,
                name: session.name.clone(),
                regular: session.regular,
            });
        }
        Ok(CouncilProfile {
            name: self.council.name,
            level: self.council.level,
            locality: self.council.locality,
            time_zone,
            case_code_prefix: prefix.get_ref().clone(),
            areas: self.areas,
            categories: self.categories,
            units: self.units,
            calendar,
            deadlines,
            sessions,
            provisional_years: self
                .calendar
                .iter()
                .filter(|(_, year)| year.provisional)
                .filter_map(|(key, _)| key.get_ref().parse().ok())
                .collect(),
            feedback,
            contact: self.contact,
        })
    }
}

fn check_calendar(
    at: &Locator<'_>,
    raw: &BTreeMap<Spanned<String>, RawYear>,
) -> Result<WorkCalendar, ProfileError> {
    let mut years = BTreeMap::new();
    for (year_key, rules) in raw {
        let key = format!("calendar.{}", year_key.get_ref());
        let year: i32 = year_key
            .get_ref()
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                at.spanned(
                    &key,
                    year_key,
                    "a calendar table is named by its year, e.g. [calendar.2026]",
                )
            })?;
        let mut calendar = YearCalendar::default();
        for (list, name) in [
            (&rules.holidays, "holidays"),
            (&rules.extra_working_days, "extra_working_days"),
        ] {
            let key = format!("{key}.{name}");
            for value in list {
                let day = at.date(&key, value)?;
                if day.year() != year {
                    return Err(at.spanned(&key, value, format!("{day} is not in {year}")));
                }
                let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
                if name == "holidays" {
                    calendar.holidays.insert(day);
                } else if !weekend {
                    return Err(at.spanned(
                        &key,
                        value,
                        format!("{day} is a weekday, already a working day"),
                    ));
                } else {
                    calendar.extra_working_days.insert(day);
                }
            }
        }
        let both: BTreeSet<_> = calendar
            .holidays
            .intersection(&calendar.extra_working_days)
            .collect();
        if let Some(day) = both.first() {
            let offset = at.text().find(&day.to_string()).unwrap_or(0);
            return Err(at.error(
                &key,
                offset,
                format!("{day} is both a holiday and an extra working day"),
            ));
        }
        years.insert(year, calendar);
    }
    if years.is_empty() {
        return Err(at.error("calendar", 0, "configure at least the current year"));
    }
    Ok(WorkCalendar::new(years))
}

impl RawDeadlines {
    fn check(self, at: &Locator<'_>) -> Result<DeadlineTable, ProfileError> {
        Ok(DeadlineTable {
            question_pauses_council_clock: self.question_pauses_council_clock,
            khieu_nai_lan_1: self.khieu_nai_lan_1.check(at, "khieu_nai_lan_1")?,
            khieu_nai_lan_2: self.khieu_nai_lan_2.check(at, "khieu_nai_lan_2")?,
            to_cao: self.to_cao.check(at, "to_cao")?,
            kien_nghi: self.kien_nghi.check(at, "kien_nghi")?,
            phan_anh: self.phan_anh.check(at, "phan_anh")?,
            y_kien: self.y_kien.check(at, "y_kien")?,
            kien_nghi_cu_tri: self.kien_nghi_cu_tri.check(at, "kien_nghi_cu_tri")?,
        })
    }
}

fn check_source(
    at: &Locator<'_>,
    key: &str,
    source: &Spanned<String>,
) -> Result<String, ProfileError> {
    let text = source.get_ref().trim();
    if text.is_empty() {
        return Err(at.spanned(
            &format!("{key}.source"),
            source,
            "name the law article, or write \"council policy\" (chính sách của Hội đồng)",
        ));
    }
    Ok(text.to_owned())
}

impl RawClock {
    fn check(&self, at: &Locator<'_>, key: &str) -> Result<ClockRule, ProfileError> {
        if *self.days.get_ref() == 0 {
            return Err(at.spanned(key, &self.days, "a deadline needs at least 1 day"));
        }
        Ok(ClockRule {
            days: *self.days.get_ref(),
            count: self.count,
            source: check_source(at, key, &self.source)?,
        })
    }

    fn check_single(&self, at: &Locator<'_>, key: &str) -> Result<ClockRule, ProfileError> {
        if let Some(from) = &self.from {
            return Err(at.spanned(
                &format!("{key}.from"),
                from,
                "`from` belongs in a list of dated versions: key = [{ …, from = \"YYYY-MM-DD\" }]",
            ));
        }
        self.check(at, key)
    }
}

impl RawDated {
    fn check(&self, at: &Locator<'_>, key: &str) -> Result<DatedRule, ProfileError> {
        let versions = match self {
            RawDated::One(clock) => return Ok(DatedRule::always(clock.check_single(at, key)?)),
            RawDated::Versions(list) => list,
        };
        let mut out = Vec::new();
        for clock in versions {
            let from = match &clock.from {
                Some(from) => Some(at.date(&format!("{key}.from"), from)?),
                None => None,
            };
            out.push((from, clock.check(at, key)?));
        }
        DatedRule::new(out).map_err(|message| {
            let offset = versions
                .iter()
                .find_map(|c| c.from.as_ref().map(|f| f.span().start))
                .unwrap_or_else(|| versions.first().map_or(0, |c| c.days.span().start));
            at.error(key, offset, message)
        })
    }
}

impl RawKindRule {
    fn check(&self, at: &Locator<'_>, kind: &str) -> Result<KindRule, ProfileError> {
        let key = format!("deadlines.{kind}");
        let dated =
            |raw: &Option<RawDated>, name: &str| -> Result<Option<DatedRule>, ProfileError> {
                raw.as_ref()
                    .map(|r| r.check(at, &format!("{key}.{name}")))
                    .transpose()
            };
        let single =
            |raw: &Option<RawClock>, name: &str| -> Result<Option<ClockRule>, ProfileError> {
                raw.as_ref()
                    .map(|r| r.check_single(at, &format!("{key}.{name}")))
                    .transpose()
            };
        let raw = &self.resolver;
        let resolver_key = format!("{key}.resolver");
        let source = check_source(at, &resolver_key, &raw.source)?;
        let resolver = if raw.next_regular_session {
            ResolverRule::NextRegularSession {
                start: raw.start,
                source,
            }
        } else {
            let days = raw
                .days
                .as_ref()
                .filter(|d| *d.get_ref() > 0)
                .ok_or_else(|| {
                    at.spanned(
                        &format!("{resolver_key}.days"),
                        &raw.source,
                        "give the number of days, or next_regular_session = true",
                    )
                })?;
            let days = *days.get_ref();
            ResolverRule::Days {
                start: raw.start,
                count: raw.count.unwrap_or(DayCount::Calendar),
                days,
                complex: raw.complex.unwrap_or(days),
                remote: raw.remote.unwrap_or(days),
                remote_complex: raw.remote_complex.or(raw.remote).unwrap_or(days),
                extension_days: raw.extension_days,
                max_extensions: raw.max_extensions,
                max_extensions_especially_complex: raw
                    .max_extensions_especially_complex
                    .unwrap_or(raw.max_extensions),
                source,
            }
        };
        Ok(KindRule {
            council: self.council.check(at, &format!("{key}.council"))?,
            council_competent: dated(&self.council_competent, "council_competent")?,
            council_regulation: dated(&self.council_regulation, "council_regulation")?,
            notify_acceptance: single(&self.notify_acceptance, "notify_acceptance")?,
            thu_ly: dated(&self.thu_ly, "thu_ly")?,
            resolver,
            relay: single(&self.relay, "relay")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::{CaseKind, ComplaintRound};

    #[test]
    fn the_demo_profile_loads() {
        let profile = CouncilProfile::demo();
        assert_eq!(profile.time_zone, chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(profile.case_code_prefix, "HB");
        assert_eq!(profile.level, CouncilLevel::Xa);
        assert!(profile.calendar.years().any(|y| y == 2026));
        assert!(!profile.areas.is_empty() && !profile.units.is_empty());
        // Tết 2026: Tuesday 17 February is a day off.
        assert!(
            !profile
                .calendar
                .is_working_day("2026-02-17".parse().unwrap())
                .unwrap()
        );
    }

    fn with(replace: &str, by: &str) -> Result<CouncilProfile, ProfileError> {
        assert!(
            DEMO_PROFILE.contains(replace),
            "the demo profile holds {replace}"
        );
        CouncilProfile::parse("council.toml", &DEMO_PROFILE.replacen(replace, by, 1))
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text[..text.find(needle).unwrap()].matches('\n').count() + 1
    }

    #[test]
    fn an_unknown_time_zone_names_file_key_and_line() {
        let err = with("\"Asia/Ho_Chi_Minh\"", "\"Asia/Saigon_City\"").unwrap_err();
        assert_eq!(err.file, "council.toml");
        assert_eq!(err.key, "council.time_zone");
        assert_eq!(err.line, line_of(DEMO_PROFILE, "Asia/Ho_Chi_Minh"));
        assert!(
            err.to_string()
                .starts_with(&format!("council.toml:{}: `council.time_zone`", err.line))
        );
    }

    #[test]
    fn an_impossible_holiday_names_its_line() {
        let err = with("\"2026-02-17\"", "\"2026-02-30\"").unwrap_err();
        assert_eq!(err.key, "calendar.2026.holidays");
        assert_eq!(err.line, line_of(DEMO_PROFILE, "2026-02-17"));
        assert!(err.message.contains("2026-02-30"));
    }

    #[test]
    fn a_holiday_outside_its_year_is_refused() {
        let err = with("\"2026-02-17\"", "\"2027-02-17\"").unwrap_err();
        assert_eq!(err.key, "calendar.2026.holidays");
    }

    #[test]
    fn a_wrong_type_names_the_key_and_line() {
        let line = "council = { days = 10, count = \"working\"";
        let err = with(line, "council = { days = \"ten\", count = \"working\"").unwrap_err();
        assert_eq!(err.line, line_of(DEMO_PROFILE, line));
        assert_eq!(err.key, "deadlines.khieu_nai_lan_1.council");
    }

    #[test]
    fn the_demo_profile_dates_the_complaint_thu_ly_rule_and_names_every_source() {
        let profile = CouncilProfile::demo();
        let rule = profile
            .deadlines
            .rule(CaseKind::KhieuNai, Some(ComplaintRound::First));
        let thu_ly = rule.thu_ly.as_ref().unwrap();
        let before = thu_ly.in_force("2026-06-30".parse().unwrap());
        let after = thu_ly.in_force("2026-07-01".parse().unwrap());
        assert_eq!((before.days, before.count), (10, DayCount::Calendar));
        assert_eq!((after.days, after.count), (7, DayCount::Working));
        assert!(before.source.contains("Điều 27"), "{}", before.source);
        for (kind, rule) in profile.deadlines.all() {
            assert!(!rule.resolver.source().is_empty(), "{kind}");
        }
        assert!(!profile.deadlines.question_pauses_council_clock);
        // The 2026 bridge days and worked Saturdays, as the Government announced them.
        let cal = &profile.calendar;
        for off in ["2026-01-02", "2026-08-31"] {
            assert!(!cal.is_working_day(off.parse().unwrap()).unwrap(), "{off}");
        }
        for worked in ["2026-01-10", "2026-08-22"] {
            assert!(
                cal.is_working_day(worked.parse().unwrap()).unwrap(),
                "{worked}"
            );
        }
        assert!(profile.provisional_years.contains(&2027));
    }

    #[test]
    fn a_clock_without_its_source_is_refused() {
        let line = "source = \"Luật Tố cáo 2018, Điều 24 khoản 2\"";
        let err = with(line, "source = \" \"").unwrap_err();
        assert_eq!(err.key, "deadlines.to_cao.council.source");
        assert_eq!(err.line, line_of(DEMO_PROFILE, line));
    }

    #[test]
    fn dated_versions_must_follow_one_another() {
        let err = with("from = \"2026-07-01\"", "from = \"2026-02-30\"").unwrap_err();
        assert!(err.message.contains("2026-02-30"), "{}", err.message);
        assert!(err.key.ends_with("thu_ly.from"), "{}", err.key);
    }

    #[test]
    fn the_operator_is_warned_when_next_years_calendar_is_missing() {
        let profile = CouncilProfile::demo();
        let warnings = profile.calendar_warnings("2027-03-01".parse().unwrap());
        assert!(warnings.iter().any(|w| w.contains("2028")), "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.contains("provisional")),
            "{warnings:?}"
        );
        let warnings = profile.calendar_warnings("2026-03-01".parse().unwrap());
        assert!(
            !warnings.iter().any(|w| w.contains("no working-day")),
            "{warnings:?}"
        );
    }

    /// The demo profile without its `[feedback]` section, which the demo states.
    fn without_feedback() -> String {
        let start = DEMO_PROFILE.find("[feedback]").expect("the demo states it");
        let end = DEMO_PROFILE[start..]
            .find("\n[")
            .map_or(DEMO_PROFILE.len(), |at| start + at + 1);
        format!("{}{}", &DEMO_PROFILE[..start], &DEMO_PROFILE[end..])
    }

    fn with_feedback(section: &str) -> Result<CouncilProfile, ProfileError> {
        CouncilProfile::parse(
            "council.toml",
            &format!("{}\n{section}", without_feedback()),
        )
    }

    #[test]
    fn reopen_within_days_defaults_to_30_when_feedback_is_absent() {
        let absent = CouncilProfile::parse("council.toml", &without_feedback()).unwrap();
        assert_eq!(absent.feedback.reopen_within_days, 30);
        let profile = CouncilProfile::demo();
        assert_eq!(profile.feedback.reopen_within_days, 30);
        let empty = with_feedback("[feedback]\n").unwrap();
        assert_eq!(empty.feedback.reopen_within_days, 30);
    }

    #[test]
    fn reopen_within_days_is_read_from_the_feedback_section() {
        let profile = with_feedback("[feedback]\nreopen_within_days = 15\n").unwrap();
        assert_eq!(profile.feedback.reopen_within_days, 15);
    }

    #[test]
    fn reopen_within_days_out_of_range_names_the_key_and_line() {
        for bad in ["0", "367"] {
            let section = format!("[feedback]\nreopen_within_days = {bad}\n");
            let text = format!("{}\n{section}", without_feedback());
            let err = with_feedback(&section).unwrap_err();
            assert_eq!(err.key, "feedback.reopen_within_days", "{bad}");
            assert_eq!(err.line, line_of(&text, "reopen_within_days"), "{bad}");
            assert!(err.message.contains("council policy"), "{}", err.message);
        }
    }

    #[test]
    fn reopen_within_days_of_the_wrong_type_or_an_unknown_feedback_key_is_refused() {
        let err = with_feedback("[feedback]\nreopen_within_days = \"a month\"\n").unwrap_err();
        assert!(err.key.contains("reopen_within_days"), "{}", err.key);
        let err = with_feedback("[feedback]\nreopen_days = 10\n").unwrap_err();
        assert!(err.message.contains("reopen_days"), "{}", err.message);
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let err = with("case_code_prefix", "case_prefix").unwrap_err();
        assert_eq!(err.line, line_of(DEMO_PROFILE, "case_code_prefix"));
        assert!(err.message.contains("case_prefix"), "{}", err.message);
    }
}
