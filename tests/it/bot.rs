//! The bot's answers to stored Telegram updates, through the inbound worker and the outbox and,
//! for the first answer, over HTTP to a fake Bot API on loopback: `/start`, `/help` and `/lang`
//! (remembered, and the linked citizen's language too), a duplicated update answered once,
//! and hostile or foreign input that breaks nothing. Each story runs on both databases.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use hdnd_bot::{TelegramChannel, TelegramHandler, TelegramSettings};
use hdnd_hub::delivery::outbox::{Category, OutboxRow};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::delivery::worker::{DeliverySettings, Worker};
use hdnd_hub::domain::{
    ContactKind, ContactPoint, ExternalKey, InboundSource, InboundStatus, Language, NewInbound,
};
use hdnd_hub::inbound::{InboundSettings, InboundStep, InboundWorker};
use hdnd_hub::{Hub, Store};
use serde_json::{Value, json};

use crate::helpers::{TestDb, contract_tests, hub_on, petition};

contract_tests!(
    start_help_and_lang_answer_in_the_chats_language_which_is_remembered,
    a_duplicated_update_is_answered_once,
    lang_becomes_the_linked_citizens_language,
    groups_edits_stickers_long_hostile_text_and_garbage_break_nothing,
);

const CHAT: i64 = 4242;

fn worker(hub: &Hub) -> InboundWorker {
    InboundWorker::new(hub.store().clone(), InboundSettings::default()).with_handler(
        InboundSource::Telegram,
        Arc::new(TelegramHandler::new(
            hub.clone(),
            Arc::new(Renderer::builtin()),
        )),
    )
}

fn message(chat: Value, body: Value) -> Value {
    let mut message = json!({
        "message_id": 10,
        "date": 1_790_000_000,
        "chat": chat,
        "from": { "id": CHAT, "is_bot": false, "first_name": "Cử tri" },
    });
    for (key, value) in body.as_object().unwrap() {
        message[key] = value.clone();
    }
    message
}

fn private() -> Value {
    json!({ "id": CHAT, "type": "private", "first_name": "Cử tri" })
}

fn text(update_id: u32, text: &str) -> NewInbound {
    raw(
        update_id,
        json!({ "update_id": update_id, "message": message(private(), json!({ "text": text })) }),
    )
}

fn raw(update_id: u32, update: Value) -> NewInbound {
    NewInbound {
        source: InboundSource::Telegram,
        key: ExternalKey::telegram(123_456, update_id),
        payload: serde_json::to_vec(&update).unwrap(),
        sealed: false,
    }
}

/// Stores each update, then processes everything due; the rows' ids.
async fn deliver(worker: &InboundWorker, updates: Vec<NewInbound>) -> Vec<i64> {
    let mut ids = Vec::new();
    for update in updates {
        ids.push(worker.receive(update).await.unwrap().id);
    }
    while worker.try_execute_batch().await.unwrap() != InboundStep::Idle {}
    ids
}

/// The replies in the outbox, oldest first, as the text of their Telegram parts.
async fn replies(store: &Arc<dyn Store>) -> Vec<(OutboxRow, String)> {
    let mut rows = store.list_outbox(None, 100).await.unwrap();
    rows.sort_by_key(|r| r.id);
    rows.into_iter()
        .filter(|r| r.category == Category::Conversation)
        .map(|r| {
            let text = r
                .telegram
                .as_ref()
                .map(|t| t.parts.join("\n"))
                .unwrap_or_default();
            (r, text)
        })
        .collect()
}

/// A Bot API on loopback that records every call and answers each with a sent message.
async fn bot_api() -> (String, Arc<Mutex<Vec<(String, Value)>>>) {
    type Seen = Arc<Mutex<Vec<(String, Value)>>>;
    async fn any(State(seen): State<Seen>, uri: axum::http::Uri, body: Bytes) -> axum::Json<Value> {
        let method = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
        seen.lock()
            .unwrap()
            .push((method, serde_json::from_slice(&body).unwrap_or(Value::Null)));
        axum::Json(
            json!({ "ok": true, "result": { "message_id": 99, "date": 1_790_000_000,
            "chat": { "id": CHAT, "type": "private", "first_name": "Cử tri" }, "text": "…" } }),
        )
    }
    let seen: Seen = Arc::default();
    let app = Router::new().fallback(any).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

async fn start_help_and_lang_answer_in_the_chats_language_which_is_remembered(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let inbound = worker(&hub);
    let (url, calls) = bot_api().await;
    let settings = TelegramSettings {
        token: Some("123456:TEST".to_owned()),
        api_url: Some(url),
        ..TelegramSettings::default()
    };
    let channel = TelegramChannel::new(&settings).unwrap().unwrap();
    let delivery = Worker::new(
        hub.store().clone(),
        vec![Arc::new(channel)],
        DeliverySettings::default(),
    );

    // Act: /start, delivered over HTTP; then /lang and /help.
    deliver(&inbound, vec![text(1, "/start")]).await;
    delivery.try_execute_batch().await.unwrap();
    deliver(&inbound, vec![text(2, "/lang"), text(3, "/help@hdnd_bot")]).await;

    // Assert
    let sent = calls.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].0.eq_ignore_ascii_case("sendMessage"),
        "{}",
        sent[0].0
    );
    assert_eq!(sent[0].1["chat_id"], json!(CHAT));
    assert_eq!(sent[0].1["parse_mode"], json!("HTML"));
    let welcome = sent[0].1["text"].as_str().unwrap();
    assert!(welcome.starts_with("Xin chào"), "{welcome}");
    assert!(welcome.contains("Hội đồng nhân dân phường Hồng Bàng"));
    assert!(
        welcome.contains("không phải buổi tiếp công dân trực tuyến"),
        "{welcome}"
    );
    let replies = replies(hub.store()).await;
    assert_eq!(replies.len(), 3);
    assert!(
        replies[1].1.starts_with("Switched to English"),
        "{}",
        replies[1].1
    );
    assert!(
        replies[2]
            .1
            .contains("/lang — Switch between Vietnamese and English"),
        "{}",
        replies[2].1
    );
    assert!(
        replies
            .iter()
            .all(|(r, _)| r.address == CHAT.to_string() && r.urgent)
    );
    let state = hub.chat_state(&CHAT.to_string()).await.unwrap();
    assert_eq!(state.language, Language::En);
    // And back: /lang vi.
    deliver(&inbound, vec![text(4, "/lang vi")]).await;
    assert_eq!(
        hub.chat_state(&CHAT.to_string()).await.unwrap().language,
        Language::Vi
    );
}

