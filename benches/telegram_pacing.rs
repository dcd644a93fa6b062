//! `cargo bench --bench telegram_pacing`: 3,000 notifications to 3,000 chats through the
//! delivery worker and the Telegram channel, wired as `hdnd serve` wires them and with the
//! production pacing, on a file-backed SQLite with the production settings, against a fake Bot
//! API on loopback that refuses with 429 whatever breaks Telegram's limits (30 messages in any
//! second, 1 per chat). Prints the rate from the first accepted message to the last
//! (`telegram_rate`), the refusals (`telegram_429`), the ceiling (`telegram_limit`, the fake's
//! 30 msg/s) and the ratio (`telegram_ratio`). Target: rate ≥ 28.5 msg/s (ratio ≥ 0.95) and
//! no 429. It takes about 100 s: the limit is the point.

#[path = "support/fake_bot_api.rs"]
#[allow(dead_code)]
mod fake_bot_api;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_bot_api::{FakeBotApi, Limits, TOKEN};
use hdnd_bot::{TelegramChannel, TelegramSettings};
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, OutboxStatus, Target};
use hdnd_hub::delivery::worker::{DeliverySettings, Worker};
use hdnd_hub::delivery::{ChannelKind, TelegramMessage};
use hdnd_hub::{Clock, SystemClock};

const MESSAGES: usize = 3_000;

fn notification(i: usize) -> NewNotification {
    NewNotification {
        key: format!("n{i}"),
        to: Target::Contacts(vec![Destination {
            channel: ChannelKind::Telegram,
            address: (1_000_000 + i).to_string(),
        }]),
        category: Category::CaseUpdate,
        urgent: false,
        email: None,
        telegram: Some(TelegramMessage {
            parts: vec![format!(
                "Hồ sơ <b>HB.20261126.{:04}</b> của ông/bà đã được tiếp nhận. Mã tra cứu gửi kèm.",
                i % 10_000
            )],
            ..TelegramMessage::default()
        }),
        due_at: SystemClock.now(),
        suppressed: false,
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let store = hdnd_hub::storage::open(&url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    let notes: Vec<_> = (0..MESSAGES).map(notification).collect();
    store.enqueue("bench", None, &notes).await.expect("enqueue");

    let fake = FakeBotApi::start(Some(Limits::telegram())).await;
    let telegram = TelegramSettings {
        token: Some(TOKEN.to_owned()),
        api_url: Some(fake.url.clone()),
        ..TelegramSettings::default()
    };
    let channel = TelegramChannel::new(&telegram)
        .expect("the Telegram channel")
        .expect("a token is set");
    // As `hdnd serve`: the production defaults, pacing included, and the worker's own loop.
    let worker = Worker::new(
        store.clone(),
        vec![Arc::new(channel)],
        DeliverySettings::default(),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run_until_stopped(stopped));

    // 3,000 at 30/s is 100 s; a 429 costs its row a retry after a second or more.
    let deadline = Instant::now() + Duration::from_secs(400);
    while fake.sent_count() < MESSAGES {
        assert!(
            Instant::now() < deadline,
            "only {} of {MESSAGES} messages arrived",
            fake.sent_count()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    running.await.expect("the worker stops");

    let sent = fake.sent();
    assert_eq!(sent.len(), MESSAGES, "each message once");
    let mut chats: Vec<i64> = sent.iter().map(|s| s.chat).collect();
    chats.sort_unstable();
    chats.dedup();
    assert_eq!(chats.len(), MESSAGES, "one message to each chat");
    let counts = store.count_outbox().await.expect("counts");
    let done = counts
        .iter()
        .find(|(s, _)| *s == OutboxStatus::Sent)
        .map_or(0, |c| c.1);
    assert_eq!(done, MESSAGES as i64, "every row recorded as sent");
    store.close().await;

    let first = sent.iter().map(|s| s.at).min().expect("a first message");
    let last = sent.iter().map(|s| s.at).max().expect("a last message");
    // n messages from the first to the last are n - 1 intervals.
    let rate = (MESSAGES - 1) as f64 / last.duration_since(first).as_secs_f64();
    let limit = Limits::telegram().overall_per_sec as f64;
    println!("bench telegram_rate {rate:.2} msg/s");
    println!("bench telegram_429 {} count", fake.refused());
    println!("bench telegram_limit {limit:.0} msg/s");
    println!("bench telegram_ratio {:.3}", rate / limit);
}
