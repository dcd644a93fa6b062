//! The pure half of routing an inbound mail: what its headers, recipients, subject and first
//! line say, before the hub is asked whether the sender may act on the case they name.
//!
//! In order: a Message-ID of ours in In-Reply-To or References (the thread roots are
//! `<CODE.recipient@domain>`) names the case; a signed plus-address in To names it; a `[CODE]`
//! tag in the subject names it, to be trusted only from the case's known, verified sender;
//! otherwise the mail is a new case, of the kind its subject and first lines suggest. Words are
//! compared without diacritics or case ("khieu nai" is "Khiếu nại"), as people type on phones.

use hdnd_hub::domain::{CaseCode, CaseKind, Language, MailKey, Signed};
use unicode_normalization::UnicodeNormalization;

use crate::parse::ParsedMail;

/// The case a mail names, and how sure that is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// A reply in one of our threads: the case's thread root is among its references.
    Thread(CaseCode),
    /// Sent to the case's signed reply address: as good as the private link.
    SignedAddress(CaseCode),
    /// A `[CODE]` in the subject: only from the case's own verified sender.
    SubjectTag(CaseCode),
}

impl Named {
    pub fn code(&self) -> &CaseCode {
        match self {
            Named::Thread(code) | Named::SignedAddress(code) | Named::SubjectTag(code) => code,
        }
    }
}

/// The case `mail` names, if any: `domain` is our Message-IDs' domain, `mailbox` the council's
/// own address whose signed plus-addresses `key` reads.
pub fn named_case(mail: &ParsedMail, domain: &str, mailbox: &str, key: &MailKey) -> Option<Named> {
    let ours = |id: &String| {
        let (local, at) = id.rsplit_once('@')?;
        if !at.eq_ignore_ascii_case(domain) {
            return None;
        }
        // `HB.20261201.0003.c1`: the code is the first three dot-separated parts.
        let mut parts = local.splitn(4, '.');
        let code = [parts.next()?, parts.next()?, parts.next()?].join(".");
        CaseCode::parse(&code).ok()
    };
    if let Some(code) = mail
        .in_reply_to
        .iter()
        .chain(&mail.references)
        .find_map(ours)
    {
        return Some(Named::Thread(code));
    }
    let signed = mail.to.iter().find_map(|to| match key.read(mailbox, to) {
        Some(Signed::Case(code)) => Some(code),
        _ => None,
    });
    if let Some(code) = signed {
        return Some(Named::SignedAddress(code));
    }
    subject_tag(&mail.subject).map(Named::SubjectTag)
}

/// The first `[CODE]` in a subject that is a case code.
pub fn subject_tag(subject: &str) -> Option<CaseCode> {
    subject
        .split('[')
        .skip(1)
        .filter_map(|rest| rest.split_once(']'))
        .find_map(|(inside, _)| CaseCode::parse(inside).ok())
}

/// What a reply's first line asks, diacritics and case optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// TRẠNG THÁI / STATUS: the case's status, by return.
    Status,
    /// RÚT ĐƠN / WITHDRAW: withdraw it, once confirmed by a link.
    Withdraw,
}

/// The command on the first non-empty line of `reply`, if that line is only the command.
pub fn command(reply: &str) -> Option<Command> {
    let first = reply.lines().map(str::trim).find(|l| !l.is_empty())?;
    let word = fold(first.trim_end_matches(['.', '!', ':']));
    match word.as_str() {
        "trang thai" | "status" => Some(Command::Status),
        "rut don" | "rut ho so" | "withdraw" => Some(Command::Withdraw),
        _ => None,
    }
}

/// The kind a new case's subject and first lines suggest; `None` leaves it to staff triage.
/// The weightier kinds win: a mail that says both "khiếu nại" and "kiến nghị" is a complaint.
pub fn guess_kind(subject: &str, text: &str) -> Option<CaseKind> {
    let head: String = text.lines().take(5).collect::<Vec<_>>().join(" ");
    let words = format!(" {} {} ", fold(subject), fold(&head));
    let words: String = words
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let has = |phrase: &str| words.contains(&format!(" {phrase} "));
    [
        ("to cao", CaseKind::ToCao),
        ("khieu nai", CaseKind::KhieuNai),
        ("kien nghi", CaseKind::KienNghi),
        ("phan anh", CaseKind::PhanAnh),
        ("y kien", CaseKind::YKien),
        ("gop y", CaseKind::YKien),
    ]
    .into_iter()
    .find(|(phrase, _)| has(phrase))
    .map(|(_, kind)| kind)
}

/// The language a new case's mail is written in: English when it has none of Vietnamese's
/// letters or tone marks and reads like English; Vietnamese, the default, otherwise.
pub fn guess_language(subject: &str, text: &str) -> Language {
    let head: String = format!("{subject} {}", text.chars().take(2_000).collect::<String>());
    let vietnamese = head.nfd().any(|c| {
        ('\u{0300}'..='\u{0323}').contains(&c) || matches!(c, 'đ' | 'Đ' | 'ơ' | 'Ơ' | 'ư' | 'Ư')
    });
    if vietnamese {
        return Language::Vi;
    }
    let english = head
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| {
            matches!(
                w.to_lowercase().as_str(),
                "the" | "and" | "is" | "of" | "to" | "please" | "my" | "our" | "we" | "dear"
            )
        })
        .count();
    if english >= 3 {
        Language::En
    } else {
        Language::Vi
    }
}

