//! Citizens and their contact points: one citizen per contact point, "my cases" by a contact
//! the person controls, a denouncer found only by the keyed hash of their contact, contacts
//! that stop working, and every message in the citizen's language. Both databases.

use hdnd_hub::domain::AuditNote;

use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, Outcome, Target};
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    Actor, CaseKind, ContactKind, ContactPoint, ContactState, DenouncerIdentity, Language,
    NormalisedContact, Role, Status,
};
use hdnd_hub::{Clock, Hub};

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff, with_notifier};

contract_tests!(
    a_citizen_is_made_once_per_contact_point_and_each_case_links_to_it,
    a_denouncer_finds_their_denunciation_under_my_cases_and_no_other_query_does,
    a_permanent_failure_marks_the_contact_point_unreachable,
    every_message_to_a_citizen_is_in_their_language,
);

fn contact(kind: ContactKind, value: &str) -> NormalisedContact {
    NormalisedContact::parse(kind, value).unwrap()
}

async fn a_citizen_is_made_once_per_contact_point_and_each_case_links_to_it(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let mut first = petition();
    first.contacts = vec![ContactPoint {
        kind: ContactKind::Email,
        address: "hoa.pham@Example.ORG".to_owned(),
    }];
    let mut second = petition();
    second.contacts = vec![
        ContactPoint {
            kind: ContactKind::Phone,
            address: "0912 345 678".to_owned(),
        },
        ContactPoint {
            kind: ContactKind::Email,
            address: "hoa.pham@example.org".to_owned(),
        },
    ];
    let mut walk_in = petition();
    walk_in.contacts.clear();

    // Act
    let first = hub.submit_case(first).await.unwrap().case;
    let second = hub.submit_case(second).await.unwrap().case;
    let walk_in = hub.submit_case(walk_in).await.unwrap().case;

    // Assert
    let citizen = first.citizen.expect("linked to a citizen");
    assert_eq!(
        second.citizen,
        Some(citizen),
        "the known email finds the citizen"
    );
    assert_eq!(walk_in.citizen, None, "no contact point, no citizen");
    assert_eq!(first.contacts[0].address, "hoa.pham@example.org");
    let store = hub.store();
    let contacts = store.list_citizen_contacts(citizen).await.unwrap();
    let values: Vec<_> = contacts.iter().map(|c| c.contact.value()).collect();
    assert_eq!(values, ["hoa.pham@example.org", "+84912345678"]);
    assert!(contacts.iter().all(|c| c.state == ContactState::Unverified));
    let named = store.get_citizen(citizen).await.unwrap();
    assert_eq!(named.display_name.as_deref(), Some("Phạm Thị Hoa"));
    let mine = hub
        .my_cases(&contact(ContactKind::Phone, "+84 912 345 678"))
        .await
        .unwrap();
    let codes: Vec<_> = mine.iter().map(|c| c.code.clone()).collect();
    assert_eq!(codes, [second.code, first.code], "newest first");
    let stranger = hub
        .my_cases(&contact(ContactKind::Email, "someone@example.org"))
        .await
        .unwrap();
    assert!(stranger.is_empty());
}

async fn a_denouncer_finds_their_denunciation_under_my_cases_and_no_other_query_does(db: TestDb) {
    // Arrange: the same person files a petition and, with the same email, a denunciation.
    let (hub, _clock) = hub_on(&db).await;
    let petition = hub.submit_case(petition()).await.unwrap().case;
    let mut denunciation = petition_like_denunciation();
    denunciation.denouncer.as_mut().unwrap().chosen_contact = Some(ContactPoint {
        kind: ContactKind::Email,
        address: "hoa.pham@EXAMPLE.org".to_owned(),
    });
    let denunciation = hub.submit_case(denunciation).await.unwrap().case;
    let email = contact(ContactKind::Email, "hoa.pham@example.org");

    // Act
    let mine = hub.my_cases(&email).await.unwrap();
    let owner = hub.store().find_citizen_contact(&email).await.unwrap();
    // Another hub on the same database, keyed with another secret.
    let other_key = Hub::new(hub.store().clone(), hub.profile().clone());
    let unkeyed = other_key.my_cases(&email).await.unwrap();

    // Assert
    let codes: Vec<_> = mine.iter().map(|c| c.code.clone()).collect();
    assert_eq!(codes, [denunciation.code.clone(), petition.code.clone()]);
    assert_eq!(
        denunciation.citizen, None,
        "never linked to a visible citizen"
    );
    let owner = owner.expect("the petition's citizen");
    assert_eq!(Some(owner.citizen), petition.citizen);
    assert_eq!(
        unkeyed.iter().map(|c| c.code.clone()).collect::<Vec<_>>(),
        [petition.code],
        "without the key the denunciation is not found"
    );
    let by_phone = hub
        .my_cases(&contact(ContactKind::Phone, "0900000009"))
        .await
        .unwrap();
    assert_eq!(by_phone.len(), 1, "the identity's phone finds it too");
}

