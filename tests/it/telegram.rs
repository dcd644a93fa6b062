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
