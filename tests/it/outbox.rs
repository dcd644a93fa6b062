//! The outbox and its worker, on both databases, with a channel the test controls.

use hdnd_hub::domain::AuditNote;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;
use hdnd_hub::delivery::outbox::{
    Category, Destination, NewNotification, OutboxStatus, Outcome, Target,
};
use hdnd_hub::delivery::worker::{DeliverySettings, ExecutionOutcome, Worker};
use hdnd_hub::delivery::{
    Channel, ChannelKind, Content, DeliveryError, EmailMessage, Outgoing, ProviderId,
    TelegramMessage,
};
use hdnd_hub::{Clock, Error};

use crate::helpers::{TestDb, contract_tests, hub_on, morning};

contract_tests!(
    enqueued_rows_are_sent_once_and_a_replayed_event_adds_nothing,
    a_claim_is_fenced_by_its_token_and_an_expired_lease_is_claimed_again,
    transient_failures_back_off_then_go_to_the_dead_letters,
    a_permanent_failure_falls_back_to_the_next_destination,
    a_denouncer_is_notified_at_the_sealed_address_which_listings_mask,
    a_send_that_hangs_past_the_lease_holds_back_no_other_row_and_is_retried_once,
    claims_take_urgent_rows_first_then_the_earliest_due,
    failures_leave_a_warn_or_error_line_with_the_row_and_channel_but_no_address,
    a_reply_stored_with_its_inbound_message_wakes_the_idle_worker_of_that_process,
);

/// A channel that records what it sends and fails as told, per address; a send to an address
/// in `hang` never finishes.
#[derive(Debug, Default)]
pub(crate) struct FakeChannel {
    pub(crate) sent: Mutex<Vec<Outgoing>>,
    pub(crate) failures: Mutex<HashMap<String, DeliveryError>>,
    pub(crate) hang: Mutex<Vec<String>>,
    /// Every address a send was started for, hung ones included.
    pub(crate) calls: Mutex<Vec<String>>,
}

#[async_trait]
impl Channel for FakeChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn send(&self, message: &Outgoing) -> Result<ProviderId, DeliveryError> {
        self.calls.lock().unwrap().push(message.address.clone());
        if self.hang.lock().unwrap().contains(&message.address) {
            std::future::pending::<()>().await;
        }
        if let Some(error) = self.failures.lock().unwrap().get(&message.address) {
            return Err(error.clone());
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push(message.clone());
        Ok(ProviderId(format!("fake-{}", sent.len())))
    }
}

impl FakeChannel {
    /// The subject of every email sent, in order.
    pub(crate) fn subjects(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter_map(|m| match &m.content {
                Content::Email(email) => Some(email.subject.clone()),
                Content::Telegram(_) => None,
            })
            .collect()
    }
}

/// A notification rendered for every channel of `to`: an email, a one-part Telegram message.
pub(crate) fn note(key: &str, to: Target) -> NewNotification {
    let channels = to.channels();
    NewNotification {
        key: key.to_owned(),
        to,
        category: Category::CaseUpdate,
        urgent: false,
        email: channels
            .contains(&ChannelKind::Email)
            .then(|| EmailMessage {
                subject: format!("[HB.20261126.0001] Thông báo {key}"),
                text: "Hồ sơ của bạn đã được tiếp nhận.".to_owned(),
                message_id: Some(format!("<{key}@hongbang.example>")),
                ..EmailMessage::default()
            }),
        telegram: channels
            .contains(&ChannelKind::Telegram)
            .then(|| TelegramMessage {
                parts: vec![format!("Hồ sơ <b>HB.20261126.0001</b>: thông báo {key}.")],
                ..TelegramMessage::default()
            }),
        due_at: morning(),
        suppressed: false,
    }
}

pub(crate) fn email(address: &str) -> Target {
    Target::Contacts(vec![Destination {
        channel: ChannelKind::Email,
        address: address.to_owned(),
    }])
}

fn settings() -> DeliverySettings {
    DeliverySettings {
        max_attempts: 3,
        backoff_base_ms: 10_000,
        ..DeliverySettings::default()
    }
}

