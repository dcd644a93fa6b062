//! The notifications of an internal message: one per recipient, on their channels in order
//! (Telegram first when they linked it, email as the fallback, and email alone for anyone
//! without Telegram), waiting out their quiet hours. The Telegram copy carries the signed
//! "👁 Đã đọc" and "↩️ Trả lời" buttons; the email copy the read link
//! `<public_url>/tin-noi-bo/<token>`, whose token is the recipient's own. Every mail of a
//! thread to one recipient threads under one root Message-ID, from the thread's root id and
//! the recipient's account id.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::Notifier;
use crate::delivery::ChannelKind;
use crate::delivery::outbox::{Category, NewNotification, Target, staff_destinations};
use crate::domain::{Audience, MessageId, ReadToken, Staff, StaffAction, StaffButton, StaffId};
use crate::error::Error;
use crate::notification::{Button, ButtonAction, Keyboard};

/// An internal message as its recipients are told of it (its id comes when it is stored).
#[derive(Clone)]
pub struct MessageNews {
    /// The thread's root, for a reply.
    pub thread: Option<MessageId>,
    pub sender: Staff,
    pub audience: Audience,
    pub body: String,
}

// The body and the sender's contacts are personal data.
impl std::fmt::Debug for MessageNews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageNews")
            .field("thread", &self.thread)
            .field("sender", &self.sender.id)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// The notifications of message `id` to each of `recipients` (with the token of their
    /// read link), on the channels they did not turn off.
    pub fn for_staff_message(
        &self,
        id: MessageId,
        news: &MessageNews,
        recipients: &[(Staff, ReadToken)],
        disabled: &HashSet<(StaffId, Category, ChannelKind)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewNotification>, Error> {
        let thread = news.thread.unwrap_or(id);
        let mut out = Vec::new();
        for (member, token) in recipients {
            let Some((destinations, suppressed)) =
                staff_destinations(member, Category::StaffMessage, disabled)
            else {
                continue;
            };
            let language = member.language;
            let read_url = self
                .public_url
                .as_ref()
                .map(|base| format!("{base}/tin-noi-bo/{}", token.expose()));
            let data = json!({
                "council": { "name": self.profile.name },
                "staff": { "name": member.display_name },
                "sender": { "name": news.sender.display_name },
                "message": {
                    "id": id.0,
                    "thread": thread.0,
                    "reply": news.thread.is_some(),
                    "audience": news.audience.describe(language, Some(&member.display_name)),
                    "body": news.body,
                    "sent_at": now
                        .with_timezone(&member.time_zone)
                        .format("%H:%M %d/%m/%Y")
                        .to_string(),
                },
                "read_url": read_url,
            });
            let root = format!("<msg.{thread}.s{}@{}>", member.id, self.message_id_domain);
            let key = format!("staff:{}", member.id);
            let mut n = self.render(
                "staff_message",
                language,
                &data,
                &key,
                root,
                news.thread.is_none(),
                Target::Contacts(destinations),
                now,
            )?;
            if let Some(telegram) = &mut n.telegram {
                telegram.keyboard = self.message_keyboard(id, member);
            }
            // A reply by mail comes back to the message's signed address, into its thread.
            if let (Some(email), Some((key, mailbox))) = (&mut n.email, &self.reply_addresses) {
                email.reply_to = key.message_address(mailbox, id.0);
            }
            let due_at = member
                .quiet_hours
                .map_or(now, |quiet| quiet.defer(now, member.time_zone));
            out.push(NewNotification {
                category: Category::StaffMessage,
                due_at,
                suppressed,
                ..n
            });
        }
        Ok(out)
    }

    /// "👁 Đã đọc" and "↩️ Trả lời" under message `id`, signed; none without a button key.
    fn message_keyboard(&self, id: MessageId, member: &Staff) -> Keyboard {
        let Some(key) = &self.button_key else {
            return Keyboard::default();
        };
        let buttons = [StaffAction::Read, StaffAction::Reply]
            .into_iter()
            .map(|action| Button {
                text: action.label(member.language).to_owned(),
                action: ButtonAction::CallbackData(StaffButton::message(action, id).encode(key)),
            })
            .collect();
        Keyboard {
            rows: vec![buttons],
        }
    }
}
