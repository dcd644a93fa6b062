//! The stylesheet, built in, at a path named by its hash so that browsers keep it for a year
//! and fetch the new one the day it changes; the old unhashed path stays for pages cached
//! before.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::page_cache::{etag, matches_etag};

const SITE_CSS: &str = include_str!("../../assets/site.css");

/// A built-in file and the hashed path it is served at.
#[derive(Debug)]
pub(crate) struct Asset {
    path: String,
    etag: HeaderValue,
}

impl Asset {
    /// `/static/site.<hash>.css`
    pub(crate) fn path(&self) -> &str {
        &self.path
    }
}

pub(crate) static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    let etag = etag(SITE_CSS.as_bytes());
    let hash = etag.to_str().unwrap_or_default().trim_matches('"');
    Asset {
        path: format!("/static/site.{}.css", &hash[..12]),
        etag,
    }
});

/// `/static/site.css`, for pages rendered before the hashed path: kept an hour.
pub(crate) async fn stylesheet(headers: HeaderMap) -> Response {
    css(&headers, "public, max-age=3600")
}

/// `/static/site.<hash>.css`: its content never changes, so it is kept a year.
pub(crate) async fn stylesheet_forever(headers: HeaderMap) -> Response {
    css(&headers, "public, max-age=31536000, immutable")
}

fn css(headers: &HeaderMap, cache: &'static str) -> Response {
    let etag = STYLESHEET.etag.clone();
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|known| matches_etag(known, &etag))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), cache]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (header::ETAG, etag),
            cache,
        ],
        SITE_CSS,
    )
        .into_response()
}
