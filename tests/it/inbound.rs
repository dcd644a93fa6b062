//! The inbound store and worker: messages stored before they are acknowledged, processed under
//! a lease, completed together with their effect. Each story runs on both databases.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hdnd_hub::domain::{
    DenouncerIdentity, ExternalKey, InboundRow, InboundSource, InboundStatus, NewInbound,
};
use hdnd_hub::inbound::{HandleError, InboundHandler, InboundSettings, InboundStep, InboundWorker};
use hdnd_hub::storage::{Completed, InboundCompletion, InboundEffect};
use hdnd_hub::{CaseFilter, Clock, Hub};

use crate::helpers::{TestDb, contract_tests, hub_on, petition};

contract_tests!(
    the_same_update_twice_makes_one_case,
    a_crash_between_claim_and_done_is_retried_and_the_stale_worker_changes_nothing,
    a_sealed_rows_payload_is_gone_after_processing,
    payloads_of_processed_rows_are_purged_after_the_retention,
    a_hostile_message_is_kept_as_failed_and_a_flaky_one_retries_until_dead,
);

/// Makes a petition from a payload `<kind>|<content>`: enough of a channel to prove the
/// plumbing, without the bot's or the gateway's parsing.
#[derive(Debug)]
struct TextHandler {
    hub: Hub,
}

#[async_trait]
impl InboundHandler for TextHandler {
    async fn handle(
        &self,
        _row: &InboundRow,
        payload: &[u8],
    ) -> Result<InboundCompletion, HandleError> {
        let text = std::str::from_utf8(payload)
            .map_err(|_| HandleError::Permanent("the payload is not UTF-8".to_owned()))?;
        match text.split_once('|') {
            Some(("flaky", _)) => Err(HandleError::Transient("the channel is down".to_owned())),
            Some(("kien_nghi", content)) => {
                let mut case = petition();
                case.content = content.to_owned();
                let record = self.hub.prepare_case(case).await?;
                Ok(InboundCompletion {
                    effect: InboundEffect::Case(Box::new(record)),
                    ..InboundCompletion::nothing()
                })
            }
            Some(("to_cao", content)) => {
                let mut case = petition();
                case.kind = hdnd_hub::domain::CaseKind::ToCao;
                case.content = content.to_owned();
                case.citizen_name = None;
                case.contacts.clear();
                case.denouncer = Some(DenouncerIdentity {
                    full_name: "Người Tố Cáo Thử".to_owned(),
                    phone: Some("0900000009".to_owned()),
                    email: None,
                    address: None,
                    id_number: None,
                    chosen_contact: None,
                });
                let record = self.hub.prepare_case(case).await?;
                Ok(InboundCompletion {
                    effect: InboundEffect::Case(Box::new(record)),
                    ..InboundCompletion::nothing()
                })
            }
            _ => Err(HandleError::Permanent(
                "the payload names no known kind".to_owned(),
            )),
        }
    }
}

fn worker(hub: &Hub, settings: InboundSettings) -> InboundWorker {
    InboundWorker::new(hub.store().clone(), settings).with_handler(
        InboundSource::Telegram,
        Arc::new(TextHandler { hub: hub.clone() }),
    )
}

fn update(update_id: u32, payload: &str, sealed: bool) -> NewInbound {
    NewInbound {
        source: InboundSource::Telegram,
        key: ExternalKey::telegram(777_000_111, update_id),
        payload: payload.as_bytes().to_vec(),
        sealed,
    }
}

async fn cases(hub: &Hub) -> i64 {
    hub.store()
        .count_cases(&CaseFilter::default())
        .await
        .unwrap()
}

async fn the_same_update_twice_makes_one_case(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let worker = worker(&hub, InboundSettings::default());

    // Act
    let first = worker
        .receive(update(1, "kien_nghi|Đèn đường hỏng", false))
        .await
        .unwrap();
    let replay = worker
        .receive(update(1, "kien_nghi|Đèn đường hỏng", false))
        .await
        .unwrap();
    let step = worker.try_execute_batch().await.unwrap();
    let replay_after = worker
        .receive(update(1, "kien_nghi|Đèn đường hỏng", false))
        .await
        .unwrap();
    let idle = worker.try_execute_batch().await.unwrap();

    // Assert
    assert!(first.fresh);
    assert!(!replay.fresh && replay.id == first.id);
    assert!(!replay_after.fresh && replay_after.id == first.id);
    assert_eq!(step, InboundStep::Worked(1));
    assert_eq!(idle, InboundStep::Idle);
    assert_eq!(cases(&hub).await, 1);
    let row = hub.store().get_inbound(first.id).await.unwrap();
    assert_eq!(row.status, InboundStatus::Done);
    let case = hub
        .store()
        .get_case_by_source_ref(&format!("inbound:{}", first.id))
        .await
        .unwrap();
    assert_eq!(case.content, "Đèn đường hỏng");
}

