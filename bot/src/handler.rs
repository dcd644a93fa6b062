//! The bot's side of an inbound Telegram update: what a stored update changes and what the bot
//! answers. It writes nothing itself: the inbound worker applies the returned completion (the
//! chat's new state, the replies into the outbox) in one transaction with the row's `done`, so a
//! replayed or retried update answers once.
//!
//! A citizen's private chat gets `/start`, `/help`, `/lang`, and the guided dialogue that files
//! a case (`/new`, the button under the welcome, or any text sent outside a dialogue, which
//! becomes the case's content: nothing typed is dropped). Groups, edits and other update kinds
//! are ignored, as Telegram users expect of a bot that was not asked.

use std::sync::Arc;

use async_trait::async_trait;
use hdnd_hub::access::CitizenCapability;
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, Target};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::delivery::telegram::{add_info_case, rated_case};
use hdnd_hub::delivery::{Button, ButtonAction, ChannelKind, Keyboard, TelegramMessage};
use hdnd_hub::domain::calendar::vn_date;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::staff_link::is_link_refusal;
use hdnd_hub::domain::{
    Actor, Attachment, Case, CaseCode, CaseId, CaseKind, ChatChange, ChatState, ComplaintRound,
    ContactKind, ContactPoint, DenouncerIdentity, FileId, InboundRow, Language, NewCase,
    NormalisedContact, RatingInput, Reopening, SourceChannel, Staff, StaffAction, StaffButton,
    StaffId, StaffLinkToken, Status, Window,
};
use hdnd_hub::inbound::{HandleError, InboundHandler};
use hdnd_hub::storage::{InboundCompletion, InboundEffect, ProgressChange};
use hdnd_hub::{DomainError, Error, Hub};
use serde_json::{Value, json};
use teloxide::types::{CallbackQuery, Message, Update, UpdateKind};

use crate::api::BotApi;
use crate::commands::{Audience, Command, Parsed, parse};
use crate::desk::{self, Desk};
use crate::dialogue::{Choice, Dialogue, Draft, Input, Outcome, Refusal, Step, advance, callback};
use crate::{files, menu, prompts, receipt};

// Internal messages between staff: `/msg`, `/messages` and the buttons under a message.
#[path = "messages.rs"]
mod messages;
// The staff group's topics, one per case.
#[path = "room.rs"]
mod room;

/// Turns stored Telegram updates into replies.
#[derive(Debug, Clone)]
pub struct TelegramHandler {
    hub: Hub,
    renderer: Arc<Renderer>,
    flood_per_minute: u32,
    /// For the receipt of a pressed button; without it (tests of the handler alone) none.
    api: Option<BotApi>,
    /// The staff group's chat id (`room.rs`); without it, the bot answers no group.
    staff_group: Option<i64>,
}

/// Messages a chat may send in a minute before the bot asks it to slow down and then goes
/// quiet until the minute is over.
pub const DEFAULT_FLOOD_PER_MINUTE: u32 = 20;

impl TelegramHandler {
    pub fn new(hub: Hub, renderer: Arc<Renderer>) -> Self {
        Self {
            hub,
            renderer,
            flood_per_minute: DEFAULT_FLOOD_PER_MINUTE,
            api: None,
            staff_group: None,
        }
    }

    /// The same handler, answering linked members in the topics of the staff group `group`.
    pub fn with_staff_group(mut self, group: Option<i64>) -> Self {
        self.staff_group = group;
        self
    }

    /// The same handler, acknowledging pressed buttons through `api` as soon as they are
    /// stored ([`crate::receipt`]).
    pub fn with_api(mut self, api: BotApi) -> Self {
        self.api = Some(api);
        self
    }

    pub fn with_flood_limit(mut self, per_minute: u32) -> Self {
        self.flood_per_minute = per_minute.max(1);
        self
    }

    /// Counts the message in its chat's window. Within the limit: the window, to keep with
    /// the answer. Past it: the first message gets one polite reply and the rest nothing, until
    /// the minute is over; every message is still stored, only the answers stop.
    fn gate(
        &self,
        chat: &str,
        state: &ChatState,
    ) -> Result<Result<Window, InboundCompletion>, HandleError> {
        let window = Window::after_message(state.window, self.hub.clock().now());
        if window.count <= self.flood_per_minute {
            return Ok(Ok(window));
        }
        let mut completion = if window.count == self.flood_per_minute + 1 {
            let reply = self.reply(chat, "bot_slow_down", state.language, &json!({}))?;
            answer(reply, None)
        } else {
            InboundCompletion::nothing()
        };
        with_window(&mut completion, chat, window);
        Ok(Err(completion))
    }

