//! The scheduler over simulated days: reminders exactly once from two instances, catch-up
//! after an outage with a maximum age, quiet hours in a zone with daylight saving time, and
//! one-click unsubscribe.

use hdnd_hub::domain::AuditNote;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hdnd_hub::delivery::outbox::{OutboxRow, OutboxStatus};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    Actor, CalendarKind, CaseKind, ComplaintRound, NewCalendarEvent, NewTask, QuietHours, Role,
    Staff, Status,
};
use hdnd_hub::schedule::{ScheduleSettings, Scheduler};
use hdnd_hub::{Clock, Hub, ManualClock};

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};

contract_tests!(
    two_instances_over_a_simulated_day_send_each_reminder_exactly_once,
    catch_up_after_a_three_hour_outage_sends_what_is_due_and_skips_what_is_too_old,
);

fn hcm(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Thursday 26 November 2026, a working day.
const DAY: (i32, u32, u32) = (2026, 11, 26);

struct World {
    hub: Hub,
    clock: Arc<ManualClock>,
    lan: Staff,
    hung: Staff,
}

/// Two staff (Lan, whose lead is Hùng), a meeting tomorrow at 09:00 with both, a reception
/// today at 15:00 with Lan, a task due today for Lan, and a complaint assigned to Lan whose
/// statutory deadline is today.
async fn world(db: &TestDb) -> World {
    let (hub, clock) = hub_on(db).await;
    let store = hub.store().clone();
    let hung = store
        .add_staff(staff("hung.lead", &[Role::Lead]), &AuditNote::operator())
        .await
        .unwrap();
    let mut new = staff("lan.cv", &[Role::Specialist, Role::Intake]);
    new.lead = Some(hung.id);
    let lan = store.add_staff(new, &AuditNote::operator()).await.unwrap();

    // A first complaint accepted on Tuesday 27 October: 30 days later is today.
    clock.set(hcm(2026, 10, 27, 10, 0));
    let mut complaint = petition();
    complaint.kind = CaseKind::KhieuNai;
    complaint.complaint_round = Some(ComplaintRound::First);
    let case = hub.submit_case(complaint).await.unwrap().case;
    let me = Actor::Staff(lan.id);
    let accept = TransitionRequest::to(Status::Accepted, me);
    hub.transition(case.id, accept).await.unwrap();
    let assign =
        TransitionRequest::to(Status::InProgress, Actor::Staff(hung.id)).with_assignee(lan.id);
    hub.transition(case.id, assign).await.unwrap();

    let (y, m, d) = DAY;
    store
        .add_calendar_event(
            NewCalendarEvent {
                title: "Họp Thường trực HĐND".to_owned(),
                kind: CalendarKind::Meeting,
                starts_at: hcm(y, m, d + 1, 9, 0),
                ends_at: None,
                place: Some("Phòng họp tầng 2".to_owned()),
                public: false,
                attendees: vec![lan.id, hung.id],
            },
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    store
        .add_calendar_event(
            NewCalendarEvent {
                title: "Tiếp công dân định kỳ".to_owned(),
                kind: CalendarKind::Reception,
                starts_at: hcm(y, m, d, 15, 0),
                ends_at: Some(hcm(y, m, d, 17, 0)),
                place: None,
                public: true,
                attendees: vec![lan.id],
            },
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    store
        .add_task(
            NewTask {
                title: "Tổng hợp kiến nghị cử tri tháng 11".to_owned(),
                assignee: lan.id,
                due_on: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
                case_id: None,
            },
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    World {
        hub,
        clock,
        lan,
        hung,
    }
}

fn scheduler(hub: &Hub) -> Scheduler {
    Scheduler::new(
        hub.clone(),
        Arc::new(Renderer::builtin()),
        ScheduleSettings::default(),
        "https://hdnd.example",
    )
    .unwrap()
}

/// The outbox by dedupe key.
async fn outbox(hub: &Hub) -> BTreeMap<String, OutboxRow> {
    let rows = hub.store().list_outbox(None, 1000).await.unwrap();
    rows.into_iter()
        .map(|r| (r.dedupe_key.clone(), r))
        .collect()
}

async fn two_instances_over_a_simulated_day_send_each_reminder_exactly_once(db: TestDb) {
    // Arrange: two instances, each with its own connections to the one database.
    let w = world(&db).await;
    let other_store = db.open(w.clock.clone()).await;
    let other = Hub::new(other_store, w.hub.profile().clone());
    let (a, b) = (scheduler(&w.hub), scheduler(&other));
    let (y, m, d) = DAY;
    w.clock.set(hcm(y, m, d, 0, 0));
    let before = outbox(&w.hub).await.len();

    // Act: the day in 5-minute steps, both instances ticking at every step, in turn.
    let mut ticks = 0;
    while w.clock.now() < hcm(y, m, d, 23, 59) {
        let (first, second) = if ticks % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let (x, y2) = tokio::join!(first.tick(), second.tick());
        x.unwrap();
        y2.unwrap();
        w.clock.advance(Duration::minutes(5));
        ticks += 1;
    }

    // Assert
    let rows = outbox(&w.hub).await;
    let reminders: Vec<_> = rows
        .keys()
        .filter(|k| k.starts_with("reminder:") || k.starts_with("digest:"))
        .cloned()
        .collect();
    let lan = format!("staff:{}", w.lan.id);
    let hung = format!("staff:{}", w.hung.id);
    let count = |prefix: &str, who: &str| {
        reminders
            .iter()
            .filter(|k| k.starts_with(prefix) && k.ends_with(who))
            .count()
    };
    assert_eq!(count("digest:", &lan), 1, "{reminders:#?}");
    assert_eq!(count("digest:", &hung), 1, "{reminders:#?}");
    // The meeting tomorrow: its day-before reminder today at 09:00, to both.
    assert_eq!(count("reminder:event:1:1440:", &lan), 1);
    assert_eq!(count("reminder:event:1:1440:", &hung), 1);
    // The reception at 15:00: the hour-before reminder at 14:00; its day-before one was yesterday.
    assert_eq!(count("reminder:event:2:60:", &lan), 1);
    assert_eq!(count("reminder:event:2:1440:", &lan), 0);
    assert_eq!(
        count("reminder:task:", &lan),
        1,
        "due today at 08:00; overdue only tomorrow"
    );
    assert_eq!(
        count("reminder:deadline:", &lan),
        1,
        "the statutory deadline is today: {reminders:#?}"
    );
    assert_eq!(
        count("reminder:deadline:", &hung),
        0,
        "escalation only once overdue"
    );
    assert_eq!(reminders.len(), 7, "{reminders:#?}");
    assert_eq!(rows.len() - before, 7);
    let deadline = rows
        .iter()
        .find(|(k, _)| k.starts_with("reminder:deadline:"))
        .unwrap()
        .1;
    assert!(deadline.urgent);
    assert!(
        deadline.subject.contains("HB.20261027.0001"),
        "{}",
        deadline.subject
    );
    let digest = rows
        .iter()
        .find(|(k, _)| k.starts_with("digest:") && k.ends_with(&lan))
        .unwrap()
        .1;
    assert!(
        digest.text.contains("Tiếp công dân định kỳ"),
        "{}",
        digest.text
    );
    assert!(
        digest.text.contains("Tổng hợp kiến nghị cử tri tháng 11"),
        "{}",
        digest.text
    );
    assert!(
        digest
            .list_unsubscribe
            .as_deref()
            .unwrap()
            .starts_with("https://hdnd.example/huy-nhan-tin/")
    );
}

async fn catch_up_after_a_three_hour_outage_sends_what_is_due_and_skips_what_is_too_old(
    db: TestDb,
) {
    // Arrange
    let w = world(&db).await;
    let s = scheduler(&w.hub);
    let (y, m, d) = DAY;
    w.clock.set(hcm(y, m, d, 6, 0));
    s.tick().await.unwrap();
    let before = outbox(&w.hub).await.len();

    // Act: down from 06:00 to 09:30, then one tick.
    w.clock.set(hcm(y, m, d, 9, 30));
    s.tick().await.unwrap();

    // Assert: the 07:00 agenda is 2.5 hours old (more than 2): skipped. The 08:00 task and
    // deadline reminders and the 09:00 meeting reminders are within 4 hours: sent.
    let rows = outbox(&w.hub).await;
    let keys: Vec<_> = rows
        .keys()
        .filter(|k| k.starts_with("reminder:") || k.starts_with("digest:"))
        .collect();
    assert!(keys.iter().all(|k| !k.starts_with("digest:")), "{keys:#?}");
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("reminder:task:"))
            .count(),
        1
    );
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("reminder:deadline:"))
            .count(),
        1
    );
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("reminder:event:1:1440:"))
            .count(),
        2
    );
    assert_eq!(rows.len() - before, 4, "{keys:#?}");
}

