//! Published cases as Open311 service requests (`GET /requests`, `GET /requests/{id}`): the
//! query's rules (the 90-day window, the page) and what each request shows. The columns come
//! from the store's public-only query; the names, the deadline and the answer's rules are the
//! public catalog's.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::catalog::{expected_by, name};
use crate::domain::{CaseCode, Status};
use crate::storage::{Open311Filter, Open311Row};

use super::{MAX_DESCRIPTION_CHARS, Open311, Open311Error};

/// The widest window of `start_date`–`end_date`, and the default one (GeoReport v2).
pub const MAX_WINDOW: Duration = Duration::days(90);
/// The largest and default page (GeoReport v2's first 1,000 requests).
pub const MAX_PAGE_SIZE: i64 = 1000;

/// GeoReport v2's two states: open (reported) and closed (resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Open,
    Closed,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::Closed => "closed",
        }
    }

    fn of(status: Status) -> Self {
        if status.is_open() {
            RequestStatus::Open
        } else {
            RequestStatus::Closed
        }
    }
}

/// The parameters of `GET /requests` as the client sent them; an empty one is as if absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestQuery {
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
    /// The pagination extension: the page, from 1.
    pub page: Option<String>,
    pub page_size: Option<String>,
}

/// A published case as an Open311 request. It has no field for the citizen's name, contact or
/// text: the description is the staff-written public summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Request {
    pub service_request_id: CaseCode,
    pub status: RequestStatus,
    /// The case's state in Vietnamese.
    pub status_notes: String,
    /// The category's name and code, when the case has one.
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    pub description: String,
    /// The unit the case was forwarded to, else the council.
    pub agency_responsible: String,
    pub requested_datetime: DateTime<Tz>,
    /// The last step of the public timeline (the closing one, once closed).
    pub updated_datetime: DateTime<Tz>,
    /// The end of the day an answer is due, while the case is open.
    pub expected_datetime: Option<DateTime<Tz>>,
    /// The area's name.
    pub address: Option<String>,
}

impl Open311<'_> {
    /// The published cases the query selects, newest first.
    pub async fn requests(
        &self,
        query: &RequestQuery,
    ) -> Result<Vec<Open311Request>, Open311Error> {
        let filter = self.filter(query)?;
        let rows = self.hub.store().list_open311_cases(&filter).await?;
        Ok(rows.iter().map(|row| self.request(row)).collect())
    }

    /// The published case with this code; `NotFound` for an unknown code, an unpublished case
    /// and a denunciation alike.
    pub async fn request_by_id(&self, id: &str) -> Result<Open311Request, Open311Error> {
        let not_found = || {
            Open311Error::NotFound(format!(
                "không có yêu cầu công khai mã `{id}` (no public request has the id `{id}`)"
            ))
        };
        let code = CaseCode::parse(id).map_err(|_| not_found())?;
        let filter = Open311Filter {
            codes: vec![code],
            limit: 1,
            ..Open311Filter::default()
        };
        let rows = self.hub.store().list_open311_cases(&filter).await?;
        rows.first()
            .map(|row| self.request(row))
            .ok_or_else(not_found)
    }

    fn filter(&self, query: &RequestQuery) -> Result<Open311Filter, Open311Error> {
        let page = number(query.page.as_deref(), "page", 1, i64::MAX / MAX_PAGE_SIZE)?;
        let limit = number(query.page_size.as_deref(), "page_size", 1, MAX_PAGE_SIZE)?;
        let paged = |filter: Open311Filter| Open311Filter {
            limit: limit.unwrap_or(MAX_PAGE_SIZE),
            offset: (page.unwrap_or(1) - 1) * limit.unwrap_or(MAX_PAGE_SIZE),
            ..filter
        };
        if let Some(ids) = present(&query.service_request_id) {
            // A malformed id names no case: it matches nothing rather than failing the list.
            let codes = list(ids)
                .filter_map(|id| CaseCode::parse(id).ok())
                .collect();
            return Ok(paged(Open311Filter {
                codes,
                ..Open311Filter::default()
            }));
        }
        let zone = self.hub.profile().time_zone;
        let start = present(&query.start_date)
            .map(|d| datetime(d, "start_date", zone))
            .transpose()?;
        let end = present(&query.end_date)
            .map(|d| datetime(d, "end_date", zone))
            .transpose()?;
        let (from, until) = match (start, end) {
            (Some(from), Some(until)) => (from, until),
            (Some(from), None) => (from, from + MAX_WINDOW),
            (None, Some(until)) => (until - MAX_WINDOW, until),
            (None, None) => {
                let now = self.hub.clock().now();
                (now - MAX_WINDOW, now)
            }
        };
        if from > until {
            return Err(Open311Error::invalid(
                "start_date phải trước end_date (start_date must be before end_date)",
            ));
        }
        if until - from > MAX_WINDOW {
            return Err(Open311Error::invalid(
                "khoảng thời gian không được quá 90 ngày (the date range may not exceed 90 days)",
            ));
        }
        let mut statuses = Vec::new();
        for wanted in present(&query.status).map(list).into_iter().flatten() {
            let open = match wanted {
                "open" => true,
                "closed" => false,
                other => {
                    return Err(Open311Error::invalid(format!(
                        "status chỉ nhận open hoặc closed, không nhận `{other}` (status is open \
                         or closed)"
                    )));
                }
            };
            statuses.extend(Status::ALL.into_iter().filter(|s| s.is_open() == open));
        }
        Ok(paged(Open311Filter {
            categories: present(&query.service_code)
                .map(|codes| list(codes).map(str::to_owned).collect())
                .unwrap_or_default(),
            statuses,
            from: Some(from),
            until: Some(until),
            ..Open311Filter::default()
        }))
    }

    fn request(&self, row: &Open311Row) -> Open311Request {
        let profile = self.hub.profile();
        let zone = profile.time_zone;
        let case = &row.public;
        let end_of = |day: NaiveDate| {
            zone.from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(23, 59, 59)?))
                .earliest()
        };
        Open311Request {
            service_request_id: case.code.clone(),
            status: RequestStatus::of(case.status),
            status_notes: case.status.label_vi().to_owned(),
            service_name: name(case.category.as_deref(), |c| profile.category(c)),
            service_code: case
                .category
                .clone()
                .filter(|c| profile.category(c).is_some()),
            description: case
                .public_summary
                .chars()
                .take(MAX_DESCRIPTION_CHARS)
                .collect(),
            agency_responsible: name(case.forwarded_unit.as_deref(), |u| profile.unit(u))
                .unwrap_or_else(|| profile.name.clone()),
            requested_datetime: row.received_at.with_timezone(&zone),
            updated_datetime: row.updated_at.with_timezone(&zone),
            expected_datetime: expected_by(case).and_then(|(day, _)| end_of(day)),
            address: name(case.area.as_deref(), |a| profile.area(a)),
        }
    }
}

