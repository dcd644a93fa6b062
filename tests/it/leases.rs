//! Leader leases: one holder per name across instances; a standby takes over once the holder
//! stops renewing, never while it renews. Each story runs on both databases.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdnd_hub::SystemClock;
use hdnd_hub::leader::Leader;
use tokio::sync::watch;

use crate::helpers::{TestDb, contract_tests, hub_on};

contract_tests!(
    a_standby_takes_over_only_after_the_holder_stops_renewing,
    of_eight_instances_trying_at_once_exactly_one_holds_the_lease,
    the_leader_hands_over_within_two_renewal_intervals_and_never_overlaps,
);

const TTL: Duration = Duration::from_secs(30);

async fn a_standby_takes_over_only_after_the_holder_stops_renewing(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let store = hub.store();
    let held = store
        .acquire_lease("telegram", "a:1", TTL)
        .await
        .unwrap()
        .unwrap();

    // Act
    let refused = store.acquire_lease("telegram", "b:2", TTL).await.unwrap();
    clock.advance(chrono::Duration::seconds(20));
    let renewed = store.renew_lease(&held, TTL).await.unwrap().unwrap();
    clock.advance(chrono::Duration::seconds(20));
    let still_refused = store.acquire_lease("telegram", "b:2", TTL).await.unwrap();
    clock.advance(chrono::Duration::seconds(11));
    let taken = store
        .acquire_lease("telegram", "b:2", TTL)
        .await
        .unwrap()
        .unwrap();
    let lost = store.renew_lease(&renewed, TTL).await.unwrap();
    let other_name = store.acquire_lease("imap", "a:1", TTL).await.unwrap();

    // Assert
    assert!(refused.is_none() && still_refused.is_none());
    assert_eq!((held.generation, taken.generation), (1, 2));
    assert_eq!(taken.holder, "b:2");
    assert!(lost.is_none(), "the old holder learns it lost the lease");
    let current = store.current_lease("telegram").await.unwrap().unwrap();
    assert_eq!(current.holder, "b:2");
    assert!(other_name.is_some(), "each name has its own lease");
    // Released, the lease is free at once.
    store.release_lease(&taken).await.unwrap();
    assert!(store.current_lease("telegram").await.unwrap().is_none());
    let next = store.acquire_lease("telegram", "a:1", TTL).await.unwrap();
    assert_eq!(next.map(|l| l.generation), Some(3));
}

async fn of_eight_instances_trying_at_once_exactly_one_holds_the_lease(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;

    for round in 0..5 {
        // Act
        let mut tries = tokio::task::JoinSet::new();
        for instance in 0..8 {
            let store = hub.store().clone();
            tries.spawn(async move {
                store
                    .acquire_lease("imap", &format!("host{instance}:{round}"), TTL)
                    .await
                    .unwrap()
            });
        }
        let won: Vec<_> = tries.join_all().await.into_iter().flatten().collect();

        // Assert
        assert_eq!(won.len(), 1, "round {round}: {won:?}");
        assert_eq!(won[0].generation, round + 1);
        clock.advance(chrono::Duration::seconds(31));
    }
}

/// What each leader's job saw: who led, from when to when.
type Terms = Arc<Mutex<Vec<(&'static str, Instant, Option<Instant>)>>>;

fn leader_job(
    who: &'static str,
    terms: &Terms,
) -> impl FnMut(hdnd_hub::leader::Leadership) -> futures_like::Job + Send + use<> {
    let terms = terms.clone();
    move |mut leadership| {
        let terms = terms.clone();
        Box::pin(async move {
            let index = {
                let mut terms = terms.lock().unwrap();
                terms.push((who, Instant::now(), None));
                terms.len() - 1
            };
            leadership.lost().await;
            terms.lock().unwrap()[index].2 = Some(Instant::now());
        })
    }
}

mod futures_like {
    /// A boxed job future.
    pub(super) type Job = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
}

async fn the_leader_hands_over_within_two_renewal_intervals_and_never_overlaps(db: TestDb) {
    // Arrange: two instances on the database, with the real clock.
    let store = hdnd_hub::storage::open(&db.url, Arc::new(SystemClock))
        .await
        .unwrap();
    let renew = Duration::from_millis(300);
    let terms: Terms = Arc::default();
    let (stop_a, stopped_a) = watch::channel(false);
    let (stop_b, stopped_b) = watch::channel(false);
    let a = Leader::new(store.clone(), "telegram", renew).with_holder("a:1");
    let b = Leader::new(store.clone(), "telegram", renew).with_holder("b:2");
    let runner_a = tokio::spawn(a.run_until_stopped(stopped_a, leader_job("a", &terms)));
    wait_until(|| terms.lock().unwrap().len() == 1).await;
    let runner_b = tokio::spawn(b.run_until_stopped(stopped_b, leader_job("b", &terms)));

    // Act: b stands by while a renews; then a dies without releasing its lease.
    tokio::time::sleep(renew * 4).await;
    let standby_terms = terms.lock().unwrap().len();
    runner_a.abort();
    let died = Instant::now();
    wait_until(|| terms.lock().unwrap().len() == 2).await;
    let took_over = terms.lock().unwrap()[1].1 - died;
    stop_b.send(true).unwrap();
    runner_b.await.unwrap();
    drop(stop_a);

    // Assert
    assert_eq!(standby_terms, 1, "no second leader while the first renews");
    let terms = terms.lock().unwrap().clone();
    assert_eq!((terms[0].0, terms[1].0), ("a", "b"));
    let a_ended = terms[0].2.expect("a's job was told its lease ended");
    assert!(a_ended <= terms[1].1, "the terms overlap: {terms:?}");
    assert!(
        took_over <= renew * 2 + Duration::from_millis(250),
        "took over after {took_over:?}"
    );
    assert!(terms[1].2.is_some(), "b's job was stopped with the service");
    assert!(
        store.current_lease("telegram").await.unwrap().is_none(),
        "b released the lease"
    );
}

async fn wait_until(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
