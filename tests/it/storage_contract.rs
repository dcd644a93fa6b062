//! The storage contract: one story per test, run on SQLite always and on PostgreSQL when
//! TEST_DATABASE_URL is set.

use hdnd_hub::domain::AuditNote;
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    AccessToken, Actor, Attachment, CaseCode, CaseKind, ComplaintRound, EventKind, NewEvent, Role,
    Status,
};
use hdnd_hub::storage::{Notify, ProgressChange};
use hdnd_hub::{CaseFilter, DomainError, Error};

use crate::helpers::{TestDb, as_citizen, contract_tests, due, hub_on, morning, petition, staff};
use hdnd_hub::domain::{CaseFlags, ClockKind};

contract_tests!(
    staff_are_stored_and_a_taken_login_is_a_conflict,
    a_case_reads_back_the_same_by_id_code_and_token,
    case_codes_count_per_council_local_day,
    two_hundred_cases_from_eight_tasks_get_distinct_codes,
    two_racing_transitions_exactly_one_wins,
    a_case_walks_the_workflow_with_its_clocks_and_timeline,
    an_illegal_transition_changes_nothing,
    asking_the_citizen_pauses_nothing_by_default,
    a_denunciation_is_extended_at_most_twice,
    a_second_complaint_links_to_the_first,
    listing_filters_published_cases_and_leaves_out_denunciations,
    migrations_apply_once_and_reopen_cleanly,
    publishing_needs_consent_and_never_takes_a_denunciation,
    a_replayed_submission_makes_no_second_case,
    counts_by_status_leave_out_denunciations_when_asked,
    published_cases_can_be_listed_newest_publication_first,
);

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn staff_are_stored_and_a_taken_login_is_a_conflict(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store();

    // Act
    let lead = store
        .add_staff(staff("lan.nguyen", &[Role::Lead]), &AuditNote::operator())
        .await
        .unwrap();
    let mut new = staff("Minh.Tran", &[Role::Specialist, Role::Intake]);
    new.lead = Some(lead.id);
    let minh = store.add_staff(new, &AuditNote::operator()).await.unwrap();
    let again = store
        .add_staff(staff("minh.tran", &[Role::Deputy]), &AuditNote::operator())
        .await;

    // Assert
    assert_eq!(minh.login, "minh.tran");
    assert_eq!(minh.lead, Some(lead.id));
    assert_eq!(minh.roles, vec![Role::Specialist, Role::Intake]);
    assert_eq!(minh.contacts[0].address, "Minh.Tran@council.example");
    assert_eq!(store.get_staff_by_login("MINH.TRAN").await.unwrap(), minh);
    assert!(matches!(again, Err(Error::Conflict(m)) if m.contains("minh.tran")));
    assert_eq!(store.list_staff().await.unwrap().len(), 2);
    let audit = store.list_audit(10).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "staff.add").count(), 2);
}

async fn a_case_reads_back_the_same_by_id_code_and_token(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let mut case = petition();
    case.attachments.push(Attachment {
        file_name: "anh-den-hong.jpg".to_owned(),
        content_type: "image/jpeg".to_owned(),
        size_bytes: 48_213,
        sha256: "ab".repeat(32),
        file_id: None,
    });

    // Act
    let created = hub.submit_case(case).await.unwrap();
    let by_id = hub.store().get_case(created.case.id).await.unwrap();
    let by_code = hub
        .store()
        .get_case_by_code(&created.case.code)
        .await
        .unwrap();
    let by_token = hub
        .store()
        .get_case_by_token(&created.access_token)
        .await
        .unwrap();
    let wrong_token = hub
        .store()
        .get_case_by_token(&AccessToken::generate())
        .await;

    // Assert
    assert_eq!(created.case, by_id);
    assert_eq!(by_id, by_code);
    assert_eq!(by_id, by_token);
    assert!(matches!(wrong_token, Err(Error::NotFound(_))));
    assert_eq!(by_id.code.as_str(), "HB.20261126.0001");
    assert_eq!(by_id.received_at, morning());
    assert_eq!(by_id.received_on, d("2026-11-26"));
    assert_eq!(by_id.progress.status, Status::Received);
    // kiến nghị: 10 working days from Thursday 26 November → Thursday 10 December.
    assert_eq!(due(&by_id, ClockKind::Council), Some(d("2026-12-10")));
    assert_eq!(by_id.attachments.len(), 1);
    assert_eq!(by_id.contacts[0].address, "hoa.pham@example.org");
    let timeline = hub.store().get_timeline(by_id.id).await.unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].kind, EventKind::Created);
    assert_eq!(timeline[0].at, morning());
}

