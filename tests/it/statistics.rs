//! The public statistics, on both databases and over HTTP: the figures of a small set of cases
//! are right, a denunciation is never counted, and the page and the CSV print names escaped
//! (in HTML) and quoted, never as formulas (in CSV).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, NaiveDate};
use hdnd_hub::catalog::StatisticLine;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{Actor, AuditNote, CouncilProfile, Role, Status};
use hdnd_hub::{Clock, Hub};
use hdnd_web::AppState;
use tower::ServiceExt;

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};

contract_tests!(the_statistics_count_every_case_but_denunciations_with_on_time_rates_and_medians,);

/// Three petitions received on 26/11/2026 in Hoàng Văn Thụ and one denunciation: one
/// forwarded to the ward's committee and explained two days later (on time), one forwarded
/// and answered 400 days later (late), one still open (overdue by then), and the denunciation
/// open too. Returns the day 400 days after receipt, when the figures are taken.
async fn four_cases(hub: &Hub, clock: &hdnd_hub::ManualClock) -> NaiveDate {
    let clerk = hub
        .store()
        .add_staff(
            staff("ha.nguyen", &[Role::Secretary, Role::Intake]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let me = Actor::Staff(clerk.id);
    let quick = hub.submit_case(petition()).await.unwrap().case;
    let slow = hub.submit_case(petition()).await.unwrap().case;
    let _open = hub.submit_case(petition()).await.unwrap().case;
    let _denunciation = hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;
    for case in [&quick, &slow] {
        let forward = TransitionRequest::to(Status::Forwarded, me).with_unit("ubnd-phuong");
        hub.transition(case.id, forward).await.unwrap();
        let assign = TransitionRequest::to(Status::InProgress, me).with_assignee(clerk.id);
        hub.transition(case.id, assign).await.unwrap();
    }
    clock.advance(Duration::days(2));
    let explain = TransitionRequest::to(Status::Explained, me).with_text("Đã giải trình.");
    hub.transition(quick.id, explain).await.unwrap();
    clock.advance(Duration::days(398));
    let answer = TransitionRequest::to(Status::Answered, me).with_text("Đã sửa đèn.");
    hub.transition(slow.id, answer).await.unwrap();
    hub.profile().local_date(clock.now())
}

fn figures(line: &StatisticLine) -> (i64, i64, Option<f64>, Option<f64>, i64) {
    (
        line.cases,
        line.closed,
        line.on_time_percent(),
        line.median_days,
        line.overdue,
    )
}

async fn the_statistics_count_every_case_but_denunciations_with_on_time_rates_and_medians(
    db: TestDb,
) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let today = four_cases(&hub, &clock).await;

    // Act
    let stats = hub.catalog().statistics(today).await.unwrap();

    // Assert: three cases, the denunciation in no figure; 2 and 400 days, one on time.
    assert_eq!(stats.today, NaiveDate::from_ymd_opt(2027, 12, 31).unwrap());
    assert_eq!(figures(&stats.total), (3, 2, Some(50.0), Some(201.0), 1));
    assert_eq!(
        (
            stats.buckets.resolved,
            stats.buckets.explained,
            stats.buckets.in_hand
        ),
        (1, 1, 1)
    );
    let buckets: Vec<_> = stats
        .by_bucket
        .iter()
        .map(|l| (l.name.as_str(), l.cases))
        .collect();
    assert_eq!(
        buckets,
        [
            ("Đã giải quyết", 1),
            ("Đã giải trình, thông tin", 1),
            ("Đang giải quyết", 1)
        ]
    );
    assert_eq!(stats.by_kind.len(), 1, "{:?}", stats.by_kind);
    assert_eq!(stats.by_kind[0].name, "Kiến nghị");
    assert_eq!(
        figures(&stats.by_kind[0]),
        (3, 2, Some(50.0), Some(201.0), 1)
    );
    assert_eq!(stats.by_unit.len(), 1);
    assert_eq!(stats.by_unit[0].name, "Ủy ban nhân dân phường Hồng Bàng");
    assert_eq!(
        figures(&stats.by_unit[0]),
        (2, 2, Some(50.0), Some(201.0), 0)
    );
    let area = hub.profile().area("hoang-van-thu").unwrap().name.clone();
    let areas: Vec<_> = stats
        .by_area
        .iter()
        .map(|l| (l.name.clone(), l.cases))
        .collect();
    assert_eq!(areas, [(area, 3)]);
    let years: Vec<_> = stats
        .by_year
        .iter()
        .map(|l| (l.name.as_str(), l.cases))
        .collect();
    assert_eq!(years, [("2026", 3)]);
    assert!(
        [&stats.by_kind, &stats.by_area, &stats.by_category]
            .iter()
            .all(|lines| lines.iter().map(|l| l.cases).sum::<i64>() == 3),
        "the denunciation is in no breakdown"
    );
}

/// A portal over [`four_cases`] whose profile names its area with hostile text.
async fn portal() -> (AppState, TestDb) {
    let db = TestDb::sqlite().await;
    let (hub, clock) = hub_on(&db).await;
    let mut profile = CouncilProfile::clone(hub.profile());
    for area in profile
        .areas
        .iter_mut()
        .filter(|a| a.code == "hoang-van-thu")
    {
        area.name = "=HYPERLINK(\"http://x\",\"<script>alert(1)</script>\")".to_owned();
    }
    let hub = Hub::new(hub.store().clone(), Arc::new(profile));
    four_cases(&hub, &clock).await;
    (crate::helpers::portal_state(hub), db)
}

async fn get(state: &AppState, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = hdnd_web::router(state.clone())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

#[tokio::test]
async fn the_statistics_page_draws_escaped_charts_and_tables_without_script() {
    // Arrange
    let (state, _db) = portal().await;

    // Act
    let (status, headers, body) = get(&state, "/thong-ke").await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<h1>Thống kê</h1>"));
    assert!(
        html.contains("href=\"/thong-ke\" aria-current=\"page\""),
        "the nav"
    );
    assert!(html.contains("<svg class=\"chart\" role=\"img\" aria-labelledby=\"bieu-do-khu-vuc\""));
    assert!(html.contains("<title id=\"bieu-do-khu-vuc\">"));
    assert!(html.contains("<rect class=\"chart-bar\" x=\"0\" y=\"20\" width=\"600.0\""));
    assert!(html.contains("<caption>Theo khu vực: "));
    assert!(html.contains("<th scope=\"row\">Ủy ban nhân dân phường Hồng Bàng</th>"));
    assert!(html.contains("<td>50 %</td>") && html.contains("<td>201</td>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.contains("<script"),
        "no script, the hostile name escaped"
    );
    assert!(
        !html.contains("style="),
        "no inline style: the CSP forbids it"
    );
    assert!(!html.contains("Tố cáo"), "no line for denunciations");
}

#[tokio::test]
async fn the_statistics_csv_has_a_bom_a_header_quoted_fields_and_no_formula() {
    // Arrange
    let (state, _db) = portal().await;

    // Act
    let (status, headers, body) = get(&state, "/thong-ke.csv").await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"thong-ke.csv\""
    );
    assert!(
        body.starts_with(b"\xEF\xBB\xBF"),
        "a byte-order mark for Excel"
    );
    let csv = String::from_utf8(body[3..].to_vec()).unwrap();
    let lines: Vec<_> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "nhom,ten,so_ho_so,da_dong,dung_han_phan_tram,so_ngay_trung_vi,qua_han"
    );
    assert_eq!(lines[1], "tong,Tổng số,3,2,50.0,201.0,1");
    assert!(lines.contains(&"trang_thai,\"Đã giải trình, thông tin\",1,1,100.0,2.0,0"));
    assert!(lines.contains(&"co_quan,Ủy ban nhân dân phường Hồng Bàng,2,2,50.0,201.0,0"));
    assert!(
        lines.contains(
            &"khu_vuc,\"'=HYPERLINK(\"\"http://x\"\",\"\"<script>alert(1)</script>\"\")\",3,2,50.0,201.0,1"
        ),
        "{csv}"
    );
    assert!(lines.iter().all(|l| !l.contains(",=")), "no formula");
}
