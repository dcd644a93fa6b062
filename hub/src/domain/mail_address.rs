//! Signed addresses on the council's mailbox, so that mail coming back finds its way without
//! trusting what anyone typed:
//!
//! - the reply address of a case, `<local>+<code>.<tag>@<domain>`, set as Reply-To on every
//!   mail about the case: a reply to it belongs to that case;
//! - the bounce address of an outbox row, `<local>-bounce+<id>.<tag>@<domain>` (VERP), the
//!   Return-Path of every mail: a delivery report to it names the row that failed.
//!
//! The tag is the first 80 bits of HMAC-SHA256 over the kind and the value, in lower-case hex,
//! under [`MailKey`] (a sub-key of the hub's [`ContactKey`]): mail systems may change the case
//! of a local part, so the whole address is read case-insensitively, and nobody can point an
//! address at another case or row.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::case::CaseCode;
use super::citizen::ContactKey;
use super::token::{constant_time_eq, hex};

/// Bytes of the HMAC kept: 80 bits, 20 hex digits.
const TAG_BYTES: usize = 10;
/// The label the sub-key is derived with; a new version makes every old address invalid.
const KEY_LABEL: &[u8] = b"hdnd/mail-address/v1";

/// The key the signed addresses are made with.
#[derive(Clone, PartialEq, Eq)]
pub struct MailKey([u8; 32]);

impl MailKey {
    /// The sub-key of `key` for mail addresses.
    pub fn derive(key: &ContactKey) -> Self {
        Self(key.derive(KEY_LABEL))
    }

    fn tag(&self, kind: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC accepts a key of any length");
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes()[..TAG_BYTES])
    }

    /// The reply address of case `code` on `mailbox` (`hdnd@hongbang.example`); `None` when
    /// `mailbox` is not an address.
    pub fn reply_address(&self, mailbox: &str, code: &CaseCode) -> Option<String> {
        let (local, domain) = split(mailbox)?;
        let code = code.as_str().to_lowercase();
        let tag = self.tag("case", &code);
        Some(format!("{local}+{code}.{tag}@{domain}"))
    }

    /// The bounce address of outbox row `id` on `mailbox`.
    pub fn bounce_address(&self, mailbox: &str, id: i64) -> Option<String> {
        let (local, domain) = split(mailbox)?;
        let tag = self.tag("bounce", &id.to_string());
        Some(format!("{local}-bounce+{id}.{tag}@{domain}"))
    }

    /// The address a staff member confirms by: `<local>+x<inbound id>.<staff id>.<tag>@…`,
    /// naming the stored mail whose answer they confirm, and them.
    pub fn confirm_address(&self, mailbox: &str, inbound: i64, staff: i64) -> Option<String> {
        let (local, domain) = split(mailbox)?;
        let value = format!("{inbound}.{staff}");
        let tag = self.tag("confirm", &value);
        Some(format!("{local}+x{value}.{tag}@{domain}"))
    }

    /// The key a mail is known by across deliveries: the tag of its sender and Message-ID,
    /// so that neither address nor id is stored in it.
    pub fn message_key(&self, from: &str, message_id: &str) -> String {
        let value = format!("{}\n{}", from.trim().to_lowercase(), message_id.trim());
        self.tag("message-id", &value)
    }

    /// The address replies to internal message `id` come back to: `<local>+m<id>.<tag>@…`.
    pub fn message_address(&self, mailbox: &str, id: i64) -> Option<String> {
        let (local, domain) = split(mailbox)?;
        let tag = self.tag("message", &id.to_string());
        Some(format!("{local}+m{id}.{tag}@{domain}"))
    }

    /// What a signed address on `mailbox` names, if `address` is one and its tag holds.
    pub fn read(&self, mailbox: &str, address: &str) -> Option<Signed> {
        let (local, domain) = split(mailbox)?;
        let (their_local, their_domain) = split(address)?;
        if !their_domain.eq_ignore_ascii_case(&domain) {
            return None;
        }
        let their_local = their_local.to_lowercase();
        let (value, tag) = their_local.rsplit_once('.')?;
        let signed = |kind: &str, value: &str| {
            constant_time_eq(tag.as_bytes(), self.tag(kind, value).as_bytes())
        };
        // Each kind is tried on its own: a case code may begin with the letter that marks
        // another kind (a commune's `XA.…`), and only the kind whose tag holds is it.
        if let Some(value) = value.strip_prefix(&format!("{local}+x"))
            && signed("confirm", value)
        {
            let (inbound, staff) = value.split_once('.')?;
            return Some(Signed::Confirm(inbound.parse().ok()?, staff.parse().ok()?));
        }
        if let Some(id) = value.strip_prefix(&format!("{local}+m"))
            && signed("message", id)
        {
            return Some(Signed::Message(id.parse().ok()?));
        }
        if let Some(code) = value.strip_prefix(&format!("{local}+"))
            && signed("case", code)
        {
            return CaseCode::parse(code).ok().map(Signed::Case);
        }
        let id = value.strip_prefix(&format!("{local}-bounce+"))?;
        signed("bounce", id)
            .then(|| id.parse().ok())
            .flatten()
            .map(Signed::Bounce)
    }
}

impl MailKey {
    /// The token of a link that withdraws case `code` until `expires` (Unix seconds):
    /// `<code>.<expires>.<tag>`, lower-case, for the mail that answers RÚT ĐƠN.
    pub fn withdrawal_token(&self, code: &CaseCode, expires: i64) -> String {
        let value = format!("{}.{expires}", code.as_str().to_lowercase());
        let tag = self.tag("withdraw", &value);
        format!("{value}.{tag}")
    }

