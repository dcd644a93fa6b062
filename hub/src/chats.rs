//! What the bot may read of a chat through the hub: its language and dialogue, and the topics
//! of a staff group. Chat writes go with the inbound message that caused them
//! (`InboundCompletion::chat`), never on their own.

use crate::domain::{CaseId, ChatState, ContactKind, Language, NormalisedContact};
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

/// A staff group's topic per case: the Telegram channel creates a case's topic with the first
/// message posted about it, and the bot reads which case a staff reply in a topic is about.
impl Hub {
    /// The topic of `case` in the group `chat`, if one was created.
    pub async fn case_topic(&self, chat: &str, case: CaseId) -> Result<Option<i64>, Error> {
        self.store().case_topic(chat, case).await
    }

    /// Keeps the topic just created for `case`; when another instance created one first, its
    /// topic stands and is returned.
    pub async fn keep_case_topic(
        &self,
        chat: &str,
        case: CaseId,
        thread: i64,
    ) -> Result<i64, Error> {
        self.store().keep_case_topic(chat, case, thread).await
    }

    /// The case whose topic `thread` is in the group `chat`.
    pub async fn topic_case(&self, chat: &str, thread: i64) -> Result<Option<CaseId>, Error> {
        self.store().topic_case(chat, thread).await
    }
}
