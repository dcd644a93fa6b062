//! Internal messages in the chat, for linked staff: `/msg <to> <text>` (a colleague's login, a
//! unit, a role such as `dai_bieu`, `all`, or `#<id>` to reply in a thread), `/messages` (the
//! member's threads, newest first, with what they have not read and who has read their own),
//! and the two buttons under a message: "👁 Đã đọc" marks it read, "↩️ Trả lời" asks for the
//! reply's text (`Step::MessageReply`) and sends it to everyone in the thread.
//!
//! Like every answer of the handler, nothing is written here: the message or the reading is
//! the completion's effect (`InboundEffect::Message`, `InboundEffect::MessageRead`), applied
//! with the update's `done`, so that a replayed update sends nothing twice. A chat that is not
//! a linked staff member's gets the unknown command's answer to a staff command.
//!
//! A module of the handler (declared there), so that it answers with the handler's own
//! helpers.

use hdnd_hub::domain::message::{MAX_BODY_CHARS, split_addressee};
use hdnd_hub::domain::{Addressee, MessageId, ReadVia, Staff};
use hdnd_hub::messages::ThreadView;

use super::*;

/// At most this many threads in `/messages`: a list, not an archive.
const THREADS_SHOWN: i64 = 10;

/// What a staff command or button came to, as `bot_messages` tells it.
enum Said<'a> {
    Sent { audience: String, count: usize },
    Replied { thread: MessageId, count: usize },
    Usage,
    UnknownTo(&'a str),
    NoThread(MessageId),
    Nobody,
    BadBody,
    Read(MessageId),
    AlreadyRead(MessageId),
    Refused,
    List(Vec<Value>),
}

/// The data of `bot_messages`, every key always there (the templates render in strict mode).
fn said(outcome: Said<'_>) -> Value {
    let mut data = json!({
        "outcome": null, "id": null, "thread": null, "audience": null, "count": 0,
        "to": null, "max": MAX_BODY_CHARS, "threads": [],
    });
    let outcome = match outcome {
        Said::Sent { audience, count } => {
            data["audience"] = audience.into();
            data["count"] = count.into();
            "sent"
        }
        Said::Replied { thread, count } => {
            data["thread"] = thread.0.into();
            data["count"] = count.into();
            "replied"
        }
        Said::Usage => "usage",
        Said::UnknownTo(to) => {
            data["to"] = to.into();
            "unknown_to"
        }
        Said::NoThread(thread) => {
            data["thread"] = thread.0.into();
            "no_thread"
        }
        Said::Nobody => "nobody",
        Said::BadBody => "bad_body",
        Said::Read(id) => {
            data["id"] = id.0.into();
            "read"
        }
        Said::AlreadyRead(id) => {
            data["id"] = id.0.into();
            "already_read"
        }
        Said::Refused => "refused",
        Said::List(threads) => {
            data["threads"] = threads.into();
            "list"
        }
    };
    data["outcome"] = outcome.into();
    data
}

/// What the hub's refusal of a message means for the person who typed it.
fn refusal<'a>(error: &Error, to: &'a Addressee, typed: &'a str) -> Option<Said<'a>> {
    match error {
        Error::Domain(DomainError::Invalid { field: "to", .. }) => Some(match to {
            Addressee::Thread(id) => Said::NoThread(*id),
            _ => Said::UnknownTo(typed),
        }),
        Error::Domain(DomainError::Invalid {
            field: "recipients",
            ..
        }) => Some(Said::Nobody),
        Error::Domain(DomainError::Invalid { field: "body", .. }) => Some(Said::BadBody),
        Error::Domain(_) => Some(Said::Refused),
        _ => None,
    }
}

/// The start of a message's body for a list, on one line, cut at a word.
fn short(text: &str) -> String {
    const CHARS: usize = 80;
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::text::cut_at_word(&line, CHARS)
}

impl TelegramHandler {
    /// `/msg` or `/messages` from `member`'s chat (the handler checked the chat is theirs).
    pub(super) async fn staff_command(
        &self,
        chat: &str,
        member: &Staff,
        command: Command,
        argument: &str,
    ) -> Result<InboundCompletion, HandleError> {
        match command {
            Command::Messages => self.list_messages(chat, member).await,
            _ => self.send_message(chat, member, argument).await,
        }
    }

