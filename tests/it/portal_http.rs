//! The portal's HTTP manners: ETags and `304`, the short-lived page cache, gzip, the security
//! headers, and the stylesheet at a path named by its hash.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use hdnd_hub::Hub;
use hdnd_hub::domain::{AuditNote, Role};
use hdnd_web::{AppState, PageCache, Views};
use tower::ServiceExt;

use crate::helpers::{TestDb, hub_on, petition, staff};

async fn get(
    app: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

async fn publish(hub: &Hub, title: &str) {
    let clerk = match hub.store().get_staff_by_login("an.bui").await {
        Ok(clerk) => clerk,
        Err(_) => hub
            .store()
            .add_staff(
                staff("an.bui", &[Role::Secretary, Role::Intake]),
                &AuditNote::operator(),
            )
            .await
            .unwrap(),
    };
    let case = hub.submit_case(petition()).await.unwrap().case;
    hub.publish_case(case.id, clerk.id, title, "Tóm tắt.")
        .await
        .unwrap();
}

async fn app(cache: PageCache) -> (Router, Hub, TestDb) {
    let db = TestDb::sqlite().await;
    let (hub, _clock) = hub_on(&db).await;
    publish(&hub, "Đèn ngõ 12").await;
    let state = AppState {
        hub: hub.clone(),
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };
    (hdnd_web::router_with_cache(state, cache), hub, db)
}

#[tokio::test]
async fn a_public_page_has_an_etag_and_answers_304_when_the_browser_has_it() {
    // Arrange
    let (app, _hub, _db) = app(PageCache::new(Duration::ZERO)).await;
    let (_, headers, body) = get(&app, "/ho-so", &[]).await;
    let etag = headers
        .get(header::ETAG)
        .expect("an ETag")
        .to_str()
        .unwrap()
        .to_owned();

    // Act
    let (again, again_headers, again_body) = get(&app, "/ho-so", &[("if-none-match", &etag)]).await;
    let (other, _, _) = get(&app, "/ho-so", &[("if-none-match", "\"khac\"")]).await;

    // Assert
    assert!(!body.is_empty());
    assert_eq!(again, StatusCode::NOT_MODIFIED);
    assert!(again_body.is_empty(), "no body with a 304");
    assert_eq!(again_headers.get(header::ETAG).unwrap(), etag.as_str());
    assert_eq!(other, StatusCode::OK);
}

#[tokio::test]
async fn a_page_is_served_again_within_its_time_to_live_and_renewed_after() {
    // Arrange
    let (app, hub, _db) = app(PageCache::new(Duration::from_millis(400))).await;
    let (_, _, before) = get(&app, "/ho-so", &[]).await;

    // Act
    publish(&hub, "Cây đổ ngõ 7").await;
    let (_, _, within) = get(&app, "/ho-so", &[]).await;
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (_, _, after) = get(&app, "/ho-so", &[]).await;

    // Assert
    assert_eq!(within, before, "the same page within the TTL");
    assert!(
        String::from_utf8(after).unwrap().contains("Cây đổ ngõ 7"),
        "renewed after it"
    );
}

#[tokio::test]
async fn errors_and_private_pages_are_never_cached() {
    let (app, _hub, _db) = app(PageCache::new(Duration::from_secs(60))).await;

    let (missing, headers, _) = get(&app, "/ho-so/HB.20991231.0001", &[]).await;
    let (private, private_headers, _) = get(&app, "/ho-so-rieng/khong-co", &[]).await;

    assert_eq!(missing, StatusCode::NOT_FOUND);
    assert!(headers.get(header::ETAG).is_none());
    assert_eq!(private, StatusCode::NOT_FOUND);
    assert!(private_headers.get(header::ETAG).is_none());
}

#[tokio::test]
async fn pages_are_gzipped_when_asked_and_carry_the_security_headers() {
    // Arrange
    let (app, _hub, _db) = app(PageCache::default()).await;

    // Act
    let (_, plain_headers, plain) = get(&app, "/ho-so", &[]).await;
    let (_, headers, zipped) = get(&app, "/ho-so", &[("accept-encoding", "gzip")]).await;

    // Assert
    assert_eq!(headers.get(header::CONTENT_ENCODING).unwrap(), "gzip");
    assert_eq!(&zipped[..2], [0x1f, 0x8b], "a gzip stream");
    assert!(
        zipped.len() * 2 < plain.len(),
        "{} of {}",
        zipped.len(),
        plain.len()
    );
    assert!(plain_headers.get(header::CONTENT_ENCODING).is_none());
    let csp = plain_headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    for directive in [
        "default-src 'self'",
        "script-src 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert_eq!(
        plain_headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
        "nosniff"
    );
    assert_eq!(
        plain_headers.get(header::REFERRER_POLICY).unwrap(),
        "same-origin"
    );
    let html = String::from_utf8(plain).unwrap();
    assert!(!html.contains("<script"), "the portal has no script");
}

#[tokio::test]
async fn the_stylesheet_is_linked_by_its_hash_and_kept_a_year() {
    // Arrange
    let (app, _hub, _db) = app(PageCache::default()).await;
    let (_, _, page) = get(&app, "/", &[]).await;
    let page = String::from_utf8(page).unwrap();
    let href = page
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();

    // Act
    let (status, headers, css) = get(&app, &href, &[]).await;
    let etag = headers
        .get(header::ETAG)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let (again, _, _) = get(&app, &href, &[("if-none-match", &etag)]).await;
    let (old, old_headers, old_css) = get(&app, "/static/site.css", &[]).await;

    // Assert
    assert!(
        href.starts_with("/static/site.") && href.ends_with(".css") && href.len() > 20,
        "{href}"
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CACHE_CONTROL).unwrap(),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "text/css; charset=utf-8"
    );
    assert_eq!(again, StatusCode::NOT_MODIFIED);
    assert_eq!(old, StatusCode::OK);
    assert_eq!(old_css, css);
    assert_eq!(
        old_headers.get(header::CACHE_CONTROL).unwrap(),
        "public, max-age=3600"
    );
}

