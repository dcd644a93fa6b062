//! The outbox's values: what is enqueued, what a worker claims, and the states of a row.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::{ChannelKind, Content, EmailMessage, Outgoing, TelegramMessage, TelegramPart};
use std::collections::HashSet;

use crate::domain::case::named_enum;
use crate::domain::{CaseId, ContactKind, ContactPoint, Staff, StaffId};
use crate::error::DomainError;

named_enum!(
    /// Where an outbox row stands.
    OutboxStatus, "status" {
        Queued => "queued", "Đang chờ gửi";
        Sending => "sending", "Đang gửi";
        Sent => "sent", "Đã gửi";
        /// Failed permanently; the recipient's next channel, if any, got a row of its own.
        Failed => "failed", "Gửi không thành công";
        /// Gave up after the most attempts; an operator may retry it.
        Dead => "dead", "Đã ngừng thử lại";
        /// Not sent on purpose (preferences); kept for the record.
        Suppressed => "suppressed", "Không gửi";
    }
);

named_enum!(
    /// What a notification is about; preferences are kept per category.
    Category, "category" {
        CaseUpdate => "case_update", "Cập nhật hồ sơ", "Case updates";
        StaffCase => "staff_case", "Công việc hồ sơ", "Case work";
        Reminder => "reminder", "Nhắc việc", "Reminders";
        Digest => "digest", "Tin tổng hợp", "Daily agenda";
        /// Case deadline warnings and their escalations to the lead: duties the law sets, not
        /// news; no preference or unsubscribe turns them off.
        Duty => "duty", "Cảnh báo thời hạn", "Deadline warnings";
        /// The bot's answers to what a person just wrote: part of the conversation, never
        /// news to turn off.
        Conversation => "conversation", "Trả lời tin nhắn", "Replies";
        /// Internal messages between staff (`/msg`).
        StaffMessage => "staff_message", "Tin nhắn nội bộ", "Internal messages";
    }
);

impl Category {
    /// Whether a recipient may turn this category off on a channel (every one but duties and
    /// the bot's replies).
    pub const fn can_be_turned_off(self) -> bool {
        !matches!(self, Category::Duty | Category::Conversation)
    }
}

/// One way to reach a recipient.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Destination {
    pub channel: ChannelKind,
    pub address: String,
}

impl serde::Serialize for ChannelKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ChannelKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The destination of a contact point, if hdnd can send to it (not a phone).
pub fn destination(contact: &ContactPoint) -> Option<Destination> {
    let channel = match contact.kind {
        ContactKind::Email => ChannelKind::Email,
        ContactKind::Telegram => ChannelKind::Telegram,
        ContactKind::Phone => return None,
    };
    Some(Destination {
        channel,
        address: contact.address.clone(),
    })
}

/// Where a staff member gets a notification of `category`: their channels that are not turned
/// off, in order, and `false`; or, with every channel turned off, their first one and `true`
/// (the row is kept as `suppressed`, for the record). `None` without any channel. A duty goes
/// to every channel, whatever is turned off.
pub fn staff_destinations(
    member: &Staff,
    category: Category,
    disabled: &HashSet<(StaffId, Category, ChannelKind)>,
) -> Option<(Vec<Destination>, bool)> {
    let all: Vec<_> = member.contacts.iter().filter_map(destination).collect();
    let enabled: Vec<_> = all
        .iter()
        .filter(|d| {
            !category.can_be_turned_off() || !disabled.contains(&(member.id, category, d.channel))
        })
        .cloned()
        .collect();
    match (enabled.is_empty(), all.first()) {
        (false, _) => Some((enabled, false)),
        (true, Some(first)) => Some((vec![first.clone()], true)),
        (true, None) => None,
    }
}

/// Who a notification goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The first destination, then the others in order after a permanent failure.
    Contacts(Vec<Destination>),
    /// The denouncer of the case, on the one channel they chose. The channel is read from the
    /// sealed identity at enqueue; the address only when the row is claimed for sending, so the
    /// outbox never holds it.
    Denouncer,
}

impl Target {
    /// The channels a notification to this target may be sent on: its destinations', or both
    /// for a denouncer, whose channel only the sealed identity knows.
    pub fn channels(&self) -> Vec<ChannelKind> {
        match self {
            Target::Contacts(list) => {
                let mut channels = Vec::new();
                for destination in list {
                    if !channels.contains(&destination.channel) {
                        channels.push(destination.channel);
                    }
                }
                channels
            }
            Target::Denouncer => vec![ChannelKind::Email, ChannelKind::Telegram],
        }
    }
}

/// A rendered notification to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// Unique within its event (e.g. `citizen:email:<address>`): with the event it makes the
    /// row's dedupe key, so a replayed event enqueues nothing twice.
    pub key: String,
    pub to: Target,
    pub category: Category,
    /// Bypasses quiet hours (a deadline today).
    pub urgent: bool,
    /// The email rendering, for a row (or fallback) on the email channel.
    pub email: Option<EmailMessage>,
    /// The Telegram rendering, for a row (or fallback) on Telegram.
    pub telegram: Option<TelegramMessage>,
    /// Not to be sent before.
    pub due_at: DateTime<Utc>,
    /// Turned off by the recipient's preferences: stored as `suppressed` for the record, and
    /// never sent.
    pub suppressed: bool,
}

