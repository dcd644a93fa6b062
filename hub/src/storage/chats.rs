//! The chats aggregate: what the bot keeps of a messenger chat (its language, its dialogue),
//! and the topic each case has in a staff group. Chat changes are written with the inbound
//! message that caused them (`InboundCompletion::chat`).

use async_trait::async_trait;

use crate::domain::{CaseId, ChatState};
use crate::error::Error;

#[async_trait]
pub trait ChatStore: Send + Sync {
    /// The stored state of `chat`, if the bot has kept any.
    async fn get_chat(&self, chat: &str) -> Result<Option<ChatState>, Error>;

    /// The topic (`message_thread_id`) of `case` in the group `chat`, if it has one.
    async fn case_topic(&self, chat: &str, case: CaseId) -> Result<Option<i64>, Error>;

    /// Keeps `thread` as the topic of `case` in `chat`, unless the case has one already
    /// (another instance created it first): returns the topic that stands.
    async fn keep_case_topic(&self, chat: &str, case: CaseId, thread: i64) -> Result<i64, Error>;

    /// The case whose topic `thread` is in the group `chat`.
    async fn topic_case(&self, chat: &str, thread: i64) -> Result<Option<CaseId>, Error>;
}
