//! Staff buttons that cannot be forged: the callback data of the inline buttons staff press
//! on a case, a reminder or an internal message, signed so that nobody can turn a button into
//! another case, message or action.
//!
//! The data is `s:<action>:<target>:<tag>`: the action's name, `c<case id>`, `t<task id>` or
//! `m<message id>`,
//! and the first 128 bits of HMAC-SHA256 over `s:<action>:<target>` in base64url (22
//! characters), under [`ButtonKey`], a sub-key of the hub's [`ContactKey`]. The longest, an
//! action of seven letters on the lowest `i64`, is 54 bytes: within Telegram's 64.
//!
//! A valid tag proves the hub made the button; whether the person who pressed it may still do
//! what it says is for the hub's services and the policy to decide when it is pressed.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::case::{Case, CaseId, CaseKind};
use super::citizen::ContactKey;
use super::message::MessageId;
use super::policy::{self, Action, CaseContext, transition_action};
use super::staff::{Language, Staff};
use super::token::{base64url, constant_time_eq};
use super::workflow::{self, ActorKind, Status};

/// What a staff button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffAction {
    /// thụ lý: received → accepted.
    Accept,
    /// không thụ lý: received → rejected; the bot asks the reason.
    Reject,
    /// → needs_info; the bot asks the question for the citizen.
    Ask,
    /// chuyển đơn: → forwarded; the bot offers the profile's units.
    Forward,
    /// → in_progress with an assignee; the bot offers the colleagues.
    Assign,
    /// → answered; the bot asks the answer the citizen receives.
    Answer,
    /// The public copy; the bot asks the public title and excerpt.
    Publish,
    /// A reminder's task is done.
    Done,
    /// A reminder comes back in an hour.
    Snooze,
    /// Shows the task or case a reminder is about.
    Open,
    /// An internal message was read ("👁 Đã đọc").
    Read,
    /// Replies to an internal message in its thread; the bot asks the text.
    Reply,
}

impl StaffAction {
    pub const ALL: &'static [StaffAction] = &[
        StaffAction::Accept,
        StaffAction::Reject,
        StaffAction::Ask,
        StaffAction::Forward,
        StaffAction::Assign,
        StaffAction::Answer,
        StaffAction::Publish,
        StaffAction::Done,
        StaffAction::Snooze,
        StaffAction::Open,
        StaffAction::Read,
        StaffAction::Reply,
    ];

    /// The name in callback data.
    pub const fn as_str(self) -> &'static str {
        match self {
            StaffAction::Accept => "accept",
            StaffAction::Reject => "reject",
            StaffAction::Ask => "ask",
            StaffAction::Forward => "forward",
            StaffAction::Assign => "assign",
            StaffAction::Answer => "answer",
            StaffAction::Publish => "publish",
            StaffAction::Done => "done",
            StaffAction::Snooze => "snooze",
            StaffAction::Open => "open",
            StaffAction::Read => "read",
            StaffAction::Reply => "reply",
        }
    }

    /// The button's label in `language`.
    pub const fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (StaffAction::Accept, Language::Vi) => "✅ Thụ lý",
            (StaffAction::Accept, Language::En) => "✅ Accept",
            (StaffAction::Reject, Language::Vi) => "❌ Không thụ lý",
            (StaffAction::Reject, Language::En) => "❌ Reject",
            (StaffAction::Ask, Language::Vi) => "❓ Hỏi thêm",
            (StaffAction::Ask, Language::En) => "❓ Ask the citizen",
            (StaffAction::Forward, Language::Vi) => "➡️ Chuyển đơn",
            (StaffAction::Forward, Language::En) => "➡️ Forward",
            (StaffAction::Assign, Language::Vi) => "👤 Giao",
            (StaffAction::Assign, Language::En) => "👤 Assign",
            (StaffAction::Answer, Language::Vi) => "📝 Trả lời",
            (StaffAction::Answer, Language::En) => "📝 Answer",
            (StaffAction::Publish, Language::Vi) => "🌐 Công khai",
            (StaffAction::Publish, Language::En) => "🌐 Publish",
            (StaffAction::Done, Language::Vi) => "✔️ Đã xong",
            (StaffAction::Done, Language::En) => "✔️ Done",
            (StaffAction::Snooze, Language::Vi) => "⏰ Nhắc lại sau 1 giờ",
            (StaffAction::Snooze, Language::En) => "⏰ Remind me in 1 hour",
            (StaffAction::Open, Language::Vi) => "📂 Mở",
            (StaffAction::Open, Language::En) => "📂 Open",
            (StaffAction::Read, Language::Vi) => "👁 Đã đọc",
            (StaffAction::Read, Language::En) => "👁 Mark as read",
            (StaffAction::Reply, Language::Vi) => "↩️ Trả lời",
            (StaffAction::Reply, Language::En) => "↩️ Reply",
        }
    }

    /// The action named `name` in callback data.
    pub fn parse(name: &str) -> Option<StaffAction> {
        StaffAction::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == name)
    }
}

