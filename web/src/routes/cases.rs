//! Published cases: the list, one case's page, and the lookup by code.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hdnd_hub::domain::{Bucket, CaseCode, CaseKind};
use serde_json::json;

use crate::error::WebError;
use crate::listing::{BUCKETS, Listing};
use crate::public::{CaseView, base, items};
use crate::state::AppState;

const PAGE_SIZE: i64 = 20;

/// A listing counts its matches up to here and says "more than" beyond.
const COUNT_CAP: i64 = 1_000;

/// `/ho-so?tim=…&khu-vuc=…&linh-vuc=…&loai=…&tinh-trang=…&nam=…&sau=CODE`: the published
/// cases, newest receipt first, filtered and searched, one page at a time after a cursor.
pub(crate) async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let profile = state.hub.profile();
    let Listing { filter, typed } = Listing::parse(&query, profile)?;
    let catalog = state.hub.catalog();
    let page = catalog.page(&filter, PAGE_SIZE).await?;
    if page.items.is_empty() && filter.after.is_some() {
        // A cursor past the end, or one that is no published case: no such page.
        return Err(WebError::NotFound);
    }
    let counted = catalog.count_upto(&filter, COUNT_CAP + 1).await?;
    let total = if counted > COUNT_CAP {
        "hơn 1.000".to_owned()
    } else {
        counted.to_string()
    };
    let years = catalog.years().await?;

    let mut view = base(&state, "Hồ sơ đã công khai", Some("cases"));
    view["total"] = json!(total);
    view["cases"] = json!(items(&page.items));
    view["filtered"] = json!(typed.any());
    view["typed"] = json!(typed);
    view["pages"] = json!({
        "first": filter.after.as_ref().map(|_| format!("/ho-so?{}", typed.query(None))),
        "next": page.next.as_ref().map(|code| format!("/ho-so?{}", typed.query(Some(code)))),
    });
    view["choices"] = json!({
        "areas": choices(profile.areas.iter().map(|a| (a.code.as_str(), a.name.as_str())), &typed.khu_vuc),
        "categories": choices(profile.categories.iter().map(|c| (c.code.as_str(), c.name.as_str())), &typed.linh_vuc),
        "kinds": choices(
            CaseKind::ALL.iter().filter(|k| **k != CaseKind::ToCao).map(|k| (k.as_str(), k.label_vi())),
            &typed.loai,
        ),
        "buckets": choices(
            BUCKETS.iter().map(|(name, bucket)| (*name, bucket_label(*bucket))),
            &typed.tinh_trang,
        ),
        "years": years.iter().map(|y| {
            let y = y.to_string();
            json!({ "value": y, "name": y, "selected": y == typed.nam })
        }).collect::<Vec<_>>(),
    });
    Ok(Html(state.views.render("cases", &view)?))
}

/// The options of one `<select>`, the chosen one marked.
fn choices<'a>(
    options: impl Iterator<Item = (&'a str, &'a str)>,
    chosen: &str,
) -> Vec<serde_json::Value> {
    options
        .map(|(value, name)| json!({ "value": value, "name": name, "selected": value == chosen }))
        .collect()
}

/// The bucket's name in the council's reports.
fn bucket_label(bucket: Bucket) -> &'static str {
    match bucket {
        Bucket::Resolved => "Đã giải quyết",
        Bucket::Explained => "Đã giải trình, thông tin",
        Bucket::InHand => "Đang giải quyết",
    }
}

/// `/ho-so/{code}`: a published case, or 404 for anything else (unknown, unpublished, tố cáo).
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Html<String>, WebError> {
    let code = CaseCode::parse(&code).map_err(|_| WebError::NotFound)?;
    let case = state
        .hub
        .catalog()
        .get(&code)
        .await?
        .ok_or(WebError::NotFound)?;
    let today = state.hub.profile().local_date(state.hub.clock().now());
    let mut view = base(&state, &format!("Hồ sơ {code}"), None);
    view["case"] = json!(CaseView::from(&case));
    view["overdue"] = json!(case.overdue_on(today));
    view["follow"] = json!({
        "telegram": state.telegram_bot.as_deref().map(|bot| {
            format!("https://t.me/{bot}?start={}", code.follow_parameter())
        }),
        "command": format!("/follow {code}"),
    });
    Ok(Html(state.views.render("case", &view)?))
}

/// `/tra-cuu?ma=CODE`: the lookup form's target.
pub(crate) async fn lookup(
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let typed = query.get("ma").map(|c| c.trim()).unwrap_or_default();
    if typed.is_empty() {
        return Err(WebError::BadRequest(
            "Hãy nhập mã hồ sơ cần tra cứu.".to_owned(),
        ));
    }
    let code = CaseCode::parse(typed).map_err(|_| {
        WebError::BadRequest(format!(
            "“{typed}” không phải là mã hồ sơ. Mã hồ sơ có dạng HB.20261126.0012."
        ))
    })?;
    Ok(Redirect::to(&format!("/ho-so/{code}")).into_response())
}
