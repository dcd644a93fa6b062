//! `cargo bench --bench inbound`: messages stored as a transport stores them (one transaction
//! each, before the acknowledgement), then claimed under a lease and completed by a no-op
//! handler through the hub's worker, on a file-backed SQLite with the production settings;
//! beside it, the same SQL statements in a bare loop on a plain sqlx pool (the ceiling), and
//! the ratio. Prints `bench <name> <value> <unit>` lines. Target: ratio ≥ 0.5.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hdnd_hub::SystemClock;
use hdnd_hub::domain::{ExternalKey, InboundRow, InboundSource, InboundStatus, NewInbound};
use hdnd_hub::inbound::{HandleError, InboundHandler, InboundSettings, InboundStep, InboundWorker};
use hdnd_hub::storage::InboundCompletion;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const MESSAGES: u32 = 20_000;
const BATCH: i64 = 16;

/// Completes every message with no effect: the figure is the inbound store's and worker's.
#[derive(Debug)]
struct NoOp;

#[async_trait]
impl InboundHandler for NoOp {
    async fn handle(&self, _: &InboundRow, _: &[u8]) -> Result<InboundCompletion, HandleError> {
        Ok(InboundCompletion::nothing())
    }
}

/// A Telegram update of a typical size.
fn payload(i: u32) -> Vec<u8> {
    format!(
        r#"{{"update_id":{i},"message":{{"message_id":{i},"chat":{{"id":100{i},"type":"private"}},"date":1764547200,"text":"Đèn đường ngõ 12 phố Hoàng Văn Thụ bị hỏng đã hai tuần, đề nghị phường kiểm tra và sửa chữa."}}}}"#
    )
    .into_bytes()
}

async fn hub_path(url: &str) -> f64 {
    let store = hdnd_hub::storage::open(url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    let settings = InboundSettings {
        batch_size: BATCH,
        ..InboundSettings::default()
    };
    let worker = InboundWorker::new(store.clone(), settings)
        .with_handler(InboundSource::Telegram, Arc::new(NoOp));
    let started = Instant::now();
    for i in 0..MESSAGES {
        worker
            .receive(NewInbound {
                source: InboundSource::Telegram,
                key: ExternalKey::telegram(777, i),
                payload: payload(i),
                sealed: false,
            })
            .await
            .expect("store a message");
    }
    while worker.try_execute_batch().await.expect("a batch") != InboundStep::Idle {}
    let rate = f64::from(MESSAGES) / started.elapsed().as_secs_f64();
    let counts = store.count_inbound().await.expect("counts");
    assert_eq!(
        counts,
        vec![(InboundStatus::Done, i64::from(MESSAGES))],
        "every message must be done"
    );
    store.close().await;
    rate
}

/// The statements the store runs, without the hub: insert, claim a batch, mark each done,
/// each in a write transaction as the store runs them.
async fn bare_path(url: &str) -> f64 {
    let options = SqliteConnectOptions::from_str(url)
        .expect("url")
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .expect("pool");
    sqlx::query(
        "CREATE TABLE inbound (id INTEGER PRIMARY KEY, source TEXT NOT NULL, external_key TEXT NOT NULL,
         received_at INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
         due_at INTEGER NOT NULL, lease_token TEXT, lease_until INTEGER, claimed_by TEXT,
         last_error TEXT, payload BLOB, sealed BOOLEAN NOT NULL, processed_at INTEGER,
         updated_at INTEGER NOT NULL, UNIQUE (source, external_key))",
    )
    .execute(&pool)
    .await
    .expect("table");
    sqlx::query("CREATE INDEX inbound_due ON inbound (status, due_at)")
        .execute(&pool)
        .await
        .expect("index");
    let now = || chrono::Utc::now().timestamp_millis();
    let started = Instant::now();
    for i in 0..MESSAGES {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
        sqlx::query(
            "INSERT INTO inbound (source, external_key, received_at, status, attempts, due_at, payload, sealed, updated_at)
             VALUES ($1, $2, $3, 'new', 0, $3, $4, FALSE, $3)
             ON CONFLICT (source, external_key) DO NOTHING RETURNING id",
        )
        .bind("telegram")
        .bind(format!("777:{i}"))
        .bind(now())
        .bind(payload(i))
        .fetch_optional(&mut *tx)
        .await
        .expect("insert");
        tx.commit().await.expect("commit");
    }
    loop {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
        let t = now();
        let rows: Vec<(i64, Option<Vec<u8>>)> = sqlx::query_as(
            "UPDATE inbound SET status = 'processing', lease_token = $1, lease_until = $2, due_at = $2,
                attempts = attempts + 1, updated_at = $3, claimed_by = 'bench'
             WHERE id IN (SELECT id FROM inbound WHERE status IN ('new', 'processing') AND due_at <= $3 ORDER BY id LIMIT $4)
             RETURNING id, payload",
        )
        .bind("token")
        .bind(t + 60_000)
        .bind(t)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await
        .expect("claim");
        tx.commit().await.expect("commit");
        if rows.is_empty() {
            break;
        }
        for (id, _payload) in rows {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
            sqlx::query(
                "UPDATE inbound SET status = 'done', processed_at = $1, updated_at = $1, last_error = NULL,
                    lease_token = NULL, lease_until = NULL, sealed = (sealed OR $2),
                    payload = CASE WHEN sealed OR $2 THEN NULL ELSE payload END
                 WHERE id = $3 AND lease_token = $4",
            )
            .bind(now())
            .bind(false)
            .bind(id)
            .bind("token")
            .execute(&mut *tx)
            .await
            .expect("done");
            tx.commit().await.expect("commit");
        }
    }
    let rate = f64::from(MESSAGES) / started.elapsed().as_secs_f64();
    pool.close().await;
    rate
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let hub = hub_path(&format!("sqlite://{}/hub.db", dir.path().display())).await;
    let bare = bare_path(&format!("sqlite://{}/bare.db", dir.path().display())).await;
    println!("bench inbound_sqlite {hub:.0} msg/s");
    println!("bench inbound_bare_sqlite {bare:.0} msg/s");
    println!("bench inbound_ratio_sqlite {:.2}", hub / bare);
}