    /// `/msg <to> <text>`: the message goes with the update's `done`.
    async fn send_message(
        &self,
        chat: &str,
        member: &Staff,
        argument: &str,
    ) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        let Some((to, body)) = split_addressee(argument) else {
            return self.say_messages(chat, language, Said::Usage);
        };
        let typed = argument.split_whitespace().next().unwrap_or_default();
        let change = match self.hub.plan_message(member.id, &to, &body).await {
            Ok(change) => change,
            Err(e) => {
                return match refusal(&e, &to, typed) {
                    Some(outcome) => self.say_messages(chat, language, outcome),
                    None => Err(e.into()),
                };
            }
        };
        let outcome = match change.thread {
            Some(thread) => Said::Replied {
                thread,
                count: change.recipients.len(),
            },
            None => Said::Sent {
                audience: self.hub.audience_label(&change.audience, language).await?,
                count: change.recipients.len(),
            },
        };
        let reply = self.reply(chat, "bot_messages", language, &said(outcome))?;
        Ok(InboundCompletion {
            effect: InboundEffect::Message(Box::new(change)),
            ..answer(reply, None)
        })
    }

    /// The reply's text, asked for by "↩️ Trả lời": sent to the thread with the update's
    /// `done`, and the dialogue ends either way.
    pub(super) async fn message_reply(
        &self,
        chat: &str,
        language: Language,
        draft: Draft,
    ) -> Result<InboundCompletion, HandleError> {
        let (Some(member), Some(id), Some(text)) = (
            self.hub.staff_by_chat(chat).await?,
            draft.message_id.map(MessageId),
            draft.content,
        ) else {
            return self.cancel(chat, language, None);
        };
        let language = member.language;
        match self.hub.plan_reply(member.id, id, &text).await {
            Ok(change) => {
                let outcome = Said::Replied {
                    thread: change.thread.unwrap_or(id),
                    count: change.recipients.len(),
                };
                let reply = self.reply(chat, "bot_messages", language, &said(outcome))?;
                Ok(ended(InboundEffect::Message(Box::new(change)), reply, chat))
            }
            Err(e) => match refusal(&e, &Addressee::Thread(id), "") {
                Some(outcome) => {
                    let reply = self.reply(chat, "bot_messages", language, &said(outcome))?;
                    Ok(answer(reply, Some(dialogue_change(chat, None))))
                }
                None => Err(e.into()),
            },
        }
    }

    /// The button under an internal message, if `data` is one the hub signed.
    pub(super) fn message_button(&self, data: &str) -> Option<StaffButton> {
        self.hub
            .read_staff_button(data)
            .filter(|button| button.message_id().is_some())
    }

    /// "👁 Đã đọc" or "↩️ Trả lời" pressed under message `button`'s message.
    pub(super) async fn message_button_pressed(
        &self,
        chat: &str,
        language: Language,
        button: StaffButton,
    ) -> Result<InboundCompletion, HandleError> {
        let Some(member) = self.hub.staff_by_chat(chat).await? else {
            return self.staff_reply(chat, language, "not_linked", None).await;
        };
        let language = member.language;
        let Some(id) = button.message_id() else {
            return self.say_messages(chat, language, Said::Refused);
        };
        match button.action {
            StaffAction::Read => {
                let change = match self
                    .hub
                    .plan_mark_read(member.id, id, ReadVia::Telegram)
                    .await
                {
                    Ok(change) => change,
                    Err(Error::Domain(_)) => {
                        return self.say_messages(chat, language, Said::Refused);
                    }
                    Err(e) => return Err(e.into()),
                };
                // The pressed keyboard is gone (the receipt removes it): the reply button
                // comes again under the answer.
                let outcome = match change.already_read {
                    true => Said::AlreadyRead(id),
                    false => Said::Read(id),
                };
                let mut reply = self.reply(chat, "bot_messages", language, &said(outcome))?;
                if let Some(telegram) = &mut reply.telegram {
                    telegram.keyboard = Keyboard {
                        rows: vec![vec![Button {
                            text: StaffAction::Reply.label(language).to_owned(),
                            action: ButtonAction::CallbackData(
                                self.hub.message_button(StaffAction::Reply, id),
                            ),
                        }]],
                    };
                }
                let effect = match change.already_read {
                    true => InboundEffect::Nothing,
                    false => InboundEffect::MessageRead(Box::new(change)),
                };
                Ok(InboundCompletion {
                    effect,
                    ..answer(reply, None)
                })
            }
            StaffAction::Reply => self.ask(chat, language, Dialogue::message_reply(id.0), None),
            _ => self.say_messages(chat, language, Said::Refused),
        }
    }

    /// `/messages`: the member's threads, newest first.
    async fn list_messages(
        &self,
        chat: &str,
        member: &Staff,
    ) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        let threads = self.hub.messages_for(member.id, THREADS_SHOWN).await?;
        let mut listed = Vec::new();
        for thread in &threads {
            listed.push(thread_data(thread, member));
        }
        self.say_messages(chat, language, Said::List(listed))
    }
}

