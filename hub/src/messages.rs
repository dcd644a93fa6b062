//! Internal messages between staff, as hub services: send to a colleague, a unit, a role or
//! everyone; reply in a thread (to everyone who took part in it); mark read (the "đã đọc"
//! button, or the email's read link); a member's threads, newest first with what they have not
//! read; and, for its sender, who has read a message and who has not.
//!
//! Sending and reading come twice, as the other services a chat calls do (`staff_links.rs`,
//! `feedback.rs`): a `plan_*` that checks everything and returns the change, for the bot to
//! store with the update it came in (`InboundEffect::Message`, `InboundEffect::MessageRead`),
//! so that a replayed update sends nothing twice; and a direct one that plans and applies at
//! once. Storage writes a message, its recipients, its audit row and its notifications in one
//! transaction.
//!
//! **Policy.** Any active staff member may message any colleague, unit, role or everyone:
//! design.md restricts none of them ("internal messages (person or group, read receipts)"),
//! and a ward council is a few dozen people. A reply goes to the thread's participants only,
//! and only a participant may reply; only the sender sees a message's read receipts; only a
//! recipient marks it read. The body is personal data: no log line names it, or a recipient.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::delivery::notify::MessageNews;
use crate::domain::message::clean_body;
use crate::domain::{
    Addressee, Audience, Message, MessageId, ReadToken, ReadVia, Staff, StaffAction, StaffButton,
    StaffId,
};
use crate::error::{DomainError, Error};
use crate::hub::Hub;
use crate::storage::{MessageChange, MessageNotify, PlannedRecipient, ReadChange, SentMessage};

/// One recipient of a message, by name, and whether and how they read it.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiptView {
    pub staff: StaffId,
    pub name: String,
    pub read_at: Option<DateTime<Utc>>,
    pub via: Option<ReadVia>,
}

impl fmt::Debug for ReceiptView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiptView")
            .field("staff", &self.staff)
            .field("read_at", &self.read_at)
            .field("via", &self.via)
            .finish_non_exhaustive()
    }
}

/// Who has read a message, for its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipts {
    pub message: MessageId,
    pub recipients: Vec<ReceiptView>,
}

impl Receipts {
    /// Those who have read it, first read first.
    pub fn read(&self) -> Vec<&ReceiptView> {
        let mut read: Vec<_> = self
            .recipients
            .iter()
            .filter(|r| r.read_at.is_some())
            .collect();
        read.sort_by_key(|r| r.read_at);
        read
    }

    /// Those who have not.
    pub fn unread(&self) -> Vec<&ReceiptView> {
        self.recipients
            .iter()
            .filter(|r| r.read_at.is_none())
            .collect()
    }
}

/// A thread as a member's list shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ThreadView {
    pub root: Message,
    /// The root's sender's name.
    pub root_sender: String,
    /// For a root addressed to one colleague, their name.
    pub addressed_to: Option<String>,
    pub last: Message,
    pub last_sender: String,
    pub messages: i64,
    /// Messages of the thread the member received and has not read.
    pub unread: i64,
    /// The read receipts of the member's own newest message in the thread.
    pub own: Option<Receipts>,
}

impl fmt::Debug for ThreadView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadView")
            .field("root", &self.root)
            .field("last", &self.last)
            .field("messages", &self.messages)
            .field("unread", &self.unread)
            .field("own", &self.own)
            .finish_non_exhaustive()
    }
}

/// A message opened by its email's read link.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenedMessage {
    pub message: Message,
    pub sender_name: String,
    /// The recipient whose link it was.
    pub reader: Staff,
    /// This opening marked it read.
    pub newly_read: bool,
}

impl fmt::Debug for OpenedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedMessage")
            .field("message", &self.message)
            .field("reader", &self.reader.id)
            .field("newly_read", &self.newly_read)
            .finish_non_exhaustive()
    }
}

/// The refusal of an addressee nobody answers to.
fn unknown_addressee(what: &str) -> Error {
    DomainError::invalid(
        "to",
        format!("không tìm thấy người nhận «{what}» (no colleague, unit or role «{what}»)"),
    )
    .into()
}

