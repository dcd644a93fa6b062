//! What the public says back: a citizen's rating of the answer to their case, and people
//! following a published case.
//!
//! A rating is a score from 1 to 5, an optional comment and, apart from both, whether the
//! citizen is *not satisfied* and wants the case looked at again. That wish reopens an answered
//! or explained case (the workflow's reopening edge) only within the window the council profile
//! sets (`[feedback] reopen_within_days`, council policy, not law), counted from the day of the
//! answer; outside it, or for a case closed without an answer, the rating is stored all the
//! same and the caller is told that nothing reopened.
//!
//! A follow is a contact (a Telegram chat or an email address) that hears of every status
//! change of one published case. The contact is personal data: no `Debug` here prints it, nor
//! the follow's unsubscribe token.

use std::fmt;

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::case::{CaseCode, CaseId, ContactKind, clean_text};
use super::citizen::NormalisedContact;
use super::staff::Language;
use crate::error::DomainError;

/// Longest accepted comment on a rating, in characters.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// The default of `[feedback] reopen_within_days`.
pub const DEFAULT_REOPEN_WITHIN_DAYS: u32 = 30;

/// The most `[feedback] reopen_within_days` may be: a year.
pub const MAX_REOPEN_WITHIN_DAYS: u32 = 366;

/// `[feedback]` of the council profile: council policy, not law. No statute gives a citizen a
/// period in which "not satisfied" reopens a case; a second complaint (khiếu nại lần 2) or a
/// new petition is the legal path, and stays open whatever is set here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedbackPolicy {
    /// Calendar days after the day of the answer during which a citizen who is not satisfied
    /// reopens the case; the day of the answer is day 0.
    pub reopen_within_days: u32,
}

impl Default for FeedbackPolicy {
    fn default() -> Self {
        Self {
            reopen_within_days: DEFAULT_REOPEN_WITHIN_DAYS,
        }
    }
}

impl FeedbackPolicy {
    /// The last day on which "not satisfied" reopens a case answered on `answered_on`.
    pub fn last_reopening_day(&self, answered_on: NaiveDate) -> NaiveDate {
        answered_on
            .checked_add_days(Days::new(u64::from(self.reopen_within_days)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Whether "not satisfied" on `today` still reopens a case answered on `answered_on`.
    pub fn may_reopen(&self, answered_on: NaiveDate, today: NaiveDate) -> bool {
        today <= self.last_reopening_day(answered_on)
    }
}

/// A score from 1 (very poor) to 5 (very good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u8);

impl Score {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    /// The score, checked.
    pub fn new(value: u8) -> Result<Self, DomainError> {
        Self::try_from(i64::from(value))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Score {
    type Error = DomainError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .filter(|v| (Self::MIN..=Self::MAX).contains(v))
            .map(Score)
            .ok_or_else(|| {
                DomainError::invalid(
                    "score",
                    format!(
                        "điểm đánh giá phải từ 1 đến 5, không phải {value} \
                         (the score must be from 1 to 5, not {value})"
                    ),
                )
            })
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/5", self.0)
    }
}

/// A rating as the citizen gave it, before it is checked.
#[derive(Clone, PartialEq, Eq)]
pub struct RatingInput {
    /// 1 to 5.
    pub score: u8,
    /// What the citizen wrote beside the score, if anything.
    pub comment: Option<String>,
    /// The citizen is not satisfied and wants the case looked at again.
    pub not_satisfied: bool,
}

impl RatingInput {
    /// A rating with a score alone.
    pub fn score(score: u8) -> Self {
        Self {
            score,
            comment: None,
            not_satisfied: false,
        }
    }

    pub fn with_comment(mut self, comment: &str) -> Self {
        self.comment = Some(comment.to_owned());
        self
    }

    /// The citizen is not satisfied and wants the case looked at again.
    pub fn not_satisfied(mut self) -> Self {
        self.not_satisfied = true;
        self
    }

    /// Checks the score and cleans the comment: NFC, trimmed, at most
    /// [`MAX_COMMENT_CHARS`], no control characters but line breaks and tabs; a blank comment
    /// is no comment.
    pub fn validate(self) -> Result<NewRating, DomainError> {
        let score = Score::new(self.score)?;
        let comment = match self.comment.as_deref() {
            None => None,
            Some(text) => {
                let text = clean_text("comment", text, MAX_COMMENT_CHARS, false).map_err(|_| {
                    DomainError::invalid(
                        "comment",
                        format!(
                            "nhận xét dài quá {MAX_COMMENT_CHARS} ký tự \
                             (the comment is longer than {MAX_COMMENT_CHARS} characters)"
                        ),
                    )
                })?;
                if text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
                {
                    return Err(DomainError::invalid(
                        "comment",
                        "nhận xét có ký tự điều khiển không hợp lệ \
                         (the comment holds control characters)",
                    ));
                }
                Some(text).filter(|t| !t.is_empty())
            }
        };
        Ok(NewRating {
            score,
            comment,
            not_satisfied: self.not_satisfied,
        })
    }
}

// Written by hand: the comment is the citizen's own words, which may name them.
impl fmt::Debug for RatingInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RatingInput")
            .field("score", &self.score)
            .field("comment", &self.comment.as_ref().map(|c| c.chars().count()))
            .field("not_satisfied", &self.not_satisfied)
            .finish()
    }
}

/// A checked rating, ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewRating {
    pub score: Score,
    pub comment: Option<String>,
    pub not_satisfied: bool,
}

impl NewRating {
    /// The note of the timeline event: the score, "not satisfied" when so, and the comment.
    pub fn timeline_note(&self) -> String {
        let mut note = self.score.to_string();
        if self.not_satisfied {
            note.push_str(" · chưa hài lòng, đề nghị xem xét lại");
        }
        if let Some(comment) = &self.comment {
            note.push('\n');
            note.push_str(comment);
        }
        note
    }
}

impl fmt::Debug for NewRating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewRating")
            .field("score", &self.score)
            .field("comment", &self.comment.as_ref().map(|c| c.chars().count()))
            .field("not_satisfied", &self.not_satisfied)
            .finish()
    }
}