/// A parameter's value, `None` when it is absent or empty (GeoReport v2: the same thing).
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The items of a comma-separated list, trimmed, without empty ones.
fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|v| !v.is_empty())
}

fn number(
    value: Option<&str>,
    field: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, Open311Error> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match value.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(Open311Error::invalid(format!(
            "{field} phải là số nguyên từ {min} đến {max} ({field} must be a whole number from \
             {min} to {max})"
        ))),
    }
}

/// A W3C datetime (ISO 8601 with a time zone, seconds optional), or a bare day, read as its
/// council-local midnight.
fn datetime(value: &str, field: &str, zone: Tz) -> Result<DateTime<Utc>, Open311Error> {
    let parsed = DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::<FixedOffset>::parse_from_str(value, "%Y-%m-%dT%H:%M%:z"))
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
            let midnight = zone.from_local_datetime(&day.and_time(NaiveTime::MIN));
            midnight.earliest().map(|at| at.with_timezone(&Utc))
        });
    parsed.ok_or_else(|| {
        Open311Error::invalid(format!(
            "{field} phải là thời điểm theo W3C, ví dụ 2026-12-01T00:00:00+07:00 ({field} must \
             be a W3C datetime with a time zone)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

    #[test]
    fn w3c_datetimes_with_a_zone_or_a_bare_day_are_read() {
        let at = datetime("2026-12-01T08:15:30+07:00", "start_date", ZONE).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-01T01:15:30+00:00");
        let short = datetime("2026-12-01T08:15+07:00", "start_date", ZONE).unwrap();
        assert_eq!(short, at - Duration::seconds(30));
        let day = datetime("2026-12-01", "start_date", ZONE).unwrap();
        assert_eq!(day.to_rfc3339(), "2026-11-30T17:00:00+00:00");
        for bad in ["yesterday", "2026-12-01T08:15:30", "2026-13-01"] {
            assert!(datetime(bad, "start_date", ZONE).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_parameter_is_absent() {
        assert_eq!(present(&Some("  ".to_owned())), None);
        assert_eq!(present(&None), None);
        assert_eq!(number(Some(""), "page", 1, 9).unwrap(), None);
        assert!(number(Some("0"), "page", 1, 9).is_err());
        assert!(number(Some("x"), "page", 1, 9).is_err());
    }
}
