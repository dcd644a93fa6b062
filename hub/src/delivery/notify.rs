//! Which notifications a case change sends, to whom, rendered in each recipient's language.
//!
//! - the citizen, on every channel they linked: the code on receipt, then every status change;
//! - a denouncer, only on the channel they chose, with the code and the status alone;
//! - staff: a new case to everyone at intake (on Telegram with signed buttons for what each
//!   may do next: [`Notifier::with_button_key`]), an assignment to the assignee, the citizen's
//!   added information to the assignee; information added to an open case
//!   ([`CaseEvent::InformationAdded`]) to the assignee alone, unless they added it themselves;
//!   a reopening (the citizen not satisfied) to the assignee, or to intake when nobody is;
//! - staff, an internal message to each recipient ([`Notifier::for_staff_message`], in
//!   `notify/staff_message.rs`);
//! - followers of a published case ([`Notifier::for_followers`]): every status change and the
//!   publication of its answer, with only what the public catalog shows, and a way to stop
//!   (`/unfollow CODE` on Telegram, the one-click unsubscribe link by email). A follower who is
//!   the case's own citizen is skipped (they hear of it as the citizen), and a withdrawn or
//!   unpublished case tells no follower anything.
//!
//! Each row is rendered for its own channel: an email (subject, text, HTML, threading headers)
//! or a Telegram message (HTML parse mode, split into parts that fit). A row with fallback
//! destinations carries a rendering for each channel it may go out on, so that the fallback row
//! is sent as rendered for its channel; a denouncer's row carries both, as only the sealed
//! identity knows which channel they chose.
//!
//! Every email about a case to one recipient threads under one root Message-ID, derived from
//! the case code and the recipient's contact id (never the address), which the first mail
//! carries and later mails refer to.

mod staff_message;
mod staff_room;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::ChannelKind;
use super::email::new_message_id;
use super::outbox::Destination;
use super::outbox::{Category, NewNotification, Target, destination, staff_destinations};
use super::render::Renderer;
use crate::catalog::public_view;
use crate::domain::calendar::vn_date;
use crate::domain::policy::CaseContext;
use crate::domain::workflow::is_reopening;
use crate::domain::{
    AccessToken, Actor, ActorKind, Case, CaseKind, ContactKind, CouncilProfile, Follower, Language,
    Role, Staff, StaffId, Status,
};
use crate::domain::{ButtonKey, MailKey};
use crate::error::Error;
use crate::notification::{Button, ButtonAction, EmailMessage, Keyboard, telegram};

pub use staff_message::MessageNews;
pub use staff_room::StaffRoom;

/// The staff who may be notified, and the channels each turned off.
#[derive(Debug, Clone, Default)]
pub struct StaffRecipients {
    pub staff: Vec<Staff>,
    pub disabled: HashSet<(StaffId, Category, ChannelKind)>,
}

/// What a new case's receipt tells beyond the case: the private link's token, and the files
/// that came with the case but were refused (a mail's attachments), each with why.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub access_token: AccessToken,
    pub refused_files: Vec<RefusedFile>,
}

/// A file that was sent with a case and refused, named in its receipt.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefusedFile {
    /// As the sender named it.
    pub name: String,
    /// Why, in the case's language.
    pub reason: String,
}

// A file's name is the sender's words ("CCCD Nguyễn Văn A.jpg"): personal data.
impl std::fmt::Debug for RefusedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefusedFile").finish_non_exhaustive()
    }
}

/// What happened to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseEvent {
    Received,
    StatusChanged {
        from: Status,
        by: ActorKind,
        /// The reason, question or answer told to the citizen.
        note: Option<String>,
    },
    /// Information or files added to an open case: only the assignee hears of it.
    InformationAdded {
        /// Who added it; an assignee who added it is not told.
        by: Actor,
    },
}

/// What a follower of a published case is told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowNews {
    /// The case moved to another status.
    StatusChanged,
    /// Staff published the case's public copy with its answer.
    AnswerPublished,
}

impl FollowNews {
    /// The name the templates tell apart.
    pub const fn as_str(self) -> &'static str {
        match self {
            FollowNews::StatusChanged => "status",
            FollowNews::AnswerPublished => "answer",
        }
    }
}

