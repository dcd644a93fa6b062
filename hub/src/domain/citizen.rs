//! Citizens and their contact points: parsed into one normal form per kind, with a state
//! (verified, unreachable), and a keyed hash that recognises a denouncer's contact without
//! storing it beside the case.
//!
//! Nothing here prints personal data in `Debug`: names and contact values are written as
//! `<redacted>`, so a `?citizen` in a log line or a panic message leaks nothing (design.md §3).

use std::fmt;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::case::{ContactKind, ContactPoint, clean_text};
use super::staff::Language;
use crate::error::DomainError;

/// A citizen's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CitizenId(pub i64);

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Longest accepted display name, in characters.
const MAX_NAME_CHARS: usize = 200;

/// A citizen to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCitizen {
    /// How the citizen wants to be addressed; they may give no name at all.
    pub display_name: Option<String>,
    pub language: Language,
}

impl NewCitizen {
    /// NFC-normalises and trims the name; a blank name becomes no name.
    pub fn validate(mut self) -> Result<NewCitizen, DomainError> {
        self.display_name = match self.display_name.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(clean_text("display_name", name, MAX_NAME_CHARS, true)?),
        };
        Ok(self)
    }
}

/// A stored citizen.
#[derive(Clone, PartialEq, Eq)]
pub struct Citizen {
    pub id: CitizenId,
    pub display_name: Option<String>,
    pub language: Language,
    pub created_at: DateTime<Utc>,
}

// Written by hand: a citizen's name is personal data and stays out of every log line.
impl fmt::Debug for NewCitizen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCitizen")
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Citizen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Citizen")
            .field("id", &self.id)
            .field("language", &self.language)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A contact value in its one normal form for its kind, so that the same address typed two
/// ways compares, stores and hashes the same:
///
/// - email: the domain lower-cased, the part before `@` kept as typed;
/// - Telegram: the chat id as a signed 64-bit integer in decimal;
/// - phone: a Vietnamese number in E.164, e.g. `+84912345678`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NormalisedContact {
    kind: ContactKind,
    value: String,
}

impl NormalisedContact {
    /// Parses what a person typed as a contact of `kind`. Parsing a normalised value again
    /// gives it back unchanged, so stored values can go through here too.
    pub fn parse(kind: ContactKind, input: &str) -> Result<Self, DomainError> {
        let value = match kind {
            ContactKind::Email => normalise_email(input)?,
            ContactKind::Telegram => normalise_telegram_chat(input)?,
            ContactKind::Phone => normalise_phone(input)?,
        };
        Ok(Self { kind, value })
    }

    pub fn kind(&self) -> ContactKind {
        self.kind
    }

    /// The normalised value: personal data, never for a log line.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The chat id, for a Telegram contact.
    pub fn telegram_chat_id(&self) -> Option<i64> {
        match self.kind {
            ContactKind::Telegram => self.value.parse().ok(),
            _ => None,
        }
    }
}

impl TryFrom<&ContactPoint> for NormalisedContact {
    type Error = DomainError;

    fn try_from(point: &ContactPoint) -> Result<Self, Self::Error> {
        Self::parse(point.kind, &point.address)
    }
}

impl From<NormalisedContact> for ContactPoint {
    fn from(contact: NormalisedContact) -> Self {
        ContactPoint {
            kind: contact.kind,
            address: contact.value,
        }
    }
}

// Only the kind: the value is an email address, a chat id or a phone number.
impl fmt::Debug for NormalisedContact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NormalisedContact({}, <redacted>)", self.kind)
    }
}

