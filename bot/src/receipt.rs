//! What Telegram is told the moment a pressed button's update is stored: the callback query is
//! answered (the client's spinner stops) and the keyboard it was pressed on is removed, so the
//! same button cannot be pressed again and the chat shows which choice was made by the next
//! message. Both are best effort: the update is already stored, and the answer to the press
//! comes through the outbox like every other message.
//!
//! Done here rather than through the outbox, because a callback query must be answered within
//! seconds or not at all, and a retry minutes later would only earn "query is too old".

use serde::Deserialize;
use serde_json::json;

use crate::api::BotApi;

/// The parts of a callback query a receipt needs.
#[derive(Deserialize)]
struct Update {
    callback_query: Option<Pressed>,
}

#[derive(Deserialize)]
struct Pressed {
    id: String,
    /// Absent when the message is too old for Telegram to send along; then only the spinner
    /// is stopped.
    message: Option<PressedOn>,
}

#[derive(Deserialize)]
struct PressedOn {
    message_id: i64,
    chat: Chat,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
}

/// The Bot API calls that acknowledge `payload`, if it is a pressed button.
pub fn calls(payload: &[u8]) -> Vec<(&'static str, serde_json::Value)> {
    let Ok(Update {
        callback_query: Some(pressed),
    }) = serde_json::from_slice::<Update>(payload)
    else {
        return Vec::new();
    };
    let mut calls = vec![(
        "answerCallbackQuery",
        json!({ "callback_query_id": pressed.id }),
    )];
    if let Some(on) = pressed.message {
        calls.push((
            "editMessageReplyMarkup",
            json!({
                "chat_id": on.chat.id,
                "message_id": on.message_id,
                "reply_markup": { "inline_keyboard": [] },
            }),
        ));
    }
    calls
}

/// Sends the acknowledgement of `payload` without waiting for it.
pub fn acknowledge(api: &BotApi, payload: &[u8]) {
    let calls = calls(payload);
    if calls.is_empty() {
        return;
    }
    let api = api.clone();
    tokio::spawn(async move {
        for (method, body) in calls {
            // The chat is personal data: the log names the method and Telegram's reason only.
            // A keyboard already removed (a second press) is refused with 400, as expected.
            if let Err(e) = api.call(method, &body).await {
                tracing::debug!(telegram.method = method, "{method} was refused: {e}");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pressed_button_is_answered_and_its_keyboard_removed() {
        let payload = br#"{"update_id":9,"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"id":4242,"is_bot":false,"first_name":"A"},"chat_instance":"1","data":"n:kind:kn","message":{"message_id":77,"date":1,"chat":{"id":4242,"type":"private"},"text":"?"}}}"#;
        let calls = calls(payload);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].0, "answerCallbackQuery");
        assert_eq!(calls[0].1["callback_query_id"], "4382bfdwdsb323b2d9");
        assert_eq!(calls[1].0, "editMessageReplyMarkup");
        assert_eq!(calls[1].1["chat_id"], 4242);
        assert_eq!(calls[1].1["message_id"], 77);
        assert_eq!(calls[1].1["reply_markup"]["inline_keyboard"], json!([]));
    }

    #[test]
    fn a_press_on_a_message_telegram_no_longer_sends_only_stops_the_spinner() {
        let payload = br#"{"update_id":9,"callback_query":{"id":"q1","from":{"id":1,"is_bot":false,"first_name":"A"},"chat_instance":"1","data":"x"}}"#;
        let calls = calls(payload);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].0, "answerCallbackQuery");
    }

    #[test]
    fn other_updates_need_no_receipt() {
        for payload in [
            &br#"{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"hi"}}"#[..],
            b"not json",
            br#"{"update_id":2,"callback_query":{"no_id":true}}"#,
        ] {
            assert!(calls(payload).is_empty());
        }
    }
}
