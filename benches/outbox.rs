//! `cargo bench --bench outbox`: rows through enqueue → claim → no-op send → mark sent, with the
//! store and worker code `hdnd serve` runs, on a file-backed SQLite with the production
//! settings, and on PostgreSQL when TEST_DATABASE_URL is set. Prints `bench <name> <value>
//! <unit>` lines.
//!
//! Absolute rates differ several-fold between machines, so each run also measures its
//! ceiling: the same claim and mark-sent SQL (the store's own) in a bare loop, with no
//! worker, channel or per-row recording (`outbox_bare_<db>`), and the ratio of the two
//! (`outbox_ratio_<db>`, target ≥ 0.6).

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use hdnd_hub::delivery::EmailMessage;
use hdnd_hub::delivery::outbox::Outcome;
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, OutboxStatus, Target};
use hdnd_hub::delivery::worker::{DeliverySettings, ExecutionOutcome, Worker};
use hdnd_hub::delivery::{Channel, ChannelKind, DeliveryError, Outgoing, ProviderId};
use hdnd_hub::{Clock, Store, SystemClock};
use sqlx::Connection;

const ROWS: usize = 50_000;
const CHUNK: usize = 1_000;

/// Accepts everything at once: the figure is the outbox's, not a channel's.
#[derive(Debug)]
struct NoOp;

#[async_trait]
impl Channel for NoOp {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn send(&self, _: &Outgoing) -> Result<ProviderId, DeliveryError> {
        Ok(ProviderId("250 2.0.0 Ok".to_owned()))
    }
}

fn notification(i: usize) -> NewNotification {
    NewNotification {
        key: format!("n{i}"),
        to: Target::Contacts(vec![Destination {
            channel: ChannelKind::Email,
            address: format!("cu-tri-{i}@example.org"),
        }]),
        category: Category::CaseUpdate,
        urgent: false,
        email: Some(EmailMessage {
            subject: format!(
                "[HB.20261126.{:04}] Hồ sơ của bạn đã được tiếp nhận",
                i % 10_000
            ),
            text: "Kính gửi ông/bà, Hội đồng nhân dân phường đã tiếp nhận hồ sơ.".repeat(4),
            message_id: Some(format!("<bench-{i}@hongbang.example>")),
            ..EmailMessage::default()
        }),
        telegram: None,
        due_at: SystemClock.now(),
        suppressed: false,
    }
}

/// Enqueues `ROWS` rows in chunks; returns the rate.
async fn fill(store: &Arc<dyn Store>) -> f64 {
    let started = Instant::now();
    for chunk in 0..ROWS / CHUNK {
        let notes: Vec<_> = (chunk * CHUNK..(chunk + 1) * CHUNK)
            .map(notification)
            .collect();
        store.enqueue("bench", None, &notes).await.expect("enqueue");
    }
    ROWS as f64 / started.elapsed().as_secs_f64()
}

/// The worker's drain rate, as `hdnd serve` runs it.
async fn run(name: &str, url: &str) -> f64 {
    let store = hdnd_hub::storage::open(url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    let enqueue = fill(&store).await;

    let worker = Worker::new(
        store.clone(),
        vec![Arc::new(NoOp)],
        DeliverySettings::default(),
    );
    let started = Instant::now();
    while worker.try_execute_batch().await.expect("a batch") != ExecutionOutcome::Idle {}
    let drain = ROWS as f64 / started.elapsed().as_secs_f64();

    let sent = sent(&store).await;
    assert_eq!(sent, ROWS as i64, "every row must be sent");
    println!("bench outbox_enqueue_{name} {enqueue:.0} msg/s");
    println!("bench outbox_{name} {drain:.0} msg/s");
    store.close().await;
    drain
}

/// The ceiling: the store's claim and mark-sent SQL in a loop, a batch's outcomes in one
/// transaction, with no worker, channel or rendering.
async fn run_bare(name: &str, url: &str) -> f64 {
    let store = hdnd_hub::storage::open(url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    fill(&store).await;
    let batch = DeliverySettings::default().batch_size;
    let lease = std::time::Duration::from_secs(60);
    let started = Instant::now();
    loop {
        let rows = store.claim_outbox(batch, lease).await.expect("a claim");
        if rows.is_empty() {
            break;
        }
        let outcomes: Vec<_> = rows.into_iter().map(|row| (row, Outcome::Sent)).collect();
        store.record_outcomes(&outcomes).await.expect("recorded");
    }
    let drain = ROWS as f64 / started.elapsed().as_secs_f64();
    assert_eq!(sent(&store).await, ROWS as i64, "every row must be sent");
    println!("bench outbox_bare_{name} {drain:.0} msg/s");
    store.close().await;
    drain
}

async fn sent(store: &Arc<dyn Store>) -> i64 {
    let counts = store.count_outbox().await.expect("counts");
    counts
        .iter()
        .find(|(s, _)| *s == OutboxStatus::Sent)
        .map_or(0, |c| c.1)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let outbox = run(
        "sqlite",
        &format!("sqlite://{}/bench.db", dir.path().display()),
    )
    .await;
    let bare = run_bare(
        "sqlite",
        &format!("sqlite://{}/bare.db", dir.path().display()),
    )
    .await;
    println!("bench outbox_ratio_sqlite {:.2}", outbox / bare);

    if let Ok(admin) = std::env::var("TEST_DATABASE_URL") {
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL");
        let mut rates = Vec::new();
        for bare in [false, true] {
            let name = format!("hdnd_bench_{}_{}", std::process::id(), u8::from(bare));
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create");
            let url = format!(
                "{}/{name}",
                admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(root, _)| root)
            );
            rates.push(if bare {
                run_bare("postgres", &url).await
            } else {
                run("postgres", &url).await
            });
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop");
        }
        println!("bench outbox_ratio_postgres {:.2}", rates[0] / rates[1]);
    } else {
        println!("note: outbox_postgres skipped (TEST_DATABASE_URL is not set)");
    }
}
