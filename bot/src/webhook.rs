//! Webhook mode: the instance holding the leader lease tells Telegram where to post updates
//! (`setWebhook` with the URL, the secret and the updates the bot handles), retrying until
//! Telegram accepts, then holds the lease so that no other instance calls again. Every
//! instance serves the route itself (hdnd-web, through [`hdnd_hub::inbound::TelegramWebhook`]).
//!
//! The webhook is not deleted on stop: another instance (or this one, restarted) serves the
//! same URL, and Telegram keeps what it could not deliver for 24 hours. Long polling deletes
//! it before its first poll.

use std::time::Duration;

use hdnd_hub::leader::Leadership;
use serde_json::{Value, json};

use crate::api::BotApi;
use crate::config::Webhook;
use crate::poller::ALLOWED_UPDATES;

/// The `setWebhook` body. Updates Telegram holds are kept (`drop_pending_updates` false):
/// they arrive at the new URL.
pub fn set_webhook_body(webhook: &Webhook) -> Value {
    json!({
        "url": webhook.url.as_str(),
        "secret_token": webhook.secret,
        "allowed_updates": ALLOWED_UPDATES,
        "drop_pending_updates": false,
    })
}

/// Sets the webhook, trying again after a backoff (or Telegram's `retry_after`) until it is
/// set, then waits until the lease is lost.
pub async fn set_until_lost(api: BotApi, webhook: Webhook, mut leadership: Leadership) {
    let body = set_webhook_body(&webhook);
    let mut failures: u32 = 0;
    loop {
        let result = tokio::select! {
            () = leadership.lost() => return,
            result = api.call("setWebhook", &body) => result,
        };
        match result {
            Ok(()) => {
                tracing::info!(
                    telegram.bot_id = api.bot_id(),
                    lease.generation = leadership.generation,
                    "Telegram posts the updates of bot {} to {}",
                    api.bot_id(),
                    webhook.url
                );
                break;
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let pause = if e.token_refused() {
                    Duration::from_secs(300)
                } else {
                    e.retry_after().unwrap_or_else(|| {
                        hdnd_hub::retry::backoff(
                            Duration::from_secs(1),
                            Duration::from_secs(60),
                            failures,
                            None,
                        )
                        .to_std()
                        .unwrap_or(Duration::from_secs(60))
                    })
                };
                tracing::warn!(
                    error.message = %e,
                    telegram.failures = failures,
                    "cannot set the Telegram webhook: {e}; no updates arrive until it is set; trying again in {}ms",
                    pause.as_millis()
                );
                tokio::select! {
                    () = leadership.lost() => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
    leadership.lost().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_is_set_with_its_secret_and_the_handled_updates() {
        let webhook = Webhook {
            url: "https://hdnd.example/telegram/webhook".parse().unwrap(),
            secret: "Wh00k_secret".to_owned(),
        };
        assert_eq!(
            set_webhook_body(&webhook),
            json!({
                "url": "https://hdnd.example/telegram/webhook",
                "secret_token": "Wh00k_secret",
                "allowed_updates": ["message", "edited_message", "callback_query"],
                "drop_pending_updates": false,
            })
        );
    }
}
