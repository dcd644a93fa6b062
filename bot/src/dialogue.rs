//! The guided dialogue that files a case: kind, area, category, content, files, the sender's name
//! (and address, for a complaint or a denunciation, which the law needs to identify them),
//! phone, publication consent, a summary, confirm. Every step can go back or cancel.
//!
//! The state is plain data, serialised into the chat's row (`bot_chats.dialogue`), so that a
//! restart or another instance goes on with the same dialogue. [`advance`] is a pure function
//! of the state and what the person sent; the handler renders the next prompt.

use hdnd_hub::domain::case::id_number;
use hdnd_hub::domain::{CaseKind, ContactKind, CouncilProfile, NormalisedContact};
use serde::{Deserialize, Serialize};

/// The kinds a citizen may file here; voters' petitions come from voters' meetings.
pub const KINDS: [CaseKind; 5] = [
    CaseKind::YKien,
    CaseKind::KienNghi,
    CaseKind::PhanAnh,
    CaseKind::KhieuNai,
    CaseKind::ToCao,
];

/// Shortest content accepted, in characters: enough to say what happened.
pub const MIN_CONTENT_CHARS: usize = 10;

/// Where the dialogue stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// A message came while the council waits for this person's answer: is it the answer, or
    /// a new case?
    Choose,
    /// A message sent outside a dialogue while this person has an open case: add it to
    /// `case_code`, or start a new case with it?
    ChooseAdd,
    /// Text, photos and documents to add to the open case `case_code`, sent when the person
    /// presses "send".
    AddInfo,
    /// Confirm withdrawing the case `case_code`.
    Withdraw,
    /// A staff member's text for a button pressed on case `case_id` (`staff_action`): the
    /// reason of a refusal, the question to the citizen, or the answer.
    StaffNote,
    /// The answer is sent as resolved (đã giải quyết) or as an explanation (giải trình).
    StaffAnswerAs,
    /// What a staff member wrote in case `case_id`'s topic of the staff group (in `content`)
    /// goes to the citizen as the question, or as the answer (resolved or explained).
    StaffRoom,
    /// The unit a case is forwarded to, from the profile's units.
    StaffUnit,
    /// The colleague a case is given to, from `choices`.
    StaffAssignee,
    /// The public title of a case to publish.
    StaffTitle,
    /// The public excerpt (the redacted content and answer).
    StaffExcerpt,
    /// Publish with this title and excerpt.
    StaffPublish,
    /// A staff member's reply to the internal message `message_id`, in its thread.
    MessageReply,
    /// Rating the answer on `case_code`: the score, 1 to 5.
    Rate,
    /// A comment beside the score, optional.
    RateComment,
    /// Send the rating, or send it saying "not satisfied", which asks for another look.
    RateSend,
    Kind,
    Area,
    Category,
    Content,
    /// Photos and documents for the case, optional; files sent with the content count too.
    Files,
    Name,
    Address,
    /// The personal identification number, which the law asks of a complainant and a
    /// denouncer.
    IdNumber,
    Phone,
    /// An email address, optional: where news goes if the chat cannot be reached.
    Email,
    Consent,
    Confirm,
}

impl Step {
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Choose => "choose",
            Step::ChooseAdd => "choose_add",
            Step::AddInfo => "add_info",
            Step::Withdraw => "withdraw",
            Step::StaffNote => "staff_note",
            Step::StaffAnswerAs => "staff_answer_as",
            Step::StaffRoom => "staff_room",
            Step::StaffUnit => "staff_unit",
            Step::StaffAssignee => "staff_assignee",
            Step::StaffTitle => "staff_title",
            Step::StaffExcerpt => "staff_excerpt",
            Step::StaffPublish => "staff_publish",
            Step::MessageReply => "message_reply",
            Step::Rate => "rate",
            Step::RateComment => "rate_comment",
            Step::RateSend => "rate_send",
            Step::Kind => "kind",
            Step::Area => "area",
            Step::Category => "category",
            Step::Content => "content",
            Step::Files => "files",
            Step::Name => "name",
            Step::Address => "address",
            Step::IdNumber => "id_number",
            Step::Phone => "phone",
            Step::Email => "email",
            Step::Consent => "consent",
            Step::Confirm => "confirm",
        }
    }
}

/// What the person has said so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub kind: Option<String>,
    pub area: Option<String>,
    pub category: Option<String>,
    pub content: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
    /// Personal data, kept only for a complaint or a denunciation.
    #[serde(default)]
    pub id_number: Option<String>,
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub consent: Option<bool>,
    /// A staff button being carried out: its action (`reject`, `ask`, `answer`, `forward`,
    /// `assign`, `publish`) and the case's id, from the signed button, never from the chat.
    #[serde(default)]
    pub staff_action: Option<String>,
    #[serde(default)]
    pub case_id: Option<i64>,
    /// The button a staff step's choice was: a unit's code, a colleague's id, `answered` or
    /// `explained`.
    #[serde(default)]
    pub choice: Option<String>,
    /// The colleagues offered to assign to, as they were when the button was pressed.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// The public title of a case to publish; its excerpt is `content`.
    #[serde(default)]
    pub public_title: Option<String>,
    /// The internal message a reply answers; its text is `content`.
    #[serde(default)]
    pub message_id: Option<i64>,
    /// The score of a rating, 1 to 5; its comment is `content`.
    #[serde(default)]
    pub score: Option<u8>,
    /// Uploads already in the file store, attached when the case is filed.
    #[serde(default)]
    pub files: Vec<DraftFile>,
    /// The case the dialogue is about: whose question this message may answer (`choose`), or
    /// which the person withdraws (`withdraw`).
    pub case_code: Option<String>,
}

