//! The portal's router without sockets: what the public may and may not see.

use hdnd_hub::domain::AuditNote;
use std::sync::Arc;

use axum::http::StatusCode;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{Actor, Role, Status};
use hdnd_web::{AppState, Views};

use crate::helpers::{TestDb, as_citizen, hub_on, petition, staff};

async fn page(state: &AppState, path: &str) -> (StatusCode, String) {
    crate::helpers::portal_page(state, path).await
}

#[tokio::test]
async fn a_published_case_shows_its_public_copy_escaped_and_nothing_personal() {
    // Arrange: a case whose citizen wrote their name and a question, published by staff with a
    // title that carries markup.
    let db = TestDb::sqlite().await;
    let (hub, _clock) = hub_on(&db).await;
    let clerk = hub
        .store()
        .add_staff(
            staff("kim.vo", &[Role::Secretary, Role::Intake]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let me = Actor::Staff(clerk.id);
    let created = hub.submit_case(petition()).await.unwrap();
    let case = created.case;
    let ask = TransitionRequest::to(Status::NeedsInfo, me).with_text("Bà Hoa ở số nhà mấy?");
    hub.transition(case.id, ask).await.unwrap();
    as_citizen(
        &hub,
        &created.access_token,
        TransitionRequest::to(Status::Received, Actor::Citizen),
    )
    .await
    .unwrap();
    let forward = TransitionRequest::to(Status::Forwarded, me).with_unit("ubnd-phuong");
    hub.transition(case.id, forward).await.unwrap();
    hub.publish_case(
        case.id,
        clerk.id,
        "<script>alert(1)</script> Đèn ngõ 12",
        "Đèn & cột <b>hỏng</b>.",
    )
    .await
    .unwrap();
    let state = AppState {
        hub,
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };

    // Act
    let (status, html) = page(&state, &format!("/ho-so/{}", case.code)).await;
    let (_, list) = page(&state, "/ho-so").await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Đèn ngõ 12"));
    assert!(html.contains("Đèn &amp; cột &lt;b&gt;hỏng&lt;/b&gt;."));
    assert!(!html.contains("<script>") && !list.contains("<script>"));
    for personal in [
        "Phạm Thị Hoa",
        "hoa.pham@example.org",
        "Bà Hoa ở số nhà mấy?",
        "hỏng đã hai tuần",
    ] {
        assert!(!html.contains(personal), "the case page shows `{personal}`");
        assert!(!list.contains(personal), "the list shows `{personal}`");
    }
    assert!(
        html.contains("Cần bổ sung thông tin"),
        "the timeline shows the step, not the question"
    );
    assert!(
        !html.contains("Trả lời</h2>"),
        "an open case has no answer section"
    );
    // Forwarded on Thursday 26 November: the unit answers within 30 days, by Monday 28 December.
    assert!(
        html.contains("Dự kiến trả lời trước</dt><dd>28/12/2026"),
        "{html}"
    );
    // Shown with what it rests on: no law sets a forwarded petition's answer time.
    assert!(html.contains("(căn cứ: chính sách của Hội đồng)"), "{html}");
    assert!(html.contains("Ủy ban nhân dân phường Hồng Bàng"));
}

#[tokio::test]
async fn unknown_unpublished_and_malformed_codes_get_the_vietnamese_404() {
    let db = TestDb::sqlite().await;
    let (hub, _clock) = hub_on(&db).await;
    let unpublished = hub.submit_case(petition()).await.unwrap().case;
    let state = AppState {
        hub,
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };

    for path in [
        format!("/ho-so/{}", unpublished.code),
        "/ho-so/HB.20990101.0001".to_owned(),
        "/ho-so/..%2Fetc%2Fpasswd".to_owned(),
        "/ho-so/khong-phai-ma".to_owned(),
    ] {
        let (status, html) = page(&state, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            html.contains("<html lang=\"vi\">") && html.contains("Không tìm thấy trang"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let db = TestDb::sqlite().await;
    let (hub, _clock) = hub_on(&db).await;
    let state = AppState {
        hub,
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };
    assert_eq!(page(&state, "/readyz").await.0, StatusCode::OK);

    state.hub.store().close().await;

    let (status, body) = page(&state, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "database unreachable");
    assert_eq!(
        page(&state, "/healthz").await.0,
        StatusCode::OK,
        "liveness does not need the database"
    );
}

#[tokio::test]
async fn request_logs_name_the_route_template_and_never_a_token_in_the_path() {
    // Arrange
    let logs = crate::helpers::captured_logs();
    let db = TestDb::sqlite().await;
    let (hub, _clock) = hub_on(&db).await;
    let state = AppState {
        hub,
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };
    let token = "tokenCanaryQ7v3xYz0123456789abcdef";

    // Act: an unsubscribe link and a path no route knows, both carrying the token.
    page(&state, &format!("/huy-nhan-tin/{token}")).await;
    page(&state, &format!("/khong-co/{token}")).await;

    // Assert
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logged.contains("route=/huy-nhan-tin/{token}"),
        "the route template is logged"
    );
    assert!(logged.contains("route=fallback"));
    assert!(!logged.contains(token), "a request log carries the token");
}
