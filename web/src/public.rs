//! The portal's formatting of the hub's public catalog, and the data every page's layout needs.
//!
//! What the public may see of a case is decided in the hub ([`hdnd_hub::catalog`]): its types
//! carry no personal data. This module only turns them into what the templates print: Vietnamese
//! labels, dates as dd/mm/yyyy, and the bucket as a style-sheet class.

use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::NaiveDate;
use hdnd_hub::catalog::{PublicCase, PublicCaseItem, PublicStep};
use hdnd_hub::domain::Language;
use serde::Serialize;
use serde_json::json;

use crate::state::AppState;

/// The data every page's layout needs.
pub(crate) fn base(state: &AppState, page_title: &str, nav: Option<&str>) -> serde_json::Value {
    let profile = state.hub.profile();
    json!({
        "page_title": page_title,
        "council": { "name": profile.name, "locality": profile.locality },
        "nav": { "home": nav == Some("home"), "cases": nav == Some("cases"),
                 "calendar": nav == Some("calendar"), "stats": nav == Some("stats"),
                 "about": nav == Some("about") },
        "code_example": format!("{}.20261126.0012", profile.case_code_prefix),
        "assets": { "css": crate::routes::assets::STYLESHEET.path() },
    })
}

/// A case as a list item prints it.
#[derive(Debug, Serialize)]
pub(crate) struct CaseItemView {
    code: String,
    title: String,
    kind: &'static str,
    area: Option<String>,
    received_on: String,
    status: &'static str,
    bucket: &'static str,
}

/// A case's page as the template prints it.
#[derive(Debug, Serialize)]
pub(crate) struct CaseView {
    #[serde(flatten)]
    item: CaseItemView,
    category: Option<String>,
    expected_by: Option<String>,
    expected_by_source: Option<String>,
    unit: Option<String>,
    summary: String,
    answer: Option<String>,
    published_on: String,
    timeline: Vec<StepView>,
}

/// One line of the public timeline as printed.
#[derive(Debug, Serialize)]
pub(crate) struct StepView {
    iso: String,
    date: String,
    label: String,
}

impl From<&PublicCaseItem> for CaseItemView {
    fn from(item: &PublicCaseItem) -> Self {
        Self {
            code: item.code.to_string(),
            title: item.title.clone(),
            kind: item.kind.label_vi(),
            area: item.area.clone(),
            received_on: vn_date(item.received_on),
            status: item.status.label_vi(),
            bucket: item.bucket.map_or("none", |b| b.as_str()),
        }
    }
}

impl From<&PublicCase> for CaseView {
    fn from(case: &PublicCase) -> Self {
        Self {
            item: CaseItemView::from(&case.item),
            category: case.category.clone(),
            expected_by: case.expected_by.map(vn_date),
            expected_by_source: case.expected_by_source.clone(),
            unit: case.unit.clone(),
            summary: case.summary.clone(),
            answer: case.answer.clone(),
            published_on: vn_date(case.published_on),
            timeline: case.timeline.iter().map(StepView::from).collect(),
        }
    }
}

impl From<&PublicStep> for StepView {
    fn from(step: &PublicStep) -> Self {
        Self {
            iso: step.at.to_rfc3339(),
            date: vn_date(step.at.date_naive()),
            label: step.label.clone(),
        }
    }
}

/// The link to the same page in the other language, as the templates print it
/// (`other.code`, `other.name`, the name in that language).
pub(crate) fn other_language(language: Language) -> serde_json::Value {
    let other = match language {
        Language::Vi => Language::En,
        Language::En => Language::Vi,
    };
    json!({ "code": other.as_str(), "name": other.label(other) })
}

/// `response`, a page behind a secret link: neither a shared cache nor a search engine keeps
/// it.
pub(crate) fn unlisted(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

/// 26/11/2026
pub(crate) fn vn_date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// Items as the list templates print them.
pub(crate) fn items(cases: &[PublicCaseItem]) -> Vec<CaseItemView> {
    cases.iter().map(CaseItemView::from).collect()
}
