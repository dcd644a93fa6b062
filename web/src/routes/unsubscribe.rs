//! One-click unsubscribe (RFC 8058) from reminders and agendas.
//!
//! Mail clients POST to the `List-Unsubscribe` URL; a person who follows the link gets a page
//! with a button, since a GET must change nothing (link checkers and previews fetch URLs). The
//! page speaks the language of the token's owner; `?lang=vi` or `?lang=en` chooses another.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Html;
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::Category;
use hdnd_hub::domain::Language;
use serde_json::json;

use crate::error::WebError;
use crate::public::{base, other_language};
use crate::state::AppState;

/// Tokens are 64 hex characters; anything else is not one.
fn check(token: &str) -> Result<(), WebError> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

/// `?lang=…` when it names a language, else the owner's.
fn language(query: &HashMap<String, String>, owner: Language) -> Language {
    query
        .get("lang")
        .and_then(|l| l.parse().ok())
        .unwrap_or(owner)
}

/// "nhắc việc và nhắc lịch qua thư điện tử", "task and calendar reminders by email".
fn what(category: Category, channel: ChannelKind, language: Language) -> String {
    let kind = match (language, category) {
        (Language::Vi, Category::Digest) => "lịch làm việc buổi sáng",
        (Language::Vi, Category::Reminder) => "nhắc việc và nhắc lịch",
        (Language::Vi, Category::CaseUpdate | Category::StaffCase) => "thông báo về hồ sơ",
        // No link is made for a duty or a reply; a name in case one is presented all the same.
        (Language::Vi, Category::Duty) => "cảnh báo thời hạn",
        (Language::Vi, Category::Conversation) => "tin trả lời của bot",
        (Language::Vi, Category::StaffMessage) => "tin nhắn nội bộ",
        (Language::En, Category::Digest) => "the morning agenda",
        (Language::En, Category::Reminder) => "task and calendar reminders",
        (Language::En, Category::CaseUpdate | Category::StaffCase) => "case notifications",
        (Language::En, Category::Duty) => "deadline warnings",
        (Language::En, Category::Conversation) => "the bot's replies",
        (Language::En, Category::StaffMessage) => "internal messages",
    };
    let by = match (language, channel) {
        (Language::Vi, ChannelKind::Email) => "qua thư điện tử",
        (Language::Vi, ChannelKind::Telegram) => "qua Telegram",
        (Language::En, ChannelKind::Email) => "by email",
        (Language::En, ChannelKind::Telegram) => "on Telegram",
    };
    format!("{kind} {by}")
}

/// The page's words in one language.
struct Words {
    ask_heading: &'static str,
    ask: &'static str,
    button: &'static str,
    done_heading: &'static str,
    home: &'static str,
}

const VI: Words = Words {
    ask_heading: "Ngừng nhận thông báo",
    ask: "Bấm nút dưới đây để ngừng nhận loại thông báo này. Bạn có thể bật lại bất cứ lúc nào qua bộ phận văn phòng.",
    button: "Ngừng nhận",
    done_heading: "Đã ngừng nhận thông báo",
    home: "← Về trang chủ",
};

const EN: Words = Words {
    ask_heading: "Stop these notifications",
    ask: "Press the button below to stop receiving this kind of notification. You can turn it back on at any time through the council office.",
    button: "Stop them",
    done_heading: "Notifications stopped",
    home: "← Back to the home page",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Vi => &VI,
        Language::En => &EN,
    }
}

fn view(
    state: &AppState,
    token: &str,
    language: Language,
    heading: &str,
    message: String,
    confirm: bool,
) -> serde_json::Value {
    let w = words(language);
    let mut view = base(state, heading, None);
    view["lang"] = json!(language.as_str());
    view["heading"] = json!(heading);
    view["message"] = json!(message);
    view["confirm"] = json!(confirm);
    view["token"] = json!(token);
    view["button"] = json!(w.button);
    view["home"] = json!(w.home);
    view["other"] = other_language(language);
    view
}

/// `GET /huy-nhan-tin/{token}`: asks for confirmation.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    check(&token)?;
    let (owner, category, channel) = state.hub.unsubscribe_target(&token).await?;
    let language = language(&query, owner);
    let w = words(language);
    let message = format!("{} ({})", w.ask, what(category, channel, language));
    let page = view(&state, &token, language, w.ask_heading, message, true);
    Ok(Html(state.views.render("unsubscribe", &page)?))
}

/// `POST /huy-nhan-tin/{token}`: turns the preference off.
pub(crate) async fn apply(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    check(&token)?;
    let (owner, _, _) = state.hub.unsubscribe_target(&token).await?;
    let (_staff, category, channel) = state.hub.unsubscribe(&token).await?;
    let language = language(&query, owner);
    let message = match language {
        Language::Vi => format!(
            "Bạn sẽ không nhận {} nữa.",
            what(category, channel, language)
        ),
        Language::En => format!(
            "You will no longer receive {}.",
            what(category, channel, language)
        ),
    };
    let w = words(language);
    let page = view(&state, &token, language, w.done_heading, message, false);
    Ok(Html(state.views.render("unsubscribe", &page)?))
}