async fn a_duplicated_update_is_answered_once(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let inbound = worker(&hub);

    // Act: Telegram redelivers an update it thinks was not acknowledged.
    deliver(&inbound, vec![text(7, "/start"), text(7, "/start")]).await;
    deliver(&inbound, vec![text(7, "/start")]).await;

    // Assert
    assert_eq!(replies(hub.store()).await.len(), 1);
}

async fn lang_becomes_the_linked_citizens_language(db: TestDb) {
    // Arrange: a citizen who filed a case from this chat, in Vietnamese.
    let (hub, _clock) = hub_on(&db).await;
    let mut case = petition();
    case.contacts = vec![ContactPoint {
        kind: ContactKind::Telegram,
        address: CHAT.to_string(),
    }];
    let created = hub.submit_case(case).await.unwrap();
    let citizen = created.case.citizen.expect("linked to a citizen");
    let inbound = worker(&hub);

    // Act
    deliver(&inbound, vec![text(1, "/lang en")]).await;

    // Assert: every later message to them is English, on every channel.
    let citizen = hub.store().get_citizen(citizen).await.unwrap();
    assert_eq!(citizen.language, Language::En);
    let case = hub.store().get_case(created.case.id).await.unwrap();
    assert_eq!(case.language, Language::En);
}

async fn groups_edits_stickers_long_hostile_text_and_garbage_break_nothing(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let inbound = worker(&hub);
    let group =
        json!({ "id": -1_001_234_567_890_i64, "type": "supergroup", "title": "Tổ dân phố 5" });
    let hostile = format!(
        "<b>x</b><script>alert(1)</script>\u{202e}{}",
        "đường ".repeat(1_700)
    );
    let updates = vec![
        raw(
            1,
            json!({ "update_id": 1, "message": message(group, json!({ "text": "/start" })) }),
        ),
        raw(
            2,
            json!({ "update_id": 2, "edited_message": message(private(), json!({ "text": "/start", "edit_date": 1_790_000_100 })) }),
        ),
        raw(
            3,
            json!({ "update_id": 3, "message": message(private(), json!({ "sticker": {
            "file_id": "f", "file_unique_id": "u", "type": "regular", "width": 512, "height": 512,
            "is_animated": false, "is_video": false } })) }),
        ),
        text(4, &hostile),
        text(5, "/xoa_het"),
        NewInbound {
            payload: b"{not json".to_vec(),
            ..text(6, "")
        },
    ];

    // Act
    let ids = deliver(&inbound, updates).await;

    // Assert: the group and the edit are ignored; the sticker, the long text and the unknown
    // command get the pointer to /help, which quotes nothing back; the garbage is kept as
    // failed, with a reason that quotes nothing either.
    let replies = replies(hub.store()).await;
    let texts: Vec<_> = replies.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].contains("chưa hiểu yêu cầu"), "{}", texts[0]);
    assert!(texts[1].contains("chưa hiểu yêu cầu"));
    assert!(texts[2].contains("chưa có lệnh này"), "{}", texts[2]);
    assert!(
        texts
            .iter()
            .all(|t| !t.contains("script") && !t.contains("đường đường"))
    );
    let garbage = hub.store().get_inbound(ids[5]).await.unwrap();
    assert_eq!(garbage.status, InboundStatus::Failed);
    let reason = garbage.last_error.as_deref().unwrap();
    assert!(reason.starts_with("not a Telegram update"), "{reason}");
    for id in &ids[..5] {
        let row = hub.store().get_inbound(*id).await.unwrap();
        assert_eq!(row.status, InboundStatus::Done, "{row:?}");
    }
}