async fn enqueued_rows_are_sent_once_and_a_replayed_event_adds_nothing(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let notes: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|k| note(k, email(&format!("{k}@example.org"))))
        .collect();
    let channel = Arc::new(FakeChannel::default());
    let worker = Worker::new(store.clone(), vec![channel.clone()], settings());

    // Act
    let added = store.enqueue("reminder:7", None, &notes).await.unwrap();
    let replayed = store.enqueue("reminder:7", None, &notes).await.unwrap();
    let first = worker.try_execute_batch().await.unwrap();
    let second = worker.try_execute_batch().await.unwrap();

    // Assert
    assert_eq!((added, replayed), (3, 0));
    assert_eq!(first, ExecutionOutcome::Worked(3));
    assert_eq!(second, ExecutionOutcome::Idle);
    let sent = channel.sent.lock().unwrap().clone();
    let mut addresses: Vec<_> = sent.iter().map(|m| m.address.as_str()).collect();
    addresses.sort();
    assert_eq!(
        addresses,
        ["a@example.org", "b@example.org", "c@example.org"]
    );
    let rows = store.list_outbox(None, 10).await.unwrap();
    assert!(rows.iter().all(|r| r.status == OutboxStatus::Sent
        && r.attempts == 1
        && r.sent_at == Some(morning())));
    assert_eq!(rows[0].dedupe_key, "reminder:7:c");
}

async fn a_claim_is_fenced_by_its_token_and_an_expired_lease_is_claimed_again(db: TestDb) {
    // Arrange: a worker claims a row and dies.
    let (hub, clock) = hub_on(&db).await;
    let store = hub.store().clone();
    store
        .enqueue("e", None, &[note("x", email("x@example.org"))])
        .await
        .unwrap();
    let lease = std::time::Duration::from_secs(10);
    let dead_workers = store.claim_outbox(10, lease).await.unwrap();

    // Act
    let while_leased = store.claim_outbox(10, lease).await.unwrap();
    clock.advance(Duration::seconds(11));
    let after_lease = store.claim_outbox(10, lease).await.unwrap();
    let late = store
        .record_outcomes(&[(dead_workers[0].clone(), Outcome::Sent)])
        .await
        .unwrap()
        == [true];
    let current = store
        .record_outcomes(&[(after_lease[0].clone(), Outcome::Sent)])
        .await
        .unwrap()
        == [true];

    // Assert
    assert_eq!(dead_workers.len(), 1);
    assert!(while_leased.is_empty(), "a leased row is not claimed twice");
    assert_eq!(after_lease.len(), 1);
    assert_ne!(after_lease[0].lease_token, dead_workers[0].lease_token);
    assert_eq!(after_lease[0].attempts, 2);
    assert!(!late, "the dead worker's token no longer counts");
    assert!(current);
    assert_eq!(
        store.get_outbox(after_lease[0].id).await.unwrap().status,
        OutboxStatus::Sent
    );
}

async fn transient_failures_back_off_then_go_to_the_dead_letters(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let channel = Arc::new(FakeChannel::default());
    let busy = DeliveryError::Transient {
        reason: "421 try later".to_owned(),
        retry_after: None,
    };
    channel
        .failures
        .lock()
        .unwrap()
        .insert("busy@example.org".to_owned(), busy);
    let worker = Worker::new(store.clone(), vec![channel.clone()], settings());
    store
        .enqueue("e", None, &[note("x", email("busy@example.org"))])
        .await
        .unwrap();

    // Act and assert: attempt 1 waits 5–10 s, attempt 2 waits 10–20 s, attempt 3 is the last.
    assert_eq!(
        worker.try_execute_batch().await.unwrap(),
        ExecutionOutcome::Worked(1)
    );
    let row = &store.list_outbox(None, 1).await.unwrap()[0];
    assert_eq!((row.status, row.attempts), (OutboxStatus::Queued, 1));
    let wait = row.due_at - clock.now();
    assert!(
        wait >= Duration::seconds(5) && wait <= Duration::seconds(10),
        "{wait}"
    );
    assert_eq!(row.last_error.as_deref(), Some("421 try later"));
    assert_eq!(
        worker.try_execute_batch().await.unwrap(),
        ExecutionOutcome::Idle,
        "not due yet"
    );

    clock.advance(Duration::seconds(10));
    worker.try_execute_batch().await.unwrap();
    let row = &store.list_outbox(None, 1).await.unwrap()[0];
    let wait = row.due_at - clock.now();
    assert!(
        wait >= Duration::seconds(10) && wait <= Duration::seconds(20),
        "{wait}"
    );

    clock.advance(Duration::seconds(20));
    worker.try_execute_batch().await.unwrap();
    let row = store.list_outbox(None, 1).await.unwrap().remove(0);
    assert_eq!((row.status, row.attempts), (OutboxStatus::Dead, 3));
    assert!(channel.sent.lock().unwrap().is_empty());

    // An operator retries it once the server is back.
    channel.failures.lock().unwrap().clear();
    let retried = store
        .retry_outbox(row.id, &AuditNote::operator())
        .await
        .unwrap();
    assert_eq!(
        (retried.status, retried.attempts),
        (OutboxStatus::Queued, 0)
    );
    assert!(matches!(
        store.retry_outbox(row.id, &AuditNote::operator()).await,
        Err(Error::Conflict(_))
    ));
    worker.try_execute_batch().await.unwrap();
    assert_eq!(
        store.get_outbox(row.id).await.unwrap().status,
        OutboxStatus::Sent
    );
}