    async fn message(
        &self,
        message: &Message,
        state: ChatState,
    ) -> Result<InboundCompletion, HandleError> {
        if !message.chat.is_private() {
            // A citizen's case never starts in a group; the staff group is its own.
            return match self.topic_of(&UpdateKind::Message(message.clone())) {
                Some(topic) => self.room_message(topic, message, state).await,
                None => Ok(InboundCompletion::nothing()),
            };
        }
        let chat = state.chat.clone();
        let language = state.language;
        let dialogue = state
            .dialogue
            .as_deref()
            .and_then(|d| serde_json::from_str::<Dialogue>(d).ok());
        let council = json!({ "name": self.hub.profile().name });
        if let Some(sent) = files::sent(message) {
            return self
                .file(&chat, language, dialogue, &sent, message.caption())
                .await;
        }
        match message.text().map(parse) {
            // A staff command is for a linked member only; any other chat hears what an
            // unknown command hears, and so learns nothing of staff commands.
            Some(Parsed::Command(
                command @ (Command::Msg
                | Command::Messages
                | Command::Inbox
                | Command::Case
                | Command::Tasks
                | Command::Agenda),
                argument,
            )) => {
                debug_assert_eq!(command.audience(), Audience::Staff);
                let Some(member) = self.hub.staff_by_chat(&chat).await? else {
                    let data = json!({ "unknown_command": true });
                    return self.say(&chat, "bot_fallback", language, &data);
                };
                match command {
                    Command::Msg | Command::Messages => {
                        self.staff_command(&chat, &member, command, argument).await
                    }
                    _ => {
                        Desk::new(&self.hub, &self.renderer)
                            .command(&chat, &member, command, argument)
                            .await
                    }
                }
            }
            Some(Parsed::Command(Command::Start, token)) if StaffLinkToken::looks_like(token) => {
                self.link_staff(&chat, language, token).await
            }
            // The portal's "follow on Telegram" link: t.me/<bot>?start=follow-HB-20261126-0012.
            Some(Parsed::Command(Command::Start, parameter))
                if CaseCode::from_follow_parameter(parameter).is_some() =>
            {
                let code = CaseCode::from_follow_parameter(parameter).map(|c| c.to_string());
                self.follow_case(&chat, language, code.as_deref().unwrap_or_default())
                    .await
            }
            Some(Parsed::Command(Command::Start, _)) => {
                let mut reply =
                    self.reply(&chat, "bot_start", language, &json!({ "council": council }))?;
                if let Some(telegram) = &mut reply.telegram {
                    telegram.keyboard = new_case_button(language);
                }
                Ok(answer(reply, None))
            }
            Some(Parsed::Command(Command::Help, _)) => {
                let staff = self.hub.staff_by_chat(&chat).await?.is_some();
                self.say(&chat, "bot_help", language, &help(language, staff))
            }
            Some(Parsed::Command(Command::Lang, argument)) => {
                let language = match argument.to_ascii_lowercase().as_str() {
                    "vi" => Language::Vi,
                    "en" => Language::En,
                    _ if language == Language::Vi => Language::En,
                    _ => Language::Vi,
                };
                let change = ChatChange {
                    chat: chat.clone(),
                    language: Some(language),
                    dialogue: None,
                    window: None,
                };
                let reply = self.reply(&chat, "bot_language", language, &json!({}))?;
                Ok(answer(reply, Some(change)))
            }
            Some(Parsed::Command(Command::New, _)) => {
                self.ask(&chat, language, Dialogue::start(), None)
            }
            Some(Parsed::Command(Command::Cancel, _)) => {
                self.cancel(&chat, language, dialogue.as_ref())
            }
            Some(Parsed::Command(Command::MyCases, _)) => {
                let data = self.my_cases(&chat, language).await?;
                self.say(&chat, "bot_mycases", language, &data)
            }
            Some(Parsed::Command(Command::Withdraw, argument)) => {
                match self.own_open_case(&chat, argument).await? {
                    Some(code) => self.ask(&chat, language, Dialogue::withdraw(&code), None),
                    None => {
                        let bad_code = CaseCode::parse(argument).is_err();
                        let data = json!({ "found": false, "bad_code": bad_code, "case": null });
                        self.say(&chat, "bot_status", language, &data)
                    }
                }
            }
            Some(Parsed::Command(Command::Rate, argument)) => {
                match self.answered_case(&chat, argument).await? {
                    Some(code) => self.ask(&chat, language, Dialogue::rate(&code), None),
                    None => self.say(&chat, "bot_rated", language, &rated(None)),
                }
            }
            Some(Parsed::Command(Command::Follow, argument)) => {
                self.follow_case(&chat, language, argument).await
            }
            Some(Parsed::Command(Command::Unfollow, argument)) => {
                self.unfollow(&chat, language, argument).await
            }
            Some(Parsed::Command(Command::Status, argument)) => {
                let data = self.status(&chat, language, argument).await?;
                self.say(&chat, "bot_status", language, &data)
            }
            Some(Parsed::Unknown) => {
                let data = json!({ "unknown_command": true });
                self.say(&chat, "bot_fallback", language, &data)
            }
            Some(Parsed::Text) => {
                let text = message.text().unwrap_or_default();
                match dialogue {
                    Some(dialogue) => {
                        self.step(&chat, language, dialogue, Input::Text(text))
                            .await
                    }
                    // Never dropped: the message becomes the answer the council waits for,
                    // information for the person's open case, or the content of a new case,
                    // if the person goes on.
                    None => {
                        let dialogue = self.loose_message(&chat, Some(text)).await?;
                        self.ask(&chat, language, dialogue, None)
                    }
                }
            }
            // A shared contact, a sticker, a location (photos and documents came above).
            None => match dialogue {
                // Telegram's "share my phone number": the person's own number, at the phone
                // step. Someone else's card is not the sender's phone.
                Some(dialogue) if dialogue.step == Step::Phone && message.contact().is_some() => {
                    let own = message.contact().filter(|c| {
                        c.user_id.is_some() && c.user_id == message.from.as_ref().map(|f| f.id)
                    });
                    match own {
                        Some(contact) => {
                            let phone = contact.phone_number.clone();
                            self.step(&chat, language, dialogue, Input::Text(&phone))
                                .await
                        }
                        None => self.ask(&chat, language, dialogue, Some(Refusal::NotYourContact)),
                    }
                }
                Some(dialogue) => self.step(&chat, language, dialogue, Input::Other).await,
                None => {
                    let data = json!({ "unknown_command": false });
                    self.say(&chat, "bot_fallback", language, &data)
                }
            },
        }
    }

    async fn callback(
        &self,
        query: &CallbackQuery,
        state: ChatState,
    ) -> Result<InboundCompletion, HandleError> {
        // Buttons are the bot's own only in a private chat, where the chat is the user.
        let chat = state.chat.clone();
        let language = state.language;
        let dialogue = state
            .dialogue
            .as_deref()
            .and_then(|d| serde_json::from_str::<Dialogue>(d).ok());
        let Some(data) = query.data.as_deref() else {
            return Ok(InboundCompletion::nothing());
        };
        if data == "n:new" {
            return self.ask(&chat, language, Dialogue::start(), None);
        }
        if let Some(button) = self.message_button(data) {
            return self.message_button_pressed(&chat, language, button).await;
        }
        if StaffButton::looks_like(data) {
            return self.staff_button(&chat, language, data).await;
        }
        if let Some(code) = add_info_case(data) {
            let case = self.own_case(&chat, |c| {
                c.code.as_str() == code && c.progress.status.is_open()
            });
            return match case.await? {
                Some(case) => {
                    let dialogue = Dialogue::add_info(case.code.as_str(), case.kind);
                    self.ask(&chat, language, dialogue, None)
                }
                None => {
                    let data = json!({ "found": false, "bad_code": false, "case": null });
                    self.say(&chat, "bot_status", language, &data)
                }
            };
        }
        if let Some(code) = rated_case(data) {
            return match self.answered_case(&chat, code).await? {
                Some(code) => self.ask(&chat, language, Dialogue::rate(&code), None),
                None => self.say(&chat, "bot_rated", language, &rated(None)),
            };
        }
        match (callback(data), dialogue) {
            (Some(Input::Cancel), dialogue) => self.cancel(&chat, language, dialogue.as_ref()),
            (Some(input), Some(dialogue)) => self.step(&chat, language, dialogue, input).await,
            // A button of a dialogue that ended, or data that is not ours: say how to start.
            _ => {
                let data = json!({ "unknown_command": false });
                self.say(&chat, "bot_fallback", language, &data)
            }
        }
    }