    /// The case and expiry a withdrawal token names, if its tag holds.
    pub fn read_withdrawal(&self, token: &str) -> Option<(CaseCode, i64)> {
        let token = token.trim().to_lowercase();
        let (value, tag) = token.rsplit_once('.')?;
        let expected = self.tag("withdraw", value);
        if !constant_time_eq(tag.as_bytes(), expected.as_bytes()) {
            return None;
        }
        let (code, expires) = value.rsplit_once('.')?;
        Some((CaseCode::parse(code).ok()?, expires.parse().ok()?))
    }
}

// Never print the secret.
impl fmt::Debug for MailKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailKey(<secret>)")
    }
}

/// What a signed address names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// A reply about this case.
    Case(CaseCode),
    /// A delivery report about this outbox row.
    Bounce(i64),
    /// Staff member `.1` confirms what their stored mail `.0` asked.
    Confirm(i64, i64),
    /// A reply to this internal message.
    Message(i64),
}

/// `local@domain`, the local part lower-cased, without a `+detail` of its own.
fn split(address: &str) -> Option<(String, String)> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, domain) = address.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    Some((local.to_lowercase(), domain.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAILBOX: &str = "hdnd@hongbang.example";

    fn key() -> MailKey {
        MailKey::derive(&ContactKey::new("a fictional contact key of 32+ bytes").unwrap())
    }

    fn code() -> CaseCode {
        CaseCode::parse("HB.20261201.0003").unwrap()
    }

    #[test]
    fn a_confirmation_address_names_the_mail_and_the_member_and_nothing_else() {
        let key = key();
        let address = key.confirm_address(MAILBOX, 17, 3).unwrap();
        assert!(address.starts_with("hdnd+x17.3."), "{address}");
        assert_eq!(key.read(MAILBOX, &address), Some(Signed::Confirm(17, 3)));
        assert_eq!(key.read(MAILBOX, &address.replace("x17.3", "x17.4")), None);
        assert_eq!(key.read(MAILBOX, &address.replace("x17.3", "x18.3")), None);
    }

    #[test]
    fn a_case_code_that_begins_like_another_kind_is_still_a_case() {
        let key = key();
        for prefix in ["XA", "MT", "X", "M"] {
            let code = CaseCode::parse(&format!("{prefix}.20261201.0003")).unwrap();
            let address = key.reply_address(MAILBOX, &code).unwrap();
            assert_eq!(
                key.read(MAILBOX, &address),
                Some(Signed::Case(code)),
                "{address}"
            );
        }
        let message = key.message_address(MAILBOX, 42).unwrap();
        assert_eq!(key.read(MAILBOX, &message), Some(Signed::Message(42)));
    }

    #[test]
    fn a_withdrawal_token_reads_back_and_no_changed_part_does() {
        let key = key();
        let token = key.withdrawal_token(&code(), 1_800_000_000);
        assert_eq!(key.read_withdrawal(&token), Some((code(), 1_800_000_000)));
        assert_eq!(
            key.read_withdrawal(&token.to_uppercase()),
            Some((code(), 1_800_000_000))
        );
        let later = token.replace("1800000000", "1900000000");
        assert_eq!(key.read_withdrawal(&later), None);
        let other = token.replace("0003", "0004");
        assert_eq!(key.read_withdrawal(&other), None);
        assert_eq!(key.read_withdrawal("hb.20261201.0003.1800000000"), None);
        // A reply address's tag does not sign a withdrawal.
        let address = key.reply_address(MAILBOX, &code()).unwrap();
        let tag = address
            .split('.')
            .next_back()
            .unwrap()
            .split('@')
            .next()
            .unwrap();
        assert_eq!(
            key.read_withdrawal(&format!("hb.20261201.0003.1800000000.{tag}")),
            None
        );
    }

    #[test]
    fn a_reply_and_a_bounce_address_read_back_whatever_their_case() {
        let key = key();
        let reply = key.reply_address(MAILBOX, &code()).unwrap();
        assert!(reply.starts_with("hdnd+hb.20261201.0003."), "{reply}");
        assert!(
            reply.split('@').next().unwrap().len() <= 64,
            "RFC 5321's local part"
        );
        assert_eq!(key.read(MAILBOX, &reply), Some(Signed::Case(code())));
        assert_eq!(
            key.read(MAILBOX, &reply.to_uppercase()),
            Some(Signed::Case(code()))
        );
        let bounce = key.bounce_address(MAILBOX, 42).unwrap();
        assert!(bounce.starts_with("hdnd-bounce+42."), "{bounce}");
        assert_eq!(
            key.read(MAILBOX, &format!("<{bounce}>")),
            Some(Signed::Bounce(42))
        );
    }

    #[test]
    fn a_tampered_address_or_another_mailbox_or_key_names_nothing() {
        let key = key();
        let reply = key.reply_address(MAILBOX, &code()).unwrap();
        let other_case = reply.replace("0003", "0004");
        let bounce = key.bounce_address(MAILBOX, 42).unwrap();
        let other_row = bounce.replace("+42.", "+43.");
        let other_domain = reply.replace("hongbang.example", "evil.example");
        for forged in [
            other_case.as_str(),
            other_row.as_str(),
            other_domain.as_str(),
            "hdnd+hb.20261201.0003@hongbang.example",
            "hdnd@hongbang.example",
            "khong-phai-dia-chi",
        ] {
            assert_eq!(key.read(MAILBOX, forged), None, "{forged}");
        }
        let other_key =
            MailKey::derive(&ContactKey::new("another fictional key of 32+ bytes").unwrap());
        assert_eq!(other_key.read(MAILBOX, &reply), None);
        assert!(!format!("{key:?}").contains("fictional"));
    }
}
