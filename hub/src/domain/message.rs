//! Internal messages between staff (tin nhắn nội bộ): to a colleague, a unit, a role (all
//! deputies) or everyone, replies in a thread, and who has read them.
//!
//! What a member types as the addressee is read here ([`split_addressee`]): a login
//! (`nguyen.van.a`, or `@nguyen.van.a`), a unit (`unit:van-phong`, or the bare code), a role
//! by its stored name (`dai_bieu`, or `role:dai_bieu`), everyone (`all`, `tất cả`), or a
//! thread to reply to (`#12`). The hub resolves it against the staff list. A message's body
//! is what a member wrote: personal data, so no `Debug` here prints it, and no log line or
//! outbox key holds it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::case::clean_text;
use super::staff::{Language, Role, StaffId};
use super::token::hex;
use crate::error::DomainError;

/// Longest body accepted, in characters: a message, not a document (a Telegram message holds
/// 4096 UTF-16 units with the header around it).
pub const MAX_BODY_CHARS: usize = 3000;

/// A message's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub i64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whom a message was addressed to, as stored: `staff:<id>`, `unit:<code>`, `role:<role>`,
/// `all`, or `thread:<root id>` for a reply (which goes to the thread's participants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Staff(StaffId),
    Unit(String),
    Role(Role),
    All,
    Thread(MessageId),
}

impl Audience {
    /// The stored form.
    pub fn as_stored(&self) -> String {
        match self {
            Audience::Staff(id) => format!("staff:{id}"),
            Audience::Unit(code) => format!("unit:{code}"),
            Audience::Role(role) => format!("role:{role}"),
            Audience::All => "all".to_owned(),
            Audience::Thread(root) => format!("thread:{root}"),
        }
    }

    /// Reads the stored form.
    pub fn from_stored(text: &str) -> Result<Audience, DomainError> {
        let bad = || DomainError::invalid("audience", format!("unknown audience `{text}`"));
        if text == "all" {
            return Ok(Audience::All);
        }
        let (kind, value) = text.split_once(':').ok_or_else(bad)?;
        match kind {
            "staff" => Ok(Audience::Staff(StaffId(value.parse().map_err(|_| bad())?))),
            "unit" if !value.is_empty() => Ok(Audience::Unit(value.to_owned())),
            "role" => Ok(Audience::Role(value.parse()?)),
            "thread" => Ok(Audience::Thread(MessageId(
                value.parse().map_err(|_| bad())?,
            ))),
            _ => Err(bad()),
        }
    }

    /// Whom it was addressed to, in `language`, for a reader: a colleague by `name` (the
    /// caller looks the account up), a unit by its code, a role by its name.
    pub fn describe(&self, language: Language, name: Option<&str>) -> String {
        match (self, language) {
            (Audience::Staff(_), _) => name.unwrap_or("?").to_owned(),
            (Audience::Unit(code), Language::Vi) => format!("đơn vị {code}"),
            (Audience::Unit(code), Language::En) => format!("unit {code}"),
            (Audience::Role(role), Language::Vi) => format!("các đồng chí {}", role.label_vi()),
            (Audience::Role(role), Language::En) => format!("all {}", role_plural_en(*role)),
            (Audience::All, Language::Vi) => "toàn thể cán bộ".to_owned(),
            (Audience::All, Language::En) => "all staff".to_owned(),
            (Audience::Thread(root), Language::Vi) => format!("những người trong chuỗi #{root}"),
            (Audience::Thread(root), Language::En) => format!("everyone in thread #{root}"),
        }
    }
}

/// A role's members in English (roles have Vietnamese labels only).
const fn role_plural_en(role: Role) -> &'static str {
    match role {
        Role::Admin => "administrators",
        Role::Intake => "intake officers",
        Role::Specialist => "specialists",
        Role::Secretary => "secretaries",
        Role::Deputy => "deputies",
        Role::Lead => "leaders",
        Role::DenunciationOfficer => "denunciation officers",
    }
}

/// The addressee as a member typed it, before the hub looks it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressee {
    Everyone,
    Role(Role),
    Unit(String),
    /// A login (typed `@login`, or found so by the hub).
    Login(String),
    /// A bare word: a login if one has it, else a unit code.
    LoginOrUnit(String),
    /// `#<id>`: a reply in the thread of that message.
    Thread(MessageId),
}