/// A subject without the `Re:`, `Fwd:`, `TL:` (trả lời) and `CT:` (chuyển tiếp) its
/// clients put before it.
pub fn without_reply_prefix(subject: &str) -> &str {
    let mut rest = subject.trim();
    loop {
        let Some((prefix, after)) = rest.split_once(':') else {
            return rest;
        };
        let prefix = fold(prefix.trim());
        if !matches!(
            prefix.as_str(),
            "re" | "fw" | "fwd" | "tl" | "ct" | "aw" | "sv" | "tr"
        ) {
            return rest;
        }
        rest = after.trim_start();
    }
}

/// `text` lower-cased without diacritics: "Khiếu nại" is "khieu nai", "đơn" is "don".
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use hdnd_hub::domain::ContactKey;

    use super::*;

    const MAILBOX: &str = "hdnd@hongbang.example";

    fn key() -> MailKey {
        MailKey::derive(&ContactKey::new("a fictional contact key of 32+ bytes").unwrap())
    }

    fn mail() -> ParsedMail {
        crate::parse(b"From: a@example.com\r\nSubject: x\r\n\r\nx\r\n").unwrap()
    }

    fn code(text: &str) -> CaseCode {
        CaseCode::parse(text).unwrap()
    }

    #[test]
    fn a_thread_of_ours_comes_first_then_the_signed_address_then_the_subject_tag() {
        let key = key();
        let signed = key
            .reply_address(MAILBOX, &code("HB.20261201.0002"))
            .unwrap();
        let mut m = mail();
        m.subject = "Re: [HB.20261201.0003] Hồ sơ".to_owned();
        m.to = vec![signed.to_lowercase()];
        m.references = vec![
            "CAx@mail.example.net".to_owned(),
            "HB.20261201.0001.c4@hongbang.example".to_owned(),
        ];
        let named = |m: &ParsedMail| named_case(m, "hongbang.example", MAILBOX, &key);
        assert_eq!(named(&m), Some(Named::Thread(code("HB.20261201.0001"))));
        m.references.clear();
        assert_eq!(
            named(&m),
            Some(Named::SignedAddress(code("HB.20261201.0002")))
        );
        m.to = vec!["hdnd+hb.20261201.0002.0000000000@hongbang.example".to_owned()];
        assert_eq!(named(&m), Some(Named::SubjectTag(code("HB.20261201.0003"))));
        m.subject = "Đèn hỏng".to_owned();
        m.in_reply_to = vec!["HB.20261201.0001.c4@other.example".to_owned()];
        assert_eq!(
            named(&m),
            None,
            "another domain's id, a forged tag, no code"
        );
    }

    #[test]
    fn commands_are_read_with_or_without_diacritics_and_only_alone_on_the_first_line() {
        for (reply, want) in [
            ("TRẠNG THÁI", Some(Command::Status)),
            ("trang thai\n\n> quoted", Some(Command::Status)),
            ("Status.", Some(Command::Status)),
            ("RÚT ĐƠN", Some(Command::Withdraw)),
            ("rut don", Some(Command::Withdraw)),
            ("WITHDRAW", Some(Command::Withdraw)),
            ("Tôi muốn biết trạng thái hồ sơ", None),
            ("", None),
        ] {
            assert_eq!(command(reply), want, "{reply:?}");
        }
    }

    #[test]
    fn the_language_is_vietnamese_unless_the_mail_reads_like_english() {
        assert_eq!(guess_language("Đèn hỏng", "Đèn ngõ 12 hỏng."), Language::Vi);
        // Typed without diacritics on a phone: still Vietnamese.
        assert_eq!(
            guess_language("Den hong", "Den ngo 12 hong roi"),
            Language::Vi
        );
        assert_eq!(
            guess_language(
                "Street light",
                "Dear council, the light of our lane is out. Please fix it."
            ),
            Language::En
        );
    }

    #[test]
    fn reply_and_forward_prefixes_leave_the_subject() {
        assert_eq!(without_reply_prefix("Re: TL: Fwd: Đèn hỏng"), "Đèn hỏng");
        assert_eq!(
            without_reply_prefix("Kiến nghị: đèn hỏng"),
            "Kiến nghị: đèn hỏng"
        );
        assert_eq!(without_reply_prefix("RE:re: x"), "x");
    }

    #[test]
    fn the_kind_is_guessed_from_the_subject_and_first_lines_the_weightier_first() {
        for (subject, text, want) in [
            (
                "Đơn khiếu nại quyết định thu hồi đất",
                "",
                Some(CaseKind::KhieuNai),
            ),
            ("To cao can bo", "", Some(CaseKind::ToCao)),
            ("Kiến nghị sửa đường", "", Some(CaseKind::KienNghi)),
            (
                "Về việc đèn đường",
                "Tôi xin phản ánh đèn ngõ 12 hỏng.",
                Some(CaseKind::PhanAnh),
            ),
            (
                "Kiến nghị",
                "Nay tôi làm đơn khiếu nại …",
                Some(CaseKind::KhieuNai),
            ),
            ("Góp ý dự thảo", "", Some(CaseKind::YKien)),
            ("Xin chào", "Đèn ngõ 12 hỏng.", None),
            ("Nhà cao tầng", "", None),
        ] {
            assert_eq!(guess_kind(subject, text), want, "{subject:?} {text:?}");
        }
    }
}
