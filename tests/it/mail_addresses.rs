//! With the council's mailbox set, every mail about a case carries the case's signed reply
//! address as Reply-To, kept through the outbox, and the address reads back as that case;
//! mail that is not about a case carries none. Both databases.

use std::sync::Arc;

use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::notify::Notifier;
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::{AuditNote, Role, Signed};

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};

contract_tests!(every_mail_about_a_case_carries_its_signed_reply_address,);

const MAILBOX: &str = "hdnd@hongbang.example";

async fn every_mail_about_a_case_carries_its_signed_reply_address(db: TestDb) {
    // Arrange: the notifier with the mailbox; an intake officer by email.
    let (hub, _clock) = hub_on(&db).await;
    let notifier = Notifier::new(
        Arc::new(Renderer::builtin()),
        hub.profile().clone(),
        "hongbang.example",
    )
    .with_reply_addresses(hub.mail_key(), MAILBOX);
    let hub = hub.with_notifier(Arc::new(notifier));
    hub.store()
        .add_staff(staff("lan.tk", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();

    // Act
    let case = hub.submit_case(petition()).await.unwrap().case;

    // Assert: the citizen's receipt and the officer's notice, both with the case's address.
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    let mails: Vec<_> = rows
        .iter()
        .filter(|r| r.channel == ChannelKind::Email)
        .collect();
    assert_eq!(
        mails.len(),
        2,
        "{:?}",
        rows.iter().map(|r| &r.dedupe_key).collect::<Vec<_>>()
    );
    for mail in mails {
        let reply_to = mail.email().unwrap().reply_to.expect("a Reply-To");
        assert_eq!(
            hub.mail_key().read(MAILBOX, &reply_to),
            Some(Signed::Case(case.code.clone())),
            "{}",
            mail.dedupe_key
        );
    }
}
