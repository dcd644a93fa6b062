//! A short-lived cache of the public pages, and their ETags.
//!
//! The public pages (home, listings, a case's page) show only what the hub's catalog shows,
//! and the same to everyone, so a rendered page can be served again for a moment: a second is
//! what a reader never notices and what turns a burst of readers of one page (a link shared
//! in a Zalo group, a journalist's script) into one render. It is a "microcache" with a time
//! to live rather than invalidation because several hub instances may write one database;
//! a change made through any of them is on every page within the TTL.
//!
//! Every cached page carries a strong ETag of its bytes, so a browser's `If-None-Match` gets
//! a `304 Not Modified` without the body. Only `200` answers are kept; private pages (behind
//! a token) are never routed through here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// A page larger than this is served but not kept.
const MAX_PAGE_BYTES: usize = 1 << 20;

/// At most this many distinct pages (paths with their query strings) are kept; filters and
/// searches make many, so the oldest go first once it is full.
const MAX_PAGES: usize = 4_096;

/// The cache; cheap to clone (shared).
#[derive(Clone)]
pub struct PageCache {
    ttl: Duration,
    pages: Arc<Mutex<HashMap<String, Page>>>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys are paths with their query strings, which carry what people searched for.
        f.debug_struct("PageCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Page {
    at: Instant,
    etag: HeaderValue,
    headers: HeaderMap,
    body: Bytes,
}

impl PageCache {
    /// Pages kept for `ttl`; zero keeps none (every request renders), but ETags still apply.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            pages: Arc::default(),
        }
    }

    fn get(&self, key: &str) -> Option<Page> {
        let pages = self.lock();
        pages
            .get(key)
            .filter(|page| page.at.elapsed() < self.ttl)
            .cloned()
    }

    fn put(&self, key: String, page: Page) {
        if self.ttl.is_zero() {
            return;
        }
        let mut pages = self.lock();
        if pages.len() >= MAX_PAGES {
            let ttl = self.ttl;
            pages.retain(|_, page| page.at.elapsed() < ttl);
            if pages.len() >= MAX_PAGES {
                pages.clear();
            }
        }
        pages.insert(key, page);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Page>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for PageCache {
    /// One second.
    fn default() -> Self {
        Self::new(Duration::from_secs(1))
    }
}

/// The middleware: a fresh copy if there is one, else the handler's page, kept if it is a
/// `200`; either way with its ETag, and `304` when the browser already has it.
pub(crate) async fn cached(
    State(cache): State<PageCache>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let key = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let known = request.headers().get(header::IF_NONE_MATCH).cloned();
    let page = match cache.get(&key) {
        Some(page) => page,
        None => {
            let response = next.run(request).await;
            if response.status() != StatusCode::OK {
                return response;
            }
            let (parts, body) = response.into_parts();
            let Ok(body) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let page = Page {
                at: Instant::now(),
                etag: etag(&body),
                headers: parts.headers,
                body,
            };
            cache.put(key, page.clone());
            page
        }
    };
    respond(page, known.as_ref())
}

fn respond(page: Page, known: Option<&HeaderValue>) -> Response {
    let fresh = known.is_some_and(|known| matches_etag(known, &page.etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(page.body));
        *response.headers_mut() = page.headers;
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, page.etag);
    // Revalidate each time: the ETag makes that cheap, and the page may change any minute.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A strong ETag: the first 16 bytes of the page's SHA-256, in hex.
pub(crate) fn etag(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex is a valid header value")
}

/// `If-None-Match` holds this ETag (or `*`), weak or strong alike, as RFC 9110 asks of a GET.
pub(crate) fn matches_etag(known: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(known) = known.to_str() else {
        return false;
    };
    let etag = etag.to_str().unwrap_or_default();
    known
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_the_wildcard() {
        let tag = etag(b"trang");
        let text = tag.to_str().unwrap().to_owned();
        for header in [text.clone(), format!("\"x\", W/{text}"), "*".to_owned()] {
            assert!(
                matches_etag(&HeaderValue::from_str(&header).unwrap(), &tag),
                "{header}"
            );
        }
        assert!(!matches_etag(&HeaderValue::from_static("\"x\""), &tag));
    }

    #[test]
    fn a_full_cache_drops_stale_pages_first() {
        let cache = PageCache::new(Duration::from_secs(60));
        let page = Page {
            at: Instant::now(),
            etag: etag(b""),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        for i in 0..MAX_PAGES {
            cache.put(format!("/ho-so?tim={i}"), page.clone());
        }
        cache.put("/".to_owned(), page);
        assert!(cache.get("/").is_some());
        assert!(cache.lock().len() <= MAX_PAGES);
    }
}
