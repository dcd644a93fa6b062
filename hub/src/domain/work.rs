//! Staff work: tasks, the calendar (lịch công tác), and quiet hours.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::case::{CaseId, clean_text, named_enum};
use super::staff::StaffId;
use crate::error::DomainError;

named_enum!(
    /// Where a task stands.
    TaskStatus, "task status" {
        Open => "open", "Đang thực hiện", "Open";
        Done => "done", "Đã xong", "Done";
        Cancelled => "cancelled", "Đã hủy", "Cancelled";
    }
);

named_enum!(
    /// What a calendar event is.
    CalendarKind, "event kind" {
        Meeting => "meeting", "Họp", "Meeting";
        /// lịch tiếp công dân
        Reception => "reception", "Tiếp công dân", "Citizen reception";
        /// tiếp xúc cử tri
        VoterMeeting => "voter_meeting", "Tiếp xúc cử tri", "Voters' meeting";
    }
);

/// A task to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub title: String,
    pub assignee: StaffId,
    /// A council-local date.
    pub due_on: NaiveDate,
    pub case_id: Option<CaseId>,
}

impl NewTask {
    pub fn validate(mut self) -> Result<Self, DomainError> {
        self.title = clean_text("title", &self.title, 300, true)?;
        Ok(self)
    }
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: i64,
    pub title: String,
    pub assignee: StaffId,
    pub due_on: NaiveDate,
    pub status: TaskStatus,
    pub case_id: Option<CaseId>,
}

/// A calendar event to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCalendarEvent {
    pub title: String,
    pub kind: CalendarKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub place: Option<String>,
    /// Shown on the public calendar.
    pub public: bool,
    pub attendees: Vec<StaffId>,
}

impl NewCalendarEvent {
    pub fn validate(mut self) -> Result<Self, DomainError> {
        self.title = clean_text("title", &self.title, 300, true)?;
        if let Some(place) = &self.place {
            self.place = Some(clean_text("place", place, 300, true)?);
        }
        if self.ends_at.is_some_and(|end| end <= self.starts_at) {
            return Err(DomainError::invalid(
                "ends_at",
                "an event must end after it starts",
            ));
        }
        self.attendees.sort();
        self.attendees.dedup();
        Ok(self)
    }
}

/// A stored calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    pub id: i64,
    pub title: String,
    pub kind: CalendarKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub place: Option<String>,
    pub public: bool,
    pub attendees: Vec<StaffId>,
}

/// Hours in the recipient's own time zone when notifications wait (never dropped), e.g.
/// `22:00-06:30`; the window may cross midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// When a notification due `at` may go out: `at` itself outside the window, else the end of
    /// the window, as a local time in `tz` (a daylight-saving gap moves it later, an ambiguous
    /// hour takes the first).
    pub fn defer(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = at.with_timezone(&tz);
        let time = local.time();
        let date = local.date_naive();
        let end_date = if self.start <= self.end {
            if time < self.start || time >= self.end {
                return at;
            }
            date
        } else if time >= self.start {
            date + Duration::days(1)
        } else if time < self.end {
            date
        } else {
            return at;
        };
        let mut wanted = end_date.and_time(self.end);
        // A local time that does not exist (the clocks jumped over it) moves on by the gap.
        for _ in 0..4 {
            if let Some(resolved) = tz.from_local_datetime(&wanted).earliest() {
                return resolved.with_timezone(&Utc);
            }
            wanted += Duration::minutes(30);
        }
        at
    }

    /// When the window holding `at` began, or `None` when `at` is outside it (a
    /// daylight-saving gap moves the start earlier, an ambiguous hour takes the first).
    pub fn began(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz);
        let time = local.time();
        let date = local.date_naive();
        let start_date = if self.start <= self.end {
            (time >= self.start && time < self.end).then_some(date)?
        } else if time >= self.start {
            date
        } else if time < self.end {
            date - Duration::days(1)
        } else {
            return None;
        };
        let mut wanted = start_date.and_time(self.start);
        for _ in 0..4 {
            if let Some(resolved) = tz.from_local_datetime(&wanted).earliest() {
                return Some(resolved.with_timezone(&Utc));
            }
            wanted -= Duration::minutes(30);
        }
        None
    }
}

impl FromStr for QuietHours {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DomainError::invalid("quiet_hours", format!("`{s}` is not like 22:00-06:30"));
        let (start, end) = s.trim().split_once('-').ok_or_else(bad)?;
        let parse = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let hours = QuietHours {
            start: parse(start)?,
            end: parse(end)?,
        };
        if hours.start == hours.end {
            return Err(bad());
        }
        Ok(hours)
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{Asia::Ho_Chi_Minh, Europe::Berlin};

