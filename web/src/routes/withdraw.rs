//! The withdrawal link a citizen gets by mail after writing RÚT ĐƠN (`/rut-ho-so/{token}`):
//! the page shows the case and asks; only the button's POST withdraws, since link checkers
//! and previews fetch what a mail links to. The hub decides whether the token holds and
//! whether the case may still be withdrawn ([`hdnd_hub::withdrawal`]); an expired or forged
//! token is the portal's 404. Neither cached nor indexed, and the request span names the
//! route, never the token.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use hdnd_hub::domain::Language;
use hdnd_hub::private_view::PrivateCase;
use serde_json::json;

use crate::error::WebError;
use crate::public::{base, other_language, unlisted};
use crate::state::AppState;

/// The page's words in one language.
struct Words {
    ask_heading: &'static str,
    ask: &'static str,
    button: &'static str,
    done_heading: &'static str,
    done: &'static str,
    refused: &'static str,
    code: &'static str,
    kind: &'static str,
    status: &'static str,
    home: &'static str,
}

const VI: Words = Words {
    ask_heading: "Rút hồ sơ",
    ask: "Ông/bà đề nghị rút hồ sơ này. Sau khi rút, Hội đồng thôi xem xét, xử lý hồ sơ; nếu muốn, ông/bà có thể gửi lại sau. Bấm nút dưới đây để xác nhận.",
    button: "Xác nhận rút hồ sơ",
    done_heading: "Đã rút hồ sơ",
    done: "Hồ sơ đã được rút theo đề nghị của ông/bà. Chúng tôi đã gửi thông báo xác nhận.",
    refused: "Hồ sơ không còn ở giai đoạn có thể rút (đã có kết quả, đã kết thúc hoặc đã rút trước đó).",
    code: "Mã hồ sơ",
    kind: "Loại hồ sơ",
    status: "Tình trạng",
    home: "← Về trang chủ",
};

const EN: Words = Words {
    ask_heading: "Withdraw a case",
    ask: "You asked to withdraw this case. Once withdrawn, the council stops handling it; you may send it again later. Press the button below to confirm.",
    button: "Confirm the withdrawal",
    done_heading: "Case withdrawn",
    done: "The case was withdrawn as you asked. We have sent you a confirmation.",
    refused: "The case can no longer be withdrawn (it has been answered, has ended, or was withdrawn already).",
    code: "Case code",
    kind: "Kind",
    status: "Status",
    home: "← Back to the home page",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Vi => &VI,
        Language::En => &EN,
    }
}

/// `?lang=…` when it names a language, else the case's.
fn language(query: &HashMap<String, String>, case: &PrivateCase) -> Language {
    query
        .get("lang")
        .and_then(|l| l.parse().ok())
        .unwrap_or(case.language)
}

fn page(
    state: &AppState,
    token: &str,
    case: &PrivateCase,
    language: Language,
    (heading, message, confirm): (&str, &str, bool),
) -> Result<Response, WebError> {
    let w = words(language);
    let mut view = base(state, heading, None);
    view["lang"] = json!(language.as_str());
    view["heading"] = json!(heading);
    view["message"] = json!(message);
    view["confirm"] = json!(confirm);
    view["token"] = json!(token);
    view["w"] = json!({
        "code": w.code, "kind": w.kind, "status": w.status, "button": w.button, "home": w.home,
    });
    view["case"] = json!({
        "code": case.code.as_str(),
        "kind": case.kind.label(language),
        "status": case.status.label(language),
    });
    view["other"] = other_language(language);
    let html = Html(state.views.render("withdraw", &view)?);
    Ok(unlisted(html.into_response()))
}

/// `GET /rut-ho-so/{token}`: asks for confirmation.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let case = state
        .hub
        .withdrawal_offer(&token)
        .await?
        .ok_or(WebError::NotFound)?;
    let language = language(&query, &case);
    let w = words(language);
    let may = case.may_withdraw();
    let message = if may { w.ask } else { w.refused };
    page(
        &state,
        &token,
        &case,
        language,
        (w.ask_heading, message, may),
    )
}

/// `POST /rut-ho-so/{token}`: withdraws the case.
pub(crate) async fn apply(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let before = state
        .hub
        .withdrawal_offer(&token)
        .await?
        .ok_or(WebError::NotFound)?;
    let language = language(&query, &before);
    let w = words(language);
    match state.hub.withdraw_by_link(&token).await {
        Ok(Some(_)) => {}
        Ok(None) => return Err(WebError::NotFound),
        // Answered, closed or withdrawn meanwhile: said, and nothing changes.
        Err(hdnd_hub::Error::Domain(_)) => {
            return page(
                &state,
                &token,
                &before,
                language,
                (w.ask_heading, w.refused, false),
            );
        }
        Err(e) => return Err(e.into()),
    }
    let after = state
        .hub
        .withdrawal_offer(&token)
        .await?
        .ok_or(WebError::NotFound)?;
    page(
        &state,
        &token,
        &after,
        language,
        (w.done_heading, w.done, false),
    )
}
