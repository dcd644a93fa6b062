//! What the public may see of a case, and nothing more.
//!
//! [`PublicCase`] is built from a case only if it is published and not a denunciation, and it
//! copies only the staff-written public title and excerpt, the official answer, and facts about
//! the handling. No name, contact, note or original content of the citizen is ever copied.

use chrono::{DateTime, NaiveDate, Utc};
use hdnd_hub::domain::{Bucket, Case, CaseKind, CouncilProfile, EventKind, TimelineEvent};
use serde::Serialize;
use serde_json::json;

use crate::state::AppState;

/// The data every page's layout needs.
pub(crate) fn base(state: &AppState, page_title: &str, nav: Option<&str>) -> serde_json::Value {
    let profile = state.hub.profile();
    json!({
        "page_title": page_title,
        "council": { "name": profile.name, "locality": profile.locality },
        "nav": { "home": nav == Some("home"), "cases": nav == Some("cases") },
        "code_example": format!("{}.20261126.0012", profile.case_code_prefix),
    })
}

/// A case as listed on the portal.
#[derive(Debug, Serialize)]
pub(crate) struct PublicCaseItem {
    code: String,
    title: String,
    kind: &'static str,
    area: Option<String>,
    received_on: String,
    status: &'static str,
    bucket: &'static str,
}

/// A published case's page.
#[derive(Debug, Serialize)]
pub(crate) struct PublicCase {
    #[serde(flatten)]
    item: PublicCaseItem,
    category: Option<String>,
    expected_by: Option<String>,
    unit: Option<String>,
    summary: String,
    answer: Option<String>,
    published_on: String,
    timeline: Vec<PublicStep>,
}

/// One line of the public timeline: a date and what happened, without who or why.
#[derive(Debug, Serialize)]
pub(crate) struct PublicStep {
    iso: String,
    date: String,
    label: String,
}

impl PublicCaseItem {
    /// `None` unless the case may be shown publicly.
    pub(crate) fn from_case(profile: &CouncilProfile, case: &Case) -> Option<Self> {
        if case.kind == CaseKind::ToCao {
            return None;
        }
        let publication = case.publication.as_ref()?;
        let status = case.progress.status;
        Some(Self {
            code: case.code.to_string(),
            title: publication.title.clone(),
            kind: case.kind.label_vi(),
            area: case
                .area
                .as_deref()
                .and_then(|a| profile.area(a))
                .map(|a| a.name.clone()),
            received_on: vn_date(case.received_on),
            status: status.label_vi(),
            bucket: match status.bucket() {
                Some(Bucket::Resolved) => "resolved",
                Some(Bucket::Explained) => "explained",
                Some(Bucket::InHand) => "in_hand",
                None => "none",
            },
        })
    }
}

impl PublicCase {
    /// `None` unless the case may be shown publicly.
    pub(crate) fn from_case(
        profile: &CouncilProfile,
        case: &Case,
        timeline: &[TimelineEvent],
    ) -> Option<Self> {
        let item = PublicCaseItem::from_case(profile, case)?;
        let publication = case.publication.as_ref()?;
        let progress = &case.progress;
        let expected = progress.statutory_due.or(progress.council_due);
        Some(Self {
            item,
            category: case
                .category
                .as_deref()
                .and_then(|c| profile.category(c))
                .map(|c| c.name.clone()),
            expected_by: expected.filter(|_| progress.status.is_open()).map(vn_date),
            unit: progress
                .forwarded_unit
                .as_deref()
                .and_then(|u| profile.unit(u))
                .map(|u| u.name.clone()),
            summary: publication.summary.clone(),
            answer: progress.answer.clone().filter(|_| {
                progress
                    .status
                    .bucket()
                    .is_some_and(|b| b != Bucket::InHand)
            }),
            published_on: vn_date(profile.local_date(publication.published_at)),
            timeline: timeline.iter().filter_map(|e| step(profile, e)).collect(),
        })
    }
}

fn step(profile: &CouncilProfile, event: &TimelineEvent) -> Option<PublicStep> {
    let label = match event.kind {
        EventKind::Created => "Tiếp nhận".to_owned(),
        EventKind::StatusChanged => event.to?.label_vi().to_owned(),
        EventKind::Reopened => format!("Mở lại: {}", event.to?.label_vi()),
        EventKind::DeadlineExtended => "Gia hạn thời hạn giải quyết".to_owned(),
        EventKind::Published => "Công khai trên cổng thông tin".to_owned(),
        EventKind::Unpublished => return None,
    };
    Some(PublicStep {
        iso: local(profile, event.at).to_rfc3339(),
        date: vn_date(profile.local_date(event.at)),
        label,
    })
}

fn local(profile: &CouncilProfile, at: DateTime<Utc>) -> DateTime<chrono_tz::Tz> {
    at.with_timezone(&profile.time_zone)
}

/// 26/11/2026
pub(crate) fn vn_date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}
