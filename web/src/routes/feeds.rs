//! Atom feeds of the published cases: all of them, per area and per category.
//!
//! Built only from the hub's public catalog, newest publication first. The answer is the
//! entry's content once the catalog shows it. A body's hash is its `ETag`, so a reader that
//! polls gets `304 Not Modified` until something in the feed changed, an answer included.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hdnd_hub::catalog::{PublicCase, PublicFilter, PublicOrder};

use crate::atom::{Entry, Feed};
use crate::error::WebError;
use crate::state::AppState;

/// How many cases a feed carries.
const ENTRIES: i64 = 50;

/// `/nguon/ho-so.atom`
pub(crate) async fn all(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let title = "Hồ sơ mới công khai".to_owned();
    feed(
        &state,
        &headers,
        "/nguon/ho-so.atom",
        title,
        PublicFilter::default(),
    )
    .await
}

/// `/nguon/khu-vuc/{area}.atom`: 404 for a code the council profile does not know.
pub(crate) async fn area(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let code = file.strip_suffix(".atom").ok_or(WebError::NotFound)?;
    let area = state.hub.profile().area(code).ok_or(WebError::NotFound)?;
    let title = format!("Hồ sơ mới công khai — {}", area.name);
    let filter = PublicFilter {
        area: Some(area.code.clone()),
        ..PublicFilter::default()
    };
    let path = format!("/nguon/khu-vuc/{}.atom", area.code);
    feed(&state, &headers, &path, title, filter).await
}

/// `/nguon/linh-vuc/{category}.atom`: 404 for a code the council profile does not know.
pub(crate) async fn category(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let code = file.strip_suffix(".atom").ok_or(WebError::NotFound)?;
    let category = state
        .hub
        .profile()
        .category(code)
        .ok_or(WebError::NotFound)?;
    let title = format!("Hồ sơ mới công khai — {}", category.name);
    let filter = PublicFilter {
        category: Some(category.code.clone()),
        ..PublicFilter::default()
    };
    let path = format!("/nguon/linh-vuc/{}.atom", category.code);
    feed(&state, &headers, &path, title, filter).await
}

async fn feed(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    title: String,
    filter: PublicFilter,
) -> Result<Response, WebError> {
    let filter = PublicFilter {
        order: PublicOrder::Published,
        limit: ENTRIES,
        ..filter
    };
    let cases = state.hub.catalog().list_cases(&filter).await?;
    let base = state.base_url();
    let council = &state.hub.profile().name;
    let feed = Feed {
        self_url: format!("{base}{path}"),
        html_url: format!("{base}/ho-so"),
        title: format!("{title} · {council}"),
        author: council.clone(),
        // An empty feed is as new as the moment it is asked for; RFC 4287 needs a date.
        updated: cases
            .iter()
            .map(|c| c.item.published_at)
            .max()
            .unwrap_or_else(|| state.hub.clock().now()),
        entries: cases.iter().map(|case| entry(base, case)).collect(),
    };
    let body = feed.render();
    Ok(cached(
        headers,
        "application/atom+xml; charset=utf-8",
        "public, max-age=300",
        body,
    ))
}

fn entry(base: &str, case: &PublicCase) -> Entry {
    let item = &case.item;
    let categories = [
        Some(item.kind.label_vi().to_owned()),
        item.area.clone(),
        case.category.clone(),
        Some(item.status.label_vi().to_owned()),
    ];
    Entry {
        url: format!("{base}/ho-so/{}", item.code),
        title: item.title.clone(),
        published: item.published_at,
        updated: item.published_at,
        summary: case.summary.clone(),
        content: case.answer.clone(),
        categories: categories.into_iter().flatten().collect(),
    }
}

/// `body` with its type, cache policy and an `ETag` of its bytes; `304` when the reader has it.
fn cached(
    headers: &HeaderMap,
    content_type: &'static str,
    cache: &'static str,
    body: String,
) -> Response {
    let tag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|held| held.split(',').any(|t| t.trim() == tag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        out.insert(header::ETAG, tag);
    }
    response
}

/// FNV-1a, 64 bits: enough to tell one version of a feed from the next, not a defence.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