/// `/msg <to> <text>`'s argument split into the addressee and the body (not yet checked;
/// see [`clean_body`]). `None` when there is no addressee or no text after it.
pub fn split_addressee(argument: &str) -> Option<(Addressee, String)> {
    let argument: String = argument.trim().nfc().collect();
    // "tất cả" is two words; typed with or without its marks, in any case.
    let lowered = argument.to_lowercase();
    for everyone in ["tất cả", "tat ca"] {
        if lowered == everyone {
            return None;
        }
        if let Some(rest) = lowered.strip_prefix(everyone)
            && rest.starts_with(char::is_whitespace)
        {
            // Lowering keeps Vietnamese letters one to one, so the original is cut after as
            // many characters.
            let cut = argument
                .char_indices()
                .nth(everyone.chars().count())
                .map_or(argument.len(), |(i, _)| i);
            let body = argument[cut..].trim();
            return (!body.is_empty()).then(|| (Addressee::Everyone, body.to_owned()));
        }
    }
    let (word, body) = argument.split_once(char::is_whitespace)?;
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    Some((parse_addressee(word)?, body.to_owned()))
}

/// One word naming an addressee.
fn parse_addressee(word: &str) -> Option<Addressee> {
    let word = word.trim().to_lowercase();
    if matches!(word.as_str(), "all" | "tatca" | "tất_cả" | "everyone") {
        return Some(Addressee::Everyone);
    }
    if let Some(id) = word.strip_prefix('#') {
        return id
            .parse()
            .ok()
            .filter(|id: &i64| *id > 0)
            .map(|id| Addressee::Thread(MessageId(id)));
    }
    if let Some(code) = word.strip_prefix("unit:") {
        return (!code.is_empty()).then(|| Addressee::Unit(code.to_owned()));
    }
    if let Some(role) = word.strip_prefix("role:") {
        return role_named(role).map(Addressee::Role);
    }
    if let Some(login) = word.strip_prefix('@') {
        return (!login.is_empty()).then(|| Addressee::Login(login.to_owned()));
    }
    if let Some(role) = role_named(&word) {
        return Some(Addressee::Role(role));
    }
    Some(Addressee::LoginOrUnit(word))
}

/// A role by its stored name, `-` read as `_` (`dai-bieu` is `dai_bieu`).
fn role_named(word: &str) -> Option<Role> {
    Role::from_str(&word.replace('-', "_")).ok()
}

/// The body as stored: NFC, trimmed, not empty, at most [`MAX_BODY_CHARS`].
pub fn clean_body(text: &str) -> Result<String, DomainError> {
    clean_text("body", text, MAX_BODY_CHARS, true)
}

/// A stored message.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    /// The thread's root: the message itself for a root.
    pub thread: MessageId,
    pub sender: StaffId,
    pub audience: Audience,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl Message {
    /// Whether the message starts its thread.
    pub fn is_root(&self) -> bool {
        self.thread == self.id
    }
}

// The body is what a member wrote.
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("thread", &self.thread)
            .field("sender", &self.sender)
            .field("audience", &self.audience)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// How a recipient said they read a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadVia {
    /// The "đã đọc" button under the Telegram message.
    Telegram,
    /// The read link of the email.
    Email,
}

impl ReadVia {
    pub const fn as_str(self) -> &'static str {
        match self {
            ReadVia::Telegram => "telegram",
            ReadVia::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<ReadVia> {
        match text {
            "telegram" => Some(ReadVia::Telegram),
            "email" => Some(ReadVia::Email),
            _ => None,
        }
    }
}

/// One recipient of a message, and whether and how they have read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub staff: StaffId,
    pub read_at: Option<DateTime<Utc>>,
    pub via: Option<ReadVia>,
}

/// The secret of a recipient's email read link (`/tin-noi-bo/<token>`): 256 random bits in
/// hex. Only its SHA-256 is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct ReadToken(String);

impl ReadToken {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex(&bytes))
    }

    /// The secret, for the link in the recipient's email.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored and looked up.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }

    /// The hash of a presented token, or `None` when it is not shaped as one (64 hex
    /// digits), so that nothing else reaches the database.
    pub fn presented_hash(token: &str) -> Option<String> {
        let token = token.trim();
        (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| hex(&Sha256::digest(token.to_ascii_lowercase().as_bytes())))
    }
}

