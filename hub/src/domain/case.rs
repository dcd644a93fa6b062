//! Cases (hồ sơ): what a citizen raised, as received, and where it stands.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use unicode_normalization::UnicodeNormalization;

use super::citizen::{CitizenId, NormalisedContact};
use super::deadline::Clocks;
use super::identity::DenouncerIdentity;
use super::staff::{Language, StaffId};
use super::workflow::Status;
use crate::error::DomainError;

/// Longest accepted content, in characters (a long letter, not a file).
pub const MAX_CONTENT_CHARS: usize = 20_000;
/// Longest accepted title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// Declares a string-backed enum with its stored names and Vietnamese labels; given an English
/// label after each Vietnamese one, also `label(Language)`, for enums that people read in
/// messages (an enum without English labels cannot be put in an English message by mistake).
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal, $vi:literal, $en:literal;)+ }) => {
        named_enum!($(#[$meta])* $name, $field { $($(#[$vmeta])* $variant => $text, $vi;)+ });

        impl $name {
            /// The label a person reads, in their language.
            pub const fn label(self, language: $crate::domain::Language) -> &'static str {
                match language {
                    $crate::domain::Language::Vi => self.label_vi(),
                    $crate::domain::Language::En => match self { $($name::$variant => $en),+ },
                }
            }
        }
    };
    ($(#[$meta:meta])* $name:ident, $field:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal, $vi:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name stored in the database and used in APIs.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The Vietnamese label a person reads.
            pub const fn label_vi(self) -> &'static str {
                match self { $($name::$variant => $vi),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = DomainError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| DomainError::invalid($field, format!("unknown value `{s}`")))
            }
        }
    };
}
pub(crate) use named_enum;

named_enum!(
    /// What kind of matter a case is; each kind has its own law and deadlines.
    CaseKind, "kind" {
        YKien => "y_kien", "Ý kiến", "Opinion";
        KienNghi => "kien_nghi", "Kiến nghị", "Petition";
        PhanAnh => "phan_anh", "Phản ánh", "Report";
        KhieuNai => "khieu_nai", "Khiếu nại", "Complaint";
        ToCao => "to_cao", "Tố cáo", "Denunciation";
        KienNghiCuTri => "kien_nghi_cu_tri", "Kiến nghị cử tri", "Voters' petition";
    }
);

named_enum!(
    /// Which time a complaint is made (Luật Khiếu nại: lần đầu, lần hai).
    ComplaintRound, "complaint_round" {
        First => "lan_1", "Khiếu nại lần đầu", "First complaint";
        Second => "lan_2", "Khiếu nại lần hai", "Second complaint";
    }
);

named_enum!(
    /// Where a case came in.
    SourceChannel, "channel" {
        Telegram => "telegram", "Telegram", "Telegram";
        Email => "email", "Thư điện tử", "Email";
        Web => "web", "Cổng thông tin", "Web portal";
        Open311 => "open311", "Open311", "Open311";
        InPerson => "in_person", "Trực tiếp", "In person";
        Post => "post", "Bưu chính", "Post";
        VoterMeeting => "voter_meeting", "Tiếp xúc cử tri", "Voters' meeting";
    }
);

named_enum!(
    /// A way to reach a person.
    ContactKind, "contact" {
        Telegram => "telegram", "Telegram", "Telegram";
        Email => "email", "Thư điện tử", "Email";
        Phone => "phone", "Điện thoại", "Phone";
    }
);

/// A case's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(pub i64);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The human-readable case code, `<prefix>.<YYYYMMDD>.<NNNN>`, e.g. `HB.20261126.0012`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseCode(String);

impl CaseCode {
    /// The code as a Telegram deep link's `start` parameter (letters, digits, `-` and `_`
    /// only), which asks the bot to follow the case: `follow-HB-20261126-0012`.
    pub fn follow_parameter(&self) -> String {
        format!("follow-{}", self.0.replace('.', "-"))
    }

    /// The code a [`CaseCode::follow_parameter`] names, if it is one.
    pub fn from_follow_parameter(parameter: &str) -> Option<Self> {
        let code = parameter.strip_prefix("follow-")?.replace('-', ".");
        Self::parse(&code).ok()
    }

    /// Builds the code of the `seq`-th case received on the council-local `day`.
    pub fn new(prefix: &str, day: NaiveDate, seq: i64) -> Self {
        Self(format!("{prefix}.{}.{seq:04}", day.format("%Y%m%d")))
    }