#[tokio::test]
async fn quiet_hours_in_berlin_defer_an_agenda_but_not_an_urgent_reminder() {
    // Arrange: a staff member in Berlin with quiet hours 22:00–07:00; 07:00 in Hải Phòng is
    // 01:00 in Berlin in winter.
    let db = TestDb::sqlite().await;
    let w = world(&db).await;
    let mut new = staff("anna.berlin", &[Role::Deputy]);
    new.time_zone = chrono_tz::Europe::Berlin;
    new.quiet_hours = Some("22:00-07:00".parse::<QuietHours>().unwrap());
    let anna = w
        .hub
        .store()
        .add_staff(new, &AuditNote::operator())
        .await
        .unwrap();
    w.hub
        .store()
        .add_task(
            NewTask {
                title: "Duyệt báo cáo".to_owned(),
                assignee: anna.id,
                due_on: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
                case_id: None,
            },
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let s = scheduler(&w.hub);

    // Act
    w.clock.set(hcm(2026, 11, 26, 7, 0));
    s.tick().await.unwrap();
    w.clock.set(hcm(2026, 11, 26, 8, 0));
    s.tick().await.unwrap();

    // Assert
    let rows = outbox(&w.hub).await;
    let anna_key = format!("staff:{}", anna.id);
    let digest = rows
        .iter()
        .find(|(k, _)| k.starts_with("digest:") && k.ends_with(&anna_key))
        .unwrap()
        .1;
    let berlin_morning = chrono_tz::Europe::Berlin
        .with_ymd_and_hms(2026, 11, 26, 7, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        digest.due_at, berlin_morning,
        "the agenda waits for 07:00 in Berlin"
    );
    let task = rows
        .iter()
        .find(|(k, _)| k.starts_with("reminder:task:") && k.ends_with(&anna_key))
        .unwrap()
        .1;
    assert!(task.urgent);
    assert_eq!(
        task.due_at,
        hcm(2026, 11, 26, 8, 0),
        "a task due today does not wait"
    );
}

#[tokio::test]
async fn one_click_unsubscribe_stops_that_kind_of_reminder() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    // Arrange: a first day's agenda carries the unsubscribe link.
    let db = TestDb::sqlite().await;
    let w = world(&db).await;
    let s = scheduler(&w.hub);
    w.clock.set(hcm(2026, 11, 26, 7, 0));
    s.tick().await.unwrap();
    let rows = outbox(&w.hub).await;
    let lan_key = format!("staff:{}", w.lan.id);
    let digest = rows
        .iter()
        .find(|(k, _)| k.starts_with("digest:") && k.ends_with(&lan_key))
        .unwrap()
        .1;
    let url = digest.list_unsubscribe.clone().unwrap();
    let path = url.strip_prefix("https://hdnd.example").unwrap().to_owned();
    let state = hdnd_web::AppState {
        hub: w.hub.clone(),
        views: Arc::new(hdnd_web::Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };

    // Act: a GET changes nothing; the mail client's one-click POST unsubscribes.
    let get = hdnd_web::router(state.clone())
        .oneshot(Request::get(&path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let post = hdnd_web::router(state.clone())
        .oneshot(
            Request::post(&path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("List-Unsubscribe=One-Click"))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = post.status();
    let body = axum::body::to_bytes(post.into_body(), 1 << 20)
        .await
        .unwrap();
    let bogus = hdnd_web::router(state)
        .oneshot(
            Request::post("/huy-nhan-tin/abc")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    w.clock.set(hcm(2026, 11, 27, 7, 0));
    s.tick().await.unwrap();

    // Assert
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("lịch làm việc buổi sáng"));
    assert_eq!(bogus.status(), StatusCode::NOT_FOUND);
    let rows = outbox(&w.hub).await;
    let agendas: Vec<_> = rows
        .iter()
        .filter(|(k, _)| k.starts_with("digest:") && k.ends_with(&lan_key))
        .map(|(_, row)| row.status)
        .collect();
    // The second agenda for Lan is kept as suppressed, never sent.
    assert_eq!(agendas, [OutboxStatus::Queued, OutboxStatus::Suppressed]);
    let hung_key = format!("staff:{}", w.hung.id);
    assert_eq!(
        rows.keys()
            .filter(|k| k.starts_with("digest:") && k.ends_with(&hung_key))
            .count(),
        2
    );
}
