//! The read link of an internal message's email, `/tin-noi-bo/{token}`: the message, shown to
//! the recipient whose token it is, and marked read by them (audited; the sender's receipts
//! then say "read, by email"). Any other token is the portal's Vietnamese 404, whether
//! malformed or unknown, so that none can be told from another.
//!
//! Unlike the unsubscribe link, a GET changes something here: the brief asks that opening the
//! link is the receipt, and what it changes is only a read time that a repeat leaves as it
//! was. A mail scanner that fetches links would mark a message read unopened; the receipt says
//! it was read by email, which is as much as the sender can know.
//!
//! The page is in the reader's language (`?lang=vi` or `?lang=en` chooses another), is not
//! cached or indexed, and its request span names the route template, never the token.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use hdnd_hub::domain::Language;
use serde_json::json;

use crate::error::WebError;
use crate::public::{base, other_language, unlisted};
use crate::state::AppState;

/// The page's words in one language.
struct Words {
    heading: &'static str,
    from: &'static str,
    to: &'static str,
    sent_at: &'static str,
    newly_read: &'static str,
    read_before: &'static str,
    reply_hint: &'static str,
    home: &'static str,
}

const VI: Words = Words {
    heading: "Tin nhắn nội bộ",
    from: "Người gửi",
    to: "Gửi tới",
    sent_at: "Thời gian",
    newly_read: "Đã ghi nhận: đồng chí đã đọc tin nhắn này; người gửi sẽ thấy điều đó.",
    read_before: "Tin nhắn này đã được ghi nhận là đã đọc trước đó.",
    reply_hint: "Để trả lời mọi người trong chuỗi, gửi bot Telegram của Hội đồng: /msg #",
    home: "← Về trang chủ",
};

const EN: Words = Words {
    heading: "Internal message",
    from: "From",
    to: "To",
    sent_at: "Sent at",
    newly_read: "Noted: you have read this message; the sender will see it.",
    read_before: "This message was marked as read before.",
    reply_hint: "To answer everyone in the thread, send the council's Telegram bot: /msg #",
    home: "← Back to the home page",
};

/// `GET /tin-noi-bo/{token}`: the message, marked read.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let opened = state
        .hub
        .open_message_by_token(&token)
        .await?
        .ok_or(WebError::NotFound)?;
    let reader = &opened.reader;
    let language = query
        .get("lang")
        .and_then(|l| l.parse().ok())
        .unwrap_or(reader.language);
    let w = match language {
        Language::Vi => &VI,
        Language::En => &EN,
    };
    let message = &opened.message;
    let audience = state
        .hub
        .audience_label(&message.audience, language)
        .await?;
    let heading = format!("{} #{}", w.heading, message.id);
    let mut view = base(&state, &heading, None);
    view["lang"] = json!(language.as_str());
    view["heading"] = json!(heading);
    view["labels"] = json!({ "from": w.from, "to": w.to, "sent_at": w.sent_at });
    view["from"] = json!(opened.sender_name);
    view["audience"] = json!(audience);
    view["sent_at"] = json!(
        message
            .created_at
            .with_timezone(&reader.time_zone)
            .format("%H:%M %d/%m/%Y")
            .to_string()
    );
    view["lines"] = json!(message.body.lines().collect::<Vec<_>>());
    view["read_note"] = json!(if opened.newly_read {
        w.newly_read
    } else {
        w.read_before
    });
    view["reply_hint"] = json!(format!("{}{} …", w.reply_hint, message.thread));
    view["token"] = json!(token);
    view["home"] = json!(w.home);
    view["other"] = other_language(language);
    // The page holds a member's message.
    Ok(unlisted(
        Html(state.views.render("message", &view)?).into_response(),
    ))
}
