//! The gateway's rules that need a case in a given state, through its handler and the real
//! store: a sender over the hour's acknowledgements still files cases, their receipts kept
//! unsent; a bounce of a mail to a citizen who also has Telegram fails that row, marks the
//! address unreachable and sends the Telegram fallback, and the same report again changes
//! nothing. Both databases.

use std::sync::Arc;
use std::time::Duration;

use hdnd_hub::Hub;
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::notify::Notifier;
use hdnd_hub::delivery::outbox::{OutboxStatus, Outcome};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::{
    ContactKind, ContactPoint, ContactState, ExternalKey, InboundSource, NewInbound,
    NormalisedContact,
};
use hdnd_hub::inbound::{InboundSettings, InboundStep, InboundWorker};
use hdnd_hub::storage::CaseFilter;
use hdnd_mail::MailHandler;

use crate::helpers::{TestDb, contract_tests, hub_on, petition};

contract_tests!(
    past_the_hours_acknowledgements_cases_are_filed_and_their_receipts_kept_unsent,
    a_bounce_fails_the_mail_marks_the_address_and_sends_the_telegram_fallback_once,
);

const MAILBOX: &str = "hdnd@hongbang.example";

/// The hub as `hdnd serve` makes it, and a worker handing mail to the gateway.
async fn gateway(db: &TestDb, per_hour: u32) -> (Hub, InboundWorker) {
    let (hub, _clock) = hub_on(db).await;
    let renderer = Arc::new(Renderer::builtin());
    let notifier = Notifier::new(renderer.clone(), hub.profile().clone(), "hongbang.example")
        .with_reply_addresses(hub.mail_key(), MAILBOX);
    let hub = hub.with_notifier(Arc::new(notifier));
    let handler = MailHandler::new(hub.clone(), renderer, MAILBOX, "hongbang.example")
        .with_acknowledgements_per_hour(per_hour);
    let worker = InboundWorker::new(hub.store().clone(), InboundSettings::default())
        .with_handler(InboundSource::Email, Arc::new(handler));
    (hub, worker)
}

async fn deliver(worker: &InboundWorker, raw: String) {
    let raw = raw.into_bytes();
    worker
        .receive(NewInbound {
            source: InboundSource::Email,
            key: ExternalKey::smtp(&raw),
            payload: raw,
            sealed: false,
        })
        .await
        .unwrap();
    while worker.try_execute_batch().await.unwrap() != InboundStep::Idle {}
}

fn mail(from: &str, id: u32, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {MAILBOX}\r\nSubject: Kiến nghị số {id}\r\n\
         Message-ID: <r{id}@example.net>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n"
    )
}

async fn past_the_hours_acknowledgements_cases_are_filed_and_their_receipts_kept_unsent(
    db: TestDb,
) {
    // Arrange: two receipts an hour to one sender.
    let (hub, worker) = gateway(&db, 2).await;
    let store = hub.store().clone();

    // Act: three mails from one sender within the hour, and one from another.
    for id in 1..=3 {
        deliver(
            &worker,
            mail("nhieu.thu@example.net", id, "Đề nghị sửa đường ngõ 3."),
        )
        .await;
    }
    deliver(
        &worker,
        mail("mot.thu@example.net", 4, "Đề nghị lắp đèn ngõ 9."),
    )
    .await;

    // Assert: four cases; the third receipt of the first sender is kept, not sent.
    assert_eq!(store.count_cases(&CaseFilter::default()).await.unwrap(), 4);
    let outbox = store.list_outbox(None, 50).await.unwrap();
    let to = |address: &str, status: OutboxStatus| {
        outbox
            .iter()
            .filter(|r| r.address == address && r.status == status)
            .count()
    };
    assert_eq!(to("nhieu.thu@example.net", OutboxStatus::Queued), 2);
    assert_eq!(to("nhieu.thu@example.net", OutboxStatus::Suppressed), 1);
    assert_eq!(to("mot.thu@example.net", OutboxStatus::Queued), 1);
}

async fn a_bounce_fails_the_mail_marks_the_address_and_sends_the_telegram_fallback_once(
    db: TestDb,
) {
    // Arrange: a citizen reached by email first, Telegram after; their receipt was sent.
    let (hub, worker) = gateway(&db, 5).await;
    let store = hub.store().clone();
    let mut case = petition();
    case.contacts = vec![
        ContactPoint {
            kind: ContactKind::Email,
            address: "hoa.pham@example.org".to_owned(),
        },
        ContactPoint {
            kind: ContactKind::Telegram,
            address: "700123456".to_owned(),
        },
    ];
    hub.submit_case(case).await.unwrap();
    let claimed = store
        .claim_outbox(10, Duration::from_secs(60))
        .await
        .unwrap();
    let receipt = claimed
        .iter()
        .find(|r| r.address == "hoa.pham@example.org")
        .unwrap()
        .clone();
    assert_eq!(receipt.fallback[0].channel, ChannelKind::Telegram);
    let sent: Vec<_> = claimed.into_iter().map(|r| (r, Outcome::Sent)).collect();
    store.record_outcomes(&sent).await.unwrap();
    let bounce_address = hub.mail_key().bounce_address(MAILBOX, receipt.id).unwrap();
    let report = format!(
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.org\r\nTo: {bounce_address}\r\n\
         Subject: Undelivered\r\nMessage-ID: <dsn.9@mx.example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
         --r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n\
         Final-Recipient: rfc822; hoa.pham@example.org\r\nAction: failed\r\nStatus: 5.2.1\r\n\
         Diagnostic-Code: smtp; 550 5.2.1 mailbox disabled\r\n--r--\r\n"
    );

    // Act: the report, then the same report relayed again with other bytes.
    deliver(&worker, report.clone()).await;
    deliver(
        &worker,
        format!("Received: from relay.example.net\r\n{report}"),
    )
    .await;

    // Assert
    let row = store.get_outbox(receipt.id).await.unwrap();
    assert_eq!(row.status, OutboxStatus::Failed);
    assert_eq!(
        row.last_error.as_deref(),
        Some("bounced: 5.2.1 550 5.2.1 mailbox disabled")
    );
    let email = NormalisedContact::parse(ContactKind::Email, "hoa.pham@example.org").unwrap();
    let state = store
        .find_citizen_contact(&email)
        .await
        .unwrap()
        .unwrap()
        .state;
    assert!(
        matches!(state, ContactState::Unreachable { .. }),
        "{state:?}"
    );
    let outbox = store.list_outbox(None, 50).await.unwrap();
    let fallbacks: Vec<_> = outbox
        .iter()
        .filter(|r| r.channel == ChannelKind::Telegram && r.address == "700123456")
        .collect();
    assert_eq!(
        fallbacks.len(),
        1,
        "one fallback, however often the report comes"
    );
    assert_eq!(fallbacks[0].status, OutboxStatus::Queued);
    assert!(
        fallbacks[0].telegram.is_some(),
        "rendered for Telegram at enqueue"
    );
}
