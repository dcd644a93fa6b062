//! iCalendar documents (RFC 5545), written by hand like the Atom feeds.
//!
//! Lines end in CRLF and are folded at 75 octets, never inside a UTF-8 sequence (§3.1); TEXT
//! values escape `\ ; ,` and line breaks (§3.3.11), and drop control characters and
//! bidirectional overrides. Times are in UTC (`…Z`), which every client reads without a
//! VTIMEZONE; `X-WR-TIMEZONE` tells clients which zone to show them in.

use chrono::{DateTime, NaiveDate, Utc};

use crate::atom::is_spoofing;

/// The longest line, in octets, without its CRLF.
const LINE_OCTETS: usize = 75;

/// A calendar being written: its lines, unfolded until [`Calendar::finish`].
#[derive(Debug)]
pub(crate) struct Calendar {
    lines: Vec<String>,
    /// Where the UIDs are made unique (`event-7@<host>`).
    host: String,
    stamp: String,
}

/// One event, as a calendar shows it.
#[derive(Debug)]
pub(crate) struct Event<'a> {
    pub(crate) id: i64,
    pub(crate) title: &'a str,
    pub(crate) category: &'a str,
    pub(crate) starts_at: DateTime<Utc>,
    pub(crate) ends_at: Option<DateTime<Utc>>,
    pub(crate) place: Option<&'a str>,
    pub(crate) public: bool,
}

impl Calendar {
    /// A calendar called `name`, shown in `zone`, whose UIDs end in `@host`, stamped `now`.
    pub(crate) fn new(name: &str, zone: &str, host: &str, now: DateTime<Utc>) -> Self {
        let lines = vec![
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//hdnd//Lich HDND//VI".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            "METHOD:PUBLISH".to_owned(),
            format!("X-WR-CALNAME:{}", text(name)),
            format!("X-WR-TIMEZONE:{}", text(zone)),
        ];
        Self {
            lines,
            host: host.to_owned(),
            stamp: utc(now),
        }
    }

    /// Adds an event; its UID stays the same as long as the event does.
    pub(crate) fn event(&mut self, event: &Event<'_>) {
        self.lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:event-{}@{}", event.id, self.host),
            format!("DTSTAMP:{}", self.stamp),
            format!("DTSTART:{}", utc(event.starts_at)),
        ]);
        // Without an end the event is an instant, as RFC 5545 reads a missing DTEND.
        if let Some(end) = event.ends_at {
            self.lines.push(format!("DTEND:{}", utc(end)));
        }
        self.lines.push(format!("SUMMARY:{}", text(event.title)));
        if let Some(place) = event.place {
            self.lines.push(format!("LOCATION:{}", text(place)));
        }
        self.lines
            .push(format!("CATEGORIES:{}", text(event.category)));
        let class = if event.public { "PUBLIC" } else { "PRIVATE" };
        self.lines.push(format!("CLASS:{class}"));
        self.lines.push("END:VEVENT".to_owned());
    }

    /// Adds an open task due on `due` (a council-local day).
    pub(crate) fn todo(&mut self, id: i64, title: &str, due: NaiveDate) {
        self.lines.extend([
            "BEGIN:VTODO".to_owned(),
            format!("UID:task-{id}@{}", self.host),
            format!("DTSTAMP:{}", self.stamp),
            format!("DUE;VALUE=DATE:{}", due.format("%Y%m%d")),
            format!("SUMMARY:{}", text(title)),
            "STATUS:NEEDS-ACTION".to_owned(),
            "CLASS:PRIVATE".to_owned(),
            "END:VTODO".to_owned(),
        ]);
    }

    /// The document: every line folded, each ending in CRLF.
    pub(crate) fn finish(mut self) -> String {
        self.lines.push("END:VCALENDAR".to_owned());
        let mut out = String::new();
        for line in &self.lines {
            fold(line, &mut out);
        }
        out
    }
}

/// `2026-12-04T02:30:00Z` as `20261204T023000Z`.
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// `value` as a TEXT value.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() || is_spoofing(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` to `out` in pieces of at most 75 octets, each continuation starting with a
/// space (which counts), cut only between characters.
fn fold(line: &str, out: &mut String) {
    let mut room = LINE_OCTETS;
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > room {
            out.push_str("\r\n ");
            used = 0;
            room = LINE_OCTETS - 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_what_rfc_5545_names() {
        assert_eq!(text("a\\b;c,d\ne\r\u{202E}f"), "a\\\\b\\;c\\,d\\nef");
    }

    #[test]
    fn long_vietnamese_lines_fold_at_75_octets_on_character_boundaries() {
        let line = format!("SUMMARY:{}", "Tiếp xúc cử tri phường Hồng Bàng ".repeat(10));
        let mut out = String::new();
        fold(&line, &mut out);
        assert!(out.ends_with("\r\n"));
        let pieces: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(pieces.len() > 3);
        for piece in &pieces {
            assert!(
                piece.len() <= LINE_OCTETS,
                "{} octets: {piece}",
                piece.len()
            );
        }
        let unfolded: String = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| if i == 0 { *p } else { &p[1..] })
            .collect();
        assert_eq!(unfolded, line);
    }
}
