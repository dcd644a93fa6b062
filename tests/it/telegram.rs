//! The Telegram channel against a fake Bot API on loopback: what it sends, and how it reads
//! Telegram's refusals.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use hdnd_bot::{TelegramChannel, TelegramSettings};
use hdnd_hub::delivery::{Channel, ChannelKind, DeliveryError, Outgoing};
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
    };
    TelegramChannel::new(&settings)
        .unwrap()
        .expect("a token turns Telegram on")
}

fn message(text: &str) -> Outgoing {
    Outgoing {
        outbox_id: 1,
        channel: ChannelKind::Telegram,
        address: "4242".to_owned(),
        subject: "[HB.20261126.0001] Hồ sơ đã được tiếp nhận".to_owned(),
        text: text.to_owned(),
        html: None,
        message_id: None,
        in_reply_to: None,
        references: vec![],
        list_unsubscribe: None,
    }
}

#[tokio::test]
async fn telegram_sends_subject_and_text_and_splits_long_messages() {
    // Arrange
    let (url, seen) = fake(vec![ok(), ok()]).await;

    // Act: 5,000 characters do not fit in one message of 4,096.
    let long = "Nội dung trả lời. ".repeat(280);
    channel(&url).send(&message(&long)).await.unwrap();

    // Assert
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["chat_id"], json!(4242));
    let first = seen[0]["text"].as_str().unwrap();
    assert!(first.starts_with("[HB.20261126.0001] Hồ sơ đã được tiếp nhận\n\nNội dung"));
    assert!(first.encode_utf16().count() <= 4096);
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