    /// Parses a code typed by a person; spaces around it and lower case are forgiven.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let code = input.trim().to_uppercase();
        let mut parts = code.split('.');
        let ok = matches!(
            (parts.next(), parts.next(), parts.next(), parts.next()),
            (Some(prefix), Some(day), Some(seq), None)
                if !prefix.is_empty()
                    && prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && day.len() == 8
                    && NaiveDate::parse_from_str(day, "%Y%m%d").is_ok()
                    && seq.len() >= 4
                    && seq.chars().all(|c| c.is_ascii_digit())
        );
        if ok {
            Ok(Self(code))
        } else {
            Err(DomainError::invalid(
                "code",
                format!(
                    "`{}` is not a case code like HB.20261126.0012",
                    input.trim()
                ),
            ))
        }
    }

    /// Wraps a code read back from storage.
    pub fn from_stored(code: String) -> Self {
        Self(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A way to reach the citizen of a case.
#[derive(Clone, PartialEq, Eq)]
pub struct ContactPoint {
    pub kind: ContactKind,
    pub address: String,
}

// Written by hand: the address is personal data (an email, a chat id, a phone number) and must
// not reach a log line through a `?staff` or `?case`.
impl fmt::Debug for ContactPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContactPoint")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A stored file's database id (a row of `files`: one per upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub i64);

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What is known of an attached file; the bytes live in the file store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content, also its key in the file store.
    pub sha256: String,
    /// The uploaded file (`files` row) it is; `None` for metadata recorded without an upload.
    /// On a new case the hub fills the other fields from this row, whatever the caller sent.
    pub file_id: Option<FileId>,
}

/// A case as a citizen (or staff on their behalf) submits it.
#[derive(Clone)]
pub struct NewCase {
    pub kind: CaseKind,
    /// Required for `khieu_nai`, absent otherwise.
    pub complaint_round: Option<ComplaintRound>,
    /// For a second complaint: the code of the first.
    pub first_case: Option<CaseCode>,
    pub title: String,
    pub content: String,
    pub area: Option<String>,
    pub category: Option<String>,
    pub channel: SourceChannel,
    /// The citizen's name; for `to_cao` it goes in `denouncer` instead.
    pub citizen_name: Option<String>,
    /// The citizen's postal address, where the law needs it (a complaint); personal data.
    pub citizen_address: Option<String>,
    /// The citizen's personal identification number (số định danh cá nhân, căn cước or a
    /// passport), which the law asks of a complainant; personal data.
    pub citizen_id_number: Option<String>,
    pub contacts: Vec<ContactPoint>,
    pub attachments: Vec<Attachment>,
    pub publication_consent: bool,
    pub complex: bool,
    pub remote_area: bool,
    /// Required for `to_cao`, absent otherwise: stored apart, behind a capability.
    pub denouncer: Option<DenouncerIdentity>,
    /// What identifies the submission at its source (a Telegram update, an email's Message-ID,
    /// a demo key): unique, so a replayed submission makes no second case.
    pub source_ref: Option<String>,
    /// The language the citizen wrote in and is answered in.
    pub language: Language,
}

// Written by hand so that a `?new_case` in a log line shows no personal data.
impl fmt::Debug for NewCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCase")
            .field("kind", &self.kind)
            .field("complaint_round", &self.complaint_round)
            .field("channel", &self.channel)
            .field("area", &self.area)
            .field("category", &self.category)
            .field("contacts", &self.contacts.len())
            .field("attachments", &self.attachments.len())
            .field("source_ref", &self.source_ref)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// NFC-normalises and trims text, and checks its length.
pub fn clean_text(
    field: &'static str,
    text: &str,
    max_chars: usize,
    required: bool,
) -> Result<String, DomainError> {
    let text: String = text.trim().nfc().collect();
    if required && text.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("is {chars} characters long; at most {max_chars} are accepted"),
        ));
    }
    Ok(text)
}

