//! `cargo bench --bench bot_latency`: how long a citizen waits for the bot's answer, with 200
//! conversations at once on a file-backed SQLite with the production settings. The pieces
//! `hdnd serve` runs for Telegram: the long-polling [`Poller`] under its leader lease, the
//! inbound worker with the [`TelegramHandler`], and the delivery worker with the
//! [`TelegramChannel`], all against one fake Bot API on loopback.
//!
//! Each of 200 fictional chats walks the start of the dialogue that files a case: `/start`,
//! `/new`, the "phản ánh" kind button, skip the area, skip the category, then the content. A
//! chat's next update is made available to `getUpdates` only once the answer to its previous
//! one arrived, and after a pause of 1–3 s, as a person reads and types; without the pause 200
//! chats would ask as fast as the system answers, and the figure would be 200 ÷ throughput
//! (Little's law), not a wait. Latency is from the update becoming available to the fake
//! receiving the `sendMessage` that answers it. Telegram's limits are off here, in the fake and
//! in the delivery worker's pacing: they are `telegram_pacing`'s subject, and by design the
//! per-chat pacing would hold every second answer to a chat for a second.
//!
//! The ceiling, from the same run: the same conversations answered by an echo on the same fake
//! (`getUpdates`, then `sendMessage` at once; no database, no hub). Prints
//! `bot_latency_p50`/`_p99` in ms, the echo's (`bot_latency_echo_p50`/`_p99`), and
//! `bot_latency_ratio`: the echo's p99 over the bot's (1.0 would mean the hub adds nothing).
//! Target: p99 < 50 ms.

#[path = "support/fake_bot_api.rs"]
#[allow(dead_code)]
mod fake_bot_api;

use std::sync::Arc;
use std::time::Duration;

use fake_bot_api::{FakeBotApi, TOKEN};
use hdnd_bot::api::BotApi;
use hdnd_bot::menu::{self, Menu};
use hdnd_bot::poller::{self, Poller};
use hdnd_bot::{TelegramChannel, TelegramHandler, TelegramSettings};
use hdnd_hub::delivery::notify::Notifier;
use hdnd_hub::delivery::pacing::{ChannelPacing, PacingSettings};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::delivery::worker::{DeliverySettings, Worker};
use hdnd_hub::domain::{CouncilProfile, InboundSource, InboundStatus};
use hdnd_hub::inbound::{InboundSettings, InboundWorker};
use hdnd_hub::leader::Leader;
use hdnd_hub::{Hub, SystemClock};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::watch;

const CHATS: i64 = 200;
/// The fictional chats' ids: 2_000_001 and on.
const FIRST_CHAT: i64 = 2_000_001;
/// How long a person takes to read an answer and send the next message.
const THINKING_MS: std::ops::Range<u64> = 1_000..3_000;
/// The longest any answer may take before the bench gives up.
const GIVE_UP: Duration = Duration::from_secs(30);

/// One step of a conversation, as the citizen sends it.
#[derive(Debug, Clone, Copy)]
enum Step {
    Text(&'static str),
    Press(&'static str),
}

const CONVERSATION: [Step; 6] = [
    Step::Text("/start"),
    Step::Text("/new"),
    Step::Press("n:kind:phan_anh"),
    Step::Press("n:skip"),
    Step::Press("n:skip"),
    Step::Text("Đèn chiếu sáng ngõ 12 phố Hoàng Văn Thụ bị hỏng đã hai tuần, đề nghị phường sửa."),
];

/// The update a step makes, with the id Telegram gives it.
fn update(update_id: u32, chat: i64, step: Step) -> String {
    let from =
        json!({ "id": chat, "is_bot": false, "first_name": "Cử tri", "language_code": "vi" });
    let update = match step {
        Step::Text(text) => json!({
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_790_000_000,
                "chat": { "id": chat, "type": "private", "first_name": "Cử tri" },
                "from": from,
                "text": text,
            },
        }),
        Step::Press(data) => json!({
            "update_id": update_id,
            "callback_query": {
                "id": format!("cb{update_id}"),
                "from": from,
                "chat_instance": format!("ci{chat}"),
                "data": data,
            },
        }),
    };
    update.to_string()
}

/// Runs every chat's conversation against `fake`; every answer's wait, in milliseconds.
async fn converse(fake: &FakeBotApi) -> Vec<f64> {
    let mut chats = tokio::task::JoinSet::new();
    for chat in FIRST_CHAT..FIRST_CHAT + CHATS {
        let fake = fake.clone();
        chats.spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(chat as u64);
            // The chats start spread over the first two seconds, not all at once.
            let mut pause = Duration::from_millis(rng.random_range(0..2_000));
            let mut waits = Vec::new();
            for step in CONVERSATION {
                tokio::time::sleep(pause).await;
                let (available, answered) = fake.push(chat, |id| update(id, chat, step));
                let arrived = tokio::time::timeout(GIVE_UP, answered)
                    .await
                    .unwrap_or_else(|_| panic!("chat {chat} had no answer to {step:?}"))
                    .expect("the fake answers");
                waits.push(arrived.duration_since(available).as_secs_f64() * 1_000.0);
                pause = Duration::from_millis(rng.random_range(THINKING_MS));
            }
            waits
        });
    }
    let mut waits = Vec::new();
    while let Some(chat) = chats.join_next().await {
        waits.extend(chat.expect("a conversation"));
    }
    waits
}

