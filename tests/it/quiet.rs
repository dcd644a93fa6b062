//! Quiet hours and event reminders: a reminder is never deferred past its event, and its text
//! says the time that is really left, on both databases.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use hdnd_hub::delivery::outbox::OutboxRow;
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::{AuditNote, CalendarKind, NewCalendarEvent, QuietHours, Role, Staff};
use hdnd_hub::schedule::{ScheduleSettings, Scheduler};
use hdnd_hub::{Hub, ManualClock};

use crate::helpers::{TestDb, contract_tests, hub_on, staff};

contract_tests!(
    a_reminder_quiet_hours_would_push_past_its_event_goes_before_they_begin,
    a_deferred_reminder_says_the_time_left_when_it_goes_out,
);

fn hcm(d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Lan, quiet from 21:00 to 06:30, attends a meeting at `starts_at`; reminders one hour before.
async fn world(db: &TestDb, starts_at: DateTime<Utc>) -> (Hub, Arc<ManualClock>, Scheduler, Staff) {
    let (hub, clock) = hub_on(db).await;
    let mut new = staff("lan.cv", &[Role::Specialist]);
    new.quiet_hours = Some("21:00-06:30".parse::<QuietHours>().unwrap());
    let lan = hub
        .store()
        .add_staff(new, &AuditNote::operator())
        .await
        .unwrap();
    hub.store()
        .add_calendar_event(
            NewCalendarEvent {
                title: "Đoàn công tác đi cơ sở".to_owned(),
                kind: CalendarKind::Meeting,
                starts_at,
                ends_at: None,
                place: Some("Sân UBND phường".to_owned()),
                public: false,
                attendees: vec![lan.id],
            },
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let settings = ScheduleSettings {
        morning_digest: String::new(),
        event_reminders_mins: vec![60],
        ..ScheduleSettings::default()
    };
    let scheduler = Scheduler::new(
        hub.clone(),
        Arc::new(Renderer::builtin()),
        settings,
        "https://hdnd.example",
    )
    .unwrap();
    (hub, clock, scheduler, lan)
}

async fn rows(hub: &Hub) -> Vec<OutboxRow> {
    hub.store().list_outbox(None, 100).await.unwrap()
}

async fn a_reminder_quiet_hours_would_push_past_its_event_goes_before_they_begin(db: TestDb) {
    // Arrange: a meeting at 06:00; its reminder's moment, 05:00, is in Lan's quiet hours,
    // which would hold it until 06:30.
    let starts_at = hcm(27, 6, 0);
    let (hub, clock, scheduler, _lan) = world(&db, starts_at).await;

    // Act: the evening before, a minute before the quiet hours; then at the moment itself.
    clock.set(hcm(26, 20, 59));
    scheduler.tick().await.unwrap();
    let evening = rows(&hub).await;
    clock.set(hcm(27, 5, 0));
    scheduler.tick().await.unwrap();

    // Assert
    assert_eq!(evening.len(), 1, "{evening:?}");
    let reminder = &evening[0];
    assert_eq!(
        reminder.due_at,
        hcm(26, 20, 59),
        "sent before the quiet hours"
    );
    assert!(reminder.due_at < starts_at);
    assert!(
        reminder.text.contains("9 giờ 1 phút nữa"),
        "{}",
        reminder.text
    );
    assert_eq!(rows(&hub).await.len(), 1, "once");
}

async fn a_deferred_reminder_says_the_time_left_when_it_goes_out(db: TestDb) {
    // Arrange: a meeting at 07:00; its reminder at 06:00 waits out the quiet hours until
    // 06:30, still before the meeting.
    let starts_at = hcm(27, 7, 0);
    let (hub, clock, scheduler, _lan) = world(&db, starts_at).await;

    // Act
    clock.set(hcm(27, 6, 0));
    scheduler.tick().await.unwrap();

    // Assert
    let all = rows(&hub).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].due_at, hcm(27, 6, 30));
    assert!(all[0].text.contains("30 phút nữa"), "{}", all[0].text);
    assert!(!all[0].text.contains("1 giờ nữa"), "{}", all[0].text);
}