async fn a_permanent_failure_falls_back_to_the_next_destination(db: TestDb) {
    // Arrange: the first address bounces with 550.
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let channel = Arc::new(FakeChannel::default());
    let rejected = DeliveryError::Permanent("550 no such user".to_owned());
    channel
        .failures
        .lock()
        .unwrap()
        .insert("old@example.org".to_owned(), rejected);
    let worker = Worker::new(store.clone(), vec![channel.clone()], settings());
    let both = Target::Contacts(vec![
        Destination {
            channel: ChannelKind::Email,
            address: "old@example.org".to_owned(),
        },
        Destination {
            channel: ChannelKind::Telegram,
            address: "100200300".to_owned(),
        },
        Destination {
            channel: ChannelKind::Email,
            address: "new@example.org".to_owned(),
        },
    ]);
    store
        .enqueue("e", None, &[note("staff:1", both)])
        .await
        .unwrap();

    // Act: old address fails; Telegram has no channel here, so it fails too; the third works.
    for _ in 0..3 {
        worker.try_execute_batch().await.unwrap();
    }

    // Assert
    let mut rows = store.list_outbox(None, 10).await.unwrap();
    rows.reverse();
    let summary: Vec<_> = rows
        .iter()
        .map(|r| (r.address.as_str(), r.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("old@example.org", OutboxStatus::Failed),
            ("100200300", OutboxStatus::Failed),
            ("new@example.org", OutboxStatus::Sent),
        ]
    );
    assert_eq!(
        rows[1].last_error.as_deref(),
        Some("no telegram channel is configured")
    );
    assert_eq!(channel.subjects(), ["[HB.20261126.0001] Thông báo staff:1"]);
}

async fn a_denouncer_is_notified_at_the_sealed_address_which_listings_mask(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let case = hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;
    let channel = Arc::new(FakeChannel::default());
    let worker = Worker::new(store.clone(), vec![channel.clone()], settings());

    // Act
    store
        .enqueue(
            "case-status",
            Some(case.id),
            &[note("denouncer", Target::Denouncer)],
        )
        .await
        .unwrap();
    let listed = store.list_outbox(None, 10).await.unwrap();
    worker.try_execute_batch().await.unwrap();

    // Assert
    assert_eq!(listed.len(), 1);
    assert!(listed[0].sealed);
    assert_eq!(listed[0].shown_address(), "<sealed>");
    assert_eq!(
        listed[0].address, "",
        "the outbox holds no copy of the address"
    );
    assert!(!format!("{listed:?}").contains(crate::identity_canary::EMAIL));
    let sent = channel.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].address, crate::identity_canary::EMAIL);
    let after = store.get_outbox(listed[0].id).await.unwrap();
    assert_eq!(after.status, OutboxStatus::Sent);
    assert_eq!(
        after.address, "",
        "the address resolved for the send is not written back"
    );
}

/// A worker polling once a minute still sends at once what another instance enqueues:
/// PostgreSQL's NOTIFY wakes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_from_another_instance_wakes_an_idle_postgres_worker() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let (hub, _clock) = hub_on(&db).await;
    let channel = Arc::new(FakeChannel::default());
    let settings = DeliverySettings {
        poll_interval_ms: 60_000,
        ..settings()
    };
    let worker = Worker::new(hub.store().clone(), vec![channel.clone()], settings);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run_until_stopped(stopped));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // Act: another instance, with connections of its own, enqueues.
    let other = db
        .open(Arc::new(hdnd_hub::ManualClock::new(morning())))
        .await;
    other
        .enqueue("e", None, &[note("x", email("x@example.org"))])
        .await
        .unwrap();

    // Assert
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while channel.sent.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle worker was not woken"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    running.await.unwrap();
}

/// Answers every inbound message with one email.
#[derive(Debug)]
struct Replying;

