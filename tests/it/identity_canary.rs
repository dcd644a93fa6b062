//! The canary: a denouncer's name and phone are stored, and never come back from a
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
const NAME: &str = "Đoàn Thị Canary";
const PHONE: &str = "0999111222";
pub(crate) const EMAIL: &str = "canary.doan@example.net";

contract_tests!(denouncer_identity_never_leaks_and_every_read_is_audited);

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
    for secret in [NAME, PHONE, EMAIL] {
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
