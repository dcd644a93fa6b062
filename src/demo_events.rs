//! The demo calendar: the events of `config/demo_events.toml` (built into the binary), dated
//! from the day of seeding, added through the hub's services like the rest of the demo.

use anyhow::Context;
use chrono::{Duration, NaiveTime, TimeZone, Utc};
use hdnd_hub::Hub;
use hdnd_hub::access::Caller;
use hdnd_hub::domain::NewCalendarEvent;
use serde::Deserialize;

const FIXTURE: &str = include_str!("../config/demo_events.toml");

/// How far around today an existing event's title counts as the demo's own.
const HORIZON_DAYS: i64 = 400;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    events: Vec<DemoEvent>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoEvent {
    title: String,
    kind: String,
    in_days: i64,
    start: String,
    end: String,
    place: String,
    public: bool,
    attendees: Vec<String>,
}

/// Adds the demo events whose title is not in the calendar yet; how many it added.
pub(crate) async fn seed(hub: &Hub) -> anyhow::Result<usize> {
    let fixture: Fixture = toml::from_str(FIXTURE).context("config/demo_events.toml")?;
    let tz = hub.profile().time_zone;
    let now = hub.clock().now();
    let known = hub
        .calendar(
            Caller::Operator,
            now - Duration::days(HORIZON_DAYS),
            now + Duration::days(HORIZON_DAYS),
        )
        .await?;
    let today = hub.profile().local_date(now);
    let mut added = 0;
    for event in &fixture.events {
        if known.iter().any(|k| k.title == event.title) {
            continue;
        }
        let day = today + Duration::days(event.in_days);
        let at = |time: &str| -> anyhow::Result<chrono::DateTime<Utc>> {
            let time = NaiveTime::parse_from_str(time, "%H:%M")
                .with_context(|| format!("demo event `{}`: `{time}`", event.title))?;
            let local = tz
                .from_local_datetime(&day.and_time(time))
                .earliest()
                .with_context(|| format!("demo event `{}`: no such time", event.title))?;
            Ok(local.with_timezone(&Utc))
        };
        let mut attendees = Vec::new();
        for login in &event.attendees {
            attendees.push(hub.staff_by_login(Caller::Operator, login).await?.id);
        }
        let new = NewCalendarEvent {
            title: event.title.clone(),
            kind: event.kind.parse()?,
            starts_at: at(&event.start)?,
            ends_at: Some(at(&event.end)?),
            place: Some(event.place.clone()),
            public: event.public,
            attendees,
        };
        hub.add_calendar_event(Caller::Operator, new).await?;
        added += 1;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_calendar_parses_and_has_public_events_with_attendees() {
        let fixture: Fixture = toml::from_str(FIXTURE).unwrap();
        assert!(
            fixture
                .events
                .iter()
                .any(|e| e.public && !e.attendees.is_empty())
        );
        assert!(fixture.events.iter().any(|e| !e.public));
        for event in &fixture.events {
            event
                .kind
                .parse::<hdnd_hub::domain::CalendarKind>()
                .unwrap();
        }
    }
}