/// A stored outbox row.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub dedupe_key: String,
    pub channel: ChannelKind,
    pub address: String,
    pub sealed: bool,
    pub category: Category,
    pub urgent: bool,
    pub case_id: Option<CaseId>,
    /// Whether the row carries an email rendering (the next fields).
    pub has_email: bool,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub list_unsubscribe: Option<String>,
    pub reply_to: Option<String>,
    /// The Telegram rendering, when the row or a fallback may go to Telegram.
    pub telegram: Option<TelegramMessage>,
    /// How many parts of the message have gone out (a Telegram message split in several;
    /// an email is one part): a retry resumes at the next.
    pub parts_sent: u32,
    /// What the provider called each part it accepted, in order.
    pub provider_ids: Vec<String>,
    pub fallback: Vec<Destination>,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    pub lease_token: Option<String>,
    /// The instance that claimed the row last (`host:pid`).
    pub claimed_by: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl OutboxRow {
    /// The email rendering, if the row has one.
    pub fn email(&self) -> Option<EmailMessage> {
        self.has_email.then(|| EmailMessage {
            subject: self.subject.clone(),
            text: self.text.clone(),
            html: self.html.clone(),
            message_id: self.message_id.clone(),
            in_reply_to: self.in_reply_to.clone(),
            references: self.references.clone(),
            list_unsubscribe: self.list_unsubscribe.clone(),
            reply_to: self.reply_to.clone(),
        })
    }

    /// How many parts sending the row takes on its channel: the Telegram message's parts, or
    /// one email.
    pub fn part_count(&self) -> usize {
        match (self.channel, &self.telegram) {
            (ChannelKind::Telegram, Some(telegram)) => telegram.parts.len().max(1),
            _ => 1,
        }
    }

    /// What a channel sends for part `index` (from 0), rendered for the row's own channel;
    /// `None` when the row has no rendering for it.
    pub fn outgoing(&self, index: usize) -> Option<Outgoing> {
        let content = match self.channel {
            ChannelKind::Email => Content::Email(self.email()?),
            ChannelKind::Telegram => {
                let telegram = self.telegram.as_ref()?;
                let count = telegram.parts.len();
                Content::Telegram(TelegramPart {
                    text: telegram.parts.get(index)?.clone(),
                    index,
                    count,
                    // The buttons go under the whole message, so on its last part.
                    keyboard: if index + 1 == count {
                        telegram.keyboard.clone()
                    } else {
                        super::Keyboard::default()
                    },
                    thread: telegram.thread.clone(),
                })
            }
        };
        Some(Outgoing {
            outbox_id: self.id,
            channel: self.channel,
            address: self.address.clone(),
            content,
        })
    }

    /// The address as operators may see it: masked for a sealed identity.
    pub fn shown_address(&self) -> &str {
        if self.sealed {
            "<sealed>"
        } else {
            &self.address
        }
    }

    /// The subject as operators may see it: see [`mask_tokens`].
    pub fn shown_subject(&self) -> String {
        mask_tokens(&self.subject)
    }

    /// The text as operators may see it: see [`mask_tokens`].
    pub fn shown_text(&self) -> String {
        mask_tokens(&self.text)
    }

    /// The `List-Unsubscribe` URL as operators may see it: see [`mask_tokens`].
    pub fn shown_list_unsubscribe(&self) -> Option<String> {
        self.list_unsubscribe.as_deref().map(mask_tokens)
    }
}

/// Tokens hdnd makes (unsubscribe links, private case links) are 64 hex digits; nothing a
/// person writes is 32 or more in a row.
const TOKEN_MIN_HEX: usize = 32;

/// `text` with every token cut to its first four digits and `…`: an unsubscribe link in a
/// listing is a capability an operator (or their terminal's scroll-back) should not hold,
/// while the first digits still tell two links apart.
pub fn mask_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= TOKEN_MIN_HEX {
            out.push_str(&run[..4]);
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

// Written by hand: addresses (every one, not only a sealed one), fallbacks and message bodies
// are personal data and stay out of logs.
impl fmt::Debug for OutboxRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxRow")
            .field("id", &self.id)
            .field("dedupe_key", &self.dedupe_key)
            .field("channel", &self.channel)
            .field("sealed", &self.sealed)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .field("parts_sent", &self.parts_sent)
            .field("due_at", &self.due_at)
            .finish_non_exhaustive()
    }
}

/// This process, as it signs its claims: `host:pid`.
pub fn instance_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        format!("{host}:{}", std::process::id())
    })
}

/// What a worker's send came to, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every part went out.
    Sent,
    /// Try again at `due_at`.
    Retry {
        due_at: DateTime<Utc>,
        error: String,
    },
    /// No more tries.
    Dead { error: String },
    /// Permanent failure; the first fallback destination, if any, gets a new row.
    Failed { error: String },
    /// Not sent yet because of the channel's rate limit: queued again for `due_at`, and the
    /// claim does not count as an attempt.
    Paced { due_at: DateTime<Utc> },
}

impl Outcome {
    /// A word for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retry { .. } => "retry",
            Outcome::Dead { .. } => "dead",
            Outcome::Failed { .. } => "failed",
            Outcome::Paced { .. } => "paced",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_masked_and_everything_else_is_kept() {
        let token = "3f9a".repeat(16);
        let text = format!(
            "Để ngừng nhận thư nhắc lịch: http://127.0.0.1:8080/huy-nhan-tin/{token}\nHB.20261126.0012, ngày 26/11/2026, mã 1a2b3c4d5e6f7a8b"
        );
        let shown = mask_tokens(&text);
        assert!(!shown.contains(&token));
        assert!(shown.contains("/huy-nhan-tin/3f9a…\n"), "{shown}");
        assert!(shown.ends_with("HB.20261126.0012, ngày 26/11/2026, mã 1a2b3c4d5e6f7a8b"));
        assert_eq!(mask_tokens("cafe 2026"), "cafe 2026");
    }
}