/// One thread of `/messages`, in `member`'s language and time zone.
fn thread_data(thread: &ThreadView, member: &Staff) -> Value {
    let language = member.language;
    let own = thread.own.as_ref().map(|receipts| {
        let names = |list: Vec<&hdnd_hub::messages::ReceiptView>| {
            list.iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        json!({
            "id": receipts.message.0,
            "read_count": receipts.read().len(),
            "total": receipts.recipients.len(),
            "read": names(receipts.read()),
            "unread": names(receipts.unread()),
        })
    });
    json!({
        "root": thread.root.id.0,
        "root_sender": thread.root_sender,
        "audience": thread
            .root
            .audience
            .describe(language, thread.addressed_to.as_deref()),
        "unread": thread.unread,
        "last_at": thread
            .last
            .created_at
            .with_timezone(&member.time_zone)
            .format("%H:%M %d/%m")
            .to_string(),
        "last_sender": thread.last_sender,
        "excerpt": short(&thread.last.body),
        "own": own,
    })
}

impl TelegramHandler {
    fn say_messages(
        &self,
        chat: &str,
        language: Language,
        outcome: Said<'_>,
    ) -> Result<InboundCompletion, HandleError> {
        self.say(chat, "bot_messages", language, &said(outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every outcome renders in both languages: a template error would leave the member
    /// without an answer.
    #[test]
    fn every_outcome_renders_in_both_languages() {
        let renderer = Renderer::builtin();
        let thread = json!({
            "root": 3, "root_sender": "Lan", "audience": "toàn thể cán bộ", "unread": 0,
            "last_at": "09:30 26/11", "last_sender": "Lan", "excerpt": "Họp <b>", "own": null,
        });
        let outcomes = [
            Said::Sent {
                audience: "các đồng chí Đại biểu".to_owned(),
                count: 2,
            },
            Said::Replied {
                thread: MessageId(3),
                count: 1,
            },
            Said::Usage,
            Said::UnknownTo("ai <đó>"),
            Said::NoThread(MessageId(9)),
            Said::Nobody,
            Said::BadBody,
            Said::Read(MessageId(3)),
            Said::AlreadyRead(MessageId(3)),
            Said::Refused,
            Said::List(vec![thread]),
            Said::List(Vec::new()),
        ];
        for outcome in outcomes {
            let data = said(outcome);
            for language in [Language::Vi, Language::En] {
                let text = renderer
                    .telegram("bot_messages", language, &data)
                    .unwrap_or_else(|e| panic!("{data} {language:?}: {e}"))
                    .parts
                    .join("");
                assert!(!text.trim().is_empty(), "{data}");
                assert!(
                    !text.contains("<đó>") && !text.contains("Họp <b>"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn a_list_shows_a_body_on_one_short_line() {
        assert_eq!(short("Họp\nlúc  14h"), "Họp lúc 14h");
        let long = "chữ ".repeat(40);
        let cut = short(&long);
        assert!(cut.ends_with('…') && cut.chars().count() <= 81, "{cut}");
    }
}