pub(crate) fn petition_like_denunciation() -> hdnd_hub::domain::NewCase {
    let mut case = petition();
    case.kind = CaseKind::ToCao;
    case.citizen_name = None;
    case.contacts.clear();
    case.denouncer = Some(DenouncerIdentity {
        full_name: "Phạm Thị Hoa".to_owned(),
        phone: Some("090 000 0009".to_owned()),
        email: None,
        address: None,
        id_number: None,
        chosen_contact: None,
    });
    case
}

async fn a_permanent_failure_marks_the_contact_point_unreachable(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let mut case = petition();
    case.contacts.push(ContactPoint {
        kind: ContactKind::Telegram,
        address: "100200300".to_owned(),
    });
    let case = hub.submit_case(case).await.unwrap().case;
    let store = hub.store();
    let message = NewNotification {
        key: "status".to_owned(),
        to: Target::Contacts(vec![Destination {
            channel: ChannelKind::Telegram,
            address: "100200300".to_owned(),
        }]),
        category: Category::CaseUpdate,
        urgent: false,
        email: None,
        telegram: Some(hdnd_hub::delivery::TelegramMessage {
            parts: vec!["Hồ sơ đã được tiếp nhận.".to_owned()],
            ..Default::default()
        }),
        due_at: clock.now(),
        suppressed: false,
    };
    store
        .enqueue("test", Some(case.id), &[message])
        .await
        .unwrap();
    let claimed = store
        .claim_outbox(10, std::time::Duration::from_secs(30))
        .await
        .unwrap();

    // Act
    let failed = Outcome::Failed {
        error: "Forbidden: bot was blocked by the user".to_owned(),
    };
    store
        .record_outcomes(&[(claimed[0].clone(), failed)])
        .await
        .unwrap();

    // Assert
    let telegram = contact(ContactKind::Telegram, "100200300");
    let state = store
        .find_citizen_contact(&telegram)
        .await
        .unwrap()
        .unwrap()
        .state;
    match state {
        ContactState::Unreachable { reason, at } => {
            assert!(reason.contains("blocked"));
            assert_eq!(at, clock.now());
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
    let email = contact(ContactKind::Email, "hoa.pham@example.org");
    let email = store.find_citizen_contact(&email).await.unwrap().unwrap();
    assert!(
        email.state.is_reachable(),
        "the other contact point still works"
    );
}

async fn every_message_to_a_citizen_is_in_their_language(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let hub = with_notifier(hub);
    let officer = hub
        .store()
        .add_staff(staff("tam.cao", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    let mut english = petition();
    english.language = Language::En;

    // Act
    let case = hub.submit_case(english).await.unwrap().case;
    let on_receipt = citizen_subjects(&hub).await;
    hub.store()
        .set_citizen_language(case.citizen.unwrap(), Language::Vi)
        .await
        .unwrap();
    let me = Actor::Staff(officer.id);
    hub.transition(case.id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    let after = citizen_subjects(&hub).await;

    // Assert
    assert_eq!(case.language, Language::En);
    assert!(
        on_receipt[0].contains("We have received your submission"),
        "{on_receipt:?}"
    );
    assert!(after[1].contains("Cập nhật tình trạng hồ sơ"), "{after:?}");
}

/// The subjects of the mails to the citizen's address, oldest first.
async fn citizen_subjects(hub: &Hub) -> Vec<String> {
    let mut rows = hub.store().list_outbox(None, 50).await.unwrap();
    rows.reverse();
    rows.into_iter()
        .filter(|r| r.address == "hoa.pham@example.org")
        .map(|r| r.subject)
        .collect()
}