/// Whether a rating reopened its case, and if not, why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reopening {
    /// The citizen did not ask: they did not say "not satisfied".
    NotAsked,
    /// The case went back to `in_progress`.
    Reopened,
    /// Asked too late: the window of `[feedback] reopen_within_days` ended on `last_day`.
    WindowClosed { last_day: NaiveDate },
    /// Asked, but the case was closed without an answer (rejected or withdrawn): there is no
    /// answer to look at again.
    NotAnswered,
}

impl Reopening {
    /// Whether the case was reopened.
    pub fn reopened(self) -> bool {
        self == Reopening::Reopened
    }

    /// The name used in APIs and templates.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reopening::NotAsked => "not_asked",
            Reopening::Reopened => "reopened",
            Reopening::WindowClosed { .. } => "window_closed",
            Reopening::NotAnswered => "not_answered",
        }
    }
}

/// A stored rating.
#[derive(Clone, PartialEq, Eq)]
pub struct Rating {
    pub id: i64,
    pub case_id: CaseId,
    pub score: Score,
    pub comment: Option<String>,
    pub not_satisfied: bool,
    /// Whether this rating reopened the case.
    pub reopened: bool,
    pub rated_at: DateTime<Utc>,
}

impl fmt::Debug for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rating")
            .field("id", &self.id)
            .field("case_id", &self.case_id)
            .field("score", &self.score)
            .field("comment", &self.comment.as_ref().map(|c| c.chars().count()))
            .field("not_satisfied", &self.not_satisfied)
            .field("reopened", &self.reopened)
            .field("rated_at", &self.rated_at)
            .finish()
    }
}

/// Checks that `contact` can follow a case: a Telegram chat or an email address; a phone
/// number cannot be sent to.
pub fn check_follow_contact(contact: &NormalisedContact) -> Result<(), DomainError> {
    match contact.kind() {
        ContactKind::Telegram | ContactKind::Email => Ok(()),
        ContactKind::Phone => Err(DomainError::invalid(
            "contact",
            "chỉ theo dõi hồ sơ được qua Telegram hoặc thư điện tử \
             (a case is followed by Telegram or email only)",
        )),
    }
}

/// One contact following one published case, as the notifier needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct Follower {
    pub id: i64,
    pub case_id: CaseId,
    pub contact: NormalisedContact,
    /// The language to write in: the chat's chosen one, the citizen's whose address it is, or
    /// Vietnamese.
    pub language: Language,
    /// The secret of the email's one-click unsubscribe link.
    unsubscribe_token: String,
}

impl Follower {
    pub fn new(
        id: i64,
        case_id: CaseId,
        contact: NormalisedContact,
        language: Language,
        unsubscribe_token: String,
    ) -> Self {
        Self {
            id,
            case_id,
            contact,
            language,
            unsubscribe_token,
        }
    }

    /// The secret of the one-click unsubscribe link; never for a log line.
    pub fn unsubscribe_token(&self) -> &str {
        &self.unsubscribe_token
    }
}