/// A button a staff step offers: its callback value and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A file the person sent, already accepted into the file store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftFile {
    /// The `files` row.
    pub id: i64,
    pub name: String,
    pub size: u64,
}

impl Draft {
    pub fn kind(&self) -> Option<CaseKind> {
        self.kind.as_deref().and_then(|k| k.parse().ok())
    }

    /// A complaint or a denunciation: the law needs the sender's name and address.
    pub fn needs_identity(&self) -> bool {
        matches!(self.kind(), Some(CaseKind::KhieuNai | CaseKind::ToCao))
    }

    pub fn is_denunciation(&self) -> bool {
        self.kind() == Some(CaseKind::ToCao)
    }
}

/// A dialogue in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dialogue {
    pub step: Step,
    pub draft: Draft,
}

impl Dialogue {
    pub fn start() -> Self {
        Self {
            step: Step::Kind,
            draft: Draft::default(),
        }
    }

    /// The steps this draft goes through, in order.
    fn steps(&self) -> Vec<Step> {
        if self.step == Step::Withdraw {
            return vec![Step::Withdraw];
        }
        if matches!(self.step, Step::ChooseAdd | Step::AddInfo) {
            return vec![Step::AddInfo];
        }
        if self.step == Step::StaffRoom {
            return vec![Step::StaffRoom];
        }
        if let Some(action) = &self.draft.staff_action {
            return match action.as_str() {
                "answer" => vec![Step::StaffNote, Step::StaffAnswerAs],
                "forward" => vec![Step::StaffUnit],
                "assign" => vec![Step::StaffAssignee],
                "publish" => vec![Step::StaffTitle, Step::StaffExcerpt, Step::StaffPublish],
                _ => vec![Step::StaffNote],
            };
        }
        if self.step == Step::MessageReply {
            return vec![Step::MessageReply];
        }
        if matches!(self.step, Step::Rate | Step::RateComment | Step::RateSend) {
            return vec![Step::Rate, Step::RateComment, Step::RateSend];
        }
        let mut steps = Vec::new();
        if self.draft.case_code.is_some() {
            steps.push(Step::Choose);
        }
        steps.extend([
            Step::Kind,
            Step::Area,
            Step::Category,
            Step::Content,
            Step::Files,
            Step::Name,
        ]);
        if self.draft.needs_identity() {
            steps.push(Step::Address);
            steps.push(Step::IdNumber);
        }
        steps.push(Step::Phone);
        steps.push(Step::Email);
        // A denunciation is never published: nothing to consent to.
        if !self.draft.is_denunciation() {
            steps.push(Step::Consent);
        }
        steps.push(Step::Confirm);
        steps
    }

    /// A message sent outside a dialogue while case `code` waits for the person's answer.
    pub fn choose(content: &str, code: &str, kind: CaseKind) -> Self {
        let mut dialogue = Self::choose_add(Some(content), code, kind);
        dialogue.step = Step::Choose;
        dialogue
    }

    /// A message (or a file) sent outside a dialogue while case `code` of `kind` is open: add
    /// it there, or start a new case? A denunciation's draft takes its kind, so that every
    /// message of the dialogue is sealed as the case is.
    pub fn choose_add(content: Option<&str>, code: &str, kind: CaseKind) -> Self {
        let mut dialogue = content.map_or_else(Self::start, Self::with_content);
        dialogue.step = Step::ChooseAdd;
        dialogue.draft.case_code = Some(code.to_owned());
        dialogue.draft.kind = (kind == CaseKind::ToCao).then(|| kind.as_str().to_owned());
        dialogue
    }

    /// Adds information to the open case `code` of `kind` (the button under its news).
    pub fn add_info(code: &str, kind: CaseKind) -> Self {
        let mut dialogue = Self::choose_add(None, code, kind);
        dialogue.step = Step::AddInfo;
        dialogue
    }

    /// Asks to confirm withdrawing case `code`.
    pub fn withdraw(code: &str) -> Self {
        let mut dialogue = Self::start();
        dialogue.step = Step::Withdraw;
        dialogue.draft.case_code = Some(code.to_owned());
        dialogue
    }

    /// Carries out a staff member's `action` (`reject`, `ask`, `answer`, `forward`, `assign`,
    /// `publish`) on case `case_id`, whose code is `code`: the first step asks what the
    /// action needs.
    pub fn staff(action: &str, case_id: i64, code: &str) -> Self {
        let mut dialogue = Self::start();
        dialogue.draft.staff_action = Some(action.to_owned());
        dialogue.draft.case_id = Some(case_id);
        dialogue.draft.case_code = Some(code.to_owned());
        dialogue.step = dialogue.steps()[0];
        dialogue
    }

