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
}