/// The refusal of a thread the member has no part in (or that does not exist: the two read
/// alike).
fn unknown_thread(id: MessageId) -> Error {
    DomainError::invalid(
        "to",
        format!("không có tin nhắn #{id} của đồng chí (no message #{id} of yours)"),
    )
    .into()
}

fn nobody() -> Error {
    DomainError::invalid(
        "recipients",
        "không có ai khác để nhận tin nhắn này (nobody else would receive this message)",
    )
    .into()
}

impl Hub {
    /// What sending `body` to `to` from `sender` writes: the addressee resolved to the active
    /// colleagues it names (never the sender), a token for each one's read link, and the
    /// notifications. `to` a thread (`#12`) is a reply ([`Hub::plan_reply`]). Refusals are
    /// [`DomainError::Invalid`] with the field `to` (nobody by that name), `recipients`
    /// (nobody else in it) or `body`; an inactive sender is [`DomainError::Forbidden`].
    pub async fn plan_message(
        &self,
        sender: StaffId,
        to: &Addressee,
        body: &str,
    ) -> Result<MessageChange, Error> {
        let body = clean_body(body)?;
        let sender = self.active_member(sender).await?;
        let staff = self.store().list_staff().await?;
        let has_unit = |code: &str| staff.iter().any(|s| s.unit.as_deref() == Some(code));
        let by_login = |login: &str| staff.iter().find(|s| s.login == login);
        let audience = match to {
            Addressee::Thread(id) => return self.reply_change(sender, *id, body, staff).await,
            Addressee::Everyone => Audience::All,
            Addressee::Role(role) => Audience::Role(*role),
            Addressee::Unit(code) if has_unit(code) => Audience::Unit(code.clone()),
            Addressee::Login(login) => match by_login(login) {
                Some(member) => Audience::Staff(member.id),
                None => return Err(unknown_addressee(login)),
            },
            Addressee::LoginOrUnit(word) => match by_login(word) {
                Some(member) => Audience::Staff(member.id),
                None if has_unit(word) => Audience::Unit(word.clone()),
                None => return Err(unknown_addressee(word)),
            },
            Addressee::Unit(code) => return Err(unknown_addressee(code)),
        };
        let recipients: Vec<Staff> = staff
            .into_iter()
            .filter(|s| s.active && s.id != sender.id)
            .filter(|s| match &audience {
                Audience::Staff(id) => s.id == *id,
                Audience::Unit(code) => s.unit.as_deref() == Some(code.as_str()),
                Audience::Role(role) => s.has_role(*role),
                Audience::All => true,
                Audience::Thread(_) => false,
            })
            .collect();
        if recipients.is_empty() {
            return Err(nobody());
        }
        self.message_change(sender, None, audience, body, recipients, None)
            .await
    }

    /// Sends `body` to `to` now: see [`Hub::plan_message`].
    pub async fn send_message(
        &self,
        sender: StaffId,
        to: &Addressee,
        body: &str,
    ) -> Result<SentMessage, Error> {
        let change = self.plan_message(sender, to, body).await?;
        self.store_message(&change).await
    }

    /// What replying `body` to message `message` writes: a message in its thread to everyone
    /// who sent or received a message of the thread (but the sender), which marks `message`
    /// read by the sender. Only a participant may reply; a thread they have no part in reads
    /// as one that does not exist.
    pub async fn plan_reply(
        &self,
        sender: StaffId,
        message: MessageId,
        body: &str,
    ) -> Result<MessageChange, Error> {
        let body = clean_body(body)?;
        let sender = self.active_member(sender).await?;
        let staff = self.store().list_staff().await?;
        self.reply_change(sender, message, body, staff).await
    }

    /// Replies now: see [`Hub::plan_reply`].
    pub async fn reply_to_message(
        &self,
        sender: StaffId,
        message: MessageId,
        body: &str,
    ) -> Result<SentMessage, Error> {
        let change = self.plan_reply(sender, message, body).await?;
        self.store_message(&change).await
    }