/// Renders the notifications of case events.
#[derive(Debug)]
pub struct Notifier {
    renderer: Arc<Renderer>,
    profile: Arc<CouncilProfile>,
    message_id_domain: String,
    /// The portal's address, for the one-click unsubscribe link of a follower's email
    /// (`<public_url>/huy-nhan-tin/<token>`).
    public_url: Option<String>,
    /// Signs the buttons under a staff member's Telegram message; without it, none.
    button_key: Option<ButtonKey>,
    /// The staff group every case gets a topic in (`staff_room.rs`); without it, none.
    staff_room: Option<StaffRoom>,
    /// The council's mailbox and the key of its signed reply addresses: every mail about a
    /// case carries the case's as Reply-To. Without it, none.
    reply_addresses: Option<(MailKey, String)>,
}

impl Notifier {
    pub fn new(
        renderer: Arc<Renderer>,
        profile: Arc<CouncilProfile>,
        message_id_domain: &str,
    ) -> Self {
        Self {
            renderer,
            profile,
            message_id_domain: message_id_domain.to_owned(),
            public_url: None,
            button_key: None,
            staff_room: None,
            reply_addresses: None,
        }
    }

    /// The same notifier, putting signed buttons under staff members' Telegram messages about
    /// a new case (accept, reject, ask, forward, … as far as the workflow and each member's
    /// roles allow), signed with `key`: the hub's [`Hub::button_key`](crate::Hub::button_key),
    /// so that the hub can read them when they are pressed.
    pub fn with_button_key(mut self, key: ButtonKey) -> Self {
        self.button_key = Some(key);
        self
    }

    /// The same notifier, linking followers' emails to the portal at `public_url` to
    /// unsubscribe; without it their emails carry no link (a Telegram follower is told
    /// `/unfollow CODE` either way).
    pub fn with_public_url(mut self, public_url: &str) -> Self {
        self.public_url = Some(public_url.trim_end_matches('/').to_owned());
        self
    }

    /// The same notifier, giving every mail about a case the case's signed reply address on
    /// `mailbox` as Reply-To, made with `key` (the hub's [`Hub::mail_key`](crate::Hub::mail_key)).
    pub fn with_reply_addresses(mut self, key: MailKey, mailbox: &str) -> Self {
        self.reply_addresses = Some((key, mailbox.trim().to_owned()));
        self
    }

    /// The same notifier, posting every case but denunciations in its own topic of the staff
    /// group `room`.
    pub fn with_staff_room(mut self, room: StaffRoom) -> Self {
        self.staff_room = Some(room);
        self
    }

