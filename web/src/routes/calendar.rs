//! The public calendar (lịch tiếp công dân, tiếp xúc cử tri and other public events) as a page
//! and as iCalendar, and each staff member's own calendar behind a secret URL.
//!
//! The public page and feed read only [`hdnd_hub::Hub::public_events`]; a staff member's feed
//! only [`hdnd_hub::Hub::staff_calendar`], which holds the events they attend and their own open
//! tasks. An unknown or replaced token gets the portal's 404; the feed itself is neither cached
//! nor indexed, and the request span names the route, never the token.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use hdnd_hub::storage::FeedEventRow;
use serde_json::json;

use crate::error::WebError;
use crate::ical::{Calendar, Event};
use crate::public::{base, unlisted, vn_date};
use crate::state::AppState;

/// How far back the calendar looks: the past month, for those who missed a meeting.
const PAST_DAYS: i64 = 31;
/// How far ahead it looks.
const AHEAD_DAYS: i64 = 366;

const ICS: &str = "text/calendar; charset=utf-8";

/// `/lich`: upcoming events by day, soonest first, then the past month's, latest first.
pub(crate) async fn page(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let now = state.hub.clock().now();
    let events = public_events(&state, now).await?;
    let (upcoming, past): (Vec<_>, Vec<_>) = events
        .iter()
        .partition(|e| e.ends_at.unwrap_or(e.starts_at) >= now);
    let mut past_days = days(&state, &past);
    past_days.reverse();
    let mut view = base(
        &state,
        "Lịch tiếp công dân, tiếp xúc cử tri",
        Some("calendar"),
    );
    view["upcoming"] = json!(days(&state, &upcoming));
    view["past"] = json!(past_days);
    view["past_days"] = json!(PAST_DAYS);
    Ok(Html(state.views.render("calendar", &view)?))
}

/// `/lich.ics`: the public events as iCalendar.
pub(crate) async fn public_feed(State(state): State<AppState>) -> Result<Response, WebError> {
    let now = state.hub.clock().now();
    let events = public_events(&state, now).await?;
    let profile = state.hub.profile();
    let name = format!("Lịch công khai · {}", profile.name);
    let mut calendar = Calendar::new(&name, &profile.time_zone.to_string(), &host(&state), now);
    for event in &events {
        calendar.event(&event_of(event));
    }
    // No ETag: DTSTAMP is the moment of writing (RFC 5545 §3.8.7.2), so no two bodies match.
    let mut response = calendar.finish().into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(ICS));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

/// `/lich/rieng/{token}.ics`: one staff member's events and open tasks.
pub(crate) async fn staff_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let token = file.strip_suffix(".ics").ok_or(WebError::NotFound)?;
    let now = state.hub.clock().now();
    let (from, to) = window(now);
    let mine = state
        .hub
        .staff_calendar(token, from, to)
        .await?
        .ok_or(WebError::NotFound)?;
    let profile = state.hub.profile();
    let name = format!("Lịch công tác · {}", profile.name);
    let mut calendar = Calendar::new(&name, &profile.time_zone.to_string(), &host(&state), now);
    for event in &mine.events {
        calendar.event(&event_of(event));
    }
    for task in &mine.tasks {
        calendar.todo(task.id, &task.title, task.due_on);
    }
    let mut response = calendar.finish().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ICS));
    Ok(unlisted(response))
}

async fn public_events(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<Vec<FeedEventRow>, WebError> {
    let (from, to) = window(now);
    Ok(state.hub.public_events(from, to).await?)
}

fn window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        now - Duration::days(PAST_DAYS),
        now + Duration::days(AHEAD_DAYS),
    )
}

fn event_of(event: &FeedEventRow) -> Event<'_> {
    Event {
        id: event.id,
        title: &event.title,
        category: event.kind.label_vi(),
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        place: event.place.as_deref(),
        public: event.public,
    }
}

/// The portal's host name, which makes the UIDs unique to this council.
fn host(state: &AppState) -> String {
    let url = state.base_url();
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    if host.is_empty() { "localhost" } else { host }.to_owned()
}

/// `events` grouped by their council-local day, in their order.
fn days(state: &AppState, events: &[&FeedEventRow]) -> Vec<serde_json::Value> {
    let profile = state.hub.profile();
    let mut by_day: BTreeMap<NaiveDate, Vec<serde_json::Value>> = BTreeMap::new();
    for event in events {
        let start = event.starts_at.with_timezone(&profile.time_zone);
        let end = event.ends_at.map(|e| e.with_timezone(&profile.time_zone));
        by_day.entry(start.date_naive()).or_default().push(json!({
            "start_iso": start.to_rfc3339(),
            "start": start.format("%H:%M").to_string(),
            "end_iso": end.map(|e| e.to_rfc3339()),
            // An event running past midnight shows its end day too.
            "end": end.map(|e| if e.date_naive() == start.date_naive() {
                e.format("%H:%M").to_string()
            } else {
                e.format("%H:%M %d/%m/%Y").to_string()
            }),
            "kind": event.kind.label_vi(),
            "kind_code": event.kind.as_str(),
            "title": event.title,
            "place": event.place,
        }));
    }
    by_day
        .into_iter()
        .map(|(day, events)| {
            json!({
                "iso": day.format("%Y-%m-%d").to_string(),
                "label": format!("{}, {}", weekday_vi(day.weekday()), vn_date(day)),
                "events": events,
            })
        })
        .collect()
}

fn weekday_vi(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ Nhật",
    }
}
