//! The private link of a case, `/ho-so-rieng/{token}`, which its receipt carries: the sender's
//! own case as the hub lets them see it ([`hdnd_hub::private_view`]): what they wrote, where it
//! stands, the expected-by date, what the council told them and what they said back. Any other
//! token is the portal's 404, malformed or unknown alike.
//!
//! The page is in the sender's language (`?lang=vi` or `?lang=en` chooses another), is neither
//! cached nor indexed, sends no referrer, and its request span names the route, never the token.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use hdnd_hub::domain::{EventKind, Language};
use serde_json::json;

use crate::error::WebError;
use crate::public::{base, other_language, unlisted, vn_date};
use crate::state::AppState;

/// The page's words in one language.
struct Words {
    heading: &'static str,
    kind: &'static str,
    status: &'static str,
    received_on: &'static str,
    expected_by: &'static str,
    area: &'static str,
    category: &'static str,
    attachments: &'static str,
    content: &'static str,
    answer: &'static str,
    steps: &'static str,
    private_note: &'static str,
    home: &'static str,
}

const VI: Words = Words {
    heading: "Hồ sơ của ông/bà",
    kind: "Loại hồ sơ",
    status: "Tình trạng",
    received_on: "Ngày tiếp nhận",
    expected_by: "Dự kiến trả lời trước",
    area: "Địa bàn",
    category: "Lĩnh vực",
    attachments: "Tệp đính kèm",
    content: "Nội dung ông/bà gửi",
    answer: "Trả lời của Hội đồng",
    steps: "Quá trình xử lý",
    private_note: "Trang này chỉ mở được bằng đường dẫn riêng gửi kèm thông báo tiếp nhận; ai có đường dẫn đều xem được, xin đừng chia sẻ.",
    home: "← Về trang chủ",
};

const EN: Words = Words {
    heading: "Your case",
    kind: "Kind",
    status: "Status",
    received_on: "Received on",
    expected_by: "Answer expected by",
    area: "Area",
    category: "Category",
    attachments: "Attachments",
    content: "What you sent",
    answer: "The council's answer",
    steps: "Progress",
    private_note: "This page opens only with the private link sent with the receipt; anyone with the link can read it, so please do not share it.",
    home: "← Back to the home page",
};

/// `GET /ho-so-rieng/{token}`
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let case = state
        .hub
        .private_case(&token)
        .await?
        .ok_or(WebError::NotFound)?;
    let language = query
        .get("lang")
        .and_then(|l| l.parse().ok())
        .unwrap_or(case.language);
    let w = match language {
        Language::Vi => &VI,
        Language::En => &EN,
    };
    let steps: Vec<_> = case
        .steps
        .iter()
        .map(|step| {
            let label = match (step.kind, step.to) {
                (EventKind::StatusChanged, Some(to)) => to.label(language),
                (kind, _) => kind.label(language),
            };
            json!({
                "iso": step.at.to_rfc3339(),
                "date": vn_date(step.at.date_naive()),
                "label": label,
                "note": step.note.as_deref().map(|n| n.lines().collect::<Vec<_>>()),
            })
        })
        .collect();
    let heading = format!("{} {}", w.heading, case.code);
    let mut view = base(&state, &heading, None);
    view["lang"] = json!(language.as_str());
    view["w"] = json!({
        "heading": w.heading, "kind": w.kind, "status": w.status,
        "received_on": w.received_on, "expected_by": w.expected_by, "area": w.area,
        "category": w.category, "attachments": w.attachments, "content": w.content,
        "answer": w.answer, "steps": w.steps, "private_note": w.private_note, "home": w.home,
    });
    view["case"] = json!({
        "code": case.code.as_str(),
        "kind": case.kind.label(language),
        "status": case.status.label(language),
        "received_on": vn_date(case.received_on),
        "expected_by": case.expected_by.map(vn_date),
        "area": case.area,
        "category": case.category,
        "attachments": case.attachments,
        "content": case.content.lines().collect::<Vec<_>>(),
        "answer": case.answer.as_deref().map(|a| a.lines().collect::<Vec<_>>()),
        "steps": steps,
    });
    view["token"] = json!(token);
    view["other"] = other_language(language);
    let html = Html(state.views.render("case_private", &view)?);
    let mut response = unlisted(html.into_response());
    // The sender's own words: no linked site sees the link either.
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}
