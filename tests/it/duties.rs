//! Deadline warnings are duties: no preference or unsubscribe link turns them off; and an
//! unsubscribe link turns off the channel it came by, on both databases.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::{Category, OutboxRow, OutboxStatus};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    Actor, AuditNote, CaseKind, ComplaintRound, ContactKind, ContactPoint, NewTask, Role, Staff,
    Status,
};
use hdnd_hub::schedule::{ScheduleSettings, Scheduler};
use hdnd_hub::{Hub, ManualClock};

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};

contract_tests!(
    a_calendar_reminder_unsubscribe_leaves_deadline_warnings_and_escalations_on,
    a_telegram_unsubscribe_link_turns_off_telegram_and_not_email,
);

fn hcm(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn scheduler(hub: &Hub) -> Scheduler {
    let settings = ScheduleSettings {
        morning_digest: String::new(),
        ..ScheduleSettings::default()
    };
    Scheduler::new(
        hub.clone(),
        Arc::new(Renderer::builtin()),
        settings,
        "https://hdnd.example",
    )
    .unwrap()
}

async fn rows(hub: &Hub) -> Vec<OutboxRow> {
    hub.store().list_outbox(None, 100).await.unwrap()
}

/// Lan (whose lead is Hùng) holds a first complaint accepted on Tuesday 27 October 2026: its
/// 30-day resolution deadline is Thursday 26 November.
async fn lan_with_a_deadline_today(db: &TestDb) -> (Hub, Arc<ManualClock>, Staff, Staff) {
    let (hub, clock) = hub_on(db).await;
    let store = hub.store().clone();
    let hung = store
        .add_staff(staff("hung.lead", &[Role::Lead]), &AuditNote::operator())
        .await
        .unwrap();
    let mut new = staff("lan.cv", &[Role::Specialist, Role::Intake]);
    new.lead = Some(hung.id);
    let lan = store.add_staff(new, &AuditNote::operator()).await.unwrap();
    clock.set(hcm(2026, 10, 27, 10, 0));
    let mut complaint = petition();
    complaint.kind = CaseKind::KhieuNai;
    complaint.complaint_round = Some(ComplaintRound::First);
    let case = hub.submit_case(complaint).await.unwrap().case;
    let accept = TransitionRequest::to(Status::Accepted, Actor::Staff(lan.id));
    hub.transition(case.id, accept).await.unwrap();
    let assign =
        TransitionRequest::to(Status::InProgress, Actor::Staff(hung.id)).with_assignee(lan.id);
    hub.transition(case.id, assign).await.unwrap();
    (hub, clock, lan, hung)
}

async fn a_calendar_reminder_unsubscribe_leaves_deadline_warnings_and_escalations_on(db: TestDb) {
    // Arrange: Lan followed the unsubscribe link of a reminder, and Hùng turned every
    // reminder and agenda off on email.
    let (hub, clock, lan, hung) = lan_with_a_deadline_today(&db).await;
    let store = hub.store().clone();
    let token = store
        .unsubscribe_token(lan.id, Category::Reminder, ChannelKind::Email)
        .await
        .unwrap();
    hub.unsubscribe(&token).await.unwrap();
    for category in [Category::Reminder, Category::Digest] {
        store
            .set_preference(
                hung.id,
                category,
                ChannelKind::Email,
                false,
                &AuditNote::operator(),
            )
            .await
            .unwrap();
    }
    let s = scheduler(&hub);

    // Act: the due day at 08:00, then the next working day, when it is overdue.
    clock.set(hcm(2026, 11, 26, 8, 0));
    s.tick().await.unwrap();
    clock.set(hcm(2026, 11, 27, 8, 0));
    s.tick().await.unwrap();
    let refused = store
        .set_preference(
            lan.id,
            Category::Duty,
            ChannelKind::Email,
            false,
            &AuditNote::operator(),
        )
        .await;
    let no_link = store
        .unsubscribe_token(lan.id, Category::Duty, ChannelKind::Email)
        .await;

    // Assert
    let all = rows(&hub).await;
    let warnings: Vec<_> = all
        .iter()
        .filter(|r| r.dedupe_key.starts_with("reminder:deadline:"))
        .collect();
    let to = |who: &Staff| {
        warnings
            .iter()
            .filter(|r| r.address == who.contacts[0].address)
            .count()
    };
    assert_eq!(to(&lan), 2, "today and overdue: {warnings:?}");
    assert_eq!(to(&hung), 1, "the escalation to the lead");
    for warning in &warnings {
        assert_eq!(warning.category, Category::Duty);
        assert_eq!(warning.status, OutboxStatus::Queued, "{warning:?}");
        assert_eq!(warning.list_unsubscribe, None);
    }
    assert!(refused.is_err(), "a duty cannot be turned off");
    assert!(no_link.is_err(), "a duty has no unsubscribe link");
}

async fn a_telegram_unsubscribe_link_turns_off_telegram_and_not_email(db: TestDb) {
    // Arrange: Mai reads Telegram first and email second; a task of hers is due today.
    let (hub, clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let mut new = staff("mai.cv", &[Role::Specialist]);
    new.contacts.insert(
        0,
        ContactPoint {
            kind: ContactKind::Telegram,
            address: "700100200".to_owned(),
        },
    );
    let mai = store.add_staff(new, &AuditNote::operator()).await.unwrap();
    let task = NewTask {
        title: "Tổng hợp ý kiến cử tri".to_owned(),
        assignee: mai.id,
        due_on: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        case_id: None,
    };
    store.add_task(task, &AuditNote::operator()).await.unwrap();
    let s = scheduler(&hub);
    clock.set(hcm(2026, 11, 26, 8, 0));
    s.tick().await.unwrap();
    let due = rows(&hub).await;
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].channel, ChannelKind::Telegram);
    // The link in the Telegram message itself (the row's List-Unsubscribe header is its
    // email rendering's, for the fallback).
    let text = due[0].telegram.as_ref().unwrap().parts.join("\n");
    let href = text
        .split("<a href=\"")
        .nth(1)
        .expect("a link in the message");
    let url = href.split('"').next().unwrap();
    let token = url.rsplit('/').next().unwrap();
    let email_link = due[0].list_unsubscribe.clone().unwrap();
    assert_ne!(
        email_link, url,
        "the email fallback carries its own channel's link"
    );

    // Act: the link in the Telegram message, then the next day's overdue reminder.
    let (_, category, channel) = hub.unsubscribe(token).await.unwrap();
    clock.set(hcm(2026, 11, 27, 8, 0));
    s.tick().await.unwrap();

    // Assert
    assert_eq!(
        (category, channel),
        (Category::Reminder, ChannelKind::Telegram)
    );
    let overdue: Vec<_> = rows(&hub)
        .await
        .into_iter()
        .filter(|r| r.dedupe_key.contains(":overdue:"))
        .collect();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].channel, ChannelKind::Email, "email stays on");
    assert_eq!(overdue[0].status, OutboxStatus::Queued);
}
