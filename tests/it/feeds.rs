//! The Atom feeds of published cases, through the router without sockets: what they carry,
//! how hostile text comes out, and what they never carry.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hdnd_hub::Hub;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{Actor, AuditNote, Role, Status};
use hdnd_web::{AppState, Views};
use tower::ServiceExt;

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};

/// What a feed reader gets: status, headers and body.
pub(crate) struct Got {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

pub(crate) fn state(hub: Hub) -> AppState {
    AppState {
        hub,
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: Some("https://hdnd.hongbang.example/".to_owned()),
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    }
}

pub(crate) async fn get(state: &AppState, path: &str, etag: Option<&str>) -> Got {
    let mut request = Request::get(path);
    if let Some(tag) = etag {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    let response = hdnd_web::router(state.clone())
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 8 << 20)
        .await
        .unwrap();
    Got {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

const HOSTILE_TITLE: &str =
    "<script>alert(1)</script> Đèn ngõ 12 & ]]> <img src=x onerror=alert(2)> \u{202E}gpj.exe\u{1}";

fn long_word() -> String {
    "á".repeat(4_900)
}

async fn the_feeds_carry_published_cases_escaped_by_area_and_category(db: TestDb) {
    // Arrange: a published petition with a hostile title and summary, answered; a published
    // report in another area and category; an unpublished case; a denunciation.
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
    let lights = hub.submit_case(petition()).await.unwrap().case;
    hub.transition(lights.id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    let assign = TransitionRequest::to(Status::InProgress, me).with_assignee(clerk.id);
    hub.transition(lights.id, assign).await.unwrap();
    let answer = TransitionRequest::to(Status::Answered, me)
        .with_text("Đã thay bóng đèn <b>mới</b> & kiểm tra ]]> lại.");
    hub.transition(lights.id, answer).await.unwrap();
    let summary = format!("Đèn & cột <hỏng> {}\u{b}\u{1b}\u{202E}", long_word());
    hub.publish_case(lights.id, clerk.id, HOSTILE_TITLE, &summary)
        .await
        .unwrap();
    let mut report = petition();
    report.area = Some("minh-khai".to_owned());
    report.category = Some("moi-truong".to_owned());
    let waste = hub.submit_case(report).await.unwrap().case;
    hub.publish_case(
        waste.id,
        clerk.id,
        "Rác thải ở chợ Minh Khai",
        "Rác chưa thu gom.",
    )
    .await
    .unwrap();
    let unpublished = hub.submit_case(petition()).await.unwrap().case;
    let denunciation = hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;
    let state = state(hub);

    // Act
    let all = get(&state, "/nguon/ho-so.atom", None).await;
    let area = get(&state, "/nguon/khu-vuc/minh-khai.atom", None).await;
    let category = get(&state, "/nguon/linh-vuc/giao-thong.atom", None).await;

    // Assert
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(
        all.headers[header::CONTENT_TYPE],
        "application/atom+xml; charset=utf-8"
    );
    let xml = &all.body;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    assert!(xml.contains(&format!(
        "<id>https://hdnd.hongbang.example/ho-so/{}</id>",
        lights.code
    )));
    assert!(xml.contains("<id>https://hdnd.hongbang.example/nguon/ho-so.atom</id>"));
    assert!(xml.contains(
        "<title>&lt;script&gt;alert(1)&lt;/script&gt; Đèn ngõ 12 &amp; ]]&gt; \
         &lt;img src=x onerror=alert(2)&gt; gpj.exe</title>"
    ));
    for raw in [
        "<script>", "<img", "<b>", "]]>", "\u{202E}", "\u{b}", "\u{1b}", "\u{1}",
    ] {
        assert!(!xml.contains(raw), "the feed carries `{raw:?}` raw");
    }
    assert!(xml.contains(&long_word()), "a long word is kept whole");
    assert!(xml.contains(
        "<content type=\"text\">Đã thay bóng đèn &lt;b&gt;mới&lt;/b&gt; &amp; kiểm tra ]]&gt; lại.</content>"
    ));
    assert!(xml.contains("<category term=\"Đã giải quyết\""), "{xml}");
    assert_eq!(xml.matches("<entry>").count(), 2);
    for hidden in [&unpublished.code, &denunciation.code] {
        assert!(!xml.contains(hidden.as_str()), "{hidden} is in the feed");
    }
    for personal in ["Phạm Thị Hoa", "hoa.pham@example.org", "hỏng đã hai tuần"] {
        assert!(!xml.contains(personal), "the feed shows `{personal}`");
    }
    assert_eq!(area.status, StatusCode::OK);
    assert!(area.body.contains(waste.code.as_str()));
    assert!(!area.body.contains(lights.code.as_str()));
    assert!(area.body.contains("<title>Hồ sơ mới công khai — "));
    assert_eq!(category.status, StatusCode::OK);
    assert!(category.body.contains(lights.code.as_str()));
    assert!(!category.body.contains(waste.code.as_str()));
}

async fn unknown_areas_and_categories_get_404(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let state = state(hub);

    // Act / Assert
    for path in [
        "/nguon/khu-vuc/no-such-area.atom",
        "/nguon/linh-vuc/no-such-category.atom",
        "/nguon/khu-vuc/minh-khai",
        "/nguon/linh-vuc/giao-thong.rss",
        "/nguon/khu-vuc/%3Cscript%3E.atom",
    ] {
        let got = get(&state, path, None).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            got.body.contains("<html lang=\"vi\">"),
            "{path}: the portal's 404"
        );
    }
    let empty = get(&state, "/nguon/khu-vuc/ha-ly.atom", None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(!empty.body.contains("<entry>"));
    assert!(empty.body.contains("<updated>"), "RFC 4287 wants a date");
}

async fn a_reader_holding_the_feed_gets_304_until_it_changes(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let clerk = hub
        .store()
        .add_staff(staff("kim.vo", &[Role::Secretary]), &AuditNote::operator())
        .await
        .unwrap();
    let first = hub.submit_case(petition()).await.unwrap().case;
    hub.publish_case(first.id, clerk.id, "Đèn ngõ 12", "Đèn hỏng.")
        .await
        .unwrap();
    let state = state(hub.clone());
    let fetched = get(&state, "/nguon/ho-so.atom", None).await;
    let tag = fetched.headers[header::ETAG].to_str().unwrap().to_owned();

    // Act
    let again = get(&state, "/nguon/ho-so.atom", Some(&tag)).await;
    let second = hub.submit_case(petition()).await.unwrap().case;
    hub.publish_case(second.id, clerk.id, "Đèn ngõ 14", "Đèn hỏng.")
        .await
        .unwrap();
    let changed = get(&state, "/nguon/ho-so.atom", Some(&tag)).await;

    // Assert
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.body.contains("Đèn ngõ 14"));
}

async fn pages_point_browsers_at_the_feed(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let state = state(hub);

    // Act
    let home = get(&state, "/", None).await;
    let list = get(&state, "/ho-so", None).await;

    // Assert
    for page in [&home, &list] {
        assert!(page.body.contains(
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Hồ sơ mới công khai\" href=\"/nguon/ho-so.atom\">"
        ));
        assert!(
            page.body.contains("<a href=\"/lich\""),
            "the nav links the calendar"
        );
    }
}

contract_tests!(
    the_feeds_carry_published_cases_escaped_by_area_and_category,
    unknown_areas_and_categories_get_404,
    a_reader_holding_the_feed_gets_304_until_it_changes,
    pages_point_browsers_at_the_feed,
);