    /// Sends `text`, written in case `case_id`'s topic of the staff group, to the citizen of
    /// case `code` once the member says as what.
    pub fn room(case_id: i64, code: &str, text: &str) -> Self {
        let mut dialogue = Self::start();
        dialogue.step = Step::StaffRoom;
        dialogue.draft.case_id = Some(case_id);
        dialogue.draft.case_code = Some(code.to_owned());
        dialogue.draft.content = Some(text.trim().to_owned());
        dialogue
    }

    /// Whether a text written in case `case_id`'s topic is what this dialogue waits for: the
    /// reason, question or answer, the public title or excerpt a button there asked for.
    pub fn waits_for_text_on(&self, case_id: i64) -> bool {
        self.draft.case_id == Some(case_id)
            && matches!(
                self.step,
                Step::StaffNote | Step::StaffTitle | Step::StaffExcerpt
            )
    }

    /// [`Dialogue::staff`] assigning to one of `colleagues`.
    pub fn assign(case_id: i64, code: &str, colleagues: Vec<Choice>) -> Self {
        let mut dialogue = Self::staff("assign", case_id, code);
        dialogue.draft.choices = colleagues;
        dialogue
    }

    /// Whether the step is the last of a staff action: what it takes completes the action.
    fn completes_staff_action(&self) -> bool {
        self.draft.staff_action.is_some() && self.steps().last() == Some(&self.step)
    }

    /// Asks a staff member for the text of a reply to internal message `message_id`.
    pub fn message_reply(message_id: i64) -> Self {
        let mut dialogue = Self::start();
        dialogue.step = Step::MessageReply;
        dialogue.draft.message_id = Some(message_id);
        dialogue
    }

    /// Asks to rate the answer on case `code`.
    pub fn rate(code: &str) -> Self {
        let mut dialogue = Self::start();
        dialogue.step = Step::Rate;
        dialogue.draft.case_code = Some(code.to_owned());
        dialogue
    }

    /// A dialogue started from a message sent outside one: that message is the content.
    pub fn with_content(content: &str) -> Self {
        let mut dialogue = Self::start();
        dialogue.draft.content = Some(content.trim().to_owned());
        dialogue
    }

    fn next(mut self) -> Self {
        let steps = self.steps();
        let at = steps.iter().position(|s| *s == self.step).unwrap_or(0);
        self.step = steps.get(at + 1).copied().unwrap_or(Step::Confirm);
        // Content given before (the message that started the dialogue) is not asked again;
        // "back" still reaches it to change it.
        if self.step == Step::Content && self.draft.content.is_some() {
            return self.next();
        }
        self
    }

    fn back(mut self) -> Self {
        let steps = self.steps();
        let at = steps.iter().position(|s| *s == self.step).unwrap_or(0);
        self.step = steps[at.saturating_sub(1)];
        self
    }

    /// Whether a file sent now belongs to the draft: while the content is asked, and at the
    /// files step.
    pub fn accepts_files(&self) -> bool {
        matches!(self.step, Step::Content | Step::Files | Step::AddInfo)
    }

    /// Whether the person may skip this step.
    pub fn optional(&self) -> bool {
        match self.step {
            Step::Area
            | Step::Category
            | Step::Files
            | Step::Phone
            | Step::Email
            | Step::RateComment => true,
            Step::Name => !self.draft.needs_identity(),
            _ => false,
        }
    }
}

/// What the person sent, as the dialogue reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<'a> {
    Text(&'a str),
    /// A button of the step named, with its value.
    Choice {
        step: &'a str,
        value: &'a str,
    },
    Skip,
    Back,
    Cancel,
    Confirm,
    /// A photo or a document, already accepted into the file store.
    File(DraftFile),
    /// A sticker, a location, a voice message…: not what any step asks for.
    Other,
}

/// Reads a button's callback data (`n:<step>:<value>`, `n:skip`, `n:back`, `n:cancel`,
/// `n:confirm`); `None` for data that is not the dialogue's.
pub fn callback(data: &str) -> Option<Input<'_>> {
    let rest = data.strip_prefix("n:")?;
    Some(match rest {
        "skip" => Input::Skip,
        "back" => Input::Back,
        "cancel" => Input::Cancel,
        "confirm" => Input::Confirm,
        _ => {
            let (step, value) = rest.split_once(':')?;
            Input::Choice { step, value }
        }
    })
}

/// Why an input did not move the dialogue: the prompt is shown again with this note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A button of another step (an old message), or free text where a button is expected.
    UseTheButtons,
    TooShort,
    /// Name and address are needed for a complaint or a denunciation.
    Required,
    NotAPhone,
    /// A contact card shared at the phone step that is not the sender's own.
    NotYourContact,
    NotAnEmail,
    NotAnIdNumber,
    /// A sticker, a voice message, a location: the bot reads text, photos and documents.
    Unsupported,
    /// A file sent at a step that does not take one.
    FileNotHere,
    /// The file store refused the file; the sentence says why, in the person's language.
    File(String),
}