impl NewCase {
    /// Checks the kind-specific rules and normalises every text to NFC.
    pub fn validate(mut self) -> Result<NewCase, DomainError> {
        self.title = clean_text("title", &self.title, MAX_TITLE_CHARS, false)?;
        self.content = clean_text("content", &self.content, MAX_CONTENT_CHARS, true)?;
        if let Some(source) = &self.source_ref {
            self.source_ref = Some(clean_text("source_ref", source, 500, true)?);
        }
        if let Some(name) = &self.citizen_name {
            self.citizen_name = Some(clean_text("citizen_name", name, 200, true)?);
        }
        if let Some(address) = &self.citizen_address {
            self.citizen_address = Some(clean_text("citizen_address", address, 500, true)?);
        }
        if let Some(number) = &self.citizen_id_number {
            self.citizen_id_number = Some(id_number("citizen_id_number", number)?);
        }
        // One normal form per kind (E.164 phones, lower-case email domains), so the same
        // person typing the same address twice is recognised as one citizen.
        for contact in &mut self.contacts {
            *contact = NormalisedContact::try_from(&*contact)?.into();
        }
        match (self.kind, self.complaint_round, &self.first_case) {
            (CaseKind::KhieuNai, None, _) => {
                return Err(DomainError::invalid(
                    "complaint_round",
                    "a complaint must say whether it is the first or the second",
                ));
            }
            (CaseKind::KhieuNai, Some(ComplaintRound::Second), None) => {
                return Err(DomainError::invalid(
                    "first_case",
                    "a second complaint must name the first complaint's code",
                ));
            }
            (CaseKind::KhieuNai, Some(ComplaintRound::First), Some(_)) => {
                return Err(DomainError::invalid(
                    "first_case",
                    "only a second complaint links to a first",
                ));
            }
            (CaseKind::KhieuNai, _, _) => {}
            (_, None, None) => {}
            _ => {
                return Err(DomainError::invalid(
                    "complaint_round",
                    "only a complaint has a round",
                ));
            }
        }
        match (self.kind, &mut self.denouncer) {
            (CaseKind::ToCao, None) => {
                return Err(DomainError::invalid(
                    "denouncer",
                    "a denunciation needs the denouncer's identity",
                ));
            }
            (CaseKind::ToCao, Some(identity)) => {
                if self.citizen_name.is_some()
                    || self.citizen_address.is_some()
                    || self.citizen_id_number.is_some()
                    || !self.contacts.is_empty()
                {
                    return Err(DomainError::invalid(
                        "denouncer",
                        "a denouncer's name and contacts belong in the sealed identity only",
                    ));
                }
                identity.normalise()?;
                self.publication_consent = false;
            }
            (_, Some(_)) => {
                return Err(DomainError::invalid(
                    "denouncer",
                    "only a denunciation has a sealed identity",
                ));
            }
            (_, None) => {}
        }
        Ok(self)
    }
}

/// What staff found about a case that changes its clocks; the law wants complexity found in
/// writing, so the flags carry their reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFlags {
    /// The council itself is the competent body (rare for khiếu nại and tố cáo): its clock is
    /// then thụ lý, and the resolver's clock is its own.
    pub competent: bool,
    pub complex: bool,
    /// Luật Tố cáo art. 30: may be extended twice (NĐ 31/2019 art. 3: two criteria or more).
    pub especially_complex: bool,
    /// vùng sâu, vùng xa.
    pub remote_area: bool,
    /// A kiến nghị or phản ánh on an administrative regulation (NĐ 20/2008 art. 9).
    pub regulation: bool,
    /// Why the case is complex, remote or on a regulation, as staff wrote it.
    pub reason: Option<String>,
}

/// The mutable part of a case: its status and the facts its clocks depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseProgress {
    pub status: Status,
    pub accepted_on: Option<NaiveDate>,
    pub forwarded_on: Option<NaiveDate>,
    pub forwarded_unit: Option<String>,
    pub unit_accepted_on: Option<NaiveDate>,
    /// The unit's result recorded: the relay clock starts.
    pub result_on: Option<NaiveDate>,
    pub assignee: Option<StaffId>,
    pub answer: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub flags: CaseFlags,
    /// Where a question (needs_info) or a suspension returns to.
    pub resume_status: Option<Status>,
    /// Set while a question pauses the council clock (only where the profile allows it).
    pub council_paused_on: Option<NaiveDate>,
    pub council_paused_days: u32,
    /// Set while suspended (tạm đình chỉ); finished suspensions add their days.
    pub suspended_on: Option<NaiveDate>,
    pub suspended_days: u32,
    pub extensions: u32,
    /// The clocks as last computed from the facts above and the profile.
    pub clocks: Clocks,
}

/// The public copy of a case: a redacted title and excerpt written by staff. The official
/// answer, when there is one, is shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub title: String,
    pub summary: String,
    pub published_at: DateTime<Utc>,
}

