//! The staff group, when one is configured: a supergroup with topics where each case has its
//! own topic (the hub posts there; `hdnd_hub::delivery::notify` `staff_room.rs`).
//!
//! What a linked member writes in a case's topic becomes, once they press a button under the
//! bot's echo of it, the question to the citizen or the answer; the hub's services and policy
//! decide whether they may, as in their own chat. A text the member's own dialogue waits for
//! on that case (the reason, question or answer a button in the topic asked for) goes to that
//! dialogue instead. Everything the bot answers to a message or a button in a topic is said
//! in that topic; the dialogue itself is the member's own, kept with their private chat, so a
//! colleague's press of the same button is checked against the colleague's.
//!
//! Anything else in the group — people talking, a member who is not linked, a topic that is
//! no case's, files, commands, service messages — gets no answer.

use hdnd_hub::Error;
use hdnd_hub::delivery::TelegramThread;
use hdnd_hub::delivery::outbox::{Destination, NewNotification, Target};
use hdnd_hub::domain::ChatState;
use hdnd_hub::inbound::HandleError;
use hdnd_hub::storage::{InboundCompletion, InboundEffect};
use teloxide::types::{CallbackQuery, Message, UpdateKind};

use super::TelegramHandler;
use crate::dialogue::{Dialogue, Input};

/// Where in the staff group an update came from: the group's chat id and the topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Topic {
    group: i64,
    thread: i32,
}

impl TelegramHandler {
    /// The topic of the staff group `update` was sent or pressed in, if it was.
    pub(super) fn topic_of(&self, update: &UpdateKind) -> Option<Topic> {
        let group = self.staff_group?;
        let message = match update {
            UpdateKind::Message(message) => message,
            UpdateKind::CallbackQuery(CallbackQuery {
                message: Some(message),
                ..
            }) => message.regular_message()?,
            _ => return None,
        };
        (message.chat.id.0 == group).then_some(())?;
        Some(Topic {
            group,
            thread: message.thread_id?.0.0,
        })
    }

    /// A message written in a topic of the staff group, by the member whose private chat's
    /// state is `state`.
    pub(super) async fn room_message(
        &self,
        topic: Topic,
        message: &Message,
        state: ChatState,
    ) -> Result<InboundCompletion, HandleError> {
        let chat = state.chat.clone();
        let Some(text) = message.text().filter(|t| !t.starts_with('/')) else {
            return Ok(InboundCompletion::nothing());
        };
        let Some(member) = self.hub.staff_by_chat(&chat).await? else {
            return Ok(InboundCompletion::nothing());
        };
        let group = topic.group.to_string();
        let Some(case_id) = self.hub.topic_case(&group, i64::from(topic.thread)).await? else {
            return Ok(InboundCompletion::nothing());
        };
        let case = match self.hub.case_for_staff(member.id, case_id).await {
            Ok(case) => case,
            Err(Error::Domain(_) | Error::NotFound(_)) => {
                return self
                    .staff_reply(&chat, member.language, "refused", None)
                    .await;
            }
            Err(e) => return Err(e.into()),
        };
        let dialogue = state
            .dialogue
            .as_deref()
            .and_then(|d| serde_json::from_str::<Dialogue>(d).ok())
            .filter(|d| d.waits_for_text_on(case.id.0));
        match dialogue {
            Some(dialogue) => {
                self.step(&chat, member.language, dialogue, Input::Text(text))
                    .await
            }
            None => {
                let dialogue = Dialogue::room(case.id.0, case.code.as_str(), text);
                self.ask(&chat, member.language, dialogue, None)
            }
        }
    }
}

/// Says in `topic` what the bot answered to the member's chat `chat`: every reply addressed
/// to that chat goes into the topic instead. A move of the case made from the topic is told
/// there by the hub's post of the new status, which carries the buttons of what comes next:
/// the bot's own word of it would say the same twice.
pub(super) fn answer_in(topic: Topic, chat: &str, completion: &mut InboundCompletion) {
    if matches!(completion.effect, InboundEffect::Progress(_)) {
        completion
            .replies
            .retain(|reply| !addressed_to(reply, chat));
        return;
    }
    for reply in completion
        .replies
        .iter_mut()
        .filter(|r| addressed_to(r, chat))
    {
        reply.to = Target::Contacts(vec![Destination {
            channel: hdnd_hub::delivery::ChannelKind::Telegram,
            address: topic.group.to_string(),
        }]);
        if let Some(telegram) = &mut reply.telegram {
            telegram.thread = Some(TelegramThread::Topic(topic.thread));
        }
    }
}

fn addressed_to(reply: &NewNotification, chat: &str) -> bool {
    matches!(&reply.to, Target::Contacts(destinations) if destinations.iter().any(|d| d.address == chat))
}