    fn utc(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_start_of_the_window_holding_an_instant_is_found_across_midnight() {
        let quiet: QuietHours = "21:00-06:30".parse().unwrap();
        let evening = utc(Ho_Chi_Minh, 2026, 11, 26, 21, 0);
        assert_eq!(quiet.began(evening, Ho_Chi_Minh), Some(evening));
        let dawn = utc(Ho_Chi_Minh, 2026, 11, 27, 5, 0);
        assert_eq!(quiet.began(dawn, Ho_Chi_Minh), Some(evening));
        let day = utc(Ho_Chi_Minh, 2026, 11, 27, 6, 30);
        assert_eq!(quiet.began(day, Ho_Chi_Minh), None);
        let lunch: QuietHours = "12:00-13:30".parse().unwrap();
        let nap = utc(Ho_Chi_Minh, 2026, 11, 27, 13, 0);
        assert_eq!(
            lunch.began(nap, Ho_Chi_Minh),
            Some(utc(Ho_Chi_Minh, 2026, 11, 27, 12, 0))
        );
        assert_eq!(lunch.began(day, Ho_Chi_Minh), None);
    }

    #[test]
    fn quiet_hours_across_midnight_defer_to_the_morning() {
        let quiet: QuietHours = "22:00-06:30".parse().unwrap();
        let late = utc(Ho_Chi_Minh, 2026, 11, 26, 23, 15);
        assert_eq!(
            quiet.defer(late, Ho_Chi_Minh),
            utc(Ho_Chi_Minh, 2026, 11, 27, 6, 30)
        );
        let early = utc(Ho_Chi_Minh, 2026, 11, 27, 5, 0);
        assert_eq!(
            quiet.defer(early, Ho_Chi_Minh),
            utc(Ho_Chi_Minh, 2026, 11, 27, 6, 30)
        );
        let day = utc(Ho_Chi_Minh, 2026, 11, 27, 9, 0);
        assert_eq!(
            quiet.defer(day, Ho_Chi_Minh),
            day,
            "outside the window nothing waits"
        );
    }

    #[test]
    fn quiet_hours_follow_daylight_saving_time_in_berlin() {
        let quiet: QuietHours = "22:00-07:00".parse().unwrap();
        // The night the clocks go forward (29 March 2026, 02:00 → 03:00): 07:00 CEST is 05:00 UTC.
        let night = utc(Berlin, 2026, 3, 28, 23, 0);
        let morning = quiet.defer(night, Berlin);
        assert_eq!(morning, Utc.with_ymd_and_hms(2026, 3, 29, 5, 0, 0).unwrap());
        // The night they go back (25 October 2026): 07:00 CET is 06:00 UTC.
        let night = utc(Berlin, 2026, 10, 24, 23, 0);
        assert_eq!(
            quiet.defer(night, Berlin),
            Utc.with_ymd_and_hms(2026, 10, 25, 6, 0, 0).unwrap()
        );
        // A window ending inside the spring gap (02:30 does not exist) ends at 03:00 CEST.
        let gap: QuietHours = "01:00-02:30".parse().unwrap();
        let at = utc(Berlin, 2026, 3, 29, 1, 30);
        assert_eq!(
            gap.defer(at, Berlin),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()
        );
    }

    #[test]
    fn quiet_hours_parse_and_refuse_nonsense() {
        assert_eq!(
            "22:00-06:30".parse::<QuietHours>().unwrap().to_string(),
            "22:00-06:30"
        );
        for bad in ["", "22-6", "22:00", "25:00-06:00", "08:00-08:00"] {
            assert!(bad.parse::<QuietHours>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_event_must_end_after_it_starts() {
        let at = utc(Ho_Chi_Minh, 2026, 11, 27, 9, 0);
        let event = NewCalendarEvent {
            title: "Họp giao ban".to_owned(),
            kind: CalendarKind::Meeting,
            starts_at: at,
            ends_at: Some(at),
            place: None,
            public: false,
            attendees: vec![StaffId(2), StaffId(1), StaffId(2)],
        };
        assert!(event.clone().validate().is_err());
        let fine = NewCalendarEvent {
            ends_at: None,
            ..event
        }
        .validate()
        .unwrap();
        assert_eq!(fine.attendees, vec![StaffId(1), StaffId(2)]);
    }
}