async fn a_crash_between_claim_and_done_is_retried_and_the_stale_worker_changes_nothing(
    db: TestDb,
) {
    // Arrange: a worker claims the row and dies before completing it.
    let (hub, clock) = hub_on(&db).await;
    let settings = InboundSettings {
        lease_secs: 30,
        ..InboundSettings::default()
    };
    let worker = worker(&hub, settings);
    worker
        .receive(update(2, "kien_nghi|Nước ngập ngõ 5", false))
        .await
        .unwrap();
    let crashed = hub
        .store()
        .claim_inbound(10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(crashed.len(), 1);
    assert_eq!(worker.try_execute_batch().await.unwrap(), InboundStep::Idle);

    // Act: the lease runs out and another worker takes the row over.
    clock.advance(chrono::Duration::seconds(31));
    let step = worker.try_execute_batch().await.unwrap();
    let stale = TextHandler { hub: hub.clone() }
        .handle(&crashed[0], "kien_nghi|Nước ngập ngõ 5".as_bytes())
        .await
        .unwrap();
    let late = hub
        .store()
        .complete_inbound(&crashed[0], stale)
        .await
        .unwrap();

    // Assert
    assert_eq!(step, InboundStep::Worked(1));
    assert!(matches!(late, Completed::LeaseLost));
    assert_eq!(cases(&hub).await, 1);
    let row = hub.store().get_inbound(crashed[0].id).await.unwrap();
    assert_eq!((row.status, row.attempts), (InboundStatus::Done, 2));
}

async fn a_sealed_rows_payload_is_gone_after_processing(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let worker = worker(&hub, InboundSettings::default());
    let sealed = worker
        .receive(update(3, "kien_nghi|Có thể là tố cáo", true))
        .await
        .unwrap();
    // Not flagged by the transport, but the handler found a denunciation in it.
    let found = worker
        .receive(update(4, "to_cao|Cán bộ X nhận tiền", false))
        .await
        .unwrap();
    let plain = worker
        .receive(update(5, "kien_nghi|Cây đổ", false))
        .await
        .unwrap();

    // Act
    worker.try_execute_batch().await.unwrap();

    // Assert
    let store = hub.store();
    let sealed = store.get_inbound(sealed.id).await.unwrap();
    let found = store.get_inbound(found.id).await.unwrap();
    let plain = store.get_inbound(plain.id).await.unwrap();
    assert_eq!(sealed.status, InboundStatus::Done);
    assert_eq!(sealed.payload, None);
    assert_eq!(found.status, InboundStatus::Done);
    assert!(found.sealed && found.payload.is_none());
    assert_eq!(
        plain.payload.as_deref(),
        Some("kien_nghi|Cây đổ".as_bytes())
    );
    assert_eq!(cases(&hub).await, 3);
}

async fn payloads_of_processed_rows_are_purged_after_the_retention(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let worker = worker(&hub, InboundSettings::default());
    let done = worker
        .receive(update(6, "kien_nghi|Rác thải", false))
        .await
        .unwrap();
    worker.try_execute_batch().await.unwrap();
    let failed = worker.receive(update(7, "unknown|x", false)).await.unwrap();
    worker.try_execute_batch().await.unwrap();
    let store = hub.store();

    // Act
    let early = store
        .purge_inbound_payloads(clock.now() - chrono::Duration::days(30))
        .await
        .unwrap();
    clock.advance(chrono::Duration::days(31));
    let late = store
        .purge_inbound_payloads(clock.now() - chrono::Duration::days(30))
        .await
        .unwrap();

    // Assert: only a done row loses its payload; a failed one is kept for the operator.
    assert_eq!((early, late), (0, 1));
    assert_eq!(store.get_inbound(done.id).await.unwrap().payload, None);
    let failed = store.get_inbound(failed.id).await.unwrap();
    assert_eq!(failed.status, InboundStatus::Failed);
    assert!(failed.payload.is_some());
}

async fn a_hostile_message_is_kept_as_failed_and_a_flaky_one_retries_until_dead(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let settings = InboundSettings {
        max_attempts: 3,
        backoff_base_ms: 1_000,
        ..InboundSettings::default()
    };
    let worker = worker(&hub, settings);
    let hostile = NewInbound {
        payload: vec![0xff, 0xfe, 0x00, 0x41],
        ..update(8, "", false)
    };
    let hostile = worker.receive(hostile).await.unwrap();
    let flaky = worker.receive(update(9, "flaky|x", false)).await.unwrap();

    // Act
    let mut statuses = Vec::new();
    for _ in 0..3 {
        worker.try_execute_batch().await.unwrap();
        statuses.push(hub.store().get_inbound(flaky.id).await.unwrap().status);
        clock.advance(chrono::Duration::minutes(10));
    }

    // Assert
    let store = hub.store();
    let hostile = store.get_inbound(hostile.id).await.unwrap();
    assert_eq!(hostile.status, InboundStatus::Failed);
    assert_eq!(
        hostile.last_error.as_deref(),
        Some("the payload is not UTF-8")
    );
    assert_eq!(hostile.attempts, 1);
    assert_eq!(
        statuses,
        [InboundStatus::New, InboundStatus::New, InboundStatus::Dead]
    );
    let flaky = store.get_inbound(flaky.id).await.unwrap();
    assert!(
        flaky
            .last_error
            .unwrap()
            .contains("gave up after 3 attempts")
    );
    assert!(flaky.payload.is_some(), "nothing is lost");
    assert_eq!(cases(&hub).await, 0);
}
