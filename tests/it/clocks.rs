//! The law's clocks through the hub and real SQL (design.md §8): a question pauses nothing, a
//! suspension's days do not count and the day-off shift is applied once, a partial withdrawal
//! leaves the rest open, dated rules count a case by the rule in force on its date, a tố cáo
//! outside competence has its own clock, a unit's result starts the relay, and a deadline past
//! the configured years is "unknown" yet the case is stored and its desk told.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    Actor, AuditNote, Case, CaseFlags, CaseKind, ClockKind, ComplaintRound, EventKind, Role, Staff,
    Status,
};
use hdnd_hub::schedule::{ScheduleSettings, Scheduler};
use hdnd_hub::{DomainError, Error, Hub};

use crate::helpers::{
    TestDb, as_citizen, captured_logs, contract_tests, due, hub_on, notifying_hub, petition, staff,
};

contract_tests!(
    a_question_after_acceptance_changes_no_date_and_returns_to_accepted,
    ten_suspended_days_move_the_resolvers_deadline_by_ten_shifted_once,
    a_partial_withdrawal_leaves_the_rest_open,
    complaints_of_30_june_and_1_july_get_the_thu_ly_rule_of_their_day,
    a_denunciation_outside_competence_is_forwarded_and_notified_within_five_working_days,
    recording_the_units_result_starts_the_five_working_day_relay,
    intake_past_the_configured_years_stores_the_case_with_an_unknown_deadline,
    an_unassigned_cases_council_clock_warns_intake_and_their_lead,
);

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(day: &str, hour: u32) -> DateTime<Utc> {
    let day = d(day);
    chrono_tz::Asia::Ho_Chi_Minh
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// A reception officer who is also a lead (accepts, suspends, records results), and a
/// specialist to assign.
async fn desk(hub: &Hub) -> (Staff, Staff) {
    let lead = hub
        .store()
        .add_staff(
            staff("minh.lead", &[Role::Intake, Role::Lead, Role::Secretary]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let expert = hub
        .store()
        .add_staff(staff("lan.cv", &[Role::Specialist]), &AuditNote::operator())
        .await
        .unwrap();
    (lead, expert)
}

fn complaint() -> hdnd_hub::domain::NewCase {
    let mut case = petition();
    case.kind = CaseKind::KhieuNai;
    case.complaint_round = Some(ComplaintRound::First);
    case
}

async fn move_to(hub: &Hub, case: &Case, request: TransitionRequest) -> Case {
    hub.transition(case.id, request).await.unwrap()
}

async fn a_question_after_acceptance_changes_no_date_and_returns_to_accepted(db: TestDb) {
    // Arrange: accepted on Friday 27 November (the council handles it: its resolver clock).
    let (hub, clock) = hub_on(&db).await;
    let (lead, _) = desk(&hub).await;
    let me = Actor::Staff(lead.id);
    let created = hub.submit_case(petition()).await.unwrap();
    clock.set(at("2026-11-27", 9));
    let accepted = move_to(
        &hub,
        &created.case,
        TransitionRequest::to(Status::Accepted, me),
    )
    .await;

    // Act: asked on Monday 30 November, answered on Thursday 3 December.
    clock.set(at("2026-11-30", 9));
    let ask = TransitionRequest::to(Status::NeedsInfo, me).with_text("Xin cho biết số nhà.");
    let asked = move_to(&hub, &accepted, ask).await;
    clock.set(at("2026-12-03", 9));
    let wrong = as_citizen(
        &hub,
        &created.access_token,
        TransitionRequest::to(Status::Received, Actor::Citizen),
    )
    .await;
    let capability = hub
        .capability_by_token(&created.access_token)
        .await
        .unwrap();
    let answered = hub
        .answer_question_as_citizen(&capability, "Số nhà 12, ngõ 34.")
        .await
        .unwrap();
    let again = hub.answer_question_as_citizen(&capability, "Lần nữa").await;

    // Assert
    assert!(matches!(
        wrong,
        Err(Error::Domain(DomainError::Invalid {
            field: "status",
            ..
        }))
    ));
    assert!(again.is_err(), "no question is open any more");
    assert_eq!(asked.progress.resume_status, Some(Status::Accepted));
    let timeline = hub.store().get_timeline(created.case.id).await.unwrap();
    assert_eq!(
        timeline.last().unwrap().note.as_deref(),
        Some("Số nhà 12, ngõ 34."),
        "the answer is on the timeline"
    );
    assert_eq!(answered.progress.status, Status::Accepted);
    assert_eq!(answered.progress.accepted_on, Some(d("2026-11-27")));
    assert_eq!(answered.progress.clocks, accepted.progress.clocks);
    assert_eq!(due(&answered, ClockKind::Resolver), Some(d("2026-12-28")));
    assert_eq!(answered.progress.resume_status, None);
}

async fn ten_suspended_days_move_the_resolvers_deadline_by_ten_shifted_once(db: TestDb) {
    // Arrange: a complaint the council itself accepts on Tuesday 31 March 2026. 30 days later
    // is Thursday 30 April, a holiday, and with 1 May and the weekend the deadline is 4 May.
    let (hub, clock) = hub_on(&db).await;
    let (lead, _) = desk(&hub).await;
    let me = Actor::Staff(lead.id);
    clock.set(at("2026-03-31", 9));
    let case = hub.submit_case(complaint()).await.unwrap().case;
    let accepted = move_to(&hub, &case, TransitionRequest::to(Status::Accepted, me)).await;
    assert_eq!(due(&accepted, ClockKind::Resolver), Some(d("2026-05-04")));

    // Act: suspended on Friday 10 April, resumed on Monday 20 April: 10 days.
    clock.set(at("2026-04-10", 9));
    let no_decision = hub
        .transition(case.id, TransitionRequest::to(Status::Suspended, me))
        .await;
    let suspended = move_to(
        &hub,
        &accepted,
        TransitionRequest::to(Status::Suspended, me)
            .with_text("Quyết định tạm đình chỉ số 05/QĐ: chờ kết quả giám định"),
    )
    .await;
    clock.set(at("2026-04-20", 9));
    let resumed = move_to(
        &hub,
        &suspended,
        TransitionRequest::to(Status::Accepted, me)
            .with_text("Quyết định tiếp tục giải quyết số 07/QĐ"),
    )
    .await;

    // Assert: the 10 days go on the unshifted 30 April: Sunday 10 May, so Monday 11 May (not
    // 4 May + 10 = 14 May).
    assert!(matches!(
        no_decision,
        Err(Error::Domain(DomainError::Invalid {
            field: "decision",
            ..
        }))
    ));
    assert_eq!(suspended.progress.status, Status::Suspended);
    assert_eq!(resumed.progress.suspended_days, 10);
    assert_eq!(resumed.progress.status, Status::Accepted);
    assert_eq!(resumed.progress.accepted_on, Some(d("2026-03-31")));
    assert_eq!(due(&resumed, ClockKind::Resolver), Some(d("2026-05-11")));
    let timeline = hub.store().get_timeline(case.id).await.unwrap();
    let decisions: Vec<_> = timeline
        .iter()
        .filter(|e| e.to == Some(Status::Suspended) || e.from == Some(Status::Suspended))
        .map(|e| e.note.clone().unwrap())
        .collect();
    assert_eq!(decisions.len(), 2, "both decisions are on the timeline");
    assert!(decisions[0].contains("05/QĐ") && decisions[1].contains("07/QĐ"));
}

async fn a_partial_withdrawal_leaves_the_rest_open(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let (lead, _) = desk(&hub).await;
    let created = hub.submit_case(complaint()).await.unwrap();
    let capability = hub
        .capability_by_token(&created.access_token)
        .await
        .unwrap();

    // Act
    let by_citizen = hub
        .withdraw_part_as_citizen(&capability, "Rút nội dung thứ hai về tiền bồi thường.")
        .await
        .unwrap();
    let by_staff = hub
        .withdraw_part(
            created.case.id,
            lead.id,
            "Rút nội dung thứ ba (tại buổi tiếp).",
        )
        .await
        .unwrap();

    // Assert
    assert_eq!(by_staff.progress.status, Status::Received);
    assert_eq!(by_staff.progress.clocks, created.case.progress.clocks);
    assert_eq!(by_citizen.version + 1, by_staff.version);
    let parts: Vec<_> = hub
        .store()
        .get_timeline(created.case.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::PartWithdrawn)
        .map(|e| (e.actor, e.note.unwrap()))
        .collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0, Actor::Citizen);
    assert!(parts[0].1.contains("tiền bồi thường"));
    assert_eq!(parts[1].0, Actor::Staff(lead.id));
}

async fn complaints_of_30_june_and_1_july_get_the_thu_ly_rule_of_their_day(db: TestDb) {
    // Arrange: Luật KN art. 27 (10 days) until 30/6/2026; NĐ 155/2026 (7 working days) after.
    let (hub, clock) = hub_on(&db).await;
    let (lead, _) = desk(&hub).await;
    let me = Actor::Staff(lead.id);
    let forward = || TransitionRequest::to(Status::Forwarded, me).with_unit("ubnd-phuong");

    // Act: each received and forwarded the same day.
    clock.set(at("2026-06-30", 9));
    let june = hub.submit_case(complaint()).await.unwrap().case;
    let june = move_to(&hub, &june, forward()).await;
    clock.set(at("2026-07-01", 9));
    let july = hub.submit_case(complaint()).await.unwrap().case;
    let july = move_to(&hub, &july, forward()).await;

    // Assert: the unit's thụ lý is followed up by the rule of the day it received the case.
    let june_clock = june.progress.clocks.resolver.clone().unwrap();
    let july_clock = july.progress.clocks.resolver.clone().unwrap();
    assert!(
        june_clock.source.contains("Điều 27"),
        "{}",
        june_clock.source
    );
    assert!(
        july_clock.source.contains("155/2026"),
        "{}",
        july_clock.source
    );
    // 30/6 + 10 days = Friday 10/7; 1/7 + 7 working days (2, 3, 6, 7, 8, 9, 10) = Friday 10/7.
    assert_eq!(june_clock.due, Some(d("2026-07-10")));
    assert_eq!(july_clock.due, Some(d("2026-07-10")));
    // The council's own duty ended with the forwarding.
    assert_eq!(july.progress.clocks.council, None);

    // And a complaint the council itself is competent for, received 1/7, has the new rule as
    // its council clock: classified competent on receipt.
    let own = hub.submit_case(complaint()).await.unwrap().case;
    let own = hub
        .classify_case(
            own.id,
            lead.id,
            CaseFlags {
                competent: true,
                ..own.progress.flags.clone()
            },
        )
        .await
        .unwrap();
    let council = own.progress.clocks.council.clone().unwrap();
    assert!(council.source.contains("155/2026"), "{}", council.source);
    assert_eq!(council.due, Some(d("2026-07-10")));
}

async fn a_denunciation_outside_competence_is_forwarded_and_notified_within_five_working_days(
    db: TestDb,
) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let officer = hub
        .store()
        .add_staff(
            staff("khoa.bui", &[Role::DenunciationOfficer]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();

    // Act: received Thursday 26 November 2026.
    let case = hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;
    let competent = hub
        .classify_case(
            case.id,
            officer.id,
            CaseFlags {
                competent: true,
                ..case.progress.flags.clone()
            },
        )
        .await
        .unwrap();

    // Assert: outside competence, forward and notify within 5 working days (art. 24(2)):
    // Thursday 3 December; within it, initial handling takes 7 (art. 24(1)): Monday 7.
    let council = case.progress.clocks.council.clone().unwrap();
    assert_eq!(council.due, Some(d("2026-12-03")));
    assert!(
        council.source.contains("Điều 24 khoản 2"),
        "{}",
        council.source
    );
    let own = competent.progress.clocks.council.clone().unwrap();
    assert_eq!(own.due, Some(d("2026-12-07")));
    assert!(own.source.contains("Điều 24 khoản 1"), "{}", own.source);
    let timeline = hub.store().get_timeline(case.id).await.unwrap();
    assert!(timeline.iter().any(|e| e.kind == EventKind::FlagsChanged));
}

async fn recording_the_units_result_starts_the_five_working_day_relay(db: TestDb) {
    // Arrange: forwarded on Thursday 26 November, the unit accepts.
    let (hub, clock) = hub_on(&db).await;
    let (lead, expert) = desk(&hub).await;
    let me = Actor::Staff(lead.id);
    let case = hub.submit_case(petition()).await.unwrap().case;
    let case = move_to(
        &hub,
        &case,
        TransitionRequest::to(Status::Forwarded, me).with_unit("ubnd-phuong"),
    )
    .await;
    let case = move_to(
        &hub,
        &case,
        TransitionRequest::to(Status::InProgress, me).with_assignee(expert.id),
    )
    .await;
    assert_eq!(due(&case, ClockKind::Resolver), Some(d("2026-12-28")));

    // Act: the unit's result comes on Tuesday 1 December.
    clock.set(at("2026-12-01", 10));
    let recorded = hub
        .record_unit_result(case.id, lead.id, "UBND phường đã sửa đèn ngày 30/11.")
        .await
        .unwrap();
    let twice = hub.record_unit_result(case.id, lead.id, "Lần nữa").await;
    let answered = move_to(
        &hub,
        &recorded,
        TransitionRequest::to(Status::Answered, Actor::Staff(expert.id))
            .with_text("Đèn đã được sửa."),
    )
    .await;

    // Assert: tell the citizen within 5 working days (Luật TCD art. 28(2)): Tuesday 8 December.
    let relay = recorded.progress.clocks.relay.clone().unwrap();
    assert_eq!(relay.due, Some(d("2026-12-08")));
    assert!(relay.source.contains("Điều 28 khoản 2"), "{}", relay.source);
    assert_eq!(
        recorded.progress.clocks.resolver, None,
        "the unit's part is done"
    );
    assert!(twice.is_err());
    assert_eq!(answered.progress.clocks.relay, None, "the citizen was told");
}

async fn intake_past_the_configured_years_stores_the_case_with_an_unknown_deadline(db: TestDb) {
    // Arrange: the demo profile configures 2026 and 2027; 31 December 2027 is a Friday, and
    // 10 working days later is in 2028.
    captured_logs();
    let (hub, clock) = notifying_hub(&db).await;
    desk(&hub).await;
    clock.set(at("2027-12-31", 9));

    // Act
    let created = hub.submit_case(petition()).await.unwrap();
    let stored = hub.store().get_case(created.case.id).await.unwrap();
    let scheduler = Scheduler::new(
        hub.clone(),
        Arc::new(Renderer::builtin()),
        ScheduleSettings::default(),
        "https://hdnd.example",
    )
    .unwrap();
    // The reminder time on the same day (08:00 by default).
    clock.set(at("2027-12-31", 8) + chrono::Duration::minutes(5));
    let enqueued = scheduler.tick().await.unwrap();

    // Assert: stored, with a running council clock whose date is unknown.
    let council = stored.progress.clocks.council.clone().unwrap();
    assert_eq!(council.due, None);
    assert!(council.source.contains("Điều 28"), "{}", council.source);
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(
        logs.contains("a deadline of a new case is unknown"),
        "the operator is warned in the log"
    );
    // The scheduler lists it to the desk instead of skipping it.
    assert!(enqueued >= 1);
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    let listed: Vec<_> = rows
        .iter()
        .filter(|r| {
            r.dedupe_key
                .contains(&format!(":{}:council:unknown:", stored.id))
        })
        .collect();
    assert_eq!(listed.len(), 1, "{rows:?}");
    assert_eq!(listed[0].address, "minh.lead@council.example");
    assert!(
        listed[0].subject.contains("chưa tính được hạn"),
        "{}",
        listed[0].subject
    );
    // Intake heard of it with the new case already.
    let told = rows
        .iter()
        .find(|r| {
            r.address == "minh.lead@council.example"
                && r.dedupe_key.starts_with(&format!("case:{}:v1:", stored.id))
        })
        .expect("intake is told of the new case");
    assert!(told.text.contains("chưa xác định"), "{}", told.text);
}

async fn an_unassigned_cases_council_clock_warns_intake_and_their_lead(db: TestDb) {
    // Arrange: a reception officer whose lead is Hùng; a petition nobody is assigned to, its
    // council clock due Thursday 10 December.
    let (hub, clock) = hub_on(&db).await;
    let hung = hub
        .store()
        .add_staff(staff("hung.lead", &[Role::Lead]), &AuditNote::operator())
        .await
        .unwrap();
    let mut new = staff("ha.tn", &[Role::Intake]);
    new.lead = Some(hung.id);
    hub.store()
        .add_staff(new, &AuditNote::operator())
        .await
        .unwrap();
    hub.store()
        .add_staff(staff("lan.cv", &[Role::Specialist]), &AuditNote::operator())
        .await
        .unwrap();
    let case = hub.submit_case(petition()).await.unwrap().case;
    let scheduler = Scheduler::new(
        hub.clone(),
        Arc::new(Renderer::builtin()),
        ScheduleSettings::default(),
        "https://hdnd.example",
    )
    .unwrap();

    // Act: the morning of the deadline.
    clock.set(at("2026-12-10", 8) + chrono::Duration::minutes(5));
    scheduler.tick().await.unwrap();

    // Assert: the desk and its lead, and nobody else.
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    let mut warned: Vec<_> = rows
        .iter()
        .filter(|r| {
            r.dedupe_key
                .contains(&format!(":{}:council:today:", case.id))
        })
        .map(|r| r.address.as_str())
        .collect();
    warned.sort();
    assert_eq!(
        warned,
        ["ha.tn@council.example", "hung.lead@council.example"]
    );
}