async fn case_codes_count_per_council_local_day(db: TestDb) {
    // Arrange: 23:59 and 00:01 in Hải Phòng are the same UTC day but two council days.
    let (hub, clock) = hub_on(&db).await;
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let late = tz
        .with_ymd_and_hms(2026, 11, 26, 23, 59, 0)
        .unwrap()
        .with_timezone(&Utc);

    // Act
    clock.set(late);
    let a = hub.submit_case(petition()).await.unwrap().case.code;
    let b = hub.submit_case(petition()).await.unwrap().case.code;
    clock.advance(Duration::minutes(2));
    let c = hub.submit_case(petition()).await.unwrap().case.code;

    // Assert
    assert_eq!(a.as_str(), "HB.20261126.0001");
    assert_eq!(b.as_str(), "HB.20261126.0002");
    assert_eq!(c.as_str(), "HB.20261127.0001");
}

async fn two_hundred_cases_from_eight_tasks_get_distinct_codes(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let hub = Arc::new(hub);

    // Act
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let hub = hub.clone();
            tokio::spawn(async move {
                let mut codes = Vec::new();
                for _ in 0..25 {
                    codes.push(hub.submit_case(petition()).await.unwrap().case.code);
                }
                codes
            })
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.extend(task.await.unwrap());
    }

    // Assert: 200 distinct codes, numbered 1 to 200 without a gap.
    let distinct: HashSet<_> = codes.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(distinct.len(), 200);
    for n in 1..=200 {
        assert!(
            distinct.contains(&format!("HB.20261126.{n:04}")),
            "missing number {n}"
        );
    }
}

async fn two_racing_transitions_exactly_one_wins(db: TestDb) {
    // Arrange: two staff read the same case and both try to act on what they read.
    let (hub, _clock) = hub_on(&db).await;
    let officer = hub
        .store()
        .add_staff(staff("an.le", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    let case = hub.submit_case(petition()).await.unwrap().case;
    let change = |to: Status| {
        let mut progress = case.progress.clone();
        progress.status = to;
        ProgressChange {
            case_id: case.id,
            expected_status: Status::Received,
            expected_version: case.version,
            progress,
            event: NewEvent {
                kind: EventKind::StatusChanged,
                actor: Actor::Staff(officer.id),
                from: Some(Status::Received),
                to: Some(to),
                note: None,
            },
            notify: Notify::none(),
        }
    };

    // Act
    let store_a = hub.store().clone();
    let store_b = hub.store().clone();
    let accept = change(Status::Accepted);
    let reject = change(Status::Rejected);
    let (a, b) = tokio::join!(
        tokio::spawn(async move { store_a.update_case_progress(accept).await }),
        tokio::spawn(async move { store_b.update_case_progress(reject).await }),
    );
    let results = [a.unwrap(), b.unwrap()];

    // Assert
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Conflict(_))))
        .count();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(conflicts, 1, "{results:?}");
    let stored = hub.store().get_case(case.id).await.unwrap();
    assert_eq!(stored.progress.status, winners[0].progress.status);
    assert_eq!(stored.version, case.version + 1);
    // One created event and exactly one transition event.
    assert_eq!(hub.store().get_timeline(case.id).await.unwrap().len(), 2);
}