impl fmt::Display for StaffAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a staff button is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ButtonTarget {
    Case(CaseId),
    /// A task's id (reminders).
    Task(i64),
    /// An internal message.
    Message(MessageId),
}

impl fmt::Display for ButtonTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ButtonTarget::Case(id) => write!(f, "c{id}"),
            ButtonTarget::Task(id) => write!(f, "t{id}"),
            ButtonTarget::Message(id) => write!(f, "m{id}"),
        }
    }
}

impl ButtonTarget {
    fn parse(text: &str) -> Option<ButtonTarget> {
        let (kind, id) = text.split_at_checked(1)?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "c" => Some(ButtonTarget::Case(CaseId(id))),
            "t" => Some(ButtonTarget::Task(id)),
            "m" => Some(ButtonTarget::Message(MessageId(id))),
            _ => None,
        }
    }
}

/// A pressed staff button, as the hub made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StaffButton {
    pub action: StaffAction,
    pub target: ButtonTarget,
}

impl StaffButton {
    /// A button on a case.
    pub const fn case(action: StaffAction, case: CaseId) -> Self {
        Self {
            action,
            target: ButtonTarget::Case(case),
        }
    }

    /// A button on a task (a reminder's).
    pub const fn task(action: StaffAction, task: i64) -> Self {
        Self {
            action,
            target: ButtonTarget::Task(task),
        }
    }

    /// A button on an internal message.
    pub const fn message(action: StaffAction, message: MessageId) -> Self {
        Self {
            action,
            target: ButtonTarget::Message(message),
        }
    }

    /// The case the button is about, if it is about one.
    pub const fn case_id(&self) -> Option<CaseId> {
        match self.target {
            ButtonTarget::Case(id) => Some(id),
            ButtonTarget::Task(_) | ButtonTarget::Message(_) => None,
        }
    }

    /// The internal message the button is about, if it is about one.
    pub const fn message_id(&self) -> Option<MessageId> {
        match self.target {
            ButtonTarget::Message(id) => Some(id),
            ButtonTarget::Case(_) | ButtonTarget::Task(_) => None,
        }
    }

    /// The signed callback data, at most [`CALLBACK_DATA_LIMIT`] bytes.
    pub fn encode(&self, key: &ButtonKey) -> String {
        let body = format!("{PREFIX}{}:{}", self.action, self.target);
        let tag = key.tag(&body);
        format!("{body}:{tag}")
    }

    /// The button `data` names, or `None` unless the hub made exactly this data: another
    /// action, another target, a cut or changed tag, another key and any other text all read
    /// as `None`.
    pub fn decode(data: &str, key: &ButtonKey) -> Option<StaffButton> {
        if data.len() > CALLBACK_DATA_LIMIT {
            return None;
        }
        let rest = data.strip_prefix(PREFIX)?;
        let mut fields = rest.split(':');
        let (action, target, _tag) = (fields.next()?, fields.next()?, fields.next()?);
        if fields.next().is_some() {
            return None;
        }
        let button = StaffButton {
            action: StaffAction::parse(action)?,
            target: ButtonTarget::parse(target)?,
        };
        // Made again from the parsed values and compared whole, so that only the canonical
        // spelling (no `c012`, no `c+12`) with its own tag passes; in constant time.
        let expected = button.encode(key);
        constant_time_eq(expected.as_bytes(), data.as_bytes()).then_some(button)
    }

    /// Whether `data` is a staff button at all (signed or not): the bot routes it here.
    pub fn looks_like(data: &str) -> bool {
        data.starts_with(PREFIX)
    }
}

