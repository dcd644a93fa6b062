//! Case changes enqueue their notifications in the same transaction, on both databases.

use hdnd_hub::domain::AuditNote;
use std::sync::Arc;

use hdnd_hub::delivery::outbox::{Category, OutboxRow, OutboxStatus};
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{Actor, Role, Status};

use crate::helpers::{TestDb, contract_tests, notifying_hub, petition, staff};

contract_tests!(
    a_case_notifies_its_citizen_and_intake_and_threads_every_mail,
    a_denouncer_hears_only_the_code_and_the_status_on_the_chosen_channel,
    an_illegal_transition_enqueues_nothing,
    staff_notifications_wait_out_quiet_hours_and_skip_channels_turned_off,
    a_citizen_on_telegram_and_email_hears_on_telegram_with_email_rendered_as_its_fallback,
    a_fallback_row_is_sent_as_rendered_for_its_own_channel,
);

fn oldest_first(mut rows: Vec<OutboxRow>) -> Vec<OutboxRow> {
    rows.reverse();
    rows
}

async fn a_case_notifies_its_citizen_and_intake_and_threads_every_mail(db: TestDb) {
    // Arrange: one intake officer with email, one without contacts, one specialist.
    let (hub, _clock) = notifying_hub(&db).await;
    let intake = hub
        .store()
        .add_staff(
            staff("tam.cao", &[Role::Intake, Role::Secretary]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let mut silent = staff("vy.ton", &[Role::Intake]);
    silent.contacts.clear();
    hub.store()
        .add_staff(silent, &AuditNote::operator())
        .await
        .unwrap();
    let expert = hub
        .store()
        .add_staff(
            staff("son.kha", &[Role::Specialist]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();

    // Act
    let case = hub.submit_case(petition()).await.unwrap().case;
    let on_receipt = oldest_first(hub.store().list_outbox(None, 50).await.unwrap());
    let me = Actor::Staff(intake.id);
    hub.transition(case.id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    hub.transition(
        case.id,
        TransitionRequest::to(Status::InProgress, me).with_assignee(expert.id),
    )
    .await
    .unwrap();
    let all = oldest_first(hub.store().list_outbox(None, 50).await.unwrap());

    // Assert: on receipt, the citizen's code and intake's new case.
    assert_eq!(on_receipt.len(), 2, "{on_receipt:?}");
    let receipt = &on_receipt[0];
    assert_eq!(receipt.address, "hoa.pham@example.org");
    assert_eq!(receipt.category, Category::CaseUpdate);
    assert!(
        receipt.subject.contains(&format!("[{}]", case.code)),
        "{}",
        receipt.subject
    );
    assert!(receipt.text.contains(case.code.as_str()));
    let root = receipt.message_id.clone().unwrap();
    assert!(root.starts_with(&format!("<{}.", case.code)) && root.ends_with("@hongbang.example>"));
    assert_eq!(receipt.in_reply_to, None);
    assert_eq!(on_receipt[1].address, "tam.cao@council.example");
    assert_eq!(on_receipt[1].category, Category::StaffCase);
    assert!(
        on_receipt[1]
            .dedupe_key
            .ends_with(&format!("staff:{}:new", intake.id))
    );

    // Then each status change to the citizen, threaded under the first mail, and the
    // assignment to the specialist.
    let to_citizen: Vec<_> = all
        .iter()
        .filter(|r| r.address == "hoa.pham@example.org")
        .collect();
    assert_eq!(to_citizen.len(), 3);
    for later in &to_citizen[1..] {
        assert_eq!(later.in_reply_to.as_deref(), Some(root.as_str()));
        assert_eq!(later.references, vec![root.clone()]);
        assert_ne!(later.message_id.as_deref(), Some(root.as_str()));
    }
    assert!(
        to_citizen[2].text.contains("Đang giải quyết"),
        "{}",
        to_citizen[2].text
    );
    let assigned: Vec<_> = all
        .iter()
        .filter(|r| r.address == "son.kha@council.example")
        .collect();
    assert_eq!(assigned.len(), 1);
    assert!(
        assigned[0]
            .dedupe_key
            .ends_with(&format!("staff:{}:assigned", expert.id))
    );
    assert!(all.iter().all(|r| r.status == OutboxStatus::Queued));
}

async fn a_denouncer_hears_only_the_code_and_the_status_on_the_chosen_channel(db: TestDb) {
    // Arrange
    let (hub, _clock) = notifying_hub(&db).await;
    let officer = hub
        .store()
        .add_staff(
            staff("lam.tu", &[Role::DenunciationOfficer]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();

    // Act
    let case = hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;
    hub.transition(
        case.id,
        TransitionRequest::to(Status::Accepted, Actor::Staff(officer.id)),
    )
    .await
    .unwrap();
    let rows = oldest_first(hub.store().list_outbox(None, 50).await.unwrap());

    // Assert
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        assert!(row.sealed);
        assert_eq!(row.address, "", "resolved when sent, never copied");
        assert_eq!(row.channel, hdnd_hub::delivery::ChannelKind::Email);
        assert!(
            row.telegram.is_some(),
            "rendered for either channel the denouncer chose"
        );
        assert!(row.subject.contains(case.code.as_str()));
        for text in [&row.subject, &row.text, row.html.as_ref().unwrap()] {
            assert!(!text.contains(&case.title), "the title leaks: {text}");
            assert!(!text.contains("Tố cáo"), "the kind leaks: {text}");
        }
    }
    assert!(rows[1].text.contains("Đã thụ lý"));
}

async fn an_illegal_transition_enqueues_nothing(db: TestDb) {
    let (hub, _clock) = notifying_hub(&db).await;
    let case = hub.submit_case(petition()).await.unwrap().case;
    let before = hub.store().list_outbox(None, 50).await.unwrap().len();
    let refused = hub
        .transition(
            case.id,
            TransitionRequest::to(Status::Answered, Actor::Citizen),
        )
        .await;
    assert!(refused.is_err());
    assert_eq!(
        hub.store().list_outbox(None, 50).await.unwrap().len(),
        before
    );
}

async fn staff_notifications_wait_out_quiet_hours_and_skip_channels_turned_off(db: TestDb) {
    // Arrange: it is 09:30 in Hải Phòng; one officer is quiet until 10:00, one turned off
    // case mail.
    let (hub, _clock) = notifying_hub(&db).await;
    let mut resting = staff("an.nghi", &[Role::Intake]);
    resting.quiet_hours = Some("09:00-10:00".parse().unwrap());
    let resting = hub
        .store()
        .add_staff(resting, &AuditNote::operator())
        .await
        .unwrap();
    let muted = hub
        .store()
        .add_staff(staff("binh.tat", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    hub.store()
        .set_preference(
            muted.id,
            Category::StaffCase,
            hdnd_hub::delivery::ChannelKind::Email,
            false,
            &AuditNote::operator(),
        )
        .await
        .unwrap();

    // Act
    hub.submit_case(petition()).await.unwrap();

    // Assert
    let rows = hub.store().list_outbox(None, 50).await.unwrap();
    let to_resting: Vec<_> = rows
        .iter()
        .filter(|r| r.address == "an.nghi@council.example")
        .collect();
    assert_eq!(to_resting.len(), 1);
    let ten =
        chrono::TimeZone::with_ymd_and_hms(&chrono_tz::Asia::Ho_Chi_Minh, 2026, 11, 26, 10, 0, 0)
            .unwrap()
            .with_timezone(&chrono::Utc);
    assert_eq!(to_resting[0].due_at, ten);
    let to_muted: Vec<_> = rows
        .iter()
        .filter(|r| r.address == "binh.tat@council.example")
        .collect();
    assert_eq!(to_muted.len(), 1);
    assert_eq!(
        to_muted[0].status,
        OutboxStatus::Suppressed,
        "kept for the record, never sent"
    );
    assert_eq!(resting.quiet_hours.unwrap().to_string(), "09:00-10:00");
}

async fn a_citizen_on_telegram_and_email_hears_on_telegram_with_email_rendered_as_its_fallback(
    db: TestDb,
) {
    // Arrange: an English-speaking citizen who wrote from a Telegram chat and also gave an
    // email address.
    let (hub, _clock) = notifying_hub(&db).await;
    let mut case = petition();
    case.language = hdnd_hub::domain::Language::En;
    case.contacts.insert(
        0,
        hdnd_hub::domain::ContactPoint {
            kind: hdnd_hub::domain::ContactKind::Telegram,
            address: "100200300".to_owned(),
        },
    );

    // Act
    let code = hub.submit_case(case).await.unwrap().case.code;

    // Assert: one message, to the chat first, carrying both renderings.
    let rows = oldest_first(hub.store().list_outbox(None, 50).await.unwrap());
    let to_citizen: Vec<_> = rows
        .iter()
        .filter(|r| r.category == Category::CaseUpdate)
        .collect();
    assert_eq!(to_citizen.len(), 1, "{rows:?}");
    let row = to_citizen[0];
    assert_eq!(row.address, "100200300");
    assert_eq!(row.channel, hdnd_hub::delivery::ChannelKind::Telegram);
    let parts = &row.telegram.as_ref().unwrap().parts;
    assert_eq!(parts.len(), 1);
    assert!(parts[0].contains("has received your case"), "{}", parts[0]);
    assert!(parts[0].contains(&format!("<code>{code}</code>")));
    assert!(!parts[0].contains("Kính gửi") && !parts[0].contains("<html"));
    assert!(row.has_email, "the fallback's email is rendered at enqueue");
    assert!(
        row.subject.contains(&format!("[{code}]")),
        "{}",
        row.subject
    );
    assert!(row.text.starts_with("Dear"), "{}", row.text);
    assert!(!row.dedupe_key.contains("100200300") && !row.dedupe_key.contains("hoa.pham"));
}

/// Telegram that refuses every message for good (the bot was blocked).
#[derive(Debug)]
struct BlockedTelegram;

#[async_trait::async_trait]
impl hdnd_hub::delivery::Channel for BlockedTelegram {
    fn kind(&self) -> hdnd_hub::delivery::ChannelKind {
        hdnd_hub::delivery::ChannelKind::Telegram
    }

    async fn send(
        &self,
        _: &hdnd_hub::delivery::Outgoing,
    ) -> Result<hdnd_hub::delivery::ProviderId, hdnd_hub::delivery::DeliveryError> {
        Err(hdnd_hub::delivery::DeliveryError::Permanent(
            "Forbidden: bot was blocked by the user".to_owned(),
        ))
    }
}

async fn a_fallback_row_is_sent_as_rendered_for_its_own_channel(db: TestDb) {
    // Arrange: intake staff reached on Telegram first, email second.
    let (hub, _clock) = notifying_hub(&db).await;
    let mut member = staff("tam.cao", &[Role::Intake]);
    member.contacts.insert(
        0,
        hdnd_hub::domain::ContactPoint {
            kind: hdnd_hub::domain::ContactKind::Telegram,
            address: "555000111".to_owned(),
        },
    );
    hub.store()
        .add_staff(member, &AuditNote::operator())
        .await
        .unwrap();
    let email = Arc::new(crate::outbox::FakeChannel::default());
    let worker = hdnd_hub::delivery::worker::Worker::new(
        hub.store().clone(),
        vec![email.clone(), Arc::new(BlockedTelegram)],
        hdnd_hub::delivery::worker::DeliverySettings::default(),
    );

    // Act: the case, Telegram refusing, then the fallback.
    let code = hub.submit_case(petition()).await.unwrap().case.code;
    worker.try_execute_batch().await.unwrap();
    worker.try_execute_batch().await.unwrap();

    // Assert
    let rows = oldest_first(hub.store().list_outbox(None, 50).await.unwrap());
    let to_staff: Vec<_> = rows
        .iter()
        .filter(|r| r.category == Category::StaffCase)
        .collect();
    assert_eq!(to_staff.len(), 2, "{rows:?}");
    assert_eq!(to_staff[0].status, OutboxStatus::Failed);
    assert!(to_staff[0].telegram.is_some() && to_staff[0].has_email);
    assert_eq!(to_staff[1].address, "tam.cao@council.example");
    assert_eq!(to_staff[1].status, OutboxStatus::Sent);
    assert!(to_staff[1].dedupe_key.ends_with("|fallback:email"));
    let subjects = email.subjects();
    let to_member: Vec<_> = subjects
        .iter()
        .filter(|s| s.contains("Hồ sơ mới"))
        .collect();
    assert_eq!(to_member.len(), 1, "{subjects:?}");
    assert!(to_member[0].contains(&format!("[{code}]")));
}