#[tokio::test]
async fn the_about_page_prints_the_profiles_contact_points_and_coming_sessions() {
    // Arrange
    let (app, _hub, _db) = app(PageCache::default()).await;

    // Act
    let (status, headers, page) = get(&app, "/gioi-thieu", &[]).await;
    let page = String::from_utf8(page).unwrap();

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::ETAG).is_some(), "a public page");
    for text in [
        "Hội đồng nhân dân cấp xã",
        "Số 1 phố Minh Khai, phường Hồng Bàng, thành phố Hải Phòng",
        "<a href=\"tel:02250000000\">0225 0000 000</a>",
        "<a href=\"mailto:hdnd@hongbang.example\">hdnd@hongbang.example</a>",
        "Thứ Năm hằng tuần",
        "Khu vực Hoàng Văn Thụ",
        "aria-current=\"page\">Giới thiệu, liên hệ",
        "<time datetime=\"2026-12-09\">09/12/2026</time>: Kỳ họp thường lệ cuối năm 2026",
    ] {
        assert!(page.contains(text), "{text}: {page}");
    }
    assert!(
        !page.contains("giữa năm 2026"),
        "a past session is not coming"
    );
}

#[tokio::test]
async fn a_case_page_offers_the_telegram_deep_link_and_marks_an_overdue_case() {
    // Arrange: a published case whose council deadline passed; the portal knows the bot.
    let db = TestDb::sqlite().await;
    let (hub, clock) = hub_on(&db).await;
    publish(&hub, "Đèn ngõ 12").await;
    let code = hub.catalog().latest(1).await.unwrap()[0].code.clone();
    let before = AppState {
        hub: hub.clone(),
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: Some("hdnd_hongbang_bot".to_owned()),
        metrics: hdnd_web::MetricsAccess::Off,
    };
    let app = hdnd_web::router_with_cache(before.clone(), PageCache::new(Duration::ZERO));
    let (_, _, fresh) = get(&app, &format!("/ho-so/{code}"), &[]).await;

    // Act
    clock.advance(chrono::Duration::days(60));
    let (_, _, late) = get(&app, &format!("/ho-so/{code}"), &[]).await;
    let without_bot = hdnd_web::router_with_cache(
        AppState {
            telegram_bot: None,
            metrics: hdnd_web::MetricsAccess::Off,
            ..before
        },
        PageCache::new(Duration::ZERO),
    );
    let (_, _, plain) = get(&without_bot, &format!("/ho-so/{code}"), &[]).await;

    // Assert
    let (fresh, late, plain) = (
        String::from_utf8(fresh).unwrap(),
        String::from_utf8(late).unwrap(),
        String::from_utf8(plain).unwrap(),
    );
    let link = format!(
        "https://t.me/hdnd_hongbang_bot?start&#x3D;{}",
        code.follow_parameter()
    );
    assert!(fresh.contains(&link), "{fresh}");
    assert!(!fresh.contains("Quá hạn"));
    assert!(
        late.contains("<strong class=\"overdue\">Quá hạn</strong>"),
        "{late}"
    );
    assert!(
        plain.contains(&format!("<code>/follow {code}</code>")),
        "{plain}"
    );
}

#[tokio::test]
async fn metrics_are_off_by_default_and_open_to_the_bearer_of_the_token() {
    // Arrange: one page served, one case open and overdue, its notifications queued.
    let db = TestDb::sqlite().await;
    let (hub, clock) = hub_on(&db).await;
    let hub = crate::helpers::with_notifier(hub);
    publish(&hub, "Đèn ngõ 12").await;
    clock.advance(chrono::Duration::days(60));
    let state = |metrics| AppState {
        hub: hub.clone(),
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics,
    };
    let off = hdnd_web::router(state(hdnd_web::MetricsAccess::Off));
    let token = hdnd_web::router(state(hdnd_web::MetricsAccess::Token(
        "bi-mat-7q".to_owned(),
    )));
    get(&token, "/ho-so", &[]).await;

    // Act
    let (closed, _, _) = get(&off, "/metrics", &[]).await;
    let (refused, _, _) = get(&token, "/metrics", &[("authorization", "Bearer sai")]).await;
    let (status, headers, body) =
        get(&token, "/metrics", &[("authorization", "Bearer bi-mat-7q")]).await;

    // Assert
    assert_eq!(closed, StatusCode::NOT_FOUND);
    assert_eq!(refused, StatusCode::NOT_FOUND);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = String::from_utf8(body).unwrap();
    for line in [
        "# TYPE hdnd_http_requests_total counter",
        "hdnd_http_requests_total{route=\"/ho-so\",status=\"200\"}",
        "hdnd_cases_open 1\n",
        "hdnd_cases_overdue 1\n",
        "hdnd_outbox_messages{status=\"queued\",channel=\"email\"}",
        "# TYPE hdnd_delivery_latency_seconds histogram",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(!text.contains("hoa.pham@example.org"), "no address");
}
