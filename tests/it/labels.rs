//! Labels in the reader's language: kinds, statuses and event types in notifications, and the
//! unsubscribe page, for Vietnamese and English readers on both databases.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use hdnd_hub::Hub;
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::{Category, OutboxRow};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    Actor, AuditNote, CalendarKind, Language, NewCalendarEvent, Role, Staff, Status,
};
use hdnd_hub::schedule::{ScheduleSettings, Scheduler};
use tower::ServiceExt;

use crate::helpers::{TestDb, contract_tests, hub_on, notifying_hub, petition, staff};

contract_tests!(
    an_english_reader_gets_english_kinds_and_statuses_and_a_vietnamese_one_vietnamese,
    an_english_attendee_reads_the_event_type_in_english,
    the_unsubscribe_page_speaks_its_owners_language_unless_asked_for_another,
);

fn hcm(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn add_staff(hub: &Hub, login: &str, roles: &[Role], language: Language) -> Staff {
    let mut new = staff(login, roles);
    new.language = language;
    hub.store()
        .add_staff(new, &AuditNote::operator())
        .await
        .unwrap()
}

async fn rows_to(hub: &Hub, address: &str) -> Vec<OutboxRow> {
    let mut rows: Vec<_> = hub
        .store()
        .list_outbox(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.address == address)
        .collect();
    rows.reverse();
    rows
}

async fn an_english_reader_gets_english_kinds_and_statuses_and_a_vietnamese_one_vietnamese(
    db: TestDb,
) {
    // Arrange: an English-reading intake officer and a Vietnamese one.
    let (hub, _clock) = notifying_hub(&db).await;
    let en = add_staff(&hub, "anna.intake", &[Role::Intake], Language::En).await;
    add_staff(&hub, "lan.intake", &[Role::Intake], Language::Vi).await;
    let mut english = petition();
    english.language = Language::En;
    english.contacts[0].address = "reader@example.org".to_owned();

    // Act: an English citizen's petition and a Vietnamese one, both accepted.
    for new in [english, petition()] {
        let case = hub.submit_case(new).await.unwrap().case;
        let accept = TransitionRequest::to(Status::Accepted, Actor::Staff(en.id));
        hub.transition(case.id, accept).await.unwrap();
    }

    // Assert
    let citizen_en = rows_to(&hub, "reader@example.org").await;
    let accepted = &citizen_en[1].text;
    assert!(
        accepted.contains("New status: Accepted for handling"),
        "{accepted}"
    );
    assert!(accepted.contains("Kind: Petition"), "{accepted}");
    assert!(!accepted.contains("Đã thụ lý") && !accepted.contains("Kiến nghị"));
    let staff_en = rows_to(&hub, "anna.intake@council.example").await;
    assert!(
        staff_en.iter().all(|r| r.text.contains("Kind: Petition")),
        "{:?}",
        staff_en.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let citizen_vi = rows_to(&hub, "hoa.pham@example.org").await;
    assert!(
        citizen_vi[1].text.contains("Đã thụ lý"),
        "{}",
        citizen_vi[1].text
    );
    assert!(citizen_vi[1].text.contains("Kiến nghị"));
    let staff_vi = rows_to(&hub, "lan.intake@council.example").await;
    assert!(staff_vi.iter().all(|r| r.text.contains("Kiến nghị")));
}

async fn an_english_attendee_reads_the_event_type_in_english(db: TestDb) {
    // Arrange: a reception at 15:00 with an English- and a Vietnamese-reading attendee.
    let (hub, clock) = hub_on(&db).await;
    let en = add_staff(&hub, "anna.cv", &[Role::Specialist], Language::En).await;
    let vi = add_staff(&hub, "lan.cv", &[Role::Specialist], Language::Vi).await;
    let starts_at = hcm(2026, 11, 26, 15, 0);
    hub.store()
        .add_calendar_event(
            NewCalendarEvent {
                title: "Tiếp công dân định kỳ".to_owned(),
                kind: CalendarKind::Reception,
                starts_at,
                ends_at: None,
                place: None,
                public: false,
                attendees: vec![en.id, vi.id],
            },
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    clock.set(starts_at - Duration::minutes(60));
    let scheduler = Scheduler::new(
        hub.clone(),
        Arc::new(Renderer::builtin()),
        ScheduleSettings {
            morning_digest: String::new(),
            ..ScheduleSettings::default()
        },
        "https://hdnd.example",
    )
    .unwrap();

    // Act
    scheduler.tick().await.unwrap();

    // Assert
    let to_en = rows_to(&hub, "anna.cv@council.example").await;
    assert_eq!(to_en.len(), 1);
    assert!(
        to_en[0].text.contains("Type: Citizen reception"),
        "{}",
        to_en[0].text
    );
    let to_vi = rows_to(&hub, "lan.cv@council.example").await;
    assert!(to_vi[0].text.contains("Tiếp công dân"), "{}", to_vi[0].text);
}

async fn page(hub: &Hub, method: &str, path: &str) -> (StatusCode, String) {
    let state = hdnd_web::AppState {
        hub: hub.clone(),
        views: Arc::new(hdnd_web::Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("List-Unsubscribe=One-Click"))
        .unwrap();
    let response = hdnd_web::router(state).oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn the_unsubscribe_page_speaks_its_owners_language_unless_asked_for_another(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let en = add_staff(&hub, "anna.cv", &[Role::Specialist], Language::En).await;
    let vi = add_staff(&hub, "lan.cv", &[Role::Specialist], Language::Vi).await;
    let token = |id| {
        let store = hub.store().clone();
        async move {
            store
                .unsubscribe_token(id, Category::Reminder, ChannelKind::Email)
                .await
                .unwrap()
        }
    };
    let (en_token, vi_token) = (token(en.id).await, token(vi.id).await);

    // Act
    let (en_status, en_page) = page(&hub, "GET", &format!("/huy-nhan-tin/{en_token}")).await;
    let (_, vi_page) = page(&hub, "GET", &format!("/huy-nhan-tin/{vi_token}")).await;
    let (_, vi_asked_en) = page(&hub, "GET", &format!("/huy-nhan-tin/{vi_token}?lang=en")).await;
    let (done_status, done) = page(&hub, "POST", &format!("/huy-nhan-tin/{en_token}")).await;
    let (_, done_asked_vi) = page(&hub, "POST", &format!("/huy-nhan-tin/{vi_token}?lang=vi")).await;
    let (unknown, _) = page(&hub, "GET", &format!("/huy-nhan-tin/{}", "0".repeat(64))).await;

    // Assert
    assert_eq!(en_status, StatusCode::OK);
    assert!(en_page.contains("<section lang=\"en\">"), "{en_page}");
    assert!(en_page.contains("Stop these notifications"), "{en_page}");
    assert!(
        en_page.contains("task and calendar reminders by email"),
        "{en_page}"
    );
    assert!(en_page.contains("?lang=vi"), "a link to the other language");
    assert!(vi_page.contains("<section lang=\"vi\">"));
    assert!(
        vi_page.contains("nhắc việc và nhắc lịch qua thư điện tử"),
        "{vi_page}"
    );
    assert!(vi_asked_en.contains("Stop these notifications"));
    assert_eq!(done_status, StatusCode::OK);
    assert!(
        done.contains("You will no longer receive task and calendar reminders by email."),
        "{done}"
    );
    assert!(
        done_asked_vi.contains("Bạn sẽ không nhận nhắc việc và nhắc lịch qua thư điện tử nữa.")
    );
    assert_eq!(unknown, StatusCode::NOT_FOUND);
}