impl fmt::Debug for ReadToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReadToken(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_addressee_is_read_from_what_staff_type() {
        let cases = [
            (
                "dai_bieu Họp lúc 14h",
                Addressee::Role(Role::Deputy),
                "Họp lúc 14h",
            ),
            (
                "role:thu_ky  Nộp báo cáo",
                Addressee::Role(Role::Secretary),
                "Nộp báo cáo",
            ),
            ("dai-bieu x", Addressee::Role(Role::Deputy), "x"),
            (
                "unit:van-phong Họp giao ban",
                Addressee::Unit("van-phong".to_owned()),
                "Họp giao ban",
            ),
            (
                "nguyen.van.a Anh gọi lại nhé",
                Addressee::LoginOrUnit("nguyen.van.a".to_owned()),
                "Anh gọi lại nhé",
            ),
            (
                "@Lan.TK chào chị",
                Addressee::Login("lan.tk".to_owned()),
                "chào chị",
            ),
            ("all Nghỉ lễ", Addressee::Everyone, "Nghỉ lễ"),
            ("ALL Nghỉ lễ", Addressee::Everyone, "Nghỉ lễ"),
            ("tất cả Họp toàn thể", Addressee::Everyone, "Họp toàn thể"),
            ("Tất Cả  Họp toàn thể", Addressee::Everyone, "Họp toàn thể"),
            ("tat ca Họp", Addressee::Everyone, "Họp"),
            ("#12 Đã nhận", Addressee::Thread(MessageId(12)), "Đã nhận"),
        ];
        for (typed, addressee, body) in cases {
            assert_eq!(
                split_addressee(typed),
                Some((addressee, body.to_owned())),
                "{typed}"
            );
        }
        // "tất cả" as a login's start is not everyone.
        assert_eq!(
            split_addressee("tất_cả_x hi").map(|(a, _)| a),
            Some(Addressee::LoginOrUnit("tất_cả_x".to_owned()))
        );
    }

    #[test]
    fn an_addressee_without_text_or_a_malformed_one_is_nothing() {
        for typed in [
            "",
            "   ",
            "dai_bieu",
            "dai_bieu   ",
            "tất cả",
            "tất cả   ",
            "#x hi",
            "#0 hi",
            "#-3 hi",
            "role:nobody hi",
            "unit: hi",
            "@ hi",
        ] {
            assert_eq!(split_addressee(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn the_body_is_normalised_and_bounded() {
        // "ệ" typed as e + two combining marks becomes one character.
        let body = clean_body("  Ke\u{0302}\u{0323} hoạch  ").unwrap();
        assert_eq!(body, "Kệ hoạch");
        assert!(clean_body("   ").is_err());
        assert!(clean_body(&"a".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(clean_body(&"a".repeat(MAX_BODY_CHARS + 1)).is_err());
    }

    #[test]
    fn audiences_round_trip_and_describe_themselves_in_both_languages() {
        for audience in [
            Audience::Staff(StaffId(7)),
            Audience::Unit("van-phong".to_owned()),
            Audience::Role(Role::Deputy),
            Audience::All,
            Audience::Thread(MessageId(3)),
        ] {
            let stored = audience.as_stored();
            assert_eq!(
                Audience::from_stored(&stored).unwrap(),
                audience,
                "{stored}"
            );
            let vi = audience.describe(Language::Vi, Some("Trần Thị Lan"));
            let en = audience.describe(Language::En, Some("Trần Thị Lan"));
            assert!(!vi.is_empty() && !en.is_empty());
        }
        assert_eq!(
            Audience::Role(Role::Deputy).describe(Language::Vi, None),
            "các đồng chí Đại biểu"
        );
        assert_eq!(
            Audience::Role(Role::Deputy).describe(Language::En, None),
            "all deputies"
        );
        for bad in [
            "",
            "staff:",
            "staff:x",
            "unit:",
            "role:nobody",
            "everyone",
            "thread:",
        ] {
            assert!(Audience::from_stored(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_read_token_is_stored_hashed_and_never_printed() {
        let token = ReadToken::generate();
        assert_eq!(token.expose().len(), 64);
        assert_ne!(token, ReadToken::generate());
        assert_eq!(
            ReadToken::presented_hash(token.expose()),
            Some(token.hash())
        );
        assert_eq!(
            ReadToken::presented_hash(&token.expose().to_uppercase()),
            Some(token.hash())
        );
        assert_eq!(ReadToken::presented_hash("abc"), None);
        assert_eq!(ReadToken::presented_hash(&"g".repeat(64)), None);
        assert!(!format!("{token:?}").contains(token.expose()));
        let message = Message {
            id: MessageId(1),
            thread: MessageId(1),
            sender: StaffId(2),
            audience: Audience::All,
            body: "Bí mật".to_owned(),
            created_at: Utc::now(),
        };
        assert!(!format!("{message:?}").contains("Bí mật"));
        assert!(message.is_root());
    }
}
