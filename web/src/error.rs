//! Errors of the portal, answered with a page in Vietnamese.
//!
//! A handler returns a [`WebError`]; its response carries an [`ErrorPage`] extension, and the
//! `error_pages` middleware renders it with the templates (handlers' errors cannot reach the
//! state themselves) and logs server errors once.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::public::base;
use crate::state::AppState;

/// What went wrong, for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// The request is malformed; the message says how, in Vietnamese.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Something failed on our side; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<hdnd_hub::Error> for WebError {
    fn from(e: hdnd_hub::Error) -> Self {
        match e {
            hdnd_hub::Error::NotFound(_) => WebError::NotFound,
            // A refused file (too large, a type not accepted) is the sender's to fix: say why.
            hdnd_hub::Error::File(file) if file.is_refusal() => {
                WebError::BadRequest(file.message(hdnd_hub::domain::Language::Vi))
            }
            other => WebError::Internal(error_chain(&other)),
        }
    }
}

impl From<handlebars::RenderError> for WebError {
    fn from(e: handlebars::RenderError) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The page to render for an error response.
#[derive(Debug, Clone)]
pub(crate) struct ErrorPage {
    heading: &'static str,
    message: String,
    detail: Option<String>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, page) = match self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorPage {
                    heading: "Không tìm thấy trang",
                    message: "Trang hoặc hồ sơ bạn tìm không có, hoặc chưa được công khai. \
                              Hãy kiểm tra lại địa chỉ hoặc mã hồ sơ."
                        .to_owned(),
                    detail: None,
                },
            ),
            WebError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                ErrorPage {
                    heading: "Yêu cầu không hợp lệ",
                    message,
                    detail: None,
                },
            ),
            WebError::Internal(detail) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorPage {
                    heading: "Đã có lỗi xảy ra",
                    message: "Hệ thống đang gặp sự cố. Xin vui lòng thử lại sau ít phút."
                        .to_owned(),
                    detail: Some(detail),
                },
            ),
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(page);
        response
    }
}

#[derive(Serialize)]
struct ErrorView<'a> {
    #[serde(flatten)]
    base: serde_json::Value,
    heading: &'a str,
    message: &'a str,
}

/// Renders error pages and logs server errors, once, here.
pub(crate) async fn error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let status = response.status();
    if let Some(detail) = &page.detail {
        tracing::error!(http.path = %path, http.status = status.as_u16(), error.message = %detail, "request to {path} failed");
    }
    let view = ErrorView {
        base: base(&state, page.heading, None),
        heading: page.heading,
        message: &page.message,
    };
    match state.views.render("error", &view) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error.message = %e, "the error page does not render");
            (status, "Đã có lỗi xảy ra.").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_file_is_a_bad_request_told_in_vietnamese() {
        let refused = hdnd_hub::files::FileError::TooLarge {
            size: 12_000_000,
            limit: 10 * 1024 * 1024,
        };
        let error = WebError::from(hdnd_hub::Error::File(refused));
        assert!(
            matches!(&error, WebError::BadRequest(m) if m.starts_with("Tệp quá lớn")),
            "{error:?}"
        );
    }
}
