//! The bot's side of an inbound Telegram update: what a stored update changes and what the bot
//! answers. It writes nothing itself: the inbound worker applies the returned completion (the
//! chat's new state, the replies into the outbox) in one transaction with the row's `done`, so a
//! replayed or retried update answers once.
//!
//! So far a citizen's private chat gets `/start`, `/help` and `/lang`, and anything else a
//! polite pointer to `/help`; groups, edits and other update kinds are ignored, as Telegram
//! users expect of a bot that was not asked.

use std::sync::Arc;

use async_trait::async_trait;
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, Target};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::delivery::{ChannelKind, TelegramMessage};
use hdnd_hub::domain::{ChatChange, InboundRow, Language};
use hdnd_hub::inbound::{HandleError, InboundHandler};
use hdnd_hub::storage::InboundCompletion;
use hdnd_hub::{Error, Hub};
use serde_json::{Value, json};
use teloxide::types::{Message, Update, UpdateKind};

use crate::commands::{Command, Parsed, parse};

/// Turns stored Telegram updates into replies.
#[derive(Debug, Clone)]
pub struct TelegramHandler {
    hub: Hub,
    renderer: Arc<Renderer>,
}

impl TelegramHandler {
    pub fn new(hub: Hub, renderer: Arc<Renderer>) -> Self {
        Self { hub, renderer }
    }

    async fn message(&self, message: &Message) -> Result<InboundCompletion, HandleError> {
        if !message.chat.is_private() {
            // Staff groups come later; a citizen's case never starts in a group.
            return Ok(InboundCompletion::nothing());
        }
        let chat = message.chat.id.0.to_string();
        let state = self.hub.chat_state(&chat).await?;
        let mut language = state.language;
        let mut change = None;
        let council = json!({ "name": self.hub.profile().name });
        let (template, data) = match message.text().map(parse) {
            Some(Parsed::Command(Command::Start, _)) => {
                ("bot_start", json!({ "council": council }))
            }
            Some(Parsed::Command(Command::Help, _)) => ("bot_help", help(language)),
            Some(Parsed::Command(Command::Lang, argument)) => {
                language = match argument.to_ascii_lowercase().as_str() {
                    "vi" => Language::Vi,
                    "en" => Language::En,
                    _ if language == Language::Vi => Language::En,
                    _ => Language::Vi,
                };
                change = Some(ChatChange {
                    chat: chat.clone(),
                    language: Some(language),
                    dialogue: None,
                });
                ("bot_language", json!({}))
            }
            Some(Parsed::Unknown) => ("bot_fallback", json!({ "unknown_command": true })),
            // Free text, a photo, a sticker, a location: kept in the inbound store; the case
            // dialogue will offer to file it.
            Some(Parsed::Text) | None => ("bot_fallback", json!({ "unknown_command": false })),
        };
        let reply = self.reply(&chat, template, language, &data)?;
        Ok(InboundCompletion {
            replies: vec![reply],
            chat: change,
            ..InboundCompletion::nothing()
        })
    }

    fn reply(
        &self,
        chat: &str,
        template: &str,
        language: Language,
        data: &Value,
    ) -> Result<NewNotification, HandleError> {
        let telegram: TelegramMessage = self
            .renderer
            .telegram(template, language, data)
            .map_err(|e| HandleError::from(Error::Template(e.to_string())))?;
        Ok(NewNotification {
            // The row's dedupe key is `inbound:<row id>:reply`: one answer per update.
            key: "reply".to_owned(),
            to: Target::Contacts(vec![Destination {
                channel: ChannelKind::Telegram,
                address: chat.to_owned(),
            }]),
            category: Category::Conversation,
            // An answer to what the person just wrote waits for no quiet hours.
            urgent: true,
            email: None,
            telegram: Some(telegram),
            due_at: self.hub.clock().now(),
            suppressed: false,
        })
    }
}

/// `/help`, from the command table.
fn help(language: Language) -> Value {
    let commands: Vec<_> = Command::ALL
        .iter()
        .map(|c| json!({ "name": c.name(), "description": c.description(language) }))
        .collect();
    json!({ "commands": commands })
}

#[async_trait]
impl InboundHandler for TelegramHandler {
    async fn handle(
        &self,
        _row: &InboundRow,
        payload: &[u8],
    ) -> Result<InboundCompletion, HandleError> {
        // serde's message can quote the input, which is what a person typed: only say where.
        let update: Update = serde_json::from_slice(payload).map_err(|e| {
            HandleError::Permanent(format!(
                "not a Telegram update (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        match &update.kind {
            UpdateKind::Message(message) => self.message(message).await,
            // Edits, callbacks and the rest: nothing to answer yet.
            _ => Ok(InboundCompletion::nothing()),
        }
    }
}