    /// A reply of `sender` to message `id`, among the accounts `staff`.
    async fn reply_change(
        &self,
        sender: Staff,
        id: MessageId,
        body: String,
        staff: Vec<Staff>,
    ) -> Result<MessageChange, Error> {
        let message = match self.store().get_message(id).await {
            Ok(message) => message,
            Err(Error::NotFound(_)) => return Err(unknown_thread(id)),
            Err(e) => return Err(e),
        };
        let root = message.thread;
        let participants = self.store().list_thread_participants(root).await?;
        if !participants.contains(&sender.id) {
            return Err(unknown_thread(id));
        }
        let recipients: Vec<Staff> = staff
            .into_iter()
            .filter(|s| s.active && s.id != sender.id && participants.contains(&s.id))
            .collect();
        if recipients.is_empty() {
            return Err(nobody());
        }
        self.message_change(
            sender,
            Some(root),
            Audience::Thread(root),
            body,
            recipients,
            Some(message.id),
        )
        .await
    }

    /// The change of a message to `recipients`, with a read token each and the
    /// notifications (none without a notifier).
    async fn message_change(
        &self,
        sender: Staff,
        thread: Option<MessageId>,
        audience: Audience,
        body: String,
        recipients: Vec<Staff>,
        marks_read: Option<MessageId>,
    ) -> Result<MessageChange, Error> {
        let tokens: Vec<(Staff, ReadToken)> = recipients
            .into_iter()
            .map(|member| (member, ReadToken::generate()))
            .collect();
        let planned = tokens
            .iter()
            .map(|(member, token)| PlannedRecipient {
                staff: member.id,
                token_hash: token.hash(),
            })
            .collect();
        let notify = match self.notifier() {
            None => MessageNotify::none(),
            Some(notifier) => {
                let notifier = notifier.clone();
                let disabled: HashSet<_> = self
                    .store()
                    .list_disabled_preferences()
                    .await?
                    .into_iter()
                    .collect();
                let news = MessageNews {
                    thread,
                    sender: sender.clone(),
                    audience: audience.clone(),
                    body: body.clone(),
                };
                let now = self.clock().now();
                MessageNotify(Arc::new(move |id| {
                    notifier.for_staff_message(id, &news, &tokens, &disabled, now)
                }))
            }
        };
        Ok(MessageChange {
            sender: sender.id,
            thread,
            audience,
            body,
            recipients: planned,
            marks_read,
            source_ref: None,
            notify,
        })
    }

    async fn store_message(&self, change: &MessageChange) -> Result<SentMessage, Error> {
        let sent = self.store().add_message(change).await?;
        tracing::info!(
            message.id = sent.message.id.0,
            message.thread = sent.message.thread.0,
            staff.id = change.sender.0,
            message.recipients = sent.recipients,
            "message {} sent by staff {} to {} recipients",
            sent.message.id,
            change.sender,
            sent.recipients
        );
        Ok(sent)
    }

    /// What `staff` reading message `message` writes (by the Telegram button, or `via` the
    /// email's link): only a recipient reads it; a second reading changes nothing
    /// ([`ReadChange::already_read`] says so beforehand).
    pub async fn plan_mark_read(
        &self,
        staff: StaffId,
        message: MessageId,
        via: ReadVia,
    ) -> Result<ReadChange, Error> {
        let member = self.active_member(staff).await?;
        let receipt = self
            .store()
            .list_message_recipients(message)
            .await?
            .into_iter()
            .find(|r| r.staff == member.id)
            .ok_or_else(|| unknown_thread(message))?;
        Ok(ReadChange {
            message,
            staff: member.id,
            via,
            already_read: receipt.read_at.is_some(),
        })
    }

    /// Marks message `message` read by `staff` now; `false` if they had read it.
    pub async fn mark_message_read(
        &self,
        staff: StaffId,
        message: MessageId,
    ) -> Result<bool, Error> {
        let change = self
            .plan_mark_read(staff, message, ReadVia::Telegram)
            .await?;
        self.store().mark_message_read(&change).await
    }