impl Refusal {
    pub fn as_str(&self) -> &'static str {
        match self {
            Refusal::UseTheButtons => "use_the_buttons",
            Refusal::TooShort => "too_short",
            Refusal::Required => "required",
            Refusal::NotAPhone => "not_a_phone",
            Refusal::NotYourContact => "not_your_contact",
            Refusal::NotAnEmail => "not_an_email",
            Refusal::NotAnIdNumber => "not_an_id_number",
            Refusal::Unsupported => "unsupported",
            Refusal::FileNotHere => "file_not_here",
            Refusal::File(_) => "file",
        }
    }

    /// The sentence that goes with the refusal, when it is not the template's own.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Refusal::File(why) => Some(why),
            _ => None,
        }
    }
}

/// Where an input leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Show this step's prompt.
    Ask(Dialogue),
    /// Show the same step again, saying why.
    Again(Dialogue, Refusal),
    Cancelled,
    /// Everything is there and the person confirmed.
    Submit(Draft),
    /// The message is the answer to the council's question on `draft.case_code`.
    Answer(Draft),
    /// The person sends what they gathered (`content`, `files`) to add to `draft.case_code`.
    AddInfo(Draft),
    /// The person confirmed withdrawing `draft.case_code`.
    Withdraw(Draft),
    /// The person sent their rating of `draft.case_code` (`score`, the comment in `content`),
    /// saying whether they are not satisfied.
    Rate {
        draft: Draft,
        not_satisfied: bool,
    },
    /// A staff member gave what their button asked for: the text (in `content`), the choice,
    /// the public title.
    Staff(Draft),
    /// A staff member wrote their reply to internal message `draft.message_id` (in `content`).
    MessageReply(Draft),
}

