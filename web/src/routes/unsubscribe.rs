//! One-click unsubscribe (RFC 8058) from reminders and agendas.
//!
//! Mail clients POST to the `List-Unsubscribe` URL; a person who follows the link gets a page
//! with a button, since a GET must change nothing (link checkers and previews fetch URLs).

use axum::extract::{Path, State};
use axum::response::Html;
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::Category;
use serde_json::json;

use crate::error::WebError;
use crate::public::base;
use crate::state::AppState;

/// Tokens are 64 hex characters; anything else is not one.
fn check(token: &str) -> Result<(), WebError> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

fn what(category: Category, channel: ChannelKind) -> String {
    let kind = match category {
        Category::Digest => "lịch làm việc buổi sáng",
        Category::Reminder => "nhắc việc và nhắc lịch",
        Category::CaseUpdate | Category::StaffCase => "thông báo về hồ sơ",
    };
    format!("{kind} qua {}", channel.label_vi().to_lowercase())
}

/// `GET /huy-nhan-tin/{token}`: asks for confirmation.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Html<String>, WebError> {
    check(&token)?;
    let mut view = base(&state, "Ngừng nhận thông báo", None);
    view["heading"] = json!("Ngừng nhận thông báo");
    view["message"] = json!(
        "Bấm nút dưới đây để ngừng nhận loại thông báo này. Bạn có thể bật lại bất cứ lúc nào qua bộ phận văn phòng."
    );
    view["confirm"] = json!(true);
    view["token"] = json!(token);
    Ok(Html(state.views.render("unsubscribe", &view)?))
}

/// `POST /huy-nhan-tin/{token}`: turns the preference off.
pub(crate) async fn apply(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Html<String>, WebError> {
    check(&token)?;
    let (_staff, category, channel) = state.hub.unsubscribe(&token).await?;
    let mut view = base(&state, "Đã ngừng nhận thông báo", None);
    view["heading"] = json!("Đã ngừng nhận thông báo");
    view["message"] = json!(format!(
        "Bạn sẽ không nhận {} nữa.",
        what(category, channel)
    ));
    view["confirm"] = json!(false);
    view["token"] = json!(token);
    Ok(Html(state.views.render("unsubscribe", &view)?))
}
