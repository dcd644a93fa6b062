//! Telegram's webhook: `POST <path of telegram.webhook_url>`.
//!
//! Telegram forgets an update once its request got a 2xx, and retries on anything else. So
//! the answer is 200 only once the update is stored in `inbound` (or was, for a replay), and
//! 500 when the store failed; a request without the secret, too large or not an update is
//! refused with nothing stored. Bodies are empty: Telegram would run a Bot API method named in
//! a webhook answer's body.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use hdnd_hub::inbound::{TelegramWebhook, WebhookError};

/// Stores one update; see the module's header for the answers.
pub(crate) async fn receive(State(hook): State<TelegramWebhook>, request: Request) -> StatusCode {
    // The secret first: a stranger's body is not even read.
    let secret = request
        .headers()
        .get(TelegramWebhook::SECRET_HEADER)
        .map(|v| v.as_bytes());
    if !hook.admits(secret) {
        if secret.is_some() {
            // Most likely a secret changed on one side only: say so where an operator looks.
            tracing::warn!(
                "a Telegram webhook request with a wrong secret token was refused; \
                 is telegram.webhook_secret the one given to setWebhook?"
            );
        } else {
            tracing::debug!("a webhook request without the secret token header was refused");
        }
        return StatusCode::UNAUTHORIZED;
    }
    // Limited by the route's DefaultBodyLimit: a larger body is a 413.
    let body = match Bytes::from_request(request, &hook).await {
        Ok(body) => body,
        Err(rejection) => return rejection.status(),
    };
    match hook.receive(&body).await {
        Ok(_) => StatusCode::OK,
        Err(WebhookError::Malformed) => {
            tracing::warn!(
                http.body_bytes = body.len(),
                "a webhook request with the right secret but no Telegram update was refused"
            );
            StatusCode::BAD_REQUEST
        }
        Err(WebhookError::Store(e)) => {
            tracing::error!(
                error.message = %e,
                "cannot store a Telegram update from the webhook; Telegram will send it again"
            );
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
