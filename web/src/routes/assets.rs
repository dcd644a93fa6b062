//! The stylesheet, built in.

use axum::http::header;
use axum::response::IntoResponse;

const SITE_CSS: &str = include_str!("../../assets/site.css");

pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SITE_CSS,
    )
}