#[async_trait]
impl hdnd_hub::inbound::InboundHandler for Replying {
    async fn handle(
        &self,
        _: &hdnd_hub::domain::InboundRow,
        _: &[u8],
    ) -> Result<hdnd_hub::storage::InboundCompletion, hdnd_hub::inbound::HandleError> {
        Ok(hdnd_hub::storage::InboundCompletion {
            replies: vec![note("reply", email("cu-tri@example.org"))],
            ..hdnd_hub::storage::InboundCompletion::nothing()
        })
    }
}

/// A worker polling once a minute sends a bot's reply as soon as the inbound message it answers
/// is done: the reply's insert wakes it, by NOTIFY on PostgreSQL and by the update hook on
/// SQLite, where a reply used to wait for the next poll.
async fn a_reply_stored_with_its_inbound_message_wakes_the_idle_worker_of_that_process(db: TestDb) {
    use hdnd_hub::domain::{ExternalKey, InboundSource, NewInbound};
    use hdnd_hub::inbound::{InboundSettings, InboundWorker};

    // Arrange: the delivery worker has found nothing and sleeps for its minute.
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let channel = Arc::new(FakeChannel::default());
    let settings = DeliverySettings {
        poll_interval_ms: 60_000,
        ..settings()
    };
    let worker = Worker::new(store.clone(), vec![channel.clone()], settings);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run_until_stopped(stopped));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let inbound = InboundWorker::new(store.clone(), InboundSettings::default())
        .with_handler(InboundSource::Telegram, Arc::new(Replying));

    // Act
    inbound
        .receive(NewInbound {
            source: InboundSource::Telegram,
            key: ExternalKey::telegram(123_456, 1),
            payload: br#"{"update_id":1}"#.to_vec(),
            sealed: false,
        })
        .await
        .unwrap();
    inbound.try_execute_batch().await.unwrap();

    // Assert
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while channel.sent.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reply waited for the worker's next poll"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        channel.sent.lock().unwrap()[0].address,
        "cu-tri@example.org"
    );
    stop.send(true).unwrap();
    running.await.unwrap();
}