fn normalise_email(input: &str) -> Result<String, DomainError> {
    let refuse = |reason: &str| Err(DomainError::invalid("email", reason));
    let text = input.trim();
    if text.is_empty() {
        return refuse("must not be empty");
    }
    let Some((local, domain)) = text.split_once('@') else {
        return refuse("needs an @, as in an@example.com");
    };
    if domain.contains('@') {
        return refuse("must hold exactly one @");
    }
    if local.is_empty() {
        return refuse("the part before @ is empty");
    }
    if local.len() > 64 {
        return refuse("the part before @ is longer than 64 characters");
    }
    // The dot-atom of RFC 5322: what every mail provider accepts. Quoted local parts and
    // non-ASCII mailboxes are legal but so rare that a typo is the likelier reading.
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if !local.chars().all(|c| c == '.' || atom_char(c)) {
        return refuse(
            "the part before @ may hold only letters a-z, digits, dots and ! # $ % & ' * + - / = ? ^ _ ` { | } ~",
        );
    }
    if local.split('.').any(str::is_empty) {
        return refuse("the part before @ must not start or end with a dot or hold two in a row");
    }
    if !domain.is_ascii() {
        return refuse("write an internationalised domain in punycode (xn--…)");
    }
    let domain = domain.to_ascii_lowercase();
    if !domain.contains('.') {
        return refuse("the domain needs a dot, as in example.com");
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return refuse("the domain must not start or end with a dot or hold two in a row");
        }
        if label.len() > 63 {
            return refuse("a part of the domain is longer than 63 characters");
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return refuse("the domain may hold only letters a-z, digits, '-' and dots");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return refuse("a part of the domain must not start or end with '-'");
        }
    }
    if domain
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return refuse("the domain must end in a name, not a number");
    }
    let email = format!("{local}@{domain}");
    if email.len() > 254 {
        return refuse("is longer than 254 characters");
    }
    Ok(email)
}

fn normalise_telegram_chat(input: &str) -> Result<String, DomainError> {
    let id: i64 = input.trim().parse().map_err(|_| {
        DomainError::invalid(
            "telegram",
            "a Telegram chat id is a whole number, such as 123456789 or -1001234567890",
        )
    })?;
    if id == 0 {
        return Err(DomainError::invalid(
            "telegram",
            "0 is not a Telegram chat id",
        ));
    }
    Ok(id.to_string())
}

fn normalise_phone(input: &str) -> Result<String, DomainError> {
    let refuse = |reason: &str| Err(DomainError::invalid("phone", reason));
    let text = input.trim();
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '\u{a0}' | '.' | '-' | '(' | ')' => {}
            _ => return refuse("may hold only digits, spaces, dots, dashes and brackets"),
        }
    }
    let foreign = "only Vietnamese numbers (+84) are accepted";
    // The national significant number: what follows the trunk 0 or the country code 84.
    let national = if plus {
        match digits.strip_prefix("84") {
            Some(rest) => strip_kept_trunk_zero(rest),
            None => return refuse(foreign),
        }
    } else if let Some(rest) = digits.strip_prefix("00") {
        match rest.strip_prefix("84") {
            Some(rest) => strip_kept_trunk_zero(rest),
            None => return refuse(foreign),
        }
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest
    } else if let Some(rest) = digits.strip_prefix("84") {
        // No national number starts with 8: the trunk 0 comes first. So this is the country
        // code typed without its +.
        strip_kept_trunk_zero(rest)
    } else {
        return refuse("start the number with 0 or +84");
    };
    let mobile = national.len() == 9 && national.starts_with(['3', '5', '7', '8', '9']);
    let landline = national.len() == 10 && national.starts_with('2');
    if mobile || landline {
        Ok(format!("+84{national}"))
    } else {
        refuse(
            "a Vietnamese mobile number has 10 digits starting 03, 05, 07, 08 or 09, \
             and a landline 11 digits starting 02",
        )
    }
}

// "+84 (0) 912 …": people often keep the trunk 0 after the country code.
fn strip_kept_trunk_zero(national: &str) -> &str {
    national.strip_prefix('0').unwrap_or(national)
}

/// Whether a contact point is known to work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactState {
    /// Given but never confirmed.
    Unverified,
    /// The citizen proved they control it (a code sent there came back).
    Verified,
    /// Delivery failed permanently, e.g. the bot was blocked or the mailbox does not exist.
    Unreachable {
        /// A technical classification written by the delivery worker, e.g. `telegram 403:
        /// bot blocked`; never the provider's raw text, which may quote the address.
        reason: String,
        at: DateTime<Utc>,
    },
}