impl fmt::Debug for Follower {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Follower")
            .field("id", &self.id)
            .field("case_id", &self.case_id)
            .field("contact", &self.contact)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// The case a follow is about, by code, for listing what a contact follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    pub case_id: CaseId,
    pub code: CaseCode,
    pub since: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_from_1_to_5_is_accepted_and_others_refused() {
        for ok in 1..=5 {
            assert_eq!(Score::new(ok).unwrap().get(), ok);
        }
        for bad in [0, 6, 10, 255] {
            let err = Score::new(bad).unwrap_err();
            assert!(err.to_string().contains("từ 1 đến 5"), "{err}");
        }
        assert!(Score::try_from(-1_i64).is_err());
        assert!(Score::try_from(300_i64).is_err());
        assert_eq!(Score::try_from(4_i64).unwrap().to_string(), "4/5");
    }

    #[test]
    fn a_comment_is_trimmed_normalised_and_a_blank_one_dropped() {
        // "e" + combining circumflex + combining acute is "ế" in NFC.
        let rated = RatingInput::score(4)
            .with_comment("  Cám ơn, đã sửa xong ngõ 12 e\u{302}\u{301}  ")
            .validate()
            .unwrap();
        assert_eq!(
            rated.comment.as_deref(),
            Some("Cám ơn, đã sửa xong ngõ 12 ế")
        );
        let blank = RatingInput::score(3)
            .with_comment(" \n ")
            .validate()
            .unwrap();
        assert_eq!(blank.comment, None);
        assert!(!blank.not_satisfied);
    }

    #[test]
    fn a_comment_that_is_too_long_or_holds_control_characters_is_refused() {
        let long = "a".repeat(MAX_COMMENT_CHARS + 1);
        let err = RatingInput::score(2)
            .with_comment(&long)
            .validate()
            .unwrap_err();
        assert!(matches!(
            err,
            DomainError::Invalid {
                field: "comment",
                ..
            }
        ));
        let exactly = "a".repeat(MAX_COMMENT_CHARS);
        assert!(
            RatingInput::score(2)
                .with_comment(&exactly)
                .validate()
                .is_ok()
        );
        let err = RatingInput::score(2)
            .with_comment("xin chào\u{7}")
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("control"), "{err}");
        let lines = RatingInput::score(2)
            .with_comment("dòng 1\ndòng 2")
            .validate()
            .unwrap();
        assert_eq!(lines.comment.as_deref(), Some("dòng 1\ndòng 2"));
    }

    #[test]
    fn a_bad_score_is_refused_before_the_comment_is_read() {
        let err = RatingInput::score(0)
            .with_comment("tốt")
            .validate()
            .unwrap_err();
        assert!(matches!(err, DomainError::Invalid { field: "score", .. }));
    }

    #[test]
    fn the_window_counts_calendar_days_from_the_day_of_the_answer() {
        let policy = FeedbackPolicy {
            reopen_within_days: 30,
        };
        let answered: NaiveDate = "2026-11-30".parse().unwrap();
        assert_eq!(
            policy.last_reopening_day(answered),
            "2026-12-30".parse::<NaiveDate>().unwrap()
        );
        assert!(policy.may_reopen(answered, answered));
        assert!(policy.may_reopen(answered, "2026-12-30".parse().unwrap()));
        assert!(!policy.may_reopen(answered, "2026-12-31".parse().unwrap()));
        assert_eq!(
            FeedbackPolicy::default().reopen_within_days,
            DEFAULT_REOPEN_WITHIN_DAYS
        );
    }

    #[test]
    fn debug_output_shows_no_comment_contact_or_token() {
        let input = RatingInput::score(1)
            .with_comment("Tôi là Phạm Thị Hoa")
            .not_satisfied();
        let rating = input.clone().validate().unwrap();
        for shown in [format!("{input:?}"), format!("{rating:?}")] {
            assert!(!shown.contains("Hoa"), "{shown}");
        }
        let contact = NormalisedContact::parse(ContactKind::Email, "hoa.pham@example.org").unwrap();
        let follower = Follower::new(7, CaseId(1), contact, Language::Vi, "ab".repeat(32));
        let shown = format!("{follower:?}");
        assert!(!shown.contains("hoa.pham"), "{shown}");
        assert!(!shown.contains("abab"), "{shown}");
    }

    #[test]
    fn only_a_telegram_chat_or_an_email_address_follows_a_case() {
        let phone = NormalisedContact::parse(ContactKind::Phone, "0912345678").unwrap();
        assert!(check_follow_contact(&phone).is_err());
        let chat = NormalisedContact::parse(ContactKind::Telegram, "123456789").unwrap();
        assert!(check_follow_contact(&chat).is_ok());
    }

    #[test]
    fn the_timeline_note_holds_the_score_the_wish_and_the_comment() {
        let rating = RatingInput::score(2)
            .with_comment("Đèn lại hỏng")
            .not_satisfied()
            .validate()
            .unwrap();
        assert_eq!(
            rating.timeline_note(),
            "2/5 · chưa hài lòng, đề nghị xem xét lại\nĐèn lại hỏng"
        );
    }
}
