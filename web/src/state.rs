//! What every handler gets.

use std::sync::Arc;

use hdnd_hub::Hub;
use hdnd_hub::inbound::TelegramWebhook;

use crate::views::Views;

/// The hub and the compiled templates, and Telegram's webhook when the bot takes its
/// updates that way.
#[derive(Debug, Clone)]
pub struct AppState {
    pub hub: Hub,
    pub views: Arc<Views>,
    /// Where the webhook route stores updates; `None` when Telegram is off or polls.
    pub telegram_webhook: Option<TelegramWebhook>,
    /// The portal's address as people reach it (`web.public_url`), for the absolute links of
    /// feeds; `None` falls back to `http://localhost`.
    pub public_url: Option<String>,
    /// The Telegram bot's username (`telegram.username`), for a case page's "follow on
    /// Telegram" deep link; `None` shows the /follow command instead.
    pub telegram_bot: Option<String>,
    /// Who may read `/metrics`.
    pub metrics: crate::metrics::MetricsAccess,
}

impl AppState {
    /// The portal's address without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        self.public_url
            .as_deref()
            .map_or("http://localhost", |url| url.trim_end_matches('/'))
    }
}
