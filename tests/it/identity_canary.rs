//! The canary: a denouncer's name, phone and ID number are stored, and never come back from a
//! non-privileged store call nor appear in any log line; a privileged read is audited.

use hdnd_hub::domain::AuditNote;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    Actor, CaseKind, ContactKind, ContactPoint, DenouncerIdentity, Language, NewCase, Role,
    SourceChannel, Status,
};
use hdnd_hub::{CaseFilter, DomainError, Error};

use crate::helpers::{TestDb, captured_logs, contract_tests, hub_on, staff};

/// The demo denouncer's secrets (fictional, unique strings a leak would show).
pub(crate) const NAME: &str = "Đoàn Thị Canary";
const PHONE: &str = "0999111222";
pub(crate) const EMAIL: &str = "canary.doan@example.net";
const ID_NUMBER: &str = "099188277366";

contract_tests!(
    denouncer_identity_never_leaks_and_every_read_is_audited,
    with_the_notifier_on_no_outbox_column_listing_debug_or_log_line_holds_the_denouncer,
);

/// The chat id of a denouncer who chose Telegram.
const CHAT: &str = "777000111222";

/// A denunciation by the canary denouncer.
pub(crate) fn denunciation() -> NewCase {
    NewCase {
        kind: CaseKind::ToCao,
        complaint_round: None,
        first_case: None,
        title: "Tố cáo hành vi thu tiền sai quy định".to_owned(),
        content: "Cán bộ tổ dân phố thu tiền vệ sinh cao hơn mức quy định.".to_owned(),
        area: Some("minh-khai".to_owned()),
        category: Some("can-bo".to_owned()),
        channel: SourceChannel::Email,
        citizen_name: None,
        citizen_address: None,
        citizen_id_number: None,
        contacts: vec![],
        attachments: vec![],
        publication_consent: false,
        complex: false,
        remote_area: false,
        denouncer: Some(DenouncerIdentity {
            full_name: NAME.to_owned(),
            phone: Some(PHONE.to_owned()),
            email: Some(EMAIL.to_owned()),
            address: Some("Số 1 đường Thử Nghiệm".to_owned()),
            id_number: Some(ID_NUMBER.to_owned()),
            chosen_contact: Some(ContactPoint {
                kind: ContactKind::Email,
                address: EMAIL.to_owned(),
            }),
        }),
        source_ref: None,
        language: Language::Vi,
    }
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [NAME, PHONE, EMAIL, ID_NUMBER] {
        assert!(!text.contains(secret), "{what} leaks `{secret}`");
    }
}

async fn denouncer_identity_never_leaks_and_every_read_is_audited(db: TestDb) {
    // Arrange
    let logs = captured_logs();
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store();
    let officer = store
        .add_staff(
            staff("giang.mai", &[Role::DenunciationOfficer]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let clerk = store
        .add_staff(
            staff("tuan.ngo", &[Role::Intake, Role::Lead]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();

    // Act: everything a non-privileged caller can do with the case.
    let created = hub.submit_case(denunciation()).await.unwrap();
    let id = created.case.id;
    let accepted = hub
        .transition(
            id,
            TransitionRequest::to(Status::Accepted, Actor::Staff(officer.id)),
        )
        .await
        .unwrap();
    let returned = [
        format!("{created:?}"),
        format!("{accepted:?}"),
        format!("{:?}", store.get_case(id).await.unwrap()),
        format!(
            "{:?}",
            store.get_case_by_code(&created.case.code).await.unwrap()
        ),
        format!(
            "{:?}",
            store
                .get_case_by_token(&created.access_token)
                .await
                .unwrap()
        ),
        format!(
            "{:?}",
            store.list_cases(&CaseFilter::default()).await.unwrap()
        ),
        format!("{:?}", store.get_timeline(id).await.unwrap()),
        format!("{:?}", store.list_audit(100).await.unwrap()),
        format!("{:?}", store.list_staff().await.unwrap()),
    ];
    let refused = hub.read_denouncer_identity(clerk.id, id, "tò mò").await;
    let audit_before = store.list_audit(100).await.unwrap();

    // Assert: no value, and no log line, carries the secret.
    for (i, text) in returned.iter().enumerate() {
        assert_no_secret(&format!("store call #{i}"), text);
    }
    assert!(matches!(
        refused,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    assert!(
        audit_before
            .iter()
            .all(|a| a.action != "denouncer_identity.read")
    );

    // Act: the privileged read.
    let identity = hub
        .read_denouncer_identity(officer.id, id, "Xác minh nội dung tố cáo")
        .await
        .unwrap();

    // Assert: it returns the secret, writes one audit row, and logs no secret either.
    assert_eq!(identity.full_name, NAME);
    assert_eq!(identity.phone.as_deref(), Some(PHONE));
    assert_eq!(identity.id_number.as_deref(), Some(ID_NUMBER));
    let audit = store.list_audit(100).await.unwrap();
    let reads: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "denouncer_identity.read")
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].staff, Some(officer.id));
    assert_eq!(reads[0].subject, format!("case:{}", id.0));
    assert_eq!(reads[0].detail.as_deref(), Some("Xác minh nội dung tố cáo"));
    assert_no_secret("the audit log", &format!("{audit:?}"));
    assert_no_secret("Debug of the identity", &format!("{identity:?}"));

    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    // The capture works: the hub's own lines about this very case are in it.
    assert!(
        logged.contains(&format!("case {} received", created.case.code)),
        "capture is empty"
    );
    assert!(logged.contains("denouncer identity of case"));
    assert_no_secret("the tracing output", &logged);
}

/// Records what it sends, on Telegram, and answers with a message id.
#[derive(Debug, Default)]
struct RecordingTelegram {
    sent: std::sync::Mutex<Vec<hdnd_hub::delivery::Outgoing>>,
}

#[async_trait::async_trait]
impl hdnd_hub::delivery::Channel for RecordingTelegram {
    fn kind(&self) -> hdnd_hub::delivery::ChannelKind {
        hdnd_hub::delivery::ChannelKind::Telegram
    }

    async fn send(
        &self,
        message: &hdnd_hub::delivery::Outgoing,
    ) -> Result<hdnd_hub::delivery::ProviderId, hdnd_hub::delivery::DeliveryError> {
        self.sent.lock().unwrap().push(message.clone());
        Ok(hdnd_hub::delivery::ProviderId("4711".to_owned()))
    }
}

/// Every column of every outbox row, as text.
fn every_column(rows: &[hdnd_hub::delivery::outbox::OutboxRow]) -> String {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                r.dedupe_key,
                r.channel,
                r.address,
                r.subject,
                r.text,
                r.html,
                r.message_id,
                r.in_reply_to,
                r.references,
                r.list_unsubscribe,
                r.telegram,
                r.provider_ids,
                r.fallback,
                r.last_error,
                r.claimed_by,
                r.status,
            )
        })
        .collect()
}