impl ContactState {
    /// The stored names, in the order of the variants.
    pub const NAMES: [&'static str; 3] = ["unverified", "verified", "unreachable"];

    /// The name stored in the database and used in APIs.
    pub const fn as_str(&self) -> &'static str {
        match self {
            ContactState::Unverified => "unverified",
            ContactState::Verified => "verified",
            ContactState::Unreachable { .. } => "unreachable",
        }
    }

    /// The Vietnamese label a person reads.
    pub const fn label_vi(&self) -> &'static str {
        match self {
            ContactState::Unverified => "Chưa xác minh",
            ContactState::Verified => "Đã xác minh",
            ContactState::Unreachable { .. } => "Không liên lạc được",
        }
    }

    /// Whether messages may still be sent there.
    pub const fn is_reachable(&self) -> bool {
        !matches!(self, ContactState::Unreachable { .. })
    }

    /// Marks a contact unreachable since `at`, with a cleaned reason.
    pub fn unreachable(reason: &str, at: DateTime<Utc>) -> Result<Self, DomainError> {
        Ok(ContactState::Unreachable {
            reason: clean_text("unreachable_reason", reason, 500, true)?,
            at,
        })
    }

    /// Rebuilds a state from its stored name and, for `unreachable`, its reason and time.
    pub fn from_stored(
        name: &str,
        reason: Option<String>,
        at: Option<DateTime<Utc>>,
    ) -> Result<Self, DomainError> {
        match (name, reason, at) {
            ("unverified", _, _) => Ok(ContactState::Unverified),
            ("verified", _, _) => Ok(ContactState::Verified),
            ("unreachable", Some(reason), Some(at)) => Ok(ContactState::Unreachable { reason, at }),
            ("unreachable", _, _) => Err(DomainError::invalid(
                "contact_state",
                "`unreachable` needs its reason and time",
            )),
            (other, _, _) => Err(DomainError::invalid(
                "contact_state",
                format!("unknown value `{other}`"),
            )),
        }
    }
}

impl fmt::Display for ContactState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of a citizen's contact points and whether it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenContact {
    pub citizen: CitizenId,
    pub contact: NormalisedContact,
    pub state: ContactState,
}

/// The secret key of [`contact_hash`], from the settings.
#[derive(Clone)]
pub struct ContactKey(Vec<u8>);

impl ContactKey {
    /// The shortest key accepted: the output size of SHA-256 (RFC 2104 §3).
    pub const MIN_BYTES: usize = 32;

    /// Wraps a secret of at least [`Self::MIN_BYTES`] bytes, given as text or bytes.
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, DomainError> {
        let secret = secret.as_ref();
        if secret.len() < Self::MIN_BYTES {
            return Err(DomainError::invalid(
                "contact_key",
                format!("must be at least {} bytes long", Self::MIN_BYTES),
            ));
        }
        Ok(Self(secret.to_vec()))
    }

    /// A fresh random key, for a hub that was given none (tests, a throwaway demo): its
    /// hashes mean nothing to another process.
    pub fn random() -> Self {
        Self(rand::random::<[u8; 32]>().to_vec())
    }

    /// A sub-key for another purpose (HMAC-SHA256 of `label` under this key), so that the
    /// secret itself keys nothing but contact hashes and one leaked sub-key reveals no other.
    pub(crate) fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC accepts a key of any length");
        mac.update(label);
        mac.finalize().into_bytes().into()
    }
}

// Never print the secret.
impl fmt::Debug for ContactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContactKey(<secret>)")
    }
}

/// The keyed hash of a contact: hex HMAC-SHA256 over `"<kind>:<normalised value>"`.
///
/// It lets the hub recognise a denouncer who writes again from the same address, and count a
/// denouncer's cases, without keeping the address anywhere but in the sealed identity. Without
/// the key the hash cannot be reversed by trying every phone number.
pub fn contact_hash(key: &ContactKey, contact: &NormalisedContact) -> String {
    let message = format!("{}:{}", contact.kind.as_str(), contact.value);
    hmac_sha256_hex(&key.0, message.as_bytes())
}

fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts a key of any length");
    mac.update(message);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(input: &str) -> Result<String, DomainError> {
        NormalisedContact::parse(ContactKind::Email, input).map(|c| c.value)
    }

    fn phone(input: &str) -> Result<String, DomainError> {
        NormalisedContact::parse(ContactKind::Phone, input).map(|c| c.value)
    }

    fn telegram(input: &str) -> Result<String, DomainError> {
        NormalisedContact::parse(ContactKind::Telegram, input).map(|c| c.value)
    }

    fn key(fill: u8) -> ContactKey {
        ContactKey::new([fill; 32]).unwrap()
    }

    #[test]
    fn an_email_domain_is_lowercased_and_the_local_part_kept_as_typed() {
        assert_eq!(
            email(" An.Nguyen@Example.COM ").unwrap(),
            "An.Nguyen@example.com"
        );
        assert_eq!(
            email("so+tag@hdnd.haiphong.gov.vn").unwrap(),
            "so+tag@hdnd.haiphong.gov.vn"
        );
        assert_eq!(
            email("x@xn--hng-bng-9za.vn").unwrap(),
            "x@xn--hng-bng-9za.vn"
        );
        assert_eq!(email("a-b@a-1.b2.vn").unwrap(), "a-b@a-1.b2.vn");
    }

    #[test]
    fn an_email_that_breaks_a_rule_is_refused_with_a_reason() {
        for bad in [
            "",
            "   ",
            "an.example.com",
            "an@@example.com",
            "an@b@example.com",
            "@example.com",
            "an@",
            "an@localhost",
            "an@example..com",
            "an@.example.com",
            "an@example.com.",
            "an@-example.com",
            "an@example-.com",
            "an@exa_mple.com",
            "an@10.0.0.1",
            "an@hồngbàng.vn",
            "nguyễn@example.com",
            "an nguyen@example.com",
            ".an@example.com",
            "an.@example.com",
            "an..b@example.com",
            "\"an\"@example.com",
        ] {
            let err = email(bad).unwrap_err();
            assert!(
                matches!(err, DomainError::Invalid { field: "email", .. }),
                "{bad:?}: {err:?}"
            );
        }
        let err = email("an@hồngbàng.vn").unwrap_err();
        assert!(err.to_string().contains("punycode"), "{err}");
    }

    #[test]
    fn email_lengths_are_capped_at_64_before_the_at_and_254_in_all() {
        let local_64 = "a".repeat(64);
        assert!(email(&format!("{local_64}@example.com")).is_ok());
        assert!(email(&format!("a{local_64}@example.com")).is_err());
        // A domain of exactly `len` characters: three full labels, a filler label and ".vn".
        let label = "b".repeat(63);
        let domain_to = |len: usize| {
            let mut d = format!("{label}.{label}.{label}.");
            d.push_str(&"c".repeat(len - d.len() - 3));
            d.push_str(".vn");
            d
        };
        let fits = format!("a@{}", domain_to(252));
        assert_eq!(fits.len(), 254);
        assert!(email(&fits).is_ok());
        let too_long = format!("a@{}", domain_to(253));
        assert_eq!(too_long.len(), 255);
        assert!(email(&too_long).is_err());
        let long_label = format!("a@{}.vn", "d".repeat(64));
        assert!(email(&long_label).is_err());
    }

    #[test]
    fn a_telegram_chat_id_is_a_signed_64_bit_integer() {
        assert_eq!(telegram(" 123456789 ").unwrap(), "123456789");
        assert_eq!(telegram("-1001234567890").unwrap(), "-1001234567890");
        assert_eq!(telegram("+42").unwrap(), "42");
        assert_eq!(
            telegram(&i64::MIN.to_string()).unwrap(),
            i64::MIN.to_string()
        );
        let chat = NormalisedContact::parse(ContactKind::Telegram, "-100123").unwrap();
        assert_eq!(chat.telegram_chat_id(), Some(-100_123));
        for bad in ["", "abc", "12 34", "1.5", "9223372036854775808", "0", "@an"] {
            assert!(
                matches!(
                    telegram(bad),
                    Err(DomainError::Invalid {
                        field: "telegram",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        let phone = NormalisedContact::parse(ContactKind::Phone, "0912345678").unwrap();
        assert_eq!(phone.telegram_chat_id(), None);
    }

    #[test]
    fn a_vietnamese_phone_number_typed_any_usual_way_becomes_e164() {
        for (typed, e164) in [
            ("0912 345 678", "+84912345678"),
            ("091.234.5678", "+84912345678"),
            ("0912-345-678", "+84912345678"),
            ("+84 912 345 678", "+84912345678"),
            ("+84 (0) 912 345 678", "+84912345678"),
            ("84912345678", "+84912345678"),
            ("0084 912 345 678", "+84912345678"),
            ("+84912345678", "+84912345678"),
            ("0387 654 321", "+84387654321"),
            ("0567654321", "+84567654321"),
            ("0767654321", "+84767654321"),
            ("0867654321", "+84867654321"),
            ("(028) 3822 1234", "+842838221234"),
            ("024 3825 1234", "+842438251234"),
            ("0225 384 1234", "+842253841234"),
            ("+84 28 3822 1234", "+842838221234"),
            ("\u{a0}0912\u{a0}345\u{a0}678 ", "+84912345678"),
        ] {
            assert_eq!(phone(typed).unwrap(), e164, "{typed:?}");
        }
    }

    #[test]
    fn a_phone_number_that_is_not_vietnamese_or_not_a_number_is_refused() {
        for bad in [
            "",
            "+1 202 555 0100",
            "0033 1 23 45 67 89",
            "912345678",
            "091234567",
            "09123456789",
            "0612345678",
            "0412345678",
            "0123456789",
            "1900 1234",
            "1800 5555",
            "0283822123",
            "028382212345",
            "0912 345 67x",
            "0912/345/678",
            "++84912345678",
            "+",
            "84",
        ] {
            let err = phone(bad).unwrap_err();
            assert!(
                matches!(err, DomainError::Invalid { field: "phone", .. }),
                "{bad:?}: {err:?}"
            );
            // The reason explains the rule and never repeats the number.
            assert!(!err.to_string().contains("345"), "{err}");
        }
        assert!(
            phone("+1 202 555 0100")
                .unwrap_err()
                .to_string()
                .contains("+84")
        );
    }

    #[test]
    fn parsing_a_normalised_value_again_changes_nothing() {
        for (kind, typed) in [
            (ContactKind::Email, "An@Example.COM"),
            (ContactKind::Phone, "(028) 3822 1234"),
            (ContactKind::Phone, "091.234.5678"),
            (ContactKind::Telegram, "+77"),
        ] {
            let once = NormalisedContact::parse(kind, typed).unwrap();
            let twice = NormalisedContact::parse(kind, once.value()).unwrap();
            assert_eq!(once, twice);
            let point = ContactPoint::from(once.clone());
            assert_eq!(NormalisedContact::try_from(&point).unwrap(), once);
        }
    }

    #[test]
    fn debug_output_shows_no_contact_value_and_no_name() {
        let contact = NormalisedContact::parse(ContactKind::Email, "an@example.com").unwrap();
        assert_eq!(
            format!("{contact:?}"),
            "NormalisedContact(email, <redacted>)"
        );
        let citizen = Citizen {
            id: CitizenId(5),
            display_name: Some("Nguyễn Văn An".to_owned()),
            language: Language::Vi,
            created_at: DateTime::UNIX_EPOCH,
        };
        let entry = CitizenContact {
            citizen: citizen.id,
            contact,
            state: ContactState::Verified,
        };
        for text in [
            format!("{citizen:?}"),
            format!("{entry:?}"),
            format!("{:?}", key(7)),
            format!(
                "{:?}",
                NewCitizen {
                    display_name: citizen.display_name.clone(),
                    language: Language::Vi,
                }
            ),
        ] {
            assert!(!text.contains("An"), "{text}");
            assert!(!text.contains("example"), "{text}");
            assert!(!text.contains("\\u{7}") && !text.contains("7, 7"), "{text}");
        }
        assert_eq!(format!("{:?}", key(7)), "ContactKey(<secret>)");
    }

    #[test]
    fn a_new_citizen_name_is_cleaned_and_a_blank_one_dropped() {
        let nfd: String =
            unicode_normalization::UnicodeNormalization::nfd("Nguyễn Văn An").collect();
        let named = NewCitizen {
            display_name: Some(format!("  {nfd} ")),
            language: Language::Vi,
        }
        .validate()
        .unwrap();
        assert_eq!(named.display_name.as_deref(), Some("Nguyễn Văn An"));
        let blank = NewCitizen {
            display_name: Some("  ".to_owned()),
            language: Language::En,
        }
        .validate()
        .unwrap();
        assert_eq!(blank.display_name, None);
        let long = NewCitizen {
            display_name: Some("a".repeat(201)),
            language: Language::Vi,
        };
        assert!(long.validate().is_err());
    }

    #[test]
    fn contact_states_round_trip_through_their_stored_names() {
        let at = DateTime::UNIX_EPOCH;
        let unreachable = ContactState::unreachable(" telegram 403: bot blocked ", at).unwrap();
        assert_eq!(
            unreachable,
            ContactState::Unreachable {
                reason: "telegram 403: bot blocked".to_owned(),
                at
            }
        );
        let states = [
            ContactState::Unverified,
            ContactState::Verified,
            unreachable,
        ];
        for (state, name) in states.iter().zip(ContactState::NAMES) {
            assert_eq!(state.as_str(), name);
            assert_eq!(state.to_string(), name);
            let (reason, when) = match state {
                ContactState::Unreachable { reason, at } => (Some(reason.clone()), Some(*at)),
                _ => (None, None),
            };
            assert_eq!(
                &ContactState::from_stored(name, reason, when).unwrap(),
                state
            );
        }
        assert!(states[1].is_reachable() && !states[2].is_reachable());
        assert!(ContactState::from_stored("unreachable", None, Some(at)).is_err());
        assert!(ContactState::from_stored("bounced", None, None).is_err());
        assert!(ContactState::unreachable(" ", at).is_err());
    }

    #[test]
    fn a_contact_key_shorter_than_32_bytes_is_refused() {
        assert!(ContactKey::new("").is_err());
        let err = ContactKey::new("x".repeat(31)).unwrap_err();
        assert!(matches!(
            err,
            DomainError::Invalid {
                field: "contact_key",
                ..
            }
        ));
        assert!(ContactKey::new("x".repeat(32)).is_ok());
        assert!(ContactKey::new(vec![0_u8; 64]).is_ok());
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_test_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_contact_hash_is_the_hmac_of_kind_and_normalised_value() {
        let key = key(1);
        let contact = NormalisedContact::parse(ContactKind::Email, "An@Example.COM").unwrap();
        assert_eq!(
            contact_hash(&key, &contact),
            hmac_sha256_hex(&[1; 32], b"email:An@example.com")
        );
        assert_eq!(contact_hash(&key, &contact).len(), 64);
    }

    #[test]
    fn the_same_contact_typed_two_ways_hashes_the_same() {
        let key = key(1);
        let hash =
            |kind, typed| contact_hash(&key, &NormalisedContact::parse(kind, typed).unwrap());
        assert_eq!(
            hash(ContactKind::Phone, "0912345678"),
            hash(ContactKind::Phone, "+84 912 345 678")
        );
        assert_eq!(
            hash(ContactKind::Email, "An@Example.COM"),
            hash(ContactKind::Email, "An@example.com")
        );
        // The local part is kept as typed, so its case tells two mailboxes apart.
        assert_ne!(
            hash(ContactKind::Email, "An@example.com"),
            hash(ContactKind::Email, "an@example.com")
        );
        // The kind is hashed too: the same digits as a chat id are another contact.
        assert_ne!(
            hash(ContactKind::Telegram, "84912345678"),
            hash(ContactKind::Phone, "84912345678")
        );
    }

    #[test]
    fn different_keys_give_different_hashes() {
        let contact = NormalisedContact::parse(ContactKind::Phone, "0912345678").unwrap();
        assert_ne!(
            contact_hash(&key(1), &contact),
            contact_hash(&key(2), &contact)
        );
    }
}
