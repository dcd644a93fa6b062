//! What the bot may read of a chat through the hub: its language and dialogue. Writes go with
//! the inbound message that caused them (`InboundCompletion::chat`), never on their own.

use crate::domain::{ChatState, ContactKind, Language, NormalisedContact};
use crate::error::Error;
use crate::hub::Hub;

impl Hub {
    /// The state of a messenger chat. A chat the bot has kept nothing of yet reads in its
    /// linked citizen's language (they may have chosen it on another channel), else Vietnamese.
    pub async fn chat_state(&self, chat: &str) -> Result<ChatState, Error> {
        if let Some(state) = self.store().get_chat(chat).await? {
            return Ok(state);
        }
        let contact = NormalisedContact::parse(ContactKind::Telegram, chat)?;
        let language = match self.store().find_citizen_contact(&contact).await? {
            Some(found) => self.store().get_citizen(found.citizen).await?.language,
            None => Language::Vi,
        };
        Ok(ChatState {
            chat: contact.value().to_owned(),
            language,
            dialogue: None,
            window: None,
        })
    }
}
