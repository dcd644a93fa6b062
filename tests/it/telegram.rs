//! The Telegram channel against a fake Bot API on loopback: what it sends, and how it reads
//! Telegram's refusals.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use hdnd_bot::{TelegramChannel, TelegramSettings};
use hdnd_hub::delivery::{
    Button, ButtonAction, Channel, ChannelKind, Content, DeliveryError, Keyboard, Outgoing,
    TelegramPart,
};
use serde_json::{Value, json};

/// A fake Bot API that answers every call with the next canned reply and keeps the requests.
async fn fake(replies: Vec<Value>) -> (String, Arc<Mutex<Vec<Value>>>) {
    type Shared = (Arc<Mutex<Vec<Value>>>, Arc<Mutex<Vec<Value>>>);
    async fn any(State((replies, seen)): State<Shared>, body: Bytes) -> impl IntoResponse {
        seen.lock()
            .unwrap()
            .push(serde_json::from_slice(&body).unwrap());
        let reply = replies.lock().unwrap().remove(0);
        axum::Json(reply)
    }
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let app = Router::new()
        .fallback(any)
        .with_state((Arc::new(Mutex::new(replies)), seen.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn ok() -> Value {
    json!({ "ok": true, "result": { "message_id": 7, "date": 1_790_000_000,
        "chat": { "id": 4242, "type": "private", "first_name": "Cử tri" }, "text": "…" } })
}

fn channel(url: &str) -> TelegramChannel {
    let settings = TelegramSettings {
        token: Some("123456:TEST".to_owned()),
        api_url: Some(url.to_owned()),
        ..TelegramSettings::default()
    };
    TelegramChannel::new(&settings)
        .unwrap()
        .expect("a token turns Telegram on")
}

/// One part of a Telegram message to chat 4242.
fn part(text: &str, keyboard: Keyboard) -> Outgoing {
    Outgoing {
        outbox_id: 1,
        channel: ChannelKind::Telegram,
        address: "4242".to_owned(),
        content: Content::Telegram(TelegramPart {
            text: text.to_owned(),
            index: 0,
            count: 1,
            keyboard,
            thread: None,
        }),
    }
}

fn message(text: &str) -> Outgoing {
    part(text, Keyboard::default())
}

#[tokio::test]
async fn telegram_sends_html_with_its_keyboard_and_returns_the_message_id() {
    // Arrange
    let (url, seen) = fake(vec![ok(), ok()]).await;
    let keyboard = Keyboard {
        rows: vec![vec![
            Button {
                text: "Xem hồ sơ".to_owned(),
                action: ButtonAction::CallbackData("case:HB.20261126.0001".to_owned()),
            },
            Button {
                text: "Cổng thông tin".to_owned(),
                action: ButtonAction::Url("https://hongbang.example/ho-so".to_owned()),
            },
        ]],
    };

    // Act
    let plain = channel(&url)
        .send(&message("Hồ sơ <b>HB.20261126.0001</b> đã được tiếp nhận."))
        .await
        .unwrap();
    let with_buttons = channel(&url).send(&part("Chọn:", keyboard)).await.unwrap();

    // Assert
    assert_eq!((plain.0.as_str(), with_buttons.0.as_str()), ("7", "7"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0]["chat_id"], json!(4242));
    assert_eq!(seen[0]["parse_mode"], json!("HTML"));
    assert_eq!(
        seen[0]["text"],
        json!("Hồ sơ <b>HB.20261126.0001</b> đã được tiếp nhận.")
    );
    assert!(seen[0].get("reply_markup").is_none(), "{}", seen[0]);
    let buttons = &seen[1]["reply_markup"]["inline_keyboard"][0];
    assert_eq!(buttons[0]["callback_data"], json!("case:HB.20261126.0001"));
    assert_eq!(buttons[1]["url"], json!("https://hongbang.example/ho-so"));
}

#[tokio::test]
async fn a_blocked_bot_is_permanent_and_flood_control_is_retried_after_its_delay() {
    let blocked = json!({ "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user" });
    let flood = json!({ "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",
        "parameters": { "retry_after": 7 } });
    let (url, _) = fake(vec![blocked, flood]).await;
    let telegram = channel(&url);

    let first = telegram.send(&message("a")).await;
    let second = telegram.send(&message("b")).await;
    let not_a_chat = telegram
        .send(&Outgoing {
            address: "cu-tri@example.org".to_owned(),
            ..message("c")
        })
        .await;

    assert!(
        matches!(first, Err(DeliveryError::Permanent(_))),
        "{first:?}"
    );
    assert!(
        matches!(second, Err(DeliveryError::Transient { retry_after: Some(d), .. }) if d == Duration::from_secs(7)),
        "{second:?}"
    );
    assert!(matches!(not_a_chat, Err(DeliveryError::Permanent(_))));
}

#[tokio::test]
async fn telegram_is_off_without_a_token() {
    assert!(
        TelegramChannel::new(&TelegramSettings::default())
            .unwrap()
            .is_none()
    );
}

crate::helpers::contract_tests!(
    a_split_message_refused_on_part_two_resumes_there_and_each_part_arrives_once
);

/// A fake Bot API that numbers its messages, refuses the `refuse`-th call once with 429
/// (retry after 1 s), and keeps every accepted request.
async fn flaky(refuse: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    type Shared = (Arc<Mutex<usize>>, Arc<Mutex<Vec<Value>>>, usize);
    async fn any(State((calls, kept, refuse)): State<Shared>, body: Bytes) -> impl IntoResponse {
        let request: Value = serde_json::from_slice(&body).unwrap();
        let call = {
            let mut calls = calls.lock().unwrap();
            *calls += 1;
            *calls
        };
        if call == refuse {
            return axum::Json(json!({ "ok": false, "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": { "retry_after": 1 } }));
        }
        kept.lock().unwrap().push(request.clone());
        axum::Json(json!({ "ok": true, "result": { "message_id": 1000 + call,
            "date": 1_790_000_000, "chat": { "id": 4242, "type": "private", "first_name": "Cử tri" },
            "text": request["text"] } }))
    }
    let kept: Arc<Mutex<Vec<Value>>> = Arc::default();
    let app = Router::new()
        .fallback(any)
        .with_state((Arc::default(), kept.clone(), refuse));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), kept)
}

async fn a_split_message_refused_on_part_two_resumes_there_and_each_part_arrives_once(
    db: crate::helpers::TestDb,
) {
    use hdnd_hub::delivery::outbox::{Destination, OutboxStatus, Target};
    use hdnd_hub::delivery::worker::{DeliverySettings, Worker};
    use hdnd_hub::{Clock, SystemClock};

    // Arrange: a message of three parts with a button under the last; the real clock, as
    // the pacing waits are real.
    let store = db.open(Arc::new(SystemClock)).await;
    let (url, kept) = flaky(2).await;
    let mut note = crate::outbox::note(
        "long",
        Target::Contacts(vec![Destination {
            channel: ChannelKind::Telegram,
            address: "4242".to_owned(),
        }]),
    );
    note.due_at = SystemClock.now();
    let telegram = note.telegram.as_mut().unwrap();
    telegram.parts = vec![
        "Phần <b>1</b>".to_owned(),
        "Phần <b>2</b>".to_owned(),
        "Phần <b>3</b>".to_owned(),
    ];
    telegram.keyboard = Keyboard {
        rows: vec![vec![Button {
            text: "Đã đọc".to_owned(),
            action: ButtonAction::CallbackData("seen:1".to_owned()),
        }]],
    };
    store.enqueue("split", None, &[note]).await.unwrap();
    let worker = Worker::new(
        store.clone(),
        vec![Arc::new(channel(&url))],
        DeliverySettings {
            backoff_base_ms: 100,
            ..DeliverySettings::default()
        },
    );

    // Act: work until the row is sent (the 429 asks for a second claim a second later).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let row = loop {
        worker.try_execute_batch().await.unwrap();
        let row = store.list_outbox(None, 1).await.unwrap().remove(0);
        if row.status == OutboxStatus::Sent {
            break row;
        }
        assert!(tokio::time::Instant::now() < deadline, "{row:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Assert: each part once, in order, the button under the last only.
    let kept = kept.lock().unwrap().clone();
    let texts: Vec<_> = kept.iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Phần <b>1</b>", "Phần <b>2</b>", "Phần <b>3</b>"]);
    assert!(kept[..2].iter().all(|r| r.get("reply_markup").is_none()));
    assert_eq!(
        kept[2]["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        json!("seen:1")
    );
    assert_eq!(row.parts_sent, 3);
    assert_eq!(row.provider_ids, ["1001", "1003", "1004"]);
    assert_eq!(row.attempts, 2, "the 429 cost one attempt");
}