/// The buttons on a case's message to `staff`: the case actions the workflow allows from the
/// case's status that the policy lets `staff` take on it (`context`: its kind, assignee and
/// the assignee's lead), in [`StaffAction::ALL`]'s order. None for anybody who may not read
/// the case (a denunciation's buttons go only to `giai_quyet_to_cao`).
pub fn case_actions(case: &Case, staff: &Staff, context: &CaseContext) -> Vec<StaffAction> {
    let may = |action: Action| policy::check(staff, action, Some(context)).is_ok();
    if !may(Action::ReadCase) {
        return Vec::new();
    }
    let from = case.progress.status;
    // A move is offered when its edge exists for staff and it is the move the button means
    // (from needs_info, "accepted" is the information arriving, not thụ lý).
    let moves = |to: Status, meant: Action| {
        workflow::edge(from, to, ActorKind::Staff).is_ok()
            && transition_action(from, to) == meant
            && may(meant)
    };
    StaffAction::ALL
        .iter()
        .copied()
        .filter(|action| match action {
            StaffAction::Accept => moves(Status::Accepted, Action::Accept),
            StaffAction::Reject => moves(Status::Rejected, Action::Reject),
            StaffAction::Ask => moves(Status::NeedsInfo, Action::AskCitizen),
            StaffAction::Forward => moves(Status::Forwarded, Action::Forward),
            StaffAction::Assign => moves(Status::InProgress, Action::StartWork),
            StaffAction::Answer => {
                moves(Status::Answered, Action::Answer) || moves(Status::Explained, Action::Answer)
            }
            StaffAction::Publish => {
                case.kind != CaseKind::ToCao
                    && case.publication_consent
                    && case.publication.is_none()
                    && may(Action::Publish)
            }
            // Reminders' buttons, on tasks, and internal messages' buttons.
            StaffAction::Done
            | StaffAction::Snooze
            | StaffAction::Open
            | StaffAction::Read
            | StaffAction::Reply => false,
        })
        .collect()
}

/// Telegram's limit on a button's callback data, in bytes.
pub const CALLBACK_DATA_LIMIT: usize = 64;

const PREFIX: &str = "s:";
/// Bytes of the HMAC kept: 128 bits, 22 base64url characters.
const TAG_BYTES: usize = 16;
/// The label the sub-key is derived with; a new version makes every old button invalid.
const KEY_LABEL: &[u8] = b"hdnd/staff-button/v1";

/// The key staff buttons are signed with: a sub-key of the hub's [`ContactKey`], never the
/// contact key itself.
#[derive(Clone, PartialEq, Eq)]
pub struct ButtonKey([u8; 32]);

impl ButtonKey {
    /// The sub-key of `key` for staff buttons.
    pub fn derive(key: &ContactKey) -> Self {
        Self(key.derive(KEY_LABEL))
    }

    fn tag(&self, body: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC accepts a key of any length");
        mac.update(body.as_bytes());
        base64url(&mac.finalize().into_bytes()[..TAG_BYTES])
    }
}