async fn with_the_notifier_on_no_outbox_column_listing_debug_or_log_line_holds_the_denouncer(
    db: TestDb,
) {
    // Arrange: two denunciations, one by a denouncer who chose email, one by one who chose
    // Telegram; a petition whose citizen's name must not show in a case's Debug either.
    let logs = captured_logs();
    let (hub, clock) = crate::helpers::notifying_hub(&db).await;
    let officer = hub
        .store()
        .add_staff(
            staff("giang.mai", &[Role::DenunciationOfficer]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let mut on_telegram = denunciation();
    if let Some(identity) = on_telegram.denouncer.as_mut() {
        identity.chosen_contact = Some(ContactPoint {
            kind: ContactKind::Telegram,
            address: CHAT.to_owned(),
        });
    }
    let email = std::sync::Arc::new(crate::outbox::FakeChannel::default());
    let telegram = std::sync::Arc::new(RecordingTelegram::default());
    let worker = hdnd_hub::delivery::worker::Worker::new(
        hub.store().clone(),
        vec![email.clone(), telegram.clone()],
        hdnd_hub::delivery::worker::DeliverySettings::default(),
    );

    // Act: file both, move one, send everything.
    let by_email = hub.submit_case(denunciation()).await.unwrap();
    let by_chat = hub.submit_case(on_telegram).await.unwrap();
    hub.transition(
        by_chat.case.id,
        TransitionRequest::to(Status::Accepted, Actor::Staff(officer.id)),
    )
    .await
    .unwrap();
    let queued = hub.store().list_outbox(None, 100).await.unwrap();
    // The second message to the chat waits for its pacing slot, a second later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while telegram.sent.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
        while worker.try_execute_batch().await.unwrap()
            != hdnd_hub::delivery::worker::ExecutionOutcome::Idle
        {}
        clock.advance(chrono::Duration::seconds(2));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let sent = hub.store().list_outbox(None, 100).await.unwrap();
    let petition = hub.submit_case(crate::helpers::petition()).await.unwrap();

    // Assert: the notifications went to the sealed addresses...
    let to_chat = telegram.sent.lock().unwrap().clone();
    assert_eq!(to_chat.len(), 2, "receipt and acceptance");
    assert!(to_chat.iter().all(|m| m.address == CHAT));
    let mailed = email.sent.lock().unwrap().clone();
    assert!(mailed.iter().any(|m| m.address == EMAIL));
    assert!(sent.iter().filter(|r| r.sealed).all(|r| r.status
        == hdnd_hub::delivery::outbox::OutboxStatus::Sent
        && !r.provider_ids.is_empty()));
    // ...and no trace of the denouncer stayed behind.
    for (what, text) in [
        ("an outbox column before sending", every_column(&queued)),
        ("an outbox column after sending", every_column(&sent)),
        ("the listing's Debug", format!("{sent:?}")),
        ("a sent message's Debug", format!("{to_chat:?} {mailed:?}")),
        ("a case's Debug", format!("{by_email:?} {by_chat:?}")),
    ] {
        assert_no_secret(what, &text);
        assert!(!text.contains(CHAT), "{what} leaks the chat id");
    }
    let petition_debug = format!("{petition:?}");
    for personal in ["Phạm Thị Hoa", "hoa.pham@example.org", "hỏng đã hai tuần"] {
        assert!(
            !petition_debug.contains(personal),
            "a case's Debug shows `{personal}`"
        );
    }
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert_no_secret("the tracing output", &logged);
    assert!(
        !logged.contains(CHAT),
        "the tracing output leaks the chat id"
    );
}
