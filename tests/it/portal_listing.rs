//! The listing page over HTTP: its filter form, its search, its cursor links, and every filter
//! and the search given hostile values, which are refused in Vietnamese or shown escaped.

use axum::http::StatusCode;
use chrono::Duration;
use hdnd_hub::Hub;
use hdnd_hub::domain::{AuditNote, Role};
use hdnd_web::AppState;

use crate::helpers::{TestDb, hub_on, petition, staff};

async fn page(state: &AppState, path: &str) -> (StatusCode, String) {
    crate::helpers::portal_page(state, path).await
}

fn state(hub: Hub) -> AppState {
    crate::helpers::portal_state(hub)
}

/// A portal with `n` published cases titled "Kiến nghị sửa đường số i", received a minute
/// apart, and one with hostile text in its public title and excerpt.
async fn portal(n: usize) -> (AppState, TestDb) {
    let db = TestDb::sqlite().await;
    let (hub, clock) = hub_on(&db).await;
    let clerk = hub
        .store()
        .add_staff(
            staff("minh.do", &[Role::Secretary, Role::Intake]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    for i in 0..n {
        let case = hub.submit_case(petition()).await.unwrap().case;
        hub.publish_case(
            case.id,
            clerk.id,
            &format!("Kiến nghị sửa đường số {i}"),
            "Mặt đường hỏng.",
        )
        .await
        .unwrap();
        clock.advance(Duration::minutes(1));
    }
    let case = hub.submit_case(petition()).await.unwrap().case;
    hub.publish_case(
        case.id,
        clerk.id,
        "<script>alert(1)</script> Đèn \u{202e}ngõ <img src=x onerror=alert(2)>",
        &format!(
            "<a href=\"javascript:alert(3)\">bấm</a> {}",
            "ạ".repeat(3_000)
        ),
    )
    .await
    .unwrap();
    (state(hub), db)
}

#[tokio::test]
async fn the_listing_searches_without_diacritics_and_pages_with_a_cursor_keeping_the_filters() {
    // Arrange
    let (state, _db) = portal(25).await;

    // Act
    let (status, first) = page(&state, "/ho-so?tim=kien+nghi+duong&khu-vuc=hoang-van-thu").await;
    let next = first
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .map(|href| href.replace("&amp;", "&").replace("&#x3D;", "="))
        .find(|href| href.contains("sau="))
        .expect("a next-page link");
    let (next_status, second) = page(&state, &next).await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert!(first.contains("Tìm thấy 25 hồ sơ."), "{first}");
    assert!(first.contains("Kiến nghị sửa đường số 24"), "newest first");
    assert!(
        !first.contains("Kiến nghị sửa đường số 4<"),
        "beyond the first page"
    );
    assert!(
        first.contains("value=\"kien nghi duong\""),
        "the search is shown again"
    );
    assert!(
        first.contains("<option value=\"hoang-van-thu\" selected>"),
        "the chosen area is kept"
    );
    assert!(
        next.contains("tim=kien+nghi+duong") && next.contains("khu-vuc=hoang-van-thu"),
        "{next}"
    );
    assert_eq!(next_status, StatusCode::OK);
    assert!(second.contains("Kiến nghị sửa đường số 4<"), "{second}");
    assert!(second.contains("Kiến nghị sửa đường số 0<"));
    assert!(
        !second.contains("Kiến nghị sửa đường số 5<"),
        "no case twice"
    );
    assert!(second.contains("Về trang đầu"));
    assert!(!second.contains("Trang sau"), "the last page");
}

#[tokio::test]
async fn hostile_case_text_is_listed_escaped_and_harmless() {
    // Arrange
    let (state, _db) = portal(0).await;

    // Act
    let (status, html) = page(&state, "/ho-so?tim=script+alert").await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Tìm thấy 1 hồ sơ."), "{html}");
    assert!(
        html.contains("<bdi>&lt;script&gt;alert(1)&lt;/script&gt; Đèn \u{202e}ngõ"),
        "{html}"
    );
    assert!(
        html.contains("\u{202e}ngõ &lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;</bdi>"),
        "the reversal ends with the title"
    );
    assert!(
        !html.contains("<script>") && !html.contains("<img"),
        "nothing runs"
    );
    assert!(!html.contains("javascript:"), "no script link");
    assert!(
        html.contains("\u{202e}ngõ &lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;</bdi>"),
        "the reversal ends with the title"
    );
}

#[tokio::test]
async fn every_filter_refuses_hostile_values_in_vietnamese_and_echoes_them_escaped() {
    // Arrange
    let (state, _db) = portal(1).await;
    let long = "a".repeat(201);
    let refused = [
        ("tim", "%3Csvg%20onload%3Dalert(9)%3E%E2%80%AE", None),
        ("tim", "%21%21%21", Some("ít nhất một chữ")),
        ("tim", long.as_str(), Some("dài quá 200")),
        (
            "khu-vuc",
            "%3Cscript%3E",
            Some("Không có địa bàn “&lt;script&gt;”"),
        ),
        (
            "linh-vuc",
            "x%22onerror%3D%22alert(1)",
            Some("Không có lĩnh vực"),
        ),
        ("loai", "to_cao", Some("Không có loại hồ sơ công khai")),
        (
            "loai",
            "%27%20OR%201%3D1--",
            Some("Không có loại hồ sơ công khai"),
        ),
        ("tinh-trang", "resolved", Some("Không có tình trạng")),
        ("nam", "1e3", Some("Năm “1e3” không hợp lệ")),
        ("nam", "99999999999999999999", Some("không hợp lệ")),
        ("sau", "javascript:alert(1)", Some("không phải là mã hồ sơ")),
        ("sau", "HB.20991231.9999", None),
    ];

    for (key, value, message) in refused {
        // Act
        let path = format!("/ho-so?{key}={value}");
        let (status, html) = page(&state, &path).await;

        // Assert
        match message {
            // A search for hostile words is a search: it finds nothing and shows them escaped.
            None if key == "tim" => {
                assert_eq!(status, StatusCode::OK, "{path}");
                assert!(html.contains("Không có hồ sơ nào khớp"), "{path}");
                assert!(html.contains("&lt;svg onload&#x3D;alert(9)&gt;"), "{path}");
            }
            // A cursor that is no published case is no page.
            None => assert_eq!(status, StatusCode::NOT_FOUND, "{path}"),
            Some(message) => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
                assert!(html.contains(message), "{path}: {html}");
            }
        }
        assert!(html.contains("<html lang=\"vi\">"), "{path}");
        assert!(
            !html.contains("<script>") && !html.contains("\"onerror"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_empty_filter_is_no_filter_and_unknown_keys_are_ignored() {
    let (state, _db) = portal(2).await;

    let (status, html) = page(
        &state,
        "/ho-so?tim=&khu-vuc=&linh-vuc=&loai=&tinh-trang=&nam=&sau=&utm_source=x",
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<p role=\"status\">3 hồ sơ.</p>"), "{html}");
    assert!(!html.contains("Bỏ lọc"));
}
