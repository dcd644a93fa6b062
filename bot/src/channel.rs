//! The Telegram channel: sends one part of an outbox message at a time with the Bot API
//! (`sendMessage` in HTML parse mode, with the inline keyboard under the last part), returns
//! Telegram's `message_id` so that the message can be edited later, and classifies failures
//! for the worker. The hub rendered and split the text at enqueue.
//!
//! A message for a case's topic in the staff group creates the topic first when the case has
//! none yet (`createForumTopic`), and the hub keeps it; when two instances create one at once,
//! the one the hub kept first stands and the other is deleted again.

use async_trait::async_trait;
use hdnd_hub::Hub;
use hdnd_hub::delivery::{
    ButtonAction, Channel, ChannelKind, Content, DeliveryError, Keyboard, Outgoing, ProviderId,
    TelegramThread,
};
use hdnd_hub::domain::CaseId;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::types::{
    ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ParseMode, ThreadId,
};
use teloxide::{ApiError, Bot, RequestError};

use crate::config::TelegramSettings;

/// A channel that cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelegramSetupError {
    #[error("telegram.api_url `{0}` is not a URL")]
    ApiUrl(String),
    #[error("cannot set up an HTTP client for Telegram: {0}")]
    Client(String),
    #[error(transparent)]
    Invalid(#[from] hdnd_hub::config::InvalidSetting),
}

/// Telegram, through one bot.
#[derive(Debug, Clone)]
pub struct TelegramChannel {
    bot: Bot,
    /// Where the staff group's case topics are kept; without it, a message for a topic goes
    /// to the group's general thread.
    hub: Option<Hub>,
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
        Ok(Some(Self { bot, hub: None }))
    }

    /// The same channel, keeping the staff group's case topics in `hub`.
    pub fn with_topics(mut self, hub: Hub) -> Self {
        self.hub = Some(hub);
        self
    }

    /// The `message_thread_id` a message for `thread` in `chat` goes into: a case's topic is
    /// created the first time.
    async fn topic(
        &self,
        chat: i64,
        thread: &TelegramThread,
    ) -> Result<Option<i32>, DeliveryError> {
        let (case, title) = match thread {
            TelegramThread::Topic(id) => return Ok(Some(*id)),
            TelegramThread::Case { case, title } => (CaseId(*case), title),
        };
        let Some(hub) = &self.hub else {
            return Ok(None);
        };
        let group = chat.to_string();
        let stored = |e: hdnd_hub::Error| DeliveryError::Transient {
            reason: format!("cannot read the case's topic: {e}"),
            retry_after: None,
        };
        if let Some(id) = hub.case_topic(&group, case).await.map_err(stored)? {
            return Ok(i32::try_from(id).ok());
        }
        let created = self
            .bot
            .create_forum_topic(ChatId(chat), title.as_str())
            .await
            .map_err(classify)?;
        let ours = created.thread_id.0.0;
        let kept = hub
            .keep_case_topic(&group, case, i64::from(ours))
            .await
            .map_err(stored)?;
        if kept != i64::from(ours) {
            // Another instance's topic came first: ours would stay empty.
            let _ = self
                .bot
                .delete_forum_topic(ChatId(chat), created.thread_id)
                .await;
        }
        Ok(i32::try_from(kept).ok())
    }
}

#[async_trait]
impl Channel for TelegramChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Telegram
    }

    async fn send(&self, message: &Outgoing) -> Result<ProviderId, DeliveryError> {
        let chat: i64 = message.address.trim().parse().map_err(|_| {
            DeliveryError::Permanent("the address is not a Telegram chat id".to_owned())
        })?;
        let Content::Telegram(part) = &message.content else {
            return Err(DeliveryError::Permanent(
                "the Telegram channel was handed an email".to_owned(),
            ));
        };
        let mut request = self
            .bot
            .send_message(ChatId(chat), part.text.as_str())
            .parse_mode(ParseMode::Html);
        if !part.keyboard.is_empty() {
            request = request.reply_markup(markup(&part.keyboard)?);
        }
        if let Some(thread) = &part.thread
            && let Some(id) = self.topic(chat, thread).await?
        {
            request = request.message_thread_id(ThreadId(MessageId(id)));
        }
        let sent = request.await.map_err(classify)?;
        Ok(ProviderId(sent.id.0.to_string()))
    }
}

/// The Bot API's form of an inline keyboard.
fn markup(keyboard: &Keyboard) -> Result<InlineKeyboardMarkup, DeliveryError> {
    let rows = keyboard
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|button| match &button.action {
                    ButtonAction::CallbackData(data) => Ok(InlineKeyboardButton::callback(
                        button.text.clone(),
                        data.clone(),
                    )),
                    ButtonAction::Url(url) => url
                        .parse()
                        .map(|url| InlineKeyboardButton::url(button.text.clone(), url))
                        .map_err(|_| {
                            DeliveryError::Permanent("a button's URL is not valid".to_owned())
                        }),
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(InlineKeyboardMarkup::new(rows))
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