/// The `q` quantile by nearest rank.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn percentiles(mut waits: Vec<f64>) -> (f64, f64) {
    assert_eq!(waits.len(), CHATS as usize * CONVERSATION.len());
    waits.sort_by(f64::total_cmp);
    (quantile(&waits, 0.50), quantile(&waits, 0.99))
}

/// The bot as `hdnd serve` runs it for Telegram, with the pacing off.
async fn bot_path(url: &str) -> (f64, f64) {
    let fake = FakeBotApi::start(None).await;
    let store = hdnd_hub::storage::open(url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    let profile = Arc::new(CouncilProfile::demo());
    let renderer = Arc::new(Renderer::builtin());
    let notifier = Notifier::new(renderer.clone(), profile.clone(), "hongbang.example");
    let hub = Hub::new(store.clone(), profile).with_notifier(Arc::new(notifier));
    let settings = TelegramSettings {
        token: Some(TOKEN.to_owned()),
        api_url: Some(fake.url.clone()),
        ..TelegramSettings::default()
    };
    let (stop, stopped) = watch::channel(false);

    // The delivery worker, with the production settings but no pacing.
    let channel = TelegramChannel::new(&settings)
        .expect("the Telegram channel")
        .expect("a token is set");
    let delivery = DeliverySettings {
        pacing: PacingSettings {
            telegram: ChannelPacing::none(),
            email: ChannelPacing::none(),
        },
        ..DeliverySettings::default()
    };
    let worker = Worker::new(store.clone(), vec![Arc::new(channel)], delivery);
    let delivering = tokio::spawn(worker.run_until_stopped(stopped.clone()));

    // The transport and the inbound worker, as `serve::start_telegram` wires them.
    let handler = TelegramHandler::new(hub.clone(), renderer.clone())
        .with_flood_limit(settings.flood_per_minute);
    let inbound = InboundWorker::new(store.clone(), InboundSettings::default())
        .with_handler(InboundSource::Telegram, Arc::new(handler));
    let api = BotApi::new(&settings)
        .expect("the Bot API")
        .expect("a token is set");
    let poller = Poller::new(&settings, inbound.clone())
        .expect("the poller")
        .expect("a token is set");
    let menus = Arc::new(vec![Menu::citizens()]);
    let leader = Leader::new(
        store.clone(),
        poller::LEASE_NAME,
        Duration::from_millis(settings.leader_renew_ms),
    );
    let polling = tokio::spawn(
        leader.run_until_stopped(stopped.clone(), move |leadership| {
            let (api, poller, menus) = (api.clone(), poller.clone(), menus.clone());
            async move {
                tokio::join!(
                    menu::set_menus(&api, &menus),
                    poller.run_until_lost(leadership),
                );
            }
        }),
    );
    let processing = tokio::spawn(inbound.run_until_stopped(stopped));

    let waits = converse(&fake).await;

    let _ = stop.send(true);
    for task in [delivering, polling, processing] {
        task.await.expect("a task stops");
    }
    let updates = CHATS * CONVERSATION.len() as i64;
    let counts = store.count_inbound().await.expect("counts");
    assert_eq!(
        counts,
        vec![(InboundStatus::Done, updates)],
        "every update processed"
    );
    assert_eq!(fake.sent_count() as i64, updates, "each answered once");
    store.close().await;
    percentiles(waits)
}

/// The ceiling: an echo that answers each update the moment `getUpdates` brings it.
async fn echo_path() -> (f64, f64) {
    let fake = FakeBotApi::start(None).await;
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("an HTTP client");
    let base = format!("{}/bot{TOKEN}", fake.url);
    let echo = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let mut offset = 0_i64;
            loop {
                let body = json!({ "offset": offset, "timeout": 30 }).to_string();
                let reply = client
                    .post(format!("{base}/getUpdates"))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("getUpdates");
                let reply: Value =
                    serde_json::from_slice(&reply.bytes().await.expect("a body")).expect("JSON");
                for update in reply["result"].as_array().into_iter().flatten() {
                    offset = offset.max(update["update_id"].as_i64().unwrap_or_default() + 1);
                    let chat = update["message"]["chat"]["id"]
                        .as_i64()
                        .or_else(|| update["callback_query"]["from"]["id"].as_i64())
                        .expect("a chat");
                    let (client, base) = (client.clone(), base.clone());
                    tokio::spawn(async move {
                        let body = json!({ "chat_id": chat, "text": "Đã nhận." }).to_string();
                        client
                            .post(format!("{base}/sendMessage"))
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .expect("sendMessage");
                    });
                }
            }
        })
    };
    let waits = converse(&fake).await;
    echo.abort();
    percentiles(waits)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (echo_p50, echo_p99) = echo_path().await;
    let (p50, p99) = bot_path(&format!("sqlite://{}/bench.db", dir.path().display())).await;
    println!("bench bot_latency_p50 {p50:.1} ms");
    println!("bench bot_latency_p99 {p99:.1} ms");
    println!("bench bot_latency_echo_p50 {echo_p50:.1} ms");
    println!("bench bot_latency_echo_p99 {echo_p99:.1} ms");
    println!("bench bot_latency_ratio {:.3}", echo_p99 / p99);
}