async fn a_case_walks_the_workflow_with_its_clocks_and_timeline(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let intake = hub
        .store()
        .add_staff(
            staff("thu.vo", &[Role::Intake, Role::Secretary]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let expert = hub
        .store()
        .add_staff(staff("duc.ho", &[Role::Specialist]), &AuditNote::operator())
        .await
        .unwrap();
    let me = Actor::Staff(intake.id);
    let created = hub.submit_case(petition()).await.unwrap();
    let id = created.case.id;

    // Act and assert, step by step.
    clock.advance(Duration::days(1)); // Friday 27 November
    let case = hub
        .transition(id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    assert_eq!(case.progress.accepted_on, Some(d("2026-11-27")));
    assert_eq!(
        case.progress.clocks.council, None,
        "kiến nghị has no acceptance notice clock"
    );
    assert!(
        case.progress.flags.competent,
        "thụ lý: the council handles it"
    );
    // The council handles it itself: the resolver's clock is its own, from acceptance.
    assert_eq!(due(&case, ClockKind::Resolver), Some(d("2026-12-28")));

    let missing_unit = hub
        .transition(id, TransitionRequest::to(Status::Forwarded, me))
        .await;
    assert!(matches!(
        missing_unit,
        Err(Error::Domain(DomainError::Invalid { field: "unit", .. }))
    ));
    let case = hub
        .transition(
            id,
            TransitionRequest::to(Status::Forwarded, me).with_unit("ubnd-phuong"),
        )
        .await
        .unwrap();
    // 30 days after Friday 27 November is Sunday 27 December → Monday 28 December.
    assert_eq!(due(&case, ClockKind::Resolver), Some(d("2026-12-28")));
    assert!(
        !case.progress.flags.competent,
        "forwarded: the unit is competent"
    );
    assert_eq!(case.progress.forwarded_unit.as_deref(), Some("ubnd-phuong"));

    let case = hub
        .transition(
            id,
            TransitionRequest::to(Status::InProgress, me).with_assignee(expert.id),
        )
        .await
        .unwrap();
    assert_eq!(case.progress.assignee, Some(expert.id));

    // The assignee answers.
    let me = Actor::Staff(expert.id);
    let no_answer = hub
        .transition(id, TransitionRequest::to(Status::Answered, me))
        .await;
    assert!(matches!(
        no_answer,
        Err(Error::Domain(DomainError::Invalid {
            field: "answer",
            ..
        }))
    ));
    let case = hub
        .transition(
            id,
            TransitionRequest::to(Status::Answered, me).with_text("Đã thay bóng đèn ngày 30/11."),
        )
        .await
        .unwrap();
    assert_eq!(case.progress.closed_on, Some(d("2026-11-27")));
    assert_eq!(
        case.progress.answer.as_deref(),
        Some("Đã thay bóng đèn ngày 30/11.")
    );

    let case = as_citizen(
        &hub,
        &created.access_token,
        TransitionRequest::to(Status::InProgress, Actor::Citizen),
    )
    .await
    .unwrap();
    assert_eq!(case.progress.closed_on, None);

    let timeline = hub.store().get_timeline(id).await.unwrap();
    let steps: Vec<_> = timeline.iter().map(|e| (e.kind, e.to)).collect();
    assert_eq!(
        steps,
        vec![
            (EventKind::Created, Some(Status::Received)),
            (EventKind::StatusChanged, Some(Status::Accepted)),
            (EventKind::StatusChanged, Some(Status::Forwarded)),
            (EventKind::StatusChanged, Some(Status::InProgress)),
            (EventKind::StatusChanged, Some(Status::Answered)),
            (EventKind::Reopened, Some(Status::InProgress)),
        ]
    );
    assert_eq!(timeline[1].actor, Actor::Staff(intake.id));
    assert_eq!(timeline[5].actor, Actor::Citizen);
    assert_eq!(
        timeline[4].note.as_deref(),
        Some("Đã thay bóng đèn ngày 30/11.")
    );
}

async fn an_illegal_transition_changes_nothing(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let created = hub.submit_case(petition()).await.unwrap();
    let case = created.case;

    // Act: a citizen cannot accept their own case, even with its access token.
    let result = as_citizen(
        &hub,
        &created.access_token,
        TransitionRequest::to(Status::Accepted, Actor::Citizen),
    )
    .await;

    // Assert
    match result {
        Err(Error::Domain(e @ DomainError::IllegalTransition { .. })) => {
            assert_eq!(
                e.to_string(),
                "illegal transition from `received` to `accepted` by citizen"
            );
        }
        other => panic!("expected an illegal transition, got {other:?}"),
    }
    assert_eq!(hub.store().get_case(case.id).await.unwrap(), case);
    assert_eq!(hub.store().get_timeline(case.id).await.unwrap().len(), 1);
}

async fn asking_the_citizen_pauses_nothing_by_default(db: TestDb) {
    // Arrange: received Thursday 26 November, council due Thursday 10 December.
    let (hub, clock) = hub_on(&db).await;
    let intake = hub
        .store()
        .add_staff(staff("ha.dang", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    let created = hub.submit_case(petition()).await.unwrap();
    let case = created.case;
    assert_eq!(due(&case, ClockKind::Council), Some(d("2026-12-10")));

    // Act: asked on Thursday 26, answered Tuesday 1 December.
    let ask = TransitionRequest::to(Status::NeedsInfo, Actor::Staff(intake.id))
        .with_text("Xin cho biết số nhà cụ thể.");
    hub.transition(case.id, ask).await.unwrap();
    clock.set(
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2026, 12, 1, 8, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
    );
    let resumed = as_citizen(
        &hub,
        &created.access_token,
        TransitionRequest::to(Status::Received, Actor::Citizen),
    )
    .await
    .unwrap();

    // Assert: no legal basis for a pause was found, so the deadline stays.
    assert_eq!(resumed.progress.status, Status::Received);
    assert_eq!(resumed.progress.council_paused_days, 0);
    assert_eq!(due(&resumed, ClockKind::Council), Some(d("2026-12-10")));
}

async fn a_denunciation_is_extended_at_most_twice(db: TestDb) {
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
    let mut case = crate::identity_canary::denunciation();
    case.complex = true;
    let id = hub.submit_case(case).await.unwrap().case.id;
    let too_early = hub.extend_deadline(id, officer.id, "Phức tạp").await;
    assert!(matches!(
        too_early,
        Err(Error::Domain(DomainError::Invalid { .. }))
    ));

    // Act
    let accepted = hub
        .transition(
            id,
            TransitionRequest::to(Status::Accepted, Actor::Staff(officer.id)),
        )
        .await
        .unwrap();
    let once = hub
        .extend_deadline(id, officer.id, "Quyết định gia hạn số 01/QĐ-HĐND")
        .await
        .unwrap();
    // Complex: extended once (Luật Tố cáo art. 30).
    let again = hub
        .extend_deadline(id, officer.id, "Quyết định số 02")
        .await;
    hub.classify_case(
        id,
        officer.id,
        CaseFlags {
            especially_complex: true,
            reason: Some("Nội dung liên quan nhiều lĩnh vực, cần xác minh tại hai địa điểm".into()),
            ..once.progress.flags.clone()
        },
    )
    .await
    .unwrap();
    let twice = hub
        .extend_deadline(id, officer.id, "Quyết định gia hạn số 02/QĐ-HĐND")
        .await
        .unwrap();
    let thrice = hub.extend_deadline(id, officer.id, "Thêm lần nữa").await;

    // Assert: accepted Thursday 26 November; 30, 60 and 90 days later.
    // tố cáo: notify acceptance within 5 working days → Thursday 3 December.
    assert_eq!(due(&accepted, ClockKind::Council), Some(d("2026-12-03")));
    assert_eq!(due(&accepted, ClockKind::Resolver), Some(d("2026-12-28"))); // Sat 26 → Mon 28
    assert_eq!(due(&once, ClockKind::Resolver), Some(d("2027-01-25")));
    assert!(matches!(
        again,
        Err(Error::Domain(DomainError::Invalid {
            field: "extension",
            ..
        }))
    ));
    assert_eq!(due(&twice, ClockKind::Resolver), Some(d("2027-02-24")));
    assert!(matches!(
        thrice,
        Err(Error::Domain(DomainError::Invalid {
            field: "extension",
            ..
        }))
    ));
    let kinds: Vec<_> = hub
        .store()
        .get_timeline(id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::DeadlineExtended)
            .count(),
        2
    );
}

async fn a_second_complaint_links_to_the_first(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let mut first = petition();
    first.kind = CaseKind::KhieuNai;
    first.complaint_round = Some(ComplaintRound::First);
    let first = hub.submit_case(first).await.unwrap().case;
    let opinion = hub.submit_case(petition()).await.unwrap().case;
    let second = |code: &CaseCode| {
        let mut case = petition();
        case.kind = CaseKind::KhieuNai;
        case.complaint_round = Some(ComplaintRound::Second);
        case.first_case = Some(code.clone());
        case
    };

    // Act
    let linked = hub.submit_case(second(&first.code)).await.unwrap().case;
    let to_opinion = hub.submit_case(second(&opinion.code)).await;
    let to_nothing = hub
        .submit_case(second(&CaseCode::parse("HB.20200101.0001").unwrap()))
        .await;

    // Assert
    assert_eq!(linked.first_case_id, Some(first.id));
    assert_eq!(linked.complaint_round, Some(ComplaintRound::Second));
    // khiếu nại, the council not competent: tell the citizen within 10 working days.
    assert_eq!(due(&linked, ClockKind::Council), Some(d("2026-12-10")));
    assert!(matches!(
        to_opinion,
        Err(Error::Domain(DomainError::Invalid {
            field: "first_case",
            ..
        }))
    ));
    assert!(matches!(
        to_nothing,
        Err(Error::Domain(DomainError::Invalid {
            field: "first_case",
            ..
        }))
    ));
}

async fn listing_filters_published_cases_and_leaves_out_denunciations(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let petition_case = hub.submit_case(petition()).await.unwrap().case;
    hub.submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap();

    // Act
    let all = hub
        .store()
        .list_cases(&CaseFilter::default())
        .await
        .unwrap();
    let public = hub
        .store()
        .list_cases(&CaseFilter {
            exclude_to_cao: true,
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    let published = hub
        .store()
        .list_cases(&CaseFilter {
            published: Some(true),
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    let denunciations = hub
        .store()
        .list_cases(&CaseFilter {
            kind: Some(CaseKind::ToCao),
            limit: 5,
            ..CaseFilter::default()
        })
        .await
        .unwrap();

    // Assert
    assert_eq!(all.len(), 2);
    assert_eq!(
        public.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![petition_case.id]
    );
    assert!(
        published.is_empty(),
        "nothing is published until staff publish it"
    );
    assert_eq!(denunciations.len(), 1);
    assert_eq!(denunciations[0].kind, CaseKind::ToCao);
}

async fn migrations_apply_once_and_reopen_cleanly(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let code = hub.submit_case(petition()).await.unwrap().case.code;

    // Act: open the same database again, as a restart does.
    let reopened = db.open(clock).await;

    // Assert: the data is there and the counter continues.
    assert_eq!(reopened.get_case_by_code(&code).await.unwrap().code, code);
    reopened.ping().await.unwrap();
}

async fn publishing_needs_consent_and_never_takes_a_denunciation(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let secretary = hub
        .store()
        .add_staff(staff("nga.ly", &[Role::Secretary]), &AuditNote::operator())
        .await
        .unwrap();
    let consenting = hub.submit_case(petition()).await.unwrap().case;
    let mut private = petition();
    private.publication_consent = false;
    let private = hub.submit_case(private).await.unwrap().case;
    let denunciation = hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;

    // Act
    let published = hub
        .publish_case(
            consenting.id,
            secretary.id,
            "Sửa đèn chiếu sáng ngõ 12",
            "Cử tri phản ánh đèn ngõ hỏng.",
        )
        .await
        .unwrap();
    let refused_private = hub
        .publish_case(private.id, secretary.id, "Tiêu đề", "Tóm tắt")
        .await;
    let refused_denunciation = hub
        .publish_case(denunciation.id, secretary.id, "Tiêu đề", "Tóm tắt")
        .await;
    let public_list = hub
        .store()
        .list_cases(&CaseFilter {
            published: Some(true),
            exclude_to_cao: true,
            ..CaseFilter::default()
        })
        .await
        .unwrap();

    // Assert
    let copy = published.publication.as_ref().expect("public copy");
    assert_eq!(copy.title, "Sửa đèn chiếu sáng ngõ 12");
    assert_eq!(copy.published_at, morning());
    assert_eq!(published.version, consenting.version + 1);
    assert!(matches!(
        refused_private,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    assert!(matches!(
        refused_denunciation,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    assert_eq!(public_list, vec![published.clone()]);
    let last = hub
        .store()
        .get_timeline(published.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.kind, EventKind::Published);
    // Even a caller that skips the domain check cannot publish a denunciation.
    let forced = hub
        .store()
        .update_case_publication(hdnd_hub::storage::PublicationChange {
            case_id: denunciation.id,
            expected_version: denunciation.version,
            publication: published.publication.clone(),
            // The published event again, as a caller replaying it would append it.
            event: NewEvent {
                kind: last.kind,
                actor: last.actor,
                from: last.from,
                to: last.to,
                note: last.note.clone(),
            },
            notify: hdnd_hub::storage::Notify::none(),
        })
        .await;
    assert!(matches!(forced, Err(Error::Conflict(_))));
    assert!(
        hub.store()
            .get_case(denunciation.id)
            .await
            .unwrap()
            .publication
            .is_none()
    );
}

async fn a_replayed_submission_makes_no_second_case(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let mut case = petition();
    case.source_ref = Some("telegram:update:1001".to_owned());

    // Act
    let first = hub.submit_case(case.clone()).await.unwrap().case;
    let replay = hub.submit_case(case).await;

    // Assert
    assert!(matches!(replay, Err(Error::Conflict(m)) if m.contains("telegram:update:1001")));
    assert_eq!(
        hub.store()
            .get_case_by_source_ref("telegram:update:1001")
            .await
            .unwrap(),
        first
    );
    assert_eq!(
        hub.store()
            .count_cases(&CaseFilter::default())
            .await
            .unwrap(),
        1
    );
    // The rolled-back replay used no case number.
    let next = hub.submit_case(petition()).await.unwrap().case;
    assert_eq!(next.code.as_str(), "HB.20261126.0002");
}

async fn counts_by_status_leave_out_denunciations_when_asked(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let clerk = hub
        .store()
        .add_staff(staff("quan.do", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    let a = hub.submit_case(petition()).await.unwrap().case;
    hub.submit_case(petition()).await.unwrap();
    hub.submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap();
    hub.transition(
        a.id,
        TransitionRequest::to(Status::Accepted, Actor::Staff(clerk.id)),
    )
    .await
    .unwrap();

    // Act
    let public = hub.store().count_cases_by_status(true).await.unwrap();
    let all = hub.store().count_cases_by_status(false).await.unwrap();

    // Assert
    let get = |counts: &[(Status, i64)], s: Status| {
        counts.iter().find(|(x, _)| *x == s).map_or(0, |c| c.1)
    };
    assert_eq!(get(&public, Status::Received), 1);
    assert_eq!(get(&public, Status::Accepted), 1);
    assert_eq!(get(&all, Status::Received), 2);
    let filter = CaseFilter {
        exclude_to_cao: true,
        ..CaseFilter::default()
    };
    assert_eq!(hub.store().count_cases(&filter).await.unwrap(), 2);
}

async fn published_cases_can_be_listed_newest_publication_first(db: TestDb) {
    // Arrange: the older case is published last.
    let (hub, clock) = hub_on(&db).await;
    let secretary = hub
        .store()
        .add_staff(staff("yen.ha", &[Role::Secretary]), &AuditNote::operator())
        .await
        .unwrap();
    let older = hub.submit_case(petition()).await.unwrap().case;
    clock.advance(Duration::hours(1));
    let newer = hub.submit_case(petition()).await.unwrap().case;
    hub.publish_case(newer.id, secretary.id, "Mới hơn", "Tóm tắt")
        .await
        .unwrap();
    clock.advance(Duration::hours(1));
    hub.publish_case(older.id, secretary.id, "Cũ hơn", "Tóm tắt")
        .await
        .unwrap();

    // Act
    let published = CaseFilter {
        published: Some(true),
        ..CaseFilter::default()
    };
    let by_receipt = hub.store().list_cases(&published).await.unwrap();
    let by_publication = hub
        .store()
        .list_cases(&CaseFilter {
            by_publication: true,
            ..published
        })
        .await
        .unwrap();

    // Assert
    let ids = |cases: &[hdnd_hub::domain::Case]| cases.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(&by_receipt), vec![newer.id, older.id]);
    assert_eq!(ids(&by_publication), vec![older.id, newer.id]);
}