impl Publication {
    /// Checks that `case` may be published at all, and cleans the texts.
    pub fn new(
        case: &Case,
        title: &str,
        summary: &str,
        at: DateTime<Utc>,
    ) -> Result<Publication, DomainError> {
        if case.kind == CaseKind::ToCao {
            return Err(DomainError::Forbidden(
                "a denunciation is never published".to_owned(),
            ));
        }
        if !case.publication_consent {
            return Err(DomainError::Forbidden(format!(
                "the citizen of case {} did not consent to publication",
                case.code
            )));
        }
        Ok(Publication {
            title: clean_text("public_title", title, MAX_TITLE_CHARS, true)?,
            summary: clean_text("public_summary", summary, 5_000, true)?,
            published_at: at,
        })
    }
}

/// A personal identification number as the law accepts it: the twelve digits of a số định
/// danh cá nhân (on the căn cước), or a passport's one or two letters and six to eight digits.
/// Spaces and dots people type between groups are dropped; `field` names it in the error.
pub fn id_number(field: &'static str, text: &str) -> Result<String, DomainError> {
    let number: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .collect::<String>()
        .to_uppercase();
    let letters = number.chars().take_while(char::is_ascii_uppercase).count();
    let digits = &number[letters..];
    let all_digits = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
    let valid = match letters {
        0 => all_digits && digits.len() == 12,
        1 | 2 => all_digits && (6..=8).contains(&digits.len()),
        _ => false,
    };
    if valid {
        Ok(number)
    } else {
        Err(DomainError::invalid(
            field,
            "số định danh cá nhân gồm 12 chữ số, hoặc số hộ chiếu (a personal identification \
             number has 12 digits; or give a passport number)",
        ))
    }
}

/// A stored case.
#[derive(Clone, PartialEq, Eq)]
pub struct Case {
    pub id: CaseId,
    pub code: CaseCode,
    pub kind: CaseKind,
    pub complaint_round: Option<ComplaintRound>,
    pub first_case_id: Option<CaseId>,
    pub title: String,
    pub content: String,
    pub area: Option<String>,
    pub category: Option<String>,
    pub channel: SourceChannel,
    pub citizen_name: Option<String>,
    pub citizen_address: Option<String>,
    /// A complainant's personal identification number; personal data.
    pub citizen_id_number: Option<String>,
    pub contacts: Vec<ContactPoint>,
    pub attachments: Vec<Attachment>,
    pub publication_consent: bool,
    /// The citizen who filed it; never set for a denunciation, nor for an anonymous walk-in.
    pub citizen: Option<CitizenId>,
    /// The language the citizen reads: theirs once linked, else the case's own.
    pub language: Language,
    /// The public copy, once staff published the case.
    pub publication: Option<Publication>,
    pub source_ref: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The council-local date of receipt: day 0 of the council clock.
    pub received_on: NaiveDate,
    pub progress: CaseProgress,
    /// Bumped by every change; a change names the version it read.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

// Written by hand: the citizen's name, contacts, title and content are personal data and must
// not reach a log line through a `?case`.
impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .field("code", &self.code)
            .field("kind", &self.kind)
            .field("channel", &self.channel)
            .field("contacts", &self.contacts.len())
            .field("attachments", &self.attachments.len())
            .field("citizen", &self.citizen)
            .field("language", &self.language)
            .field("received_on", &self.received_on)
            .field("progress", &self.progress)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_number_is_twelve_digits_or_a_passport_as_people_type_them() {
        for (typed, kept) in [
            ("001099012345", "001099012345"),
            ("001 099 012 345", "001099012345"),
            ("001.099.012.345", "001099012345"),
            ("c1234567", "C1234567"),
            ("B 12345678", "B12345678"),
        ] {
            assert_eq!(id_number("id_number", typed).unwrap(), kept, "{typed}");
        }
        for wrong in [
            "",
            "12345",
            "123456789",
            "0010990123456",
            "ABC123456",
            "C12",
            "0012X9012345",
        ] {
            let error = id_number("citizen_id_number", wrong).unwrap_err();
            assert!(error.to_string().contains("12 chữ số"), "{wrong}: {error}");
        }
    }