    /// The notifications of `event` on `case` (as stored after the change). `staff` are the
    /// accounts that may receive them; `assignee_before` is the assignee before the change.
    /// The receipt of a new case links to the sender's private view with `access_token`
    /// (`<public_url>/ho-so-rieng/<token>`), when the portal's address is known.
    pub fn for_case(
        &self,
        case: &Case,
        (event, receipt): (&CaseEvent, Option<&Receipt>),
        staff: &StaffRecipients,
        assignee_before: Option<crate::domain::StaffId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewNotification>, Error> {
        let private_url = match (&self.public_url, receipt) {
            (Some(base), Some(receipt)) => Some(format!(
                "{base}/ho-so-rieng/{}",
                receipt.access_token.expose()
            )),
            _ => None,
        };
        let refused = receipt.map_or(&[][..], |r| r.refused_files.as_slice());
        let mut out = self.for_people(
            case,
            event,
            staff,
            assignee_before,
            (private_url, refused),
            now,
        )?;
        out.extend(self.for_room(case, event, staff, now)?);
        let reply_to = self
            .reply_addresses
            .as_ref()
            .and_then(|(key, mailbox)| key.reply_address(mailbox, &case.code));
        for email in out.iter_mut().filter_map(|n| n.email.as_mut()) {
            email.reply_to.clone_from(&reply_to);
        }
        Ok(out)
    }

    /// [`Notifier::for_case`] to the citizen and to staff one by one.
    fn for_people(
        &self,
        case: &Case,
        event: &CaseEvent,
        staff: &StaffRecipients,
        assignee_before: Option<crate::domain::StaffId>,
        (private_url, refused_files): (Option<String>, &[RefusedFile]),
        now: DateTime<Utc>,
    ) -> Result<Vec<NewNotification>, Error> {
        let disabled = &staff.disabled;
        let staff = staff.staff.as_slice();
        let mut out = Vec::new();
        if let CaseEvent::InformationAdded { by } = event {
            // Nothing to the citizen (they, or staff on the file, added it), nothing to intake:
            // the person handling the case reviews it.
            let assignee = case
                .progress
                .assignee
                .filter(|id| Some(*id) != by.staff_id())
                .and_then(|id| staff.iter().find(|s| s.id == id && s.active));
            if let Some(member) = assignee {
                let n = self.to_staff(
                    "staff_info_added",
                    "info",
                    member,
                    disabled,
                    case,
                    (event, None),
                    now,
                )?;
                out.extend(self.with_buttons(n, case, member, staff));
            }
            return Ok(out);
        }
        let denunciation = case.kind == CaseKind::ToCao;
        let citizen_template = match event {
            CaseEvent::Received => "case_received",
            CaseEvent::StatusChanged { .. } | CaseEvent::InformationAdded { .. } => "case_status",
        };
        let note = match event {
            CaseEvent::StatusChanged { note, .. } => note.clone(),
            CaseEvent::Received | CaseEvent::InformationAdded { .. } => None,
        };
        let data = json!({
            "council": { "name": self.profile.name },
            "case": self.case_data(case, denunciation, note.as_deref(), case.language),
            "denunciation": denunciation,
            "private_url": private_url,
            "refused_files": refused_files,
        });
        let starts = *event == CaseEvent::Received;
        if denunciation {
            // The address stays sealed: the root Message-ID is derived from the case alone.
            let root = self.thread_root(case, "denouncer");
            let n = self.render(
                citizen_template,
                case.language,
                &data,
                "denouncer",
                root,
                starts,
                Target::Denouncer,
                now,
            )?;
            out.push(n);
        } else {
            // One message, on the first of the case's contacts (the channel it came by comes
            // first); the others are its fallbacks, tried in order when one refuses for good
            // (a blocked bot, a bouncing address).
            let destinations: Vec<_> = case.contacts.iter().filter_map(destination).collect();
            if !destinations.is_empty() {
                let root = self.thread_root(case, "citizen");
                let mut n = self.render(
                    citizen_template,
                    case.language,
                    &data,
                    "citizen",
                    root,
                    starts,
                    Target::Contacts(destinations),
                    now,
                )?;
                if let Some(telegram) = &mut n.telegram {
                    telegram.keyboard = Self::citizen_keyboard(case, case.language);
                }
                out.push(n);
            }
        }

        let active = staff.iter().filter(|s| s.active);
        match event {
            CaseEvent::Received => {
                for member in active.filter(|s| s.has_role(Role::Intake)) {
                    let n = self.to_staff(
                        "staff_new_case",
                        "new",
                        member,
                        disabled,
                        case,
                        (event, None),
                        now,
                    )?;
                    out.extend(self.with_buttons(n, case, member, staff));
                }
            }
            CaseEvent::StatusChanged { from, by, note } => {
                let assignee = case
                    .progress
                    .assignee
                    .and_then(|id| staff.iter().find(|s| s.id == id && s.active));
                if is_reopening(*from, case.progress.status) {
                    // The staff on the case look at it again; with nobody on it, intake
                    // takes it up as they would a new case.
                    let on_case: Vec<&Staff> = match assignee {
                        Some(member) => vec![member],
                        None => active.filter(|s| s.has_role(Role::Intake)).collect(),
                    };
                    for member in on_case {
                        let n = self.to_staff(
                            "staff_reopened",
                            "reopened",
                            member,
                            disabled,
                            case,
                            (event, note.as_deref()),
                            now,
                        )?;
                        out.extend(self.with_buttons(n, case, member, staff));
                    }
                    return Ok(out);
                }
                if let Some(member) = assignee.filter(|s| Some(s.id) != assignee_before) {
                    let n = self.to_staff(
                        "staff_assigned",
                        "assigned",
                        member,
                        disabled,
                        case,
                        (event, None),
                        now,
                    )?;
                    out.extend(self.with_buttons(n, case, member, staff));
                }
                let info_arrived = *from == Status::NeedsInfo
                    && case.progress.status == Status::Received
                    && *by == ActorKind::Citizen;
                if let Some(member) = assignee.filter(|_| info_arrived) {
                    let n = self.to_staff(
                        "staff_info_added",
                        "info",
                        member,
                        disabled,
                        case,
                        (event, None),
                        now,
                    )?;
                    out.extend(self.with_buttons(n, case, member, staff));
                }
            }
            // Handled above, before anything for the citizen.
            CaseEvent::InformationAdded { .. } => {}
        }
        Ok(out)
    }

    /// `n` with the buttons of what `member` may do next on `case`, on Telegram.
    fn with_buttons(
        &self,
        n: Option<NewNotification>,
        case: &Case,
        member: &Staff,
        staff: &[Staff],
    ) -> Option<NewNotification> {
        n.map(|mut n| {
            if let Some(telegram) = &mut n.telegram {
                telegram.keyboard = self.case_keyboard(case, member, staff);
            }
            n
        })
    }

    /// The signed buttons under `member`'s Telegram message about `case`: what they may do
    /// next ([`case_actions`]), two to a row, labelled in their language. Empty without a
    /// button key, and for anybody who may not read the case.
    fn case_keyboard(&self, case: &Case, member: &Staff, staff: &[Staff]) -> Keyboard {
        let Some(key) = &self.button_key else {
            return Keyboard::default();
        };
        let context = self.case_context(case, staff);
        telegram::case_keyboard(case, member, &context, key)
    }

    /// What the policy knows of `case`: its kind, its assignee and the assignee's lead.
    fn case_context(&self, case: &Case, staff: &[Staff]) -> CaseContext {
        let context = CaseContext::new(case.kind);
        match case
            .progress
            .assignee
            .map(|id| staff.iter().find(|s| s.id == id))
        {
            Some(Some(assignee)) => context.assigned_to(assignee),
            Some(None) => CaseContext {
                assignee: case.progress.assignee,
                ..context
            },
            None => context,
        }
    }

    /// A staff member's notification on the channels they did not turn off, waiting out their
    /// quiet hours; `note` is what the event told (the citizen's words on a reopening).
    #[expect(clippy::too_many_arguments, reason = "the parts of one notification")]
    fn to_staff(
        &self,
        template: &str,
        what: &str,
        member: &Staff,
        disabled: &HashSet<(StaffId, Category, ChannelKind)>,
        case: &Case,
        (event, note): (&CaseEvent, Option<&str>),
        now: DateTime<Utc>,
    ) -> Result<Option<NewNotification>, Error> {
        let Some((destinations, suppressed)) =
            staff_destinations(member, Category::StaffCase, disabled)
        else {
            return Ok(None);
        };
        let root = self.thread_root(case, &format!("s{}", member.id));
        let data = json!({
            "council": { "name": self.profile.name },
            "staff": { "name": member.display_name },
            "case": self.case_data(case, false, note, member.language),
            // The notification says how to answer by mail when replies come back to us.
            "reply_by_mail": self.reply_addresses.is_some(),
        });
        let key = format!("staff:{}:{what}", member.id);
        let to = Target::Contacts(destinations);
        let starts = *event == CaseEvent::Received;
        let n = self.render(
            template,
            member.language,
            &data,
            &key,
            root,
            starts,
            to,
            now,
        )?;
        let due_at = member
            .quiet_hours
            .map_or(now, |quiet| quiet.defer(now, member.time_zone));
        Ok(Some(NewNotification {
            category: Category::StaffCase,
            due_at,
            suppressed,
            ..n
        }))
    }

    #[expect(clippy::too_many_arguments, reason = "the parts of one notification")]
    fn render(
        &self,
        template: &str,
        language: Language,
        data: &Value,
        key: &str,
        root: String,
        starts_thread: bool,
        to: Target,
        now: DateTime<Utc>,
    ) -> Result<NewNotification, Error> {
        let channels = to.channels();
        let email = match channels.contains(&ChannelKind::Email) {
            false => None,
            true => {
                let email = self
                    .renderer
                    .email(template, language, data)
                    .map_err(|e| Error::Template(e.to_string()))?;
                let (message_id, in_reply_to) = if starts_thread {
                    (root, None)
                } else {
                    (new_message_id(&self.message_id_domain), Some(root))
                };
                Some(EmailMessage {
                    subject: email.subject,
                    text: email.text,
                    html: Some(email.html),
                    references: in_reply_to.iter().cloned().collect(),
                    in_reply_to,
                    message_id: Some(message_id),
                    list_unsubscribe: None,
                    reply_to: None,
                })
            }
        };
        let telegram = channels
            .contains(&ChannelKind::Telegram)
            .then(|| self.renderer.telegram(template, language, data))
            .transpose()
            .map_err(|e| Error::Template(e.to_string()))?;
        Ok(NewNotification {
            key: key.to_owned(),
            to,
            category: Category::CaseUpdate,
            urgent: false,
            email,
            telegram,
            due_at: now,
            suppressed: false,
        })
    }

    /// The buttons under a citizen's own case message: an answer can be rated, and an open
    /// case takes more information. A question waits for its answer, which the person just
    /// writes back (the bot asks whether it is the answer), so it gets no button.
    fn citizen_keyboard(case: &Case, language: Language) -> Keyboard {
        let code = case.code.as_str();
        let (text, data) = match (case.progress.status, language) {
            (Status::Answered | Status::Explained, Language::Vi) => {
                ("⭐ Đánh giá câu trả lời", telegram::rate_button(code))
            }
            (Status::Answered | Status::Explained, Language::En) => {
                ("⭐ Rate the answer", telegram::rate_button(code))
            }
            (Status::NeedsInfo, _) => return Keyboard::default(),
            (status, Language::Vi) if status.is_open() => {
                ("➕ Bổ sung thông tin", telegram::add_info_button(code))
            }
            (status, Language::En) if status.is_open() => {
                ("➕ Add information", telegram::add_info_button(code))
            }
            _ => return Keyboard::default(),
        };
        Keyboard {
            rows: vec![vec![Button {
                text: text.to_owned(),
                action: ButtonAction::CallbackData(data),
            }]],
        }
    }

    /// The notifications of `news` on `case` (as stored after the change) to its followers:
    /// only what the public catalog shows of it, nothing while it is unpublished, withdrawn or
    /// a denunciation, nothing to a follower who is its own citizen, and for `AnswerPublished`
    /// nothing until the public answer is there.
    pub fn for_followers(
        &self,
        case: &Case,
        followers: &[Follower],
        news: FollowNews,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewNotification>, Error> {
        if case.progress.status == Status::Withdrawn {
            return Ok(Vec::new());
        }
        let Some((item, answer)) = public_view(case, &self.profile) else {
            return Ok(Vec::new());
        };
        if news == FollowNews::AnswerPublished && answer.is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for follower in followers.iter().filter(|f| f.case_id == case.id) {
            let contact = &follower.contact;
            let own = case
                .contacts
                .iter()
                .any(|c| c.kind == contact.kind() && c.address == contact.value());
            let channel = match contact.kind() {
                ContactKind::Telegram => ChannelKind::Telegram,
                ContactKind::Email => ChannelKind::Email,
                ContactKind::Phone => continue,
            };
            if own {
                continue;
            }
            let language = follower.language;
            let unsubscribe_url = match (&self.public_url, channel) {
                (Some(base), ChannelKind::Email) => Some(format!(
                    "{base}/huy-nhan-tin/{}",
                    follower.unsubscribe_token()
                )),
                _ => None,
            };
            let data = json!({
                "council": { "name": self.profile.name },
                "news": news.as_str(),
                "case": {
                    "code": item.code.as_str(),
                    "title": item.title,
                    "kind": item.kind.label(language),
                    "status": item.status.label(language),
                    "area": item.area,
                    "answer": answer,
                },
                "unsubscribe_url": unsubscribe_url,
            });
            let to = Target::Contacts(vec![Destination {
                channel,
                address: contact.value().to_owned(),
            }]);
            // Keyed by the follow's id: the contact stays out of the outbox's keys.
            let key = format!("follower:{}", follower.id);
            let root = self.thread_root(case, &format!("f{}", follower.id));
            // A follower's mails thread under a root none of them carries: they start following
            // a case whose first mails went to others.
            let mut n = self.render(
                "case_follow_update",
                language,
                &data,
                &key,
                root,
                false,
                to,
                now,
            )?;
            if let Some(email) = &mut n.email {
                email.list_unsubscribe = unsubscribe_url;
            }
            out.push(n);
        }
        Ok(out)
    }

    /// `<HB.20261126.0012.c0@domain>`: the same for every mail about the case to the same
    /// recipient (`c<contact>`, `s<staff id>`, `denouncer`), so the first mail can carry it and
    /// later ones refer to it.
    fn thread_root(&self, case: &Case, recipient: &str) -> String {
        format!("<{}.{recipient}@{}>", case.code, self.message_id_domain)
    }

    fn case_data(
        &self,
        case: &Case,
        denunciation: bool,
        note: Option<&str>,
        language: Language,
    ) -> Value {
        let p = &case.progress;
        let area = case
            .area
            .as_deref()
            .and_then(|a| self.profile.area(a))
            .map(|a| a.name.clone());
        json!({
            "code": case.code.as_str(),
            "kind": case.kind.label(language),
            "title": (!denunciation).then(|| case.title.clone()),
            "status": p.status.label(language),
            "note": note.filter(|_| !denunciation),
            "area": area,
            "received_on": vn_date(case.received_on),
            "council_due": p.clocks.council.as_ref().and_then(|c| c.due).map(vn_date),
            "statutory_due": p.clocks.expected_by().filter(|_| p.clocks.council.is_none()).map(vn_date),
            // Intake staff are told when a deadline cannot be counted yet.
            "deadline_unknown": p.clocks.unknown().next().is_some(),
        })
    }
}
