//! The routes of the portal.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use hdnd_hub::inbound::TelegramWebhook;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::error::{WebError, error_pages};
use crate::metrics;
use crate::page_cache::{self, PageCache};
use crate::routes::{
    about, assets, calendar, cases, feeds, health, home, messages, open311, private, statistics,
    telegram, unsubscribe, withdraw,
};
use crate::state::AppState;

/// The whole portal, its public pages kept for a second ([`PageCache::default`]).
pub fn router(state: AppState) -> Router {
    router_with_cache(state, PageCache::default())
}

/// The whole portal, its public pages kept by `cache`. Paths are Vietnamese words without
/// diacritics; Telegram's webhook, when there is one, is at the path of its URL (POST only).
pub fn router_with_cache(state: AppState, cache: PageCache) -> Router {
    // The pages everyone sees alike; nothing behind a token is ever among them.
    let public = Router::new()
        .route("/", get(home::show))
        .route("/ho-so", get(cases::list))
        .route("/ho-so/{code}", get(cases::show))
        .route("/gioi-thieu", get(about::show))
        .route("/thong-ke", get(statistics::page))
        .route("/thong-ke.csv", get(statistics::csv))
        .route_layer(middleware::from_fn_with_state(cache, page_cache::cached));
    let mut router = Router::new().merge(public);
    if let Some(hook) = &state.telegram_webhook {
        router = router.route(
            hook.path(),
            post(telegram::receive)
                .layer(DefaultBodyLimit::max(TelegramWebhook::BODY_LIMIT))
                .with_state(hook.clone()),
        );
    }
    router
        .route("/tra-cuu", get(cases::lookup))
        .route(
            "/huy-nhan-tin/{token}",
            get(unsubscribe::confirm).post(unsubscribe::apply),
        )
        .route("/tin-noi-bo/{token}", get(messages::show))
        .route("/ho-so-rieng/{token}", get(private::show))
        .route(
            "/rut-ho-so/{token}",
            get(withdraw::confirm).post(withdraw::apply),
        )
        .route("/nguon/ho-so.atom", get(feeds::all))
        .route("/nguon/khu-vuc/{file}", get(feeds::area))
        .route("/nguon/linh-vuc/{file}", get(feeds::category))
        .route("/lich", get(calendar::page))
        .route("/lich.ics", get(calendar::public_feed))
        .route("/lich/rieng/{file}", get(calendar::staff_feed))
        .route("/healthz", get(health::live))
        .route("/metrics", get(metrics::show))
        .route("/readyz", get(health::ready))
        .route("/static/site.css", get(assets::stylesheet))
        .route(assets::STYLESHEET.path(), get(assets::stylesheet_forever))
        .merge(open311::routes())
        .fallback(|| async { WebError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), error_pages))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        .layer(middleware::map_response(security_headers))
        .layer(CompressionLayer::new().gzip(true))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The span of one request: the method and the route template (`/huy-nhan-tin/{token}`), never
/// the path, which may carry an access, unsubscribe or read token; a request that matched no route
/// is `fallback`.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("fallback", MatchedPath::as_str);
    tracing::debug_span!("request", method = %request.method(), route = %route)
}

/// Headers that cost nothing and close common holes: no sniffing, no framing, no script at all
/// (the portal has none), no plugins, forms only to the portal itself.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}
