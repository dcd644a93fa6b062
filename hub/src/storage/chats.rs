//! The chats aggregate: what the bot keeps of a messenger chat (its language, its dialogue).
//! Changes are written with the inbound message that caused them (`InboundCompletion::chat`).

use async_trait::async_trait;

use crate::domain::ChatState;
use crate::error::Error;

#[async_trait]
pub trait ChatStore: Send + Sync {
    /// The stored state of `chat`, if the bot has kept any.
    async fn get_chat(&self, chat: &str) -> Result<Option<ChatState>, Error>;
}
