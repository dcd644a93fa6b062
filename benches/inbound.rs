//! `cargo bench --bench inbound`: messages stored as a transport stores them (one transaction
//! each, before the acknowledgement), then claimed under a lease and completed by a no-op
//! handler through the hub's worker, on a file-backed SQLite with the production settings;
//! beside it, the same SQL statements in a bare loop on a plain sqlx pool (the ceiling), and
//! the ratio. Then the email gateway's figure: the corpus of `tests/mail` (each copy from
//! its own sender) stored, parsed and routed by the gateway's handler, through to the cases
//! and receipts it files (`bench inbound <n> msg/s`, target ≥ 500 on 2 cores), and its ratio
//! to the bare store. Prints `bench <name> <value> <unit>` lines. Target: ratio ≥ 0.5.

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
/// Mail is heavier (a case, its receipt and staff notices per message): fewer suffice.
const MAILS: u32 = 3_000;
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

/// The corpus, each message with its own sender and Message-ID in copy `i`, so that every
/// copy is a new mail from a new person (no rate limit, no replay).
fn mail(corpus: &[String], i: u32) -> Vec<u8> {
    let message = &corpus[i as usize % corpus.len()];
    let mut out = format!("Message-ID: <bench.{i}@example.net>\r\n");
    for line in message.split_inclusive('\n') {
        if line.starts_with("From:") {
            out.push_str(&format!("From: Cử tri {i} <cu.tri.{i}@example.net>\r\n"));
        } else if !line.starts_with("Message-ID:") {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

async fn mail_path(url: &str) -> f64 {
    use hdnd_hub::delivery::notify::Notifier;
    use hdnd_hub::delivery::render::Renderer;
    use hdnd_hub::domain::CouncilProfile;

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail");
    let mut corpus: Vec<String> = std::fs::read_dir(dir)
        .expect("the corpus")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("a message")).into_owned())
        .collect();
    corpus.sort();
    let store = hdnd_hub::storage::open(url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    let renderer = Arc::new(Renderer::builtin());
    let hub = hdnd_hub::Hub::new(store.clone(), Arc::new(CouncilProfile::demo()));
    let notifier = Notifier::new(renderer.clone(), hub.profile().clone(), "hongbang.example")
        .with_reply_addresses(hub.mail_key(), "hdnd@hongbang.example")
        .with_public_url("https://hdnd.hongbang.example");
    let hub = hub.with_notifier(Arc::new(notifier));
    let handler =
        hdnd_mail::MailHandler::new(hub, renderer, "hdnd@hongbang.example", "hongbang.example");
    let settings = InboundSettings {
        batch_size: BATCH,
        ..InboundSettings::default()
    };
    let worker = InboundWorker::new(store.clone(), settings)
        .with_handler(InboundSource::Email, Arc::new(handler));
    let started = Instant::now();
    for i in 0..MAILS {
        let raw = mail(&corpus, i);
        worker
            .receive(NewInbound {
                source: InboundSource::Email,
                key: ExternalKey::smtp(&raw),
                payload: raw,
                sealed: false,
            })
            .await
            .expect("store a mail");
    }
    while worker.try_execute_batch().await.expect("a batch") != InboundStep::Idle {}
    let rate = f64::from(MAILS) / started.elapsed().as_secs_f64();
    let counts = store.count_inbound().await.expect("counts");
    let settled: i64 = counts
        .iter()
        .filter(|(s, _)| matches!(s, InboundStatus::Done | InboundStatus::Failed))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        settled,
        i64::from(MAILS),
        "every mail must be settled: {counts:?}"
    );
    let cases = store.count_cases(&Default::default()).await.expect("cases");
    println!("bench inbound_mail_cases {cases} cases");
    store.close().await;
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
    let mail = mail_path(&format!("sqlite://{}/mail.db", dir.path().display())).await;
    println!("bench inbound {mail:.0} msg/s");
    println!("bench inbound_mail_ratio_sqlite {:.2}", mail / bare);
}