    #[test]
    fn a_denouncers_id_number_belongs_in_the_sealed_identity_only() {
        let mut case = opinion();
        case.kind = CaseKind::ToCao;
        case.citizen_name = None;
        case.citizen_id_number = Some("001099012345".to_owned());
        case.denouncer = Some(DenouncerIdentity {
            full_name: "Trần Thị Bình".to_owned(),
            phone: None,
            email: None,
            address: None,
            id_number: None,
            chosen_contact: None,
        });
        assert!(case.clone().validate().is_err());
        case.citizen_id_number = None;
        assert!(case.validate().is_ok(), "the same case without it is valid");
    }

    fn opinion() -> NewCase {
        NewCase {
            kind: CaseKind::YKien,
            complaint_round: None,
            first_case: None,
            title: "Đèn đường".to_owned(),
            content: "Đèn đường ngõ 12 bị hỏng.".to_owned(),
            area: None,
            category: None,
            channel: SourceChannel::Web,
            citizen_name: Some("Nguyễn Văn An".to_owned()),
            citizen_address: None,
            citizen_id_number: None,
            contacts: vec![],
            attachments: vec![],
            publication_consent: true,
            complex: false,
            remote_area: false,
            denouncer: None,
            source_ref: None,
            language: Language::Vi,
        }
    }

    #[test]
    fn content_is_normalised_to_nfc() {
        // "kiến" typed with combining marks (NFD) becomes the precomposed form.
        let nfd: String = "kiến nghị".nfd().collect();
        assert_ne!(nfd, "kiến nghị");
        let case = NewCase {
            content: format!("  {nfd}  "),
            ..opinion()
        }
        .validate()
        .unwrap();
        assert_eq!(case.content, "kiến nghị");
    }

    #[test]
    fn empty_content_is_refused() {
        let err = NewCase {
            content: " \n".to_owned(),
            ..opinion()
        }
        .validate()
        .unwrap_err();
        assert!(matches!(
            err,
            DomainError::Invalid {
                field: "content",
                ..
            }
        ));
    }

    #[test]
    fn complaints_need_a_round_and_a_second_needs_the_first() {
        let complaint = NewCase {
            kind: CaseKind::KhieuNai,
            ..opinion()
        };
        assert!(complaint.clone().validate().is_err());
        let second = NewCase {
            complaint_round: Some(ComplaintRound::Second),
            ..complaint.clone()
        };
        assert!(second.clone().validate().is_err());
        let linked = NewCase {
            first_case: Some(CaseCode::parse("HB.20261101.0001").unwrap()),
            ..second
        };
        assert!(linked.validate().is_ok());
        let round_on_opinion = NewCase {
            complaint_round: Some(ComplaintRound::First),
            ..opinion()
        };
        assert!(round_on_opinion.validate().is_err());
    }

    #[test]
    fn a_denunciation_keeps_names_only_in_the_sealed_identity() {
        let identity = DenouncerIdentity {
            full_name: "Trần Thị Bình".to_owned(),
            phone: Some("0900000001".to_owned()),
            email: None,
            address: None,
            id_number: None,
            chosen_contact: None,
        };
        let named = NewCase {
            kind: CaseKind::ToCao,
            denouncer: Some(identity.clone()),
            ..opinion()
        };
        assert!(
            named.validate().is_err(),
            "citizen_name must be empty for to_cao"
        );
        let sealed = NewCase {
            kind: CaseKind::ToCao,
            citizen_name: None,
            denouncer: Some(identity),
            ..opinion()
        }
        .validate()
        .unwrap();
        assert!(
            !sealed.publication_consent,
            "a denunciation is never published"
        );
        assert!(!format!("{sealed:?}").contains("Bình"));
    }

    #[test]
    fn a_contact_point_debug_shows_the_kind_and_not_the_address() {
        let point = ContactPoint {
            kind: ContactKind::Email,
            address: "an@example.com".to_owned(),
        };
        assert_eq!(format!("{point:?}"), "ContactPoint { kind: Email, .. }");
    }

    #[test]
    fn case_codes_parse_forgivingly_and_refuse_garbage() {
        let code = CaseCode::new("HB", "2026-11-26".parse().unwrap(), 12);
        assert_eq!(code.as_str(), "HB.20261126.0012");
        assert_eq!(CaseCode::parse(" hb.20261126.0012 ").unwrap(), code);
        for bad in [
            "",
            "HB",
            "HB.2026.0001",
            "HB.20261340.0001",
            "HB.20261126.12",
            "../etc",
        ] {
            assert!(CaseCode::parse(bad).is_err(), "{bad} must be refused");
        }
    }
}
