//! `cargo bench --bench outbox`: rows through enqueue → claim → no-op send → mark sent, with the
//! store and worker code `hdnd serve` runs, on a file-backed SQLite with the production
//! settings, and on PostgreSQL when TEST_DATABASE_URL is set. Prints `bench <name> <value>
//! <unit>` lines. Target: drain ≥ 10,000 msg/s on SQLite on 2 cores.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use hdnd_hub::delivery::EmailMessage;
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, OutboxStatus, Target};
use hdnd_hub::delivery::worker::{DeliverySettings, ExecutionOutcome, Worker};
use hdnd_hub::delivery::{Channel, ChannelKind, DeliveryError, Outgoing};
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

    async fn send(&self, _: &Outgoing) -> Result<(), DeliveryError> {
        Ok(())
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
        subject: format!(
            "[HB.20261126.{:04}] Hồ sơ của bạn đã được tiếp nhận",
            i % 10_000
        ),
        text: "Kính gửi ông/bà, Hội đồng nhân dân phường đã tiếp nhận hồ sơ.".repeat(4),
        html: None,
        message_id: Some(format!("<bench-{i}@hongbang.example>")),
        in_reply_to: None,
        references: vec![],
        list_unsubscribe: None,
        due_at: SystemClock.now(),
        suppressed: false,
    }
}

async fn run(name: &str, url: &str) {
    let store = hdnd_hub::storage::open(url, Arc::new(SystemClock))
        .await
        .expect("open the store");

    let started = Instant::now();
    for chunk in 0..ROWS / CHUNK {
        let notes: Vec<_> = (chunk * CHUNK..(chunk + 1) * CHUNK)
            .map(notification)
            .collect();
        store.enqueue("bench", None, &notes).await.expect("enqueue");
    }
    let enqueue = ROWS as f64 / started.elapsed().as_secs_f64();

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
    run(
        "sqlite",
        &format!("sqlite://{}/bench.db", dir.path().display()),
    )
    .await;

    if let Ok(admin) = std::env::var("TEST_DATABASE_URL") {
        let name = format!("hdnd_bench_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL");
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
        run("postgres", &url).await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .expect("drop");
    } else {
        println!("note: outbox_postgres skipped (TEST_DATABASE_URL is not set)");
    }
}