async fn a_send_that_hangs_past_the_lease_holds_back_no_other_row_and_is_retried_once(db: TestDb) {
    // Arrange: five rows, one to an address whose send never returns; a lease of 2 s gives
    // each send 1.6 s.
    let (hub, clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let notes: Vec<_> = ["a", "b", "c", "d", "hang"]
        .iter()
        .map(|k| note(k, email(&format!("{k}@example.org"))))
        .collect();
    store.enqueue("e", None, &notes).await.unwrap();
    let channel = Arc::new(FakeChannel::default());
    channel
        .hang
        .lock()
        .unwrap()
        .push("hang@example.org".to_owned());
    let worker = Worker::new(
        store.clone(),
        vec![channel.clone()],
        DeliverySettings {
            lease_secs: 2,
            ..settings()
        },
    );

    // Act: while the batch still waits for the hung send, look at the others.
    let started = std::time::Instant::now();
    let batch = tokio::spawn({
        let worker = worker.clone();
        async move { worker.try_execute_batch().await }
    });
    let deadline = started + std::time::Duration::from_secs(1);
    let sent_meanwhile = loop {
        let rows = store
            .list_outbox(Some(OutboxStatus::Sent), 10)
            .await
            .unwrap();
        if rows.len() == 4 || std::time::Instant::now() > deadline {
            break rows.len();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let batch_was_running = !batch.is_finished();
    batch.await.unwrap().unwrap();
    let took = started.elapsed();
    let hung = store.list_outbox(None, 10).await.unwrap().remove(0);
    // The lease has ended by the store's clock: only the hung row may be claimed again.
    clock.advance(Duration::seconds(60));
    channel.hang.lock().unwrap().clear();
    let retry = worker.try_execute_batch().await.unwrap();

    // Assert
    assert_eq!(
        sent_meanwhile, 4,
        "the other rows were recorded as their sends ended"
    );
    assert!(batch_was_running);
    assert!(
        took >= std::time::Duration::from_millis(1_500) && took < std::time::Duration::from_secs(2),
        "the hung send was cut at its deadline: {took:?}"
    );
    assert_eq!(hung.address, "hang@example.org");
    assert_eq!(hung.status, OutboxStatus::Queued);
    assert!(
        hung.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("did not finish"),
        "{:?}",
        hung.last_error
    );
    assert_eq!(retry, ExecutionOutcome::Worked(1));
    let mut calls = channel.calls.lock().unwrap().clone();
    calls.sort();
    assert_eq!(
        calls,
        [
            "a@example.org",
            "b@example.org",
            "c@example.org",
            "d@example.org",
            "hang@example.org",
            "hang@example.org"
        ]
    );
    assert!(
        store
            .list_outbox(None, 10)
            .await
            .unwrap()
            .iter()
            .all(|r| r.status == OutboxStatus::Sent)
    );
}

async fn claims_take_urgent_rows_first_then_the_earliest_due(db: TestDb) {
    // Arrange: enqueued in the wrong order.
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let mut late = note("late", email("late@example.org"));
    late.due_at = morning() - Duration::minutes(1);
    let mut early = note("early", email("early@example.org"));
    early.due_at = morning() - Duration::minutes(30);
    let mut urgent = note("urgent", email("urgent@example.org"));
    urgent.urgent = true;
    store
        .enqueue("e", None, &[late, early, urgent])
        .await
        .unwrap();

    // Act
    let lease = std::time::Duration::from_secs(30);
    let first = store.claim_outbox(1, lease).await.unwrap();
    let second = store.claim_outbox(1, lease).await.unwrap();
    let third = store.claim_outbox(1, lease).await.unwrap();

    // Assert
    let order: Vec<_> = [first, second, third]
        .iter()
        .map(|rows| rows[0].address.clone())
        .collect();
    assert_eq!(
        order,
        [
            "urgent@example.org",
            "early@example.org",
            "late@example.org"
        ]
    );
}

async fn failures_leave_a_warn_or_error_line_with_the_row_and_channel_but_no_address(db: TestDb) {
    // Arrange: three transient failures, one permanent, and one that is dead at once.
    let logs = crate::helpers::captured_logs();
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let marker = format!("{:016x}", rand::random::<u64>());
    let channel = Arc::new(FakeChannel::default());
    for k in ["t1", "t2", "t3"] {
        channel.failures.lock().unwrap().insert(
            format!("{k}.{marker}@example.org"),
            DeliveryError::Transient {
                reason: format!("451 try later {marker}-T"),
                retry_after: None,
            },
        );
    }
    channel.failures.lock().unwrap().insert(
        format!("p.{marker}@example.org"),
        DeliveryError::Permanent(format!("550 no such mailbox {marker}-P")),
    );
    let notes: Vec<_> = ["t1", "t2", "t3", "p"]
        .iter()
        .map(|k| note(k, email(&format!("{k}.{marker}@example.org"))))
        .collect();
    store.enqueue("e", None, &notes).await.unwrap();
    let worker = Worker::new(store.clone(), vec![channel.clone()], settings());

    // Act
    worker.try_execute_batch().await.unwrap();
    channel.failures.lock().unwrap().insert(
        format!("d.{marker}@example.org"),
        DeliveryError::Transient {
            reason: format!("451 try later {marker}-D"),
            retry_after: None,
        },
    );
    store
        .enqueue(
            "d",
            None,
            &[note("d", email(&format!("d.{marker}@example.org")))],
        )
        .await
        .unwrap();
    let impatient = Worker::new(
        store.clone(),
        vec![channel.clone()],
        DeliverySettings {
            max_attempts: 1,
            ..settings()
        },
    );
    impatient.try_execute_batch().await.unwrap();

    // Assert
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    let lines = |tag: &str| -> Vec<String> {
        logged
            .lines()
            .filter(|l| l.contains(&format!("{marker}-{tag}")))
            .map(str::to_owned)
            .collect()
    };
    let transient = lines("T");
    assert_eq!(
        transient.len(),
        1,
        "rate-limited to one line: {transient:?}"
    );
    assert!(transient[0].contains(" WARN "), "{}", transient[0]);
    assert!(transient[0].contains("on email: transient failure"));
    let permanent = lines("P");
    assert_eq!(permanent.len(), 1, "{permanent:?}");
    assert!(permanent[0].contains("ERROR") && permanent[0].contains("permanent failure"));
    let row = store
        .list_outbox(Some(OutboxStatus::Failed), 10)
        .await
        .unwrap()
        .remove(0);
    assert!(permanent[0].contains(&format!("outbox row {} on email", row.id)));
    let dead = lines("D");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0].contains("ERROR") && dead[0].contains("is dead"));
    assert!(
        !logged.contains(&format!(".{marker}@example.org")),
        "an address was logged"
    );
}