// Never print the secret.
impl fmt::Debug for ButtonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ButtonKey(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ButtonKey {
        ButtonKey::derive(&ContactKey::new("a fictional contact key of 32+ bytes").unwrap())
    }

    #[test]
    fn every_button_round_trips() {
        let key = key();
        for &action in StaffAction::ALL {
            for target in [
                ButtonTarget::Case(CaseId(1)),
                ButtonTarget::Case(CaseId(i64::MAX)),
                ButtonTarget::Task(42),
                ButtonTarget::Message(MessageId(7)),
                ButtonTarget::Message(MessageId(i64::MAX)),
            ] {
                let button = StaffButton { action, target };
                let data = button.encode(&key);
                assert_eq!(StaffButton::decode(&data, &key), Some(button), "{data}");
                assert!(StaffButton::looks_like(&data));
            }
        }
        let data = StaffButton::case(StaffAction::Accept, CaseId(12)).encode(&key);
        assert!(data.starts_with("s:accept:c12:"), "{data}");
        assert_eq!(
            StaffButton::decode(&data, &key).unwrap().case_id(),
            Some(CaseId(12))
        );
    }

    #[test]
    fn the_longest_button_fits_telegrams_64_bytes() {
        let key = key();
        let longest = StaffAction::ALL
            .iter()
            .flat_map(|&action| {
                [
                    StaffButton::case(action, CaseId(i64::MIN)),
                    StaffButton::case(action, CaseId(i64::MAX)),
                    StaffButton::task(action, i64::MIN),
                    StaffButton::message(action, MessageId(i64::MIN)),
                ]
            })
            .map(|b| b.encode(&key).len())
            .max()
            .unwrap();
        assert_eq!(longest, 54);
        assert!(longest <= CALLBACK_DATA_LIMIT);
    }

    #[test]
    fn every_tampering_is_refused() {
        let key = key();
        let data = StaffButton::case(StaffAction::Accept, CaseId(12)).encode(&key);
        let tag = data.rsplit(':').next().unwrap();
        let mut tampered = vec![
            // Another case, another action, another kind of target, with the same tag.
            format!("s:accept:c13:{tag}"),
            format!("s:reject:c12:{tag}"),
            format!("s:accept:t12:{tag}"),
            // The same button spelled otherwise.
            format!("s:accept:c012:{tag}"),
            format!("s:accept:c+12:{tag}"),
            format!("s:Accept:c12:{tag}"),
            // A cut, lengthened or missing tag.
            data[..data.len() - 1].to_owned(),
            data[..data.len() - 11].to_owned(),
            format!("{data}A"),
            format!("{data}:x"),
            "s:accept:c12:".to_owned(),
            "s:accept:c12".to_owned(),
            // Other texts.
            String::new(),
            "s:".to_owned(),
            "s:open:c12:AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
            data.replacen("s:", "x:", 1),
            format!("{data}{}", " ".repeat(20)),
        ];
        // Every single character of the tag changed.
        let head = data.len() - tag.len();
        for i in head..data.len() {
            let mut bytes = data.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            tampered.push(String::from_utf8(bytes).unwrap());
        }
        for bad in &tampered {
            assert_eq!(StaffButton::decode(bad, &key), None, "{bad}");
        }
        // Another key refuses the genuine data.
        let other = ButtonKey::derive(&ContactKey::random());
        assert_eq!(StaffButton::decode(&data, &other), None);
        assert_eq!(
            StaffButton::decode(&data, &key),
            Some(StaffButton::case(StaffAction::Accept, CaseId(12)))
        );
    }

    #[test]
    fn a_message_button_cannot_be_turned_into_another_message_action_or_target() {
        let key = key();
        let data = StaffButton::message(StaffAction::Read, MessageId(12)).encode(&key);
        assert!(data.starts_with("s:read:m12:"), "{data}");
        let button = StaffButton::decode(&data, &key).unwrap();
        assert_eq!(button.message_id(), Some(MessageId(12)));
        assert_eq!(button.case_id(), None);
        let tag = data.rsplit(':').next().unwrap();
        let tampered = [
            // Another message, another action, a case or a task, with the same tag.
            format!("s:read:m13:{tag}"),
            format!("s:reply:m12:{tag}"),
            format!("s:read:c12:{tag}"),
            format!("s:read:t12:{tag}"),
            format!("s:accept:m12:{tag}"),
            // The same button spelled otherwise.
            format!("s:read:m012:{tag}"),
            format!("s:read:M12:{tag}"),
            format!("s:read:m+12:{tag}"),
            format!("s:read:m:{tag}"),
            data[..data.len() - 1].to_owned(),
            format!("{data}A"),
        ];
        for bad in &tampered {
            assert_eq!(StaffButton::decode(bad, &key), None, "{bad}");
        }
        // A case's genuine button is no message's.
        let case = StaffButton::case(StaffAction::Accept, CaseId(12)).encode(&key);
        assert_eq!(StaffButton::decode(&case, &key).unwrap().message_id(), None);
        let other = ButtonKey::derive(&ContactKey::random());
        assert_eq!(StaffButton::decode(&data, &other), None);
    }

    #[test]
    fn the_button_key_is_a_sub_key_and_never_printed() {
        let contact = ContactKey::new("a fictional contact key of 32+ bytes").unwrap();
        let key = ButtonKey::derive(&contact);
        assert_ne!(&key.0[..], b"a fictional contact key of 32+ bytes");
        assert_eq!(format!("{key:?}"), "ButtonKey(<secret>)");
    }

    #[test]
    fn every_label_is_given_in_both_languages() {
        for &action in StaffAction::ALL {
            assert_ne!(action.label(Language::Vi), action.label(Language::En));
        }
        assert_eq!(StaffAction::Accept.label(Language::Vi), "✅ Thụ lý");
    }
}
