//! Published cases: the list, one case's page, and the lookup by code.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hdnd_hub::catalog::PublicFilter;
use hdnd_hub::domain::CaseCode;
use serde_json::json;

use crate::error::WebError;
use crate::public::{CaseView, base, items};
use crate::state::AppState;

const PAGE_SIZE: i64 = 20;

/// `/ho-so?trang=N`
pub(crate) async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let page = match query.get("trang").map(|p| p.trim()) {
        None | Some("") => 1,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                WebError::BadRequest(format!(
                    "Số trang “{text}” không hợp lệ: hãy dùng một số từ 1 trở lên."
                ))
            })?,
    };
    let catalog = state.hub.catalog();
    let total = catalog.count(&PublicFilter::default()).await?;
    let last = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    if page > last {
        return Err(WebError::NotFound);
    }
    let filter = PublicFilter {
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        ..PublicFilter::default()
    };
    let cases = items(&catalog.list(&filter).await?);
    let mut view = base(&state, "Hồ sơ đã công khai", Some("cases"));
    view["total"] = json!(total);
    view["cases"] = json!(cases);
    view["pages"] = json!({
        "many": last > 1,
        "current": page,
        "last": last,
        "previous": if page > 1 { Some(page - 1) } else { None },
        "next": if page < last { Some(page + 1) } else { None },
    });
    Ok(Html(state.views.render("cases", &view)?))
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
    let mut view = base(&state, &format!("Hồ sơ {code}"), None);
    view["case"] = json!(CaseView::from(&case));
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