    /// Opens the message of an email's read link (`/tin-noi-bo/<token>`) for its recipient
    /// and marks it read, audited, in one transaction; `None` for any token that is not one
    /// (malformed, unknown), so that none can be told from another.
    pub async fn open_message_by_token(&self, token: &str) -> Result<Option<OpenedMessage>, Error> {
        let Some(hash) = ReadToken::presented_hash(token) else {
            return Ok(None);
        };
        let Some(opened) = self.store().read_message_by_token(&hash).await? else {
            return Ok(None);
        };
        let reader = self.store().get_staff(opened.reader).await?;
        let sender_name = self
            .store()
            .get_staff(opened.message.sender)
            .await?
            .display_name;
        if opened.newly_read {
            tracing::info!(
                message.id = opened.message.id.0,
                staff.id = reader.id.0,
                "message {} read by staff {} from the email's link",
                opened.message.id,
                reader.id
            );
        }
        Ok(Some(OpenedMessage {
            message: opened.message,
            sender_name,
            reader,
            newly_read: opened.newly_read,
        }))
    }

    /// The threads `staff` sent or received a message in, newest activity first (at most
    /// `limit`), each with its unread count and the read receipts of the member's own newest
    /// message in it.
    pub async fn messages_for(&self, staff: StaffId, limit: i64) -> Result<Vec<ThreadView>, Error> {
        let member = self.active_member(staff).await?;
        let names: HashMap<StaffId, String> = self
            .store()
            .list_staff()
            .await?
            .into_iter()
            .map(|s| (s.id, s.display_name))
            .collect();
        let name = |id: StaffId| names.get(&id).cloned().unwrap_or_default();
        let mut out = Vec::new();
        for row in self.store().list_threads(member.id, limit).await? {
            let root = self.store().get_message(row.root).await?;
            let last = match row.last == row.root {
                true => root.clone(),
                false => self.store().get_message(row.last).await?,
            };
            let own = match row.own_last {
                Some(id) => Some(self.receipts_with(id, &names).await?),
                None => None,
            };
            let addressed_to = match root.audience {
                Audience::Staff(id) => Some(name(id)),
                _ => None,
            };
            out.push(ThreadView {
                root_sender: name(root.sender),
                last_sender: name(last.sender),
                addressed_to,
                root,
                last,
                messages: row.messages,
                unread: row.unread,
                own,
            });
        }
        Ok(out)
    }

    /// Who has read message `message` and who has not: for its sender only.
    pub async fn message_receipts(
        &self,
        sender: StaffId,
        message: MessageId,
    ) -> Result<Receipts, Error> {
        let member = self.active_member(sender).await?;
        let found = match self.store().get_message(message).await {
            Ok(found) => found,
            Err(Error::NotFound(_)) => return Err(unknown_thread(message)),
            Err(e) => return Err(e),
        };
        if found.sender != member.id {
            return Err(unknown_thread(message));
        }
        let names = self
            .store()
            .list_staff()
            .await?
            .into_iter()
            .map(|s| (s.id, s.display_name))
            .collect();
        self.receipts_with(message, &names).await
    }

    async fn receipts_with(
        &self,
        message: MessageId,
        names: &HashMap<StaffId, String>,
    ) -> Result<Receipts, Error> {
        let recipients = self
            .store()
            .list_message_recipients(message)
            .await?
            .into_iter()
            .map(|r| ReceiptView {
                name: names.get(&r.staff).cloned().unwrap_or_default(),
                staff: r.staff,
                read_at: r.read_at,
                via: r.via,
            })
            .collect();
        Ok(Receipts {
            message,
            recipients,
        })
    }

    /// Whom `audience` names, in `language`, for a reader (a colleague by name).
    pub async fn audience_label(
        &self,
        audience: &Audience,
        language: crate::domain::Language,
    ) -> Result<String, Error> {
        let name = match audience {
            Audience::Staff(id) => Some(self.store().get_staff(*id).await?.display_name),
            _ => None,
        };
        Ok(audience.describe(language, name.as_deref()))
    }

    /// The signed callback data of the button `action` under message `message` (at most 64
    /// bytes).
    pub fn message_button(&self, action: StaffAction, message: MessageId) -> String {
        StaffButton::message(action, message).encode(&self.button_key())
    }

    /// The account `id`, if active.
    async fn active_member(&self, id: StaffId) -> Result<Staff, Error> {
        let member = self.store().get_staff(id).await?;
        if member.active {
            Ok(member)
        } else {
            Err(DomainError::Forbidden(format!("staff {id} is not active")).into())
        }
    }
}