    /// `/start <token>` from `hdnd staff link`: the chat becomes the staff member's, with the
    /// update's `done`, and is greeted in the member's language.
    async fn link_staff(
        &self,
        chat: &str,
        language: Language,
        token: &str,
    ) -> Result<InboundCompletion, HandleError> {
        match self.hub.plan_staff_link(token, chat).await {
            Ok(change) => {
                let data = json!({
                    "linked": true, "name": change.staff.display_name,
                    "login": change.staff.login, "replaced": change.replaces_chat,
                });
                let reply = self.reply(chat, "bot_linked", change.staff.language, &data)?;
                Ok(InboundCompletion {
                    effect: InboundEffect::StaffLink(Box::new(change)),
                    ..answer(reply, None)
                })
            }
            Err(e) if is_link_refusal(&e) => {
                let data =
                    json!({ "linked": false, "name": null, "login": null, "replaced": false });
                self.say(chat, "bot_linked", language, &data)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A button under a case, pressed by a linked staff member. The hub made and signed it;
    /// the service it leads to checks the member's rights. Accepting is done at once; the
    /// others first ask what they need (a text, a unit, a colleague, a public title). A button
    /// whose action the case no longer offers (pressed twice, or by a colleague first)
    /// changes nothing and says who moved the case and where it stands.
    async fn staff_button(
        &self,
        chat: &str,
        language: Language,
        data: &str,
    ) -> Result<InboundCompletion, HandleError> {
        // Reminders' buttons (on tasks) and "open" are the staff desk's.
        if let Some(button) = self.hub.read_staff_button(data).filter(desk::handles) {
            return Desk::new(&self.hub, &self.renderer)
                .button(chat, language, button)
                .await;
        }
        let Some(member) = self.hub.staff_by_chat(chat).await? else {
            return self.staff_reply(chat, language, "not_linked", None).await;
        };
        let language = member.language;
        let Some((button, case_id)) = self
            .hub
            .read_staff_button(data)
            .and_then(|b| Some((b, b.case_id()?)))
        else {
            return self.staff_reply(chat, language, "refused", None).await;
        };
        let case = match self.hub.case_for_staff(member.id, case_id).await {
            Ok(case) => case,
            Err(Error::Domain(_)) => {
                return self.staff_reply(chat, language, "refused", None).await;
            }
            Err(e) => return Err(e.into()),
        };
        if !self
            .hub
            .staff_actions(&member, &case)
            .await?
            .contains(&button.action)
        {
            return self
                .staff_reply_on(chat, language, "already", Some(&case), Some(button.action))
                .await;
        }
        let (id, code) = (case.id.0, case.code.as_str());
        let dialogue = match button.action {
            StaffAction::Accept => {
                let request = TransitionRequest::to(Status::Accepted, Actor::Staff(member.id));
                return self
                    .staff_change(chat, &member, &case, StaffAction::Accept, request)
                    .await;
            }
            StaffAction::Assign => {
                let colleagues: Vec<Choice> = self
                    .hub
                    .assignable_staff(&member, &case)
                    .await?
                    .into_iter()
                    .map(|s| Choice {
                        value: s.id.0.to_string(),
                        label: s.display_name,
                    })
                    .collect();
                if colleagues.is_empty() {
                    return self
                        .staff_reply(chat, language, "no_colleague", Some(&case))
                        .await;
                }
                Dialogue::assign(id, code, colleagues)
            }
            action => Dialogue::staff(action.as_str(), id, code),
        };
        self.ask(chat, language, dialogue, None)
    }

    /// What a staff button asked for, given: the move it makes, or the publication.
    async fn staff_action(
        &self,
        chat: &str,
        language: Language,
        draft: Draft,
    ) -> Result<InboundCompletion, HandleError> {
        let (Some(member), Some(id)) = (self.hub.staff_by_chat(chat).await?, draft.case_id) else {
            return self.cancel(chat, language, None);
        };
        let case = match self.hub.case_for_staff(member.id, CaseId(id)).await {
            Ok(case) => case,
            Err(Error::Domain(_)) => {
                return self
                    .staff_reply(chat, member.language, "refused", None)
                    .await;
            }
            Err(e) => return Err(e.into()),
        };
        let text = draft.content.as_deref().unwrap_or_default();
        let choice = draft.choice.as_deref().unwrap_or_default();
        let actor = Actor::Staff(member.id);
        let request = match draft.staff_action.as_deref() {
            Some("reject") => TransitionRequest::to(Status::Rejected, actor).with_text(text),
            Some("ask") => TransitionRequest::to(Status::NeedsInfo, actor).with_text(text),
            Some("answer") if choice == "explained" => {
                TransitionRequest::to(Status::Explained, actor).with_text(text)
            }
            Some("answer") => TransitionRequest::to(Status::Answered, actor).with_text(text),
            Some("forward") => TransitionRequest::to(Status::Forwarded, actor).with_unit(choice),
            Some("assign") => match choice.parse() {
                Ok(assignee) => TransitionRequest::to(Status::InProgress, actor)
                    .with_assignee(StaffId(assignee)),
                Err(_) => return self.cancel(chat, language, None),
            },
            Some("publish") => return self.publish(chat, &member, &case, &draft).await,
            _ => return self.cancel(chat, language, None),
        };
        let action = draft.staff_action.as_deref().and_then(StaffAction::parse);
        let action = action.unwrap_or(StaffAction::Accept);
        self.staff_change(chat, &member, &case, action, request)
            .await
    }

    /// A staff member's move of `case`, applied with the update's `done`; the reply carries
    /// the buttons of what they may do next.
    async fn staff_change(
        &self,
        chat: &str,
        member: &Staff,
        case: &Case,
        action: StaffAction,
        request: TransitionRequest,
    ) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        let to = request.to;
        match self.hub.plan_transition(case.id, request).await {
            Ok(change) => {
                let moved = Case {
                    progress: change.progress.clone(),
                    version: case.version + 1,
                    ..case.clone()
                };
                let data = json!({
                    "outcome": "done", "code": case.code.as_str(), "status": to.label(language),
                    "by": null,
                });
                let mut reply = self.reply(chat, "bot_staff", language, &data)?;
                if let Some(telegram) = &mut reply.telegram {
                    telegram.keyboard = self.hub.case_keyboard(member, &moved).await?;
                }
                Ok(ended(
                    InboundEffect::Progress(Box::new(change)),
                    reply,
                    chat,
                ))
            }
            Err(Error::Domain(DomainError::Forbidden(_))) => {
                self.staff_reply(chat, language, "refused", None).await
            }
            Err(Error::Domain(DomainError::Invalid { field: "unit", .. })) => {
                self.staff_reply(chat, language, "refused", None).await
            }
            Err(Error::Domain(_)) => {
                self.staff_reply_on(chat, language, "already", Some(case), Some(action))
                    .await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Publishes `case` with the title and excerpt the member wrote, with the update's `done`.
    async fn publish(
        &self,
        chat: &str,
        member: &Staff,
        case: &Case,
        draft: &Draft,
    ) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        let title = draft.public_title.as_deref().unwrap_or_default();
        let excerpt = draft.content.as_deref().unwrap_or_default();
        match self
            .hub
            .plan_publication(case.id, member.id, title, excerpt)
            .await
        {
            Ok(change) => {
                let data = json!({
                    "outcome": "published", "code": case.code.as_str(), "status": null,
                    "by": null,
                });
                let reply = self.reply(chat, "bot_staff", language, &data)?;
                Ok(ended(
                    InboundEffect::Publication(Box::new(change)),
                    reply,
                    chat,
                ))
            }
            Err(Error::Domain(DomainError::Forbidden(_))) => {
                self.staff_reply(chat, language, "refused", None).await
            }
            Err(Error::Domain(_)) => {
                let publish = Some(StaffAction::Publish);
                self.staff_reply_on(chat, language, "already", Some(case), publish)
                    .await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A staff button's answer without a change.
    async fn staff_reply(
        &self,
        chat: &str,
        language: Language,
        outcome: &str,
        case: Option<&Case>,
    ) -> Result<InboundCompletion, HandleError> {
        self.staff_reply_on(chat, language, outcome, case, None)
            .await
    }

    /// [`Self::staff_reply`] for a button of `action`: "already" names the colleague who did
    /// it first, unless it was the member themself.
    async fn staff_reply_on(
        &self,
        chat: &str,
        language: Language,
        outcome: &str,
        case: Option<&Case>,
        action: Option<StaffAction>,
    ) -> Result<InboundCompletion, HandleError> {
        let by = match (case, action) {
            (Some(case), Some(action)) if outcome == "already" => self
                .hub
                .done_by(case, action)
                .await?
                .filter(|mover| {
                    !mover
                        .contacts
                        .iter()
                        .any(|c| c.kind == ContactKind::Telegram && c.address == chat)
                })
                .map(|mover| mover.display_name),
            _ => None,
        };
        let data = json!({
            "outcome": outcome,
            "code": case.map(|c| c.code.as_str()),
            "status": case.map(|c| c.progress.status.label(language)),
            "by": by,
        });
        let reply = self.reply(chat, "bot_staff", language, &data)?;
        Ok(answer(reply, Some(dialogue_change(chat, None))))
    }

    /// `/mycases`: the cases filed from this chat, and the denunciations whose sealed identity
    /// holds it, newest first. A denunciation shows its code and status only.
    async fn my_cases(&self, chat: &str, language: Language) -> Result<Value, HandleError> {
        let contact = chat_contact(chat)?;
        let cases: Vec<_> = self
            .hub
            .my_cases(&contact)
            .await?
            .iter()
            .take(MY_CASES_SHOWN)
            .map(|case| {
                let secret = case.kind == CaseKind::ToCao;
                json!({
                    "code": case.code.as_str(),
                    "kind": (!secret).then(|| case.kind.label(language)),
                    "status": case.progress.status.label(language),
                    "expected_by": case.progress.clocks.expected_by().filter(|_| !secret).map(vn_date),
                })
            })
            .collect();
        Ok(json!({ "cases": cases }))
    }

    /// `/status CODE`: the citizen's own case in full, any other published case as the public
    /// sees it, and for anything else the same "not found", so that no code is confirmed.
    async fn status(
        &self,
        chat: &str,
        language: Language,
        code: &str,
    ) -> Result<Value, HandleError> {
        let Ok(code) = CaseCode::parse(code) else {
            return Ok(json!({ "found": false, "bad_code": true, "case": null }));
        };
        let contact = chat_contact(chat)?;
        let own = self
            .hub
            .my_cases(&contact)
            .await?
            .into_iter()
            .find(|c| c.code == code);
        let case = match own {
            Some(case) if case.kind == CaseKind::ToCao => json!({
                "code": case.code.as_str(), "kind": null, "title": null, "content": null,
                "status": case.progress.status.label(language), "received_on": null,
                "expected_by": null, "source": null, "answer": null,
            }),
            Some(case) => {
                let p = &case.progress;
                let clock = [&p.clocks.relay, &p.clocks.resolver, &p.clocks.council]
                    .into_iter()
                    .flatten()
                    .find(|c| c.due.is_some());
                let settled = matches!(p.status, Status::Answered | Status::Explained);
                json!({
                    "code": case.code.as_str(),
                    "kind": case.kind.label(language),
                    "title": Some(case.title.clone()).filter(|t| !t.is_empty()),
                    "content": excerpt(&case.content),
                    "status": p.status.label(language),
                    "received_on": vn_date(case.received_on),
                    "expected_by": clock.and_then(|c| c.due).filter(|_| p.status.is_open()).map(vn_date),
                    "source": clock.map(|c| c.source.clone()),
                    "answer": p.answer.clone().filter(|_| settled),
                })
            }
            None => match self.hub.catalog().get(&code).await? {
                Some(public) => json!({
                    "code": public.item.code.as_str(),
                    "kind": public.item.kind.label(language),
                    "title": public.item.title,
                    "content": null,
                    "status": public.item.status.label(language),
                    "received_on": vn_date(public.item.received_on),
                    "expected_by": public.expected_by.map(vn_date),
                    "source": public.expected_by_source,
                    "answer": public.answer,
                }),
                None => return Ok(json!({ "found": false, "bad_code": false, "case": null })),
            },
        };
        Ok(json!({ "found": true, "bad_code": false, "case": case }))
    }

    /// The code of `code`'s case if it is this chat's own and still open.
    async fn own_open_case(&self, chat: &str, code: &str) -> Result<Option<String>, HandleError> {
        let Ok(code) = CaseCode::parse(code) else {
            return Ok(None);
        };
        self.own_case_code(chat, |c| c.code == code && c.progress.status.is_open())
            .await
    }

    /// The newest of this chat's own cases that `pick` chooses.
    async fn own_case(
        &self,
        chat: &str,
        pick: impl Fn(&Case) -> bool,
    ) -> Result<Option<Case>, HandleError> {
        Ok(self
            .hub
            .my_cases(&chat_contact(chat)?)
            .await?
            .into_iter()
            .find(|c| pick(c)))
    }

    /// The code of the newest of this chat's own cases that `pick` chooses.
    async fn own_case_code(
        &self,
        chat: &str,
        pick: impl Fn(&Case) -> bool,
    ) -> Result<Option<String>, HandleError> {
        let case = self.own_case(chat, pick).await?;
        Ok(case.map(|c| c.code.as_str().to_owned()))
    }

    /// The code of this chat's answered case `code`, or with no code its newest answered one.
    async fn answered_case(&self, chat: &str, code: &str) -> Result<Option<String>, HandleError> {
        let Ok(wanted) = optional_code(code) else {
            return Ok(None);
        };
        self.own_case_code(chat, |c| {
            c.kind != CaseKind::ToCao
                && matches!(c.progress.status, Status::Answered | Status::Explained)
                && wanted.as_ref().is_none_or(|w| *w == c.code)
        })
        .await
    }

    /// The person sent their rating: stored with the update's `done`, and the case reopened
    /// when they are not satisfied and the profile's window is still open.
    async fn rate(
        &self,
        chat: &str,
        language: Language,
        draft: Draft,
        not_satisfied: bool,
    ) -> Result<InboundCompletion, HandleError> {
        let (Some(code), Some(score)) = (draft.case_code.as_deref(), draft.score) else {
            return self.cancel(chat, language, None);
        };
        let mut input = RatingInput::score(score);
        if let Some(comment) = draft.content.as_deref() {
            input = input.with_comment(comment);
        }
        if not_satisfied {
            input = input.not_satisfied();
        }
        let planned = match self.capability(chat, code).await {
            Ok(capability) => self.hub.plan_rating_as_citizen(&capability, input).await,
            Err(e) => Err(e),
        };
        let change = match planned {
            Ok(change) => change,
            Err(Error::Domain(_)) => {
                let reply = self.reply(chat, "bot_rated", language, &rated(None))?;
                return Ok(answer(reply, Some(dialogue_change(chat, None))));
            }
            Err(other) => return Err(other.into()),
        };
        let data = rated(Some((code, change.reopening)));
        let reply = self.reply(chat, "bot_rated", language, &data)?;
        Ok(ended(InboundEffect::Rating(Box::new(change)), reply, chat))
    }

    /// `/follow CODE`: status messages of a published case come to this chat.
    async fn follow_case(
        &self,
        chat: &str,
        language: Language,
        code: &str,
    ) -> Result<InboundCompletion, HandleError> {
        let Ok(code) = CaseCode::parse(code) else {
            let data = follow(Following::BadCode);
            return self.say(chat, "bot_follow", language, &data);
        };
        let contact = chat_contact(chat)?;
        match self.hub.plan_follow(&contact, &code).await {
            Ok(change) => {
                let data = follow(Following::Followed {
                    code: code.as_str(),
                    already: change.already_following,
                });
                let reply = self.reply(chat, "bot_follow", language, &data)?;
                Ok(InboundCompletion {
                    effect: InboundEffect::Follow(Box::new(change)),
                    ..answer(reply, None)
                })
            }
            Err(Error::Domain(_)) => {
                let data = follow(Following::Refused);
                self.say(chat, "bot_follow", language, &data)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// `/unfollow [CODE]`: one case, or all of them.
    async fn unfollow(
        &self,
        chat: &str,
        language: Language,
        code: &str,
    ) -> Result<InboundCompletion, HandleError> {
        let Ok(code) = optional_code(code) else {
            let data = follow(Following::BadCode);
            return self.say(chat, "bot_follow", language, &data);
        };
        let contact = chat_contact(chat)?;
        let change = self.hub.plan_unfollow(&contact, code.as_ref()).await?;
        let data = follow(Following::Unfollowed {
            code: code.as_ref().map(CaseCode::as_str),
            count: change.following,
        });
        let reply = self.reply(chat, "bot_follow", language, &data)?;
        Ok(InboundCompletion {
            effect: InboundEffect::Unfollow(Box::new(change)),
            ..answer(reply, None)
        })
    }

    /// The person confirmed: the case is withdrawn with the update's `done`.
    async fn withdraw(
        &self,
        chat: &str,
        language: Language,
        draft: Draft,
    ) -> Result<InboundCompletion, HandleError> {
        let Some(code) = draft.case_code.as_deref() else {
            return self.cancel(chat, language, None);
        };
        let request = TransitionRequest::to(Status::Withdrawn, Actor::Citizen);
        let planned = match self.capability(chat, code).await {
            Ok(capability) => {
                self.hub
                    .plan_transition_as_citizen(&capability, request)
                    .await
            }
            Err(e) => Err(e),
        };
        self.citizen_change(chat, language, code, planned, "bot_withdrawn")
            .await
    }

    /// The newest of this chat's cases on which the council waits for an answer.
    /// The dialogue a message sent outside one starts (`content`: its text or caption): is it
    /// the answer the council waits for, information for the person's open case, or a new
    /// case?
    async fn loose_message(
        &self,
        chat: &str,
        content: Option<&str>,
    ) -> Result<Dialogue, HandleError> {
        let cases = self.hub.my_cases(&chat_contact(chat)?).await?;
        let waiting = cases
            .iter()
            .find(|c| c.progress.status == Status::NeedsInfo);
        let open = cases.iter().find(|c| c.progress.status.is_open());
        Ok(match (waiting, open, content) {
            (Some(case), _, Some(text)) => Dialogue::choose(text, case.code.as_str(), case.kind),
            (_, Some(case), _) => Dialogue::choose_add(content, case.code.as_str(), case.kind),
            (_, None, Some(text)) => Dialogue::with_content(text),
            _ => Dialogue::start(),
        })
    }

    /// What the person gathered to add to their open case, filed with the update's `done`.
    async fn add_info(
        &self,
        chat: &str,
        language: Language,
        draft: Draft,
    ) -> Result<InboundCompletion, HandleError> {
        let Some(code) = draft.case_code.as_deref() else {
            return self.cancel(chat, language, None);
        };
        let files = draft.files.iter().map(|f| FileId(f.id)).collect();
        let planned = match self.capability(chat, code).await {
            Ok(capability) => {
                self.hub
                    .plan_information_as_citizen(&capability, draft.content.clone(), files)
                    .await
            }
            Err(e) => Err(e),
        };
        let change = match planned {
            Ok(change) => change,
            // Closed meanwhile, or over the case's file limits: said, and nothing is lost
            // that the person cannot send again.
            Err(Error::Domain(DomainError::Invalid { .. } | DomainError::Forbidden(_)))
            | Err(Error::NotFound(_)) => {
                let data = json!({ "found": false, "bad_code": false, "case": null });
                let reply = self.reply(chat, "bot_status", language, &data)?;
                return Ok(answer(reply, Some(dialogue_change(chat, None))));
            }
            Err(other) => return Err(other.into()),
        };
        let data = json!({ "code": code, "files": draft.files.len() });
        let reply = self.reply(chat, "bot_added", language, &data)?;
        Ok(InboundCompletion {
            seal: draft.is_denunciation(),
            ..ended(InboundEffect::Information(Box::new(change)), reply, chat)
        })
    }

    /// The message is the answer to the council's question: the case goes back to where it
    /// was asked from, in the same transaction as the message's `done`.
    async fn answer_question(
        &self,
        chat: &str,
        language: Language,
        draft: Draft,
    ) -> Result<InboundCompletion, HandleError> {
        let (Some(code), Some(text)) = (draft.case_code.as_deref(), draft.content.as_deref())
        else {
            return self.cancel(chat, language, None);
        };
        let planned = match self.capability(chat, code).await {
            Ok(capability) => self.hub.plan_answer_as_citizen(&capability, text).await,
            Err(e) => Err(e),
        };
        self.citizen_change(chat, language, code, planned, "bot_answered")
            .await
    }

    /// What this chat may do to case `code`: the capability of the contact that filed it.
    async fn capability(&self, chat: &str, code: &str) -> Result<CitizenCapability, Error> {
        let code = CaseCode::parse(code)?;
        let contact = NormalisedContact::parse(ContactKind::Telegram, chat)?;
        self.hub.capability_by_contact(&code, &contact).await
    }

    /// A citizen's change to their case, applied with the update's `done` and confirmed with
    /// `done`; one the hub refuses (closed or answered meanwhile, or not theirs) is told as
    /// "not found", so that no code is confirmed to exist.
    async fn citizen_change(
        &self,
        chat: &str,
        language: Language,
        code: &str,
        planned: Result<ProgressChange, Error>,
        done: &str,
    ) -> Result<InboundCompletion, HandleError> {
        let change = match planned {
            Ok(change) => change,
            Err(Error::Domain(_)) => {
                let data = json!({ "found": false, "bad_code": false, "case": null });
                let reply = self.reply(chat, "bot_status", language, &data)?;
                return Ok(answer(reply, Some(dialogue_change(chat, None))));
            }
            Err(other) => return Err(other.into()),
        };
        let reply = self.reply(chat, done, language, &json!({ "code": code }))?;
        Ok(ended(
            InboundEffect::Progress(Box::new(change)),
            reply,
            chat,
        ))
    }

    /// A photo or a document. In a dialogue at the content or files step it joins the draft
    /// (its caption as the content, or added to it); outside a dialogue it starts one, as
    /// text does; at another step it is refused with where to send it.
    async fn file(
        &self,
        chat: &str,
        language: Language,
        dialogue: Option<Dialogue>,
        sent: &files::Sent,
        caption: Option<&str>,
    ) -> Result<InboundCompletion, HandleError> {
        let caption = caption.map(str::trim).filter(|c| !c.is_empty());
        let mut dialogue = match dialogue {
            Some(d) if !d.accepts_files() => {
                return self.ask(chat, language, d, Some(Refusal::FileNotHere));
            }
            Some(d) => d,
            None => self.loose_message(chat, caption).await?,
        };
        let file = match files::accept(
            &self.hub,
            self.api.as_ref(),
            sent,
            &dialogue.draft,
            language,
        )
        .await?
        {
            Ok(file) => file,
            Err(why) => return self.ask(chat, language, dialogue, Some(why)),
        };
        if !dialogue.accepts_files() {
            // A new dialogue, at its first step: the file waits in the draft.
            dialogue.draft.files.push(file);
            return self.ask(chat, language, dialogue, None);
        }
        let profile = self.hub.profile();
        let mut outcome = advance(profile, dialogue, Input::File(file));
        if let (Outcome::Ask(d), Some(caption)) = (&mut outcome, caption) {
            match d.draft.content.as_mut() {
                Some(content) => {
                    content.push('\n');
                    content.push_str(caption);
                }
                None => outcome = advance(profile, d.clone(), Input::Text(caption)),
            }
        }
        self.follow(chat, language, outcome).await
    }

    /// One input to a dialogue in progress.
    async fn step(
        &self,
        chat: &str,
        language: Language,
        dialogue: Dialogue,
        input: Input<'_>,
    ) -> Result<InboundCompletion, HandleError> {
        let outcome = advance(self.hub.profile(), dialogue, input);
        self.follow(chat, language, outcome).await
    }

    /// Does what the dialogue's outcome says.
    async fn follow(
        &self,
        chat: &str,
        language: Language,
        outcome: Outcome,
    ) -> Result<InboundCompletion, HandleError> {
        match outcome {
            Outcome::Ask(next) => self.ask(chat, language, next, None),
            Outcome::Again(same, why) => self.ask(chat, language, same, Some(why)),
            Outcome::Cancelled => self.cancel(chat, language, None),
            Outcome::Submit(draft) => self.submit(chat, language, draft).await,
            Outcome::Answer(draft) => self.answer_question(chat, language, draft).await,
            Outcome::AddInfo(draft) => self.add_info(chat, language, draft).await,
            Outcome::Withdraw(draft) => self.withdraw(chat, language, draft).await,
            Outcome::Rate {
                draft,
                not_satisfied,
            } => self.rate(chat, language, draft, not_satisfied).await,
            Outcome::Staff(draft) => self.staff_action(chat, language, draft).await,
            Outcome::MessageReply(draft) => self.message_reply(chat, language, draft).await,
        }
    }

    /// Shows a step's prompt and keeps the dialogue where it now is.
    fn ask(
        &self,
        chat: &str,
        language: Language,
        dialogue: Dialogue,
        refusal: Option<Refusal>,
    ) -> Result<InboundCompletion, HandleError> {
        let profile = self.hub.profile();
        let limits = self.hub.file_limits();
        let data = prompts::data(profile, limits, &dialogue, refusal.as_ref(), language);
        let mut reply = self.reply(chat, "bot_step", language, &data)?;
        if let Some(telegram) = &mut reply.telegram {
            telegram.keyboard = prompts::keyboard(profile, &dialogue, language);
        }
        let seal = dialogue.draft.is_denunciation();
        let state = serde_json::to_string(&dialogue)
            .map_err(|e| HandleError::Permanent(format!("dialogue state: {e}")))?;
        Ok(InboundCompletion {
            // A denunciation's every message is as secret as the case it becomes.
            seal,
            ..answer(reply, Some(dialogue_change(chat, Some(state))))
        })
    }

    fn cancel(
        &self,
        chat: &str,
        language: Language,
        dialogue: Option<&Dialogue>,
    ) -> Result<InboundCompletion, HandleError> {
        let reply = self.reply(chat, "bot_cancelled", language, &json!({}))?;
        Ok(InboundCompletion {
            seal: dialogue.is_some_and(|d| d.draft.is_denunciation()),
            ..answer(reply, Some(dialogue_change(chat, None)))
        })
    }

    /// Files the case; the hub's notifier tells the person its code on this chat.
    async fn submit(
        &self,
        chat: &str,
        language: Language,
        draft: Draft,
    ) -> Result<InboundCompletion, HandleError> {
        let seal = draft.is_denunciation();
        let new = new_case(chat, language, &draft);
        match self.hub.prepare_case(new).await {
            Ok(record) => Ok(InboundCompletion {
                effect: InboundEffect::Case(Box::new(record)),
                replies: Vec::new(),
                seal,
                chat: Some(dialogue_change(chat, None)),
                mail_key: None,
            }),
            // What the hub refuses is told at the step that can fix it.
            Err(Error::Domain(DomainError::Invalid { field, .. })) => {
                let (step, why) = match field {
                    "phone" => (Step::Phone, Refusal::NotAPhone),
                    "email" => (Step::Email, Refusal::NotAnEmail),
                    "content" => (Step::Content, Refusal::TooShort),
                    _ => (Step::Name, Refusal::Required),
                };
                self.ask(chat, language, Dialogue { step, draft }, Some(why))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Answers with `template` and changes nothing else.
    fn say(
        &self,
        chat: &str,
        template: &str,
        language: Language,
        data: &Value,
    ) -> Result<InboundCompletion, HandleError> {
        Ok(answer(self.reply(chat, template, language, data)?, None))
    }

    fn reply(
        &self,
        chat: &str,
        template: &str,
        language: Language,
        data: &Value,
    ) -> Result<NewNotification, HandleError> {
        let telegram: TelegramMessage = self
            .renderer
            .telegram(template, language, data)
            .map_err(|e| HandleError::from(Error::Template(e.to_string())))?;
        Ok(NewNotification {
            // The row's dedupe key is `inbound:<row id>:reply`: one answer per update.
            key: "reply".to_owned(),
            to: Target::Contacts(vec![Destination {
                channel: ChannelKind::Telegram,
                address: chat.to_owned(),
            }]),
            category: Category::Conversation,
            // An answer to what the person just wrote waits for no quiet hours.
            urgent: true,
            email: None,
            telegram: Some(telegram),
            due_at: self.hub.clock().now(),
            suppressed: false,
        })
    }
}

fn answer(reply: NewNotification, chat: Option<ChatChange>) -> InboundCompletion {
    InboundCompletion {
        replies: vec![reply],
        chat,
        ..InboundCompletion::nothing()
    }
}

/// A chat as the hub names a citizen's contact.
fn chat_contact(chat: &str) -> Result<NormalisedContact, HandleError> {
    Ok(NormalisedContact::parse(ContactKind::Telegram, chat).map_err(Error::from)?)
}

/// A command's optional case code: none when nothing follows the command, an error when what
/// follows is not a code.
fn optional_code(text: &str) -> Result<Option<CaseCode>, ()> {
    match text.trim() {
        "" => Ok(None),
        code => CaseCode::parse(code).map(Some).map_err(drop),
    }
}

/// A dialogue that ends in `effect`, confirmed by `reply`.
fn ended(effect: InboundEffect, reply: NewNotification, chat: &str) -> InboundCompletion {
    InboundCompletion {
        effect,
        ..answer(reply, Some(dialogue_change(chat, None)))
    }
}

/// Keeps the flood window with whatever else the message changes in its chat.
fn with_window(completion: &mut InboundCompletion, chat: &str, window: Window) {
    let change = completion.chat.get_or_insert_with(|| ChatChange {
        chat: chat.to_owned(),
        language: None,
        dialogue: None,
        window: None,
    });
    change.window = Some(window);
}

fn dialogue_change(chat: &str, dialogue: Option<String>) -> ChatChange {
    ChatChange {
        chat: chat.to_owned(),
        language: None,
        dialogue: Some(dialogue),
        window: None,
    }
}

/// The button under the welcome that starts a case.
fn new_case_button(language: Language) -> Keyboard {
    let text = match language {
        Language::Vi => "📝 Gửi hồ sơ",
        Language::En => "📝 Send a case",
    };
    Keyboard {
        rows: vec![vec![Button {
            text: text.to_owned(),
            action: ButtonAction::CallbackData("n:new".to_owned()),
        }]],
    }
}

/// The case a finished draft files. A denouncer's name, address, phone and chat go into the
/// sealed identity and nowhere else.
fn new_case(chat: &str, language: Language, draft: &Draft) -> NewCase {
    let kind = draft.kind().unwrap_or(CaseKind::YKien);
    let content = draft.content.clone().unwrap_or_default();
    let chat_contact = ContactPoint {
        kind: ContactKind::Telegram,
        address: chat.to_owned(),
    };
    let (citizen_name, citizen_address, contacts, denouncer) = if kind == CaseKind::ToCao {
        let identity = DenouncerIdentity {
            full_name: draft.name.clone().unwrap_or_default(),
            phone: draft.phone.clone(),
            email: draft.email.clone(),
            address: draft.address.clone(),
            id_number: draft.id_number.clone(),
            chosen_contact: Some(chat_contact),
        };
        (None, None, Vec::new(), Some(identity))
    } else {
        let mut contacts = vec![chat_contact];
        contacts.extend(draft.phone.clone().map(|phone| ContactPoint {
            kind: ContactKind::Phone,
            address: phone,
        }));
        // After the chat, so that news comes here first and by email when the chat is blocked.
        contacts.extend(draft.email.clone().map(|email| ContactPoint {
            kind: ContactKind::Email,
            address: email,
        }));
        (draft.name.clone(), draft.address.clone(), contacts, None)
    };
    NewCase {
        kind,
        complaint_round: (kind == CaseKind::KhieuNai).then_some(ComplaintRound::First),
        first_case: None,
        title: String::new(),
        content,
        area: draft.area.clone(),
        category: draft.category.clone(),
        channel: SourceChannel::Telegram,
        citizen_name,
        citizen_address,
        // A denouncer's is in the sealed identity.
        citizen_id_number: draft.id_number.clone().filter(|_| !draft.is_denunciation()),
        contacts,
        // The hub reads each file's name, type and size from its row.
        attachments: draft
            .files
            .iter()
            .map(|f| Attachment {
                file_name: String::new(),
                content_type: String::new(),
                size_bytes: 0,
                sha256: String::new(),
                file_id: Some(FileId(f.id)),
            })
            .collect(),
        publication_consent: draft.consent.unwrap_or(false),
        complex: false,
        remote_area: false,
        denouncer,
        source_ref: None,
        language,
    }
}

/// The data of `bot_rated`: the rating of `code` and what it did, or `None` for "nothing to
/// rate". Every key is always there, as the templates render in strict mode.
fn rated(rating: Option<(&str, Reopening)>) -> Value {
    let Some((code, reopening)) = rating else {
        return json!({ "nothing": true, "code": null, "reopening": null, "last_day": null });
    };
    let last_day = match reopening {
        Reopening::WindowClosed { last_day } => Some(vn_date(last_day)),
        _ => None,
    };
    json!({
        "nothing": false, "code": code, "reopening": reopening.as_str(), "last_day": last_day,
    })
}

/// What `/follow` or `/unfollow` did.
enum Following<'a> {
    BadCode,
    Refused,
    Followed { code: &'a str, already: bool },
    Unfollowed { code: Option<&'a str>, count: usize },
}

/// The data of `bot_follow`, every key always there.
fn follow(outcome: Following<'_>) -> Value {
    let mut data = json!({
        "bad_code": false, "refused": false, "followed": false, "already": false,
        "unfollowed": false, "count": 0, "code": null,
    });
    match outcome {
        Following::BadCode => data["bad_code"] = true.into(),
        Following::Refused => data["refused"] = true.into(),
        Following::Followed { code, already } => {
            data["followed"] = true.into();
            data["already"] = already.into();
            data["code"] = code.into();
        }
        Following::Unfollowed { code, count } => {
            data["unfollowed"] = true.into();
            data["count"] = count.into();
            data["code"] = code.into();
        }
    }
    data
}

/// At most this many cases in `/mycases`, newest first: a list, not an archive.
const MY_CASES_SHOWN: usize = 20;

/// The start of a long text, cut at a word.
fn excerpt(text: &str) -> String {
    crate::text::cut_at_word(text, 300)
}

/// `/help`, from the command table: a linked staff chat's lists the staff commands too.
fn help(language: Language, staff: bool) -> Value {
    let commands: Vec<_> = Command::visible(staff)
        .map(|c| json!({ "name": c.name(), "description": c.description(language) }))
        .collect();
    json!({ "commands": commands })
}

#[async_trait]
impl InboundHandler for TelegramHandler {
    async fn handle(
        &self,
        _row: &InboundRow,
        payload: &[u8],
    ) -> Result<InboundCompletion, HandleError> {
        // serde's message can quote the input, which is what a person typed: only say where.
        let update: Update = serde_json::from_slice(payload).map_err(|e| {
            HandleError::Permanent(format!(
                "not a Telegram update (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        // A private chat's message or a button pressed; a member's message in a topic of the
        // staff group counts in their own chat. Other groups, edits and the rest get no
        // answer, as Telegram users expect.
        let topic = self.topic_of(&update.kind);
        let chat = match &update.kind {
            UpdateKind::Message(message) if message.chat.is_private() => message.chat.id.0,
            UpdateKind::Message(Message {
                from: Some(from), ..
            }) if topic.is_some() => i64::try_from(from.id.0).map_err(|_| {
                HandleError::Permanent("a user id beyond Telegram's range".to_owned())
            })?,
            UpdateKind::CallbackQuery(query) => i64::try_from(query.from.id.0).map_err(|_| {
                HandleError::Permanent("a user id beyond Telegram's range".to_owned())
            })?,
            _ => return Ok(InboundCompletion::nothing()),
        }
        .to_string();
        // One read of the chat's state serves the flood gate and the answer.
        let state = self.hub.chat_state(&chat).await?;
        let window = match self.gate(&chat, &state)? {
            Ok(window) => window,
            Err(flooded) => return Ok(flooded),
        };
        let mut completion = match &update.kind {
            UpdateKind::CallbackQuery(query) => self.callback(query, state).await?,
            UpdateKind::Message(message) => self.message(message, state).await?,
            _ => InboundCompletion::nothing(),
        };
        if let Some(topic) = topic {
            room::answer_in(topic, &chat, &mut completion);
        }
        with_window(&mut completion, &chat, window);
        Ok(completion)
    }

    fn stored(&self, payload: &[u8]) {
        if let Some(api) = &self.api {
            receipt::acknowledge(api, payload);
        }
    }

    fn completed(&self, effect: &InboundEffect) {
        if let Some(api) = &self.api {
            menu::after_link(api, effect);
        }
    }
}
