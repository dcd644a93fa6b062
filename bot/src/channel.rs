//! The Telegram channel: sends outbox messages with the Bot API (`sendMessage`), as plain
//! text split at Telegram's length limit, and classifies failures for the worker.

use async_trait::async_trait;
use hdnd_hub::delivery::{Channel, ChannelKind, DeliveryError, Outgoing};
use teloxide::prelude::Requester;
use teloxide::types::ChatId;
use teloxide::{ApiError, Bot, RequestError};

use crate::config::TelegramSettings;
use crate::text::{MESSAGE_LIMIT, split_message};

/// A channel that cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelegramSetupError {
    #[error("telegram.api_url `{0}` is not a URL")]
    ApiUrl(String),
    #[error(transparent)]
    Invalid(#[from] hdnd_hub::config::InvalidSetting),
}

/// Telegram, through one bot.
#[derive(Debug, Clone)]
pub struct TelegramChannel {
    bot: Bot,
}

impl TelegramChannel {
    /// `None` when no token is configured (Telegram is off).
    pub fn new(settings: &TelegramSettings) -> Result<Option<Self>, TelegramSetupError> {
        let Some(token) = settings.token.as_deref().filter(|t| !t.trim().is_empty()) else {
            return Ok(None);
        };
        settings.check()?;
        let mut bot = Bot::new(token.trim());
        if let Some(url) = &settings.api_url {
            let parsed = url
                .parse()
                .map_err(|_| TelegramSetupError::ApiUrl(url.clone()))?;
            bot = bot.set_api_url(parsed);
        }
        Ok(Some(Self { bot }))
    }
}

#[async_trait]
impl Channel for TelegramChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Telegram
    }

    async fn send(&self, message: &Outgoing) -> Result<(), DeliveryError> {
        let chat: i64 = message.address.trim().parse().map_err(|_| {
            DeliveryError::Permanent("the address is not a Telegram chat id".to_owned())
        })?;
        let text = if message.subject.is_empty() {
            message.text.clone()
        } else {
            format!("{}\n\n{}", message.subject, message.text)
        };
        for part in split_message(text.trim(), MESSAGE_LIMIT) {
            self.bot
                .send_message(ChatId(chat), part)
                .await
                .map_err(classify)?;
        }
        Ok(())
    }
}

/// Blocked, kicked, unknown chats and other refusals are permanent (the next channel is
/// tried); flood control, network and server trouble are worth retrying.
fn classify(error: RequestError) -> DeliveryError {
    match error {
        RequestError::RetryAfter(after) => DeliveryError::Transient {
            reason: format!("Telegram asked to retry after {}s", after.seconds()),
            retry_after: Some(after.duration()),
        },
        RequestError::Api(ApiError::Unknown(text))
            if text.contains("Internal Server Error") || text.contains("Bad Gateway") =>
        {
            DeliveryError::Transient {
                reason: text,
                retry_after: None,
            }
        }
        RequestError::Api(api) => DeliveryError::Permanent(api.to_string()),
        RequestError::MigrateToChatId(_) => {
            DeliveryError::Permanent("the group became a supergroup with a new id".to_owned())
        }
        other => DeliveryError::Transient {
            reason: other.to_string(),
            retry_after: None,
        },
    }
}