/// Moves the dialogue by one input.
pub fn advance(profile: &CouncilProfile, dialogue: Dialogue, input: Input<'_>) -> Outcome {
    let refuse = |d: Dialogue, why| Outcome::Again(d, why);
    match input {
        Input::Cancel => return Outcome::Cancelled,
        Input::Back => return Outcome::Ask(dialogue.back()),
        Input::Skip if dialogue.optional() => return Outcome::Ask(dialogue.next()),
        Input::Skip => return refuse(dialogue, Refusal::Required),
        Input::Other if dialogue.accepts_files() => {
            return refuse(dialogue, Refusal::Unsupported);
        }
        Input::Other => return refuse(dialogue, Refusal::UseTheButtons),
        Input::File(_) if !dialogue.accepts_files() => {
            return refuse(dialogue, Refusal::FileNotHere);
        }
        Input::File(file) => {
            // The step stays: more files may come, and the content is still asked for.
            let mut d = dialogue;
            d.draft.files.push(file);
            return Outcome::Ask(d);
        }
        _ => {}
    }
    let mut d = dialogue;
    match (d.step, input) {
        (
            Step::Withdraw,
            Input::Choice {
                step: "withdraw",
                value: "yes",
            },
        ) => {
            return Outcome::Withdraw(d.draft);
        }
        (
            Step::Choose,
            Input::Choice {
                step: "choose",
                value: "answer",
            },
        ) => {
            return Outcome::Answer(d.draft);
        }
        (
            Step::ChooseAdd,
            Input::Choice {
                step: "choose_add",
                value: "add",
            },
        ) => {
            d.step = Step::AddInfo;
            return Outcome::Ask(d);
        }
        (Step::AddInfo, Input::Text(text)) if !text.trim().is_empty() => {
            let text = text.trim();
            match d.draft.content.as_mut() {
                Some(content) => {
                    content.push('\n');
                    content.push_str(text);
                }
                None => d.draft.content = Some(text.to_owned()),
            }
            return Outcome::Ask(d);
        }
        (Step::AddInfo, Input::Confirm)
            if d.draft.content.is_none() && d.draft.files.is_empty() =>
        {
            return refuse(d, Refusal::Required);
        }
        (Step::AddInfo, Input::Confirm) => return Outcome::AddInfo(d.draft),
        (
            Step::Choose | Step::ChooseAdd,
            Input::Choice {
                step: "choose" | "choose_add",
                value: "new",
            },
        ) => {
            // A new case: of whatever kind the person picks, not the open case's.
            d.draft.kind = None;
            d.draft.case_code = None;
            d.step = Step::Kind;
            return Outcome::Ask(d);
        }
        (
            Step::Rate,
            Input::Choice {
                step: "rate",
                value,
            },
        ) if matches!(value, "1" | "2" | "3" | "4" | "5") => {
            d.draft.score = value.parse().ok();
        }
        (Step::StaffNote | Step::StaffExcerpt, Input::Text(text)) if !text.trim().is_empty() => {
            d.draft.content = Some(text.trim().to_owned());
        }
        (Step::StaffTitle, Input::Text(text)) if !text.trim().is_empty() => {
            d.draft.public_title = Some(text.trim().to_owned());
        }
        (
            Step::StaffAnswerAs,
            Input::Choice {
                step: "answer_as",
                value,
            },
        ) if matches!(value, "answered" | "explained") => {
            d.draft.choice = Some(value.to_owned());
        }
        (
            Step::StaffRoom,
            Input::Choice {
                step: "room",
                value,
            },
        ) if matches!(value, "ask" | "answered" | "explained") => {
            let (action, choice) = match value {
                "ask" => ("ask", None),
                answered => ("answer", Some(answered.to_owned())),
            };
            d.draft.staff_action = Some(action.to_owned());
            d.draft.choice = choice;
            return Outcome::Staff(d.draft);
        }
        (
            Step::StaffUnit,
            Input::Choice {
                step: "unit",
                value,
            },
        ) if profile.unit(value).is_some() => {
            d.draft.choice = Some(value.to_owned());
        }
        (
            Step::StaffAssignee,
            Input::Choice {
                step: "assignee",
                value,
            },
        ) if d.draft.choices.iter().any(|c| c.value == value) => {
            d.draft.choice = Some(value.to_owned());
        }
        (Step::StaffPublish, Input::Confirm) => {}
        (Step::MessageReply, Input::Text(text)) if !text.trim().is_empty() => {
            d.draft.content = Some(text.trim().to_owned());
            return Outcome::MessageReply(d.draft);
        }
        (Step::RateComment, Input::Text(text)) if !text.trim().is_empty() => {
            d.draft.content = Some(text.trim().to_owned());
        }
        (
            Step::RateSend,
            Input::Choice {
                step: "rate_send",
                value,
            },
        ) if matches!(value, "ok" | "again") => {
            return Outcome::Rate {
                draft: d.draft,
                not_satisfied: value == "again",
            };
        }
        (
            Step::Kind,
            Input::Choice {
                step: "kind",
                value,
            },
        ) if KINDS.iter().any(|k| k.as_str() == value) => {
            d.draft.kind = Some(value.to_owned());
        }
        (
            Step::Area,
            Input::Choice {
                step: "area",
                value,
            },
        ) if profile.area(value).is_some() => {
            d.draft.area = Some(value.to_owned());
        }
        (
            Step::Category,
            Input::Choice {
                step: "category",
                value,
            },
        ) if profile.category(value).is_some() => {
            d.draft.category = Some(value.to_owned());
        }
        (
            Step::Consent,
            Input::Choice {
                step: "consent",
                value,
            },
        ) => {
            d.draft.consent = Some(value == "yes");
        }
        (Step::Content, Input::Text(text)) => {
            if text.trim().chars().count() < MIN_CONTENT_CHARS {
                return refuse(d, Refusal::TooShort);
            }
            d.draft.content = Some(text.trim().to_owned());
        }
        (Step::Name, Input::Text(text)) if !text.trim().is_empty() => {
            d.draft.name = Some(text.trim().to_owned());
        }
        (Step::Address, Input::Text(text)) if !text.trim().is_empty() => {
            d.draft.address = Some(text.trim().to_owned());
        }
        (Step::IdNumber, Input::Text(text)) => match id_number("id_number", text) {
            Ok(number) => d.draft.id_number = Some(number),
            Err(_) => return refuse(d, Refusal::NotAnIdNumber),
        },
        (Step::Phone, Input::Text(text)) => {
            let digits = text.chars().filter(char::is_ascii_digit).count();
            let shaped = text
                .trim()
                .chars()
                .all(|c| c.is_ascii_digit() || " +.-()".contains(c));
            if !shaped || !(9..=12).contains(&digits) {
                return refuse(d, Refusal::NotAPhone);
            }
            d.draft.phone = Some(text.trim().to_owned());
        }
        (Step::Email, Input::Text(text)) => {
            // The hub's own rule, so that what passes here is never refused on submit.
            if NormalisedContact::parse(ContactKind::Email, text).is_err() {
                return refuse(d, Refusal::NotAnEmail);
            }
            d.draft.email = Some(text.trim().to_owned());
        }
        (Step::Confirm, Input::Confirm) => return Outcome::Submit(d.draft),
        (Step::Name | Step::Address, Input::Text(_)) => return refuse(d, Refusal::Required),
        _ => return refuse(d, Refusal::UseTheButtons),
    }
    if d.completes_staff_action() {
        return Outcome::Staff(d.draft);
    }
    Outcome::Ask(d.next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> CouncilProfile {
        CouncilProfile::demo()
    }

    fn go(d: Dialogue, input: Input<'_>) -> Dialogue {
        match advance(&profile(), d, input) {
            Outcome::Ask(d) => d,
            other => panic!("expected the next prompt, got {other:?}"),
        }
    }

    fn choice<'a>(step: &'a str, value: &'a str) -> Input<'a> {
        Input::Choice { step, value }
    }

    #[test]
    fn a_petition_walks_every_step_and_can_skip_the_optional_ones() {
        let d = go(Dialogue::start(), choice("kind", "kien_nghi"));
        assert_eq!(d.step, Step::Area);
        let d = go(d, choice("area", "minh-khai"));
        let d = go(d, Input::Skip);
        assert_eq!(d.step, Step::Content);
        let d = go(d, Input::Text("Đèn đường ngõ 12 hỏng đã hai tuần."));
        assert_eq!(d.step, Step::Files);
        let d = go(go(d, Input::Skip), Input::Skip);
        assert_eq!(d.step, Step::Phone, "a petition's sender may stay unnamed");
        let d = go(d, Input::Text("0912 345 678"));
        assert_eq!(d.step, Step::Email);
        let bad = advance(&profile(), d.clone(), Input::Text("an@ example"));
        assert_eq!(bad, Outcome::Again(d.clone(), Refusal::NotAnEmail));
        let d = go(d, Input::Text("an.nguyen@example.com"));
        let d = go(d, choice("consent", "yes"));
        assert_eq!(d.step, Step::Confirm);
        let Outcome::Submit(draft) = advance(&profile(), d, Input::Confirm) else {
            panic!("confirm submits");
        };
        assert_eq!(draft.area.as_deref(), Some("minh-khai"));
        assert_eq!(draft.category, None);
        assert_eq!(draft.consent, Some(true));
        assert_eq!(draft.email.as_deref(), Some("an.nguyen@example.com"));
    }

    #[test]
    fn a_denunciation_needs_name_address_and_id_number_and_asks_no_consent() {
        let d = go(Dialogue::start(), choice("kind", "to_cao"));
        let d = go(go(d, Input::Skip), Input::Skip);
        let d = go(
            go(d, Input::Text("Cán bộ X nhận tiền khi làm thủ tục.")),
            Input::Skip,
        );
        assert_eq!(d.step, Step::Name);
        assert_eq!(
            advance(&profile(), d.clone(), Input::Skip),
            Outcome::Again(d.clone(), Refusal::Required)
        );
        let d = go(d, Input::Text("Trần Thị Bình"));
        assert_eq!(d.step, Step::Address);
        let d = go(d, Input::Text("Số 5 ngõ 7, phường Hồng Bàng"));
        assert_eq!(d.step, Step::IdNumber);
        for bad in ["", "12345", "0010990123456", "ABC1234567", "C12 34"] {
            let expected = if bad.is_empty() {
                Refusal::Required
            } else {
                Refusal::NotAnIdNumber
            };
            let input = if bad.is_empty() {
                Input::Skip
            } else {
                Input::Text(bad)
            };
            let refused = advance(&profile(), d.clone(), input);
            assert_eq!(refused, Outcome::Again(d.clone(), expected), "{bad:?}");
        }
        let passport = go(d.clone(), Input::Text("c 1234567"));
        assert_eq!(passport.draft.id_number.as_deref(), Some("C1234567"));
        let d = go(d, Input::Text("001.099.012 345"));
        assert_eq!(d.draft.id_number.as_deref(), Some("001099012345"));
        let d = go(go(d, Input::Skip), Input::Skip);
        assert_eq!(d.step, Step::Confirm, "no consent step for a tố cáo");
    }

    #[test]
    fn back_returns_one_step_and_cancel_ends_it() {
        let d = go(Dialogue::start(), choice("kind", "phan_anh"));
        let d = go(d, Input::Back);
        assert_eq!(d.step, Step::Kind);
        assert_eq!(go(d.clone(), Input::Back).step, Step::Kind);
        assert_eq!(advance(&profile(), d, Input::Cancel), Outcome::Cancelled);
    }

    #[test]
    fn old_buttons_unknown_codes_and_bad_text_are_refused_without_moving() {
        let d = go(Dialogue::start(), choice("kind", "kien_nghi"));
        // A kind button pressed again from an old message, at the area step.
        let stale = advance(&profile(), d.clone(), choice("kind", "to_cao"));
        assert_eq!(stale, Outcome::Again(d.clone(), Refusal::UseTheButtons));
        let forged = advance(&profile(), d.clone(), choice("area", "../../etc"));
        assert_eq!(forged, Outcome::Again(d.clone(), Refusal::UseTheButtons));
        let d = go(go(d, Input::Skip), Input::Skip);
        let short = advance(&profile(), d.clone(), Input::Text("hỏng"));
        assert_eq!(short, Outcome::Again(d.clone(), Refusal::TooShort));
        let d = go(
            go(go(d, Input::Text("Đèn đường ngõ 12 hỏng.")), Input::Skip),
            Input::Skip,
        );
        let bad = advance(&profile(), d.clone(), Input::Text("gọi tôi nhé"));
        assert_eq!(bad, Outcome::Again(d, Refusal::NotAPhone));
        assert_eq!(callback("case:1:accept"), None);
        assert_eq!(
            callback("n:area:minh-khai"),
            Some(choice("area", "minh-khai"))
        );
    }

    #[test]
    fn a_text_from_the_staff_group_goes_as_a_question_or_an_answer_once_chosen() {
        let d = Dialogue::room(7, "HB.20261203.0001", "  Số nhà nào?  ");
        assert_eq!(d.draft.content.as_deref(), Some("Số nhà nào?"));
        let Outcome::Staff(asked) = advance(&profile(), d.clone(), choice("room", "ask")) else {
            panic!("the question goes");
        };
        assert_eq!(asked.staff_action.as_deref(), Some("ask"));
        assert_eq!(asked.case_id, Some(7));
        for how in ["answered", "explained"] {
            let Outcome::Staff(answer) = advance(&profile(), d.clone(), choice("room", how)) else {
                panic!("the answer goes");
            };
            assert_eq!(answer.staff_action.as_deref(), Some("answer"));
            assert_eq!(answer.choice.as_deref(), Some(how));
        }
        // Any other button, or more text, leaves it waiting for the choice.
        let forged = advance(&profile(), d.clone(), choice("room", "publish"));
        assert_eq!(forged, Outcome::Again(d.clone(), Refusal::UseTheButtons));
        let typed = advance(&profile(), d.clone(), Input::Text("thêm"));
        assert_eq!(typed, Outcome::Again(d.clone(), Refusal::UseTheButtons));
        assert!(
            !d.waits_for_text_on(7),
            "a new text in the topic is a new draft"
        );
        assert!(Dialogue::staff("ask", 7, "HB.20261203.0001").waits_for_text_on(7));
        assert!(!Dialogue::staff("ask", 8, "HB.20261203.0002").waits_for_text_on(7));
    }

    #[test]
    fn a_message_sent_outside_a_dialogue_becomes_its_content() {
        let d = Dialogue::with_content("  Cống thoát nước tắc ở ngõ 5.  ");
        let d = go(
            go(go(d, choice("kind", "phan_anh")), Input::Skip),
            Input::Skip,
        );
        assert_eq!(d.step, Step::Files, "the content is not asked again");
        let d = go(d, Input::Back);
        assert_eq!(d.step, Step::Content, "but can be changed");
    }

    #[test]
    fn a_message_while_a_question_waits_is_the_answer_or_a_new_case() {
        let d = Dialogue::choose("Số nhà 12, ngõ 34.", "HB.20261126.0001", CaseKind::PhanAnh);
        let Outcome::Answer(draft) = advance(&profile(), d.clone(), choice("choose", "answer"))
        else {
            panic!("the answer");
        };
        assert_eq!(draft.content.as_deref(), Some("Số nhà 12, ngõ 34."));
        let d = go(d, choice("choose", "new"));
        assert_eq!(d.step, Step::Kind);
        assert_eq!(d.draft.case_code, None);
        assert_eq!(go(d, Input::Back).step, Step::Kind);
    }

    #[test]
    fn files_join_the_draft_with_the_content_or_after_it_and_nowhere_else() {
        let photo = |id| DraftFile {
            id,
            name: "anh.jpg".to_owned(),
            size: 120_000,
        };
        let d = go(
            go(
                go(Dialogue::start(), choice("kind", "phan_anh")),
                Input::Skip,
            ),
            Input::Skip,
        );
        assert_eq!(d.step, Step::Content);
        let d = go(d, Input::File(photo(1)));
        assert_eq!(d.step, Step::Content, "the content is still asked for");
        let d = go(d, Input::Text("Rác đổ trộm ở bãi đất trống cuối ngõ 9."));
        assert_eq!(d.step, Step::Files);
        let d = go(d, Input::File(photo(2)));
        assert_eq!(d.step, Step::Files);
        assert_eq!(d.draft.files, vec![photo(1), photo(2)]);
        let d = go(d, Input::Skip);
        assert_eq!(d.step, Step::Name);
        assert!(!d.accepts_files());
        assert_eq!(
            advance(&profile(), d.clone(), Input::File(photo(3))),
            Outcome::Again(d.clone(), Refusal::FileNotHere)
        );
        let sticker = advance(&profile(), go(d, Input::Back), Input::Other);
        assert!(matches!(sticker, Outcome::Again(_, Refusal::Unsupported)));
        let d = go(go(Dialogue::start(), choice("kind", "y_kien")), Input::Skip);
        let sticker = advance(&profile(), d, Input::Other);
        assert!(matches!(sticker, Outcome::Again(_, Refusal::UseTheButtons)));
    }

    #[test]
    fn a_rating_takes_a_score_an_optional_comment_and_whether_to_look_again() {
        let d = Dialogue::rate("HB.20261126.0012");
        assert_eq!(
            advance(&profile(), d.clone(), choice("rate", "9")),
            Outcome::Again(d.clone(), Refusal::UseTheButtons)
        );
        let d = go(d, choice("rate", "2"));
        assert_eq!(d.step, Step::RateComment);
        let d = go(d, Input::Text("Đèn vẫn chưa sáng."));
        assert_eq!(d.step, Step::RateSend);
        let Outcome::Rate {
            draft,
            not_satisfied,
        } = advance(&profile(), d, choice("rate_send", "again"))
        else {
            panic!("the rating is sent");
        };
        assert!(not_satisfied);
        assert_eq!(draft.score, Some(2));
        assert_eq!(draft.content.as_deref(), Some("Đèn vẫn chưa sáng."));
        assert_eq!(draft.case_code.as_deref(), Some("HB.20261126.0012"));
        let d = go(go(Dialogue::rate("HB.1"), choice("rate", "5")), Input::Skip);
        assert!(matches!(
            advance(&profile(), d, choice("rate_send", "ok")),
            Outcome::Rate { not_satisfied: false, draft } if draft.content.is_none()
        ));
    }

    #[test]
    fn a_reply_to_an_internal_message_takes_one_text_and_can_be_cancelled() {
        let d = Dialogue::message_reply(12);
        assert_eq!(d.step, Step::MessageReply);
        assert_eq!(
            advance(&profile(), d.clone(), Input::Text("   ")),
            Outcome::Again(d.clone(), Refusal::UseTheButtons)
        );
        assert_eq!(go(d.clone(), Input::Back).step, Step::MessageReply);
        assert_eq!(
            advance(&profile(), d.clone(), Input::Cancel),
            Outcome::Cancelled
        );
        let Outcome::MessageReply(draft) = advance(&profile(), d, Input::Text(" Đã nhận. "))
        else {
            panic!("the reply is sent");
        };
        assert_eq!(draft.message_id, Some(12));
        assert_eq!(draft.content.as_deref(), Some("Đã nhận."));
    }

    #[test]
    fn a_state_saved_before_files_existed_still_reads() {
        let old = r#"{"step":"name","draft":{"kind":"phan_anh","content":"Cống tắc ở ngõ 5.","area":null,"category":null,"name":null,"address":null,"phone":null,"consent":null,"case_code":null}}"#;
        let d: Dialogue = serde_json::from_str(old).unwrap();
        assert!(d.draft.files.is_empty());
    }

    #[test]
    fn the_state_round_trips_through_json() {
        let d = go(Dialogue::start(), choice("kind", "khieu_nai"));
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Dialogue>(&json).unwrap(), d);
    }

    #[test]
    fn an_answer_is_written_then_sent_as_resolved_or_explained() {
        let d = Dialogue::staff("answer", 7, "HB.20261126.0012");
        assert_eq!(d.step, Step::StaffNote);
        let d = go(d, Input::Text("  Đã sửa đèn ngày 2/12.  "));
        assert_eq!(d.step, Step::StaffAnswerAs);
        assert_eq!(go(d.clone(), Input::Back).step, Step::StaffNote);
        let wrong = advance(&profile(), d.clone(), choice("answer_as", "rejected"));
        assert_eq!(wrong, Outcome::Again(d.clone(), Refusal::UseTheButtons));
        let Outcome::Staff(draft) = advance(&profile(), d, choice("answer_as", "explained")) else {
            panic!("the answer is complete");
        };
        assert_eq!(draft.content.as_deref(), Some("Đã sửa đèn ngày 2/12."));
        assert_eq!(draft.choice.as_deref(), Some("explained"));
        assert_eq!(
            (draft.case_id, draft.staff_action.as_deref()),
            (Some(7), Some("answer"))
        );
    }

    #[test]
    fn a_forward_takes_only_a_unit_of_the_profile_and_an_assignment_only_an_offered_colleague() {
        let d = Dialogue::staff("forward", 7, "HB.20261126.0012");
        assert_eq!(d.step, Step::StaffUnit);
        let unknown = advance(&profile(), d.clone(), choice("unit", "bo-cong-an"));
        assert_eq!(unknown, Outcome::Again(d.clone(), Refusal::UseTheButtons));
        let Outcome::Staff(draft) = advance(&profile(), d, choice("unit", "ubnd-phuong")) else {
            panic!("a unit of the profile completes the forward");
        };
        assert_eq!(draft.choice.as_deref(), Some("ubnd-phuong"));

        let offered = vec![Choice {
            value: "3".to_owned(),
            label: "Lê Văn Chuyên".to_owned(),
        }];
        let d = Dialogue::assign(7, "HB.20261126.0012", offered);
        assert_eq!(d.step, Step::StaffAssignee);
        let other = advance(&profile(), d.clone(), choice("assignee", "4"));
        assert_eq!(other, Outcome::Again(d.clone(), Refusal::UseTheButtons));
        let Outcome::Staff(draft) = advance(&profile(), d, choice("assignee", "3")) else {
            panic!("an offered colleague completes the assignment");
        };
        assert_eq!(draft.choice.as_deref(), Some("3"));
    }

    #[test]
    fn a_publication_asks_the_title_then_the_excerpt_then_to_confirm() {
        let d = Dialogue::staff("publish", 7, "HB.20261126.0012");
        assert_eq!(d.step, Step::StaffTitle);
        let d = go(d, Input::Text("Đèn đường ngõ 12 được sửa"));
        assert_eq!(d.step, Step::StaffExcerpt);
        let d = go(
            d,
            Input::Text("Cử tri phản ánh đèn hỏng; phường đã thay bóng."),
        );
        assert_eq!(d.step, Step::StaffPublish);
        let Outcome::Staff(draft) = advance(&profile(), d, Input::Confirm) else {
            panic!("confirming publishes");
        };
        assert_eq!(
            draft.public_title.as_deref(),
            Some("Đèn đường ngõ 12 được sửa")
        );
        assert!(draft.content.unwrap().starts_with("Cử tri"));
    }
}
