//! The staff desk in the chat: `/inbox` (the member's open cases by deadline, overdue first),
//! `/case CODE` (a case as staff see it, with the signed buttons of what they may do next),
//! `/tasks` (open tasks, each with a done button) and `/agenda` (today and tomorrow in the
//! member's time zone), and the buttons under task reminders: done, snooze for an hour, open.
//!
//! Everything goes through hub services that take the member and check the policy
//! (`hdnd_hub::desk`); nothing here reads the store. Like the rest of the handler, nothing is
//! written here: a task marked done is an `InboundEffect::Task` applied with the update's
//! `done`, and a snoozed reminder is a reply whose outbox row is due an hour later, under the
//! dedupe key of the update (`inbound:<row>:snooze`), so a replay or a retry adds nothing.
//!
//! An unlinked chat never learns the staff commands exist: it gets the unknown-command answer.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use hdnd_hub::access::Caller;
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, Target};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::delivery::{Button, ButtonAction, ChannelKind, Keyboard};
use hdnd_hub::desk::{Agenda, CaseSheet, DeskCase};
use hdnd_hub::domain::calendar::vn_date;
use hdnd_hub::domain::{
    ButtonTarget, CalendarEvent, CaseCode, CaseId, Language, Staff, StaffAction, StaffButton, Task,
    TaskStatus,
};
use hdnd_hub::inbound::HandleError;
use hdnd_hub::schedule::task_reminder_data;
use hdnd_hub::storage::{InboundCompletion, InboundEffect};
use hdnd_hub::{DomainError, Error, Hub};
use serde_json::{Value, json};

use crate::commands::Command;

/// At most this many cases in `/inbox`; the rest are counted.
const INBOX_SHOWN: usize = 30;
/// At most this many tasks in `/tasks`, each with its button.
const TASKS_SHOWN: usize = 20;
/// How long a snoozed reminder waits.
const SNOOZE: Duration = Duration::hours(1);
/// How much of a case's content `/case` shows.
const EXCERPT_CHARS: usize = 500;

/// The desk of one update: the hub and the templates the handler holds.
pub(crate) struct Desk<'a> {
    hub: &'a Hub,
    renderer: &'a Renderer,
}

/// Whether a verified staff button is the desk's: one on a task (a reminder's done, snooze or
/// open), or "open" on a case. The intake moves on a case stay the handler's.
pub(crate) fn handles(button: &StaffButton) -> bool {
    match button.target {
        ButtonTarget::Task(_) => true,
        ButtonTarget::Case(_) => button.action == StaffAction::Open,
        ButtonTarget::Message(_) => false,
    }
}

impl<'a> Desk<'a> {
    pub(crate) fn new(hub: &'a Hub, renderer: &'a Renderer) -> Self {
        Self { hub, renderer }
    }

    /// A staff command from `member`'s chat (the handler checked the chat is theirs).
    pub(crate) async fn command(
        &self,
        chat: &str,
        member: &Staff,
        command: Command,
        argument: &str,
    ) -> Result<InboundCompletion, HandleError> {
        match command {
            Command::Inbox => self.inbox(chat, member).await,
            Command::Case => self.case(chat, member, argument).await,
            Command::Tasks => self.tasks(chat, member).await,
            Command::Agenda => self.agenda(chat, member).await,
            _ => {
                let data = json!({ "unknown_command": true });
                self.say(chat, "bot_fallback", member.language, &data)
            }
        }
    }

    /// A verified desk button ([`handles`]) pressed in `chat`.
    pub(crate) async fn button(
        &self,
        chat: &str,
        language: Language,
        button: StaffButton,
    ) -> Result<InboundCompletion, HandleError> {
        let Some(member) = self.hub.staff_by_chat(chat).await? else {
            return self.staff_outcome(chat, language, "not_linked");
        };
        match (button.target, button.action) {
            (ButtonTarget::Case(id), _) => self.open_case(chat, &member, id).await,
            // Internal messages' buttons are `messages`'; none comes here.
            (ButtonTarget::Message(_), _) => self.staff_outcome(chat, member.language, "refused"),
            (ButtonTarget::Task(id), action) => {
                let task = match self.hub.task_for_staff(member.id, id).await {
                    Ok(task) => task,
                    Err(Error::Domain(_) | Error::NotFound(_)) => {
                        return self.staff_outcome(chat, member.language, "refused");
                    }
                    Err(e) => return Err(e.into()),
                };
                match action {
                    StaffAction::Done => self.done(chat, &member, task).await,
                    StaffAction::Snooze => self.snooze(chat, &member, task).await,
                    StaffAction::Open => self.open_task(chat, &member, task).await,
                    _ => self.staff_outcome(chat, member.language, "refused"),
                }
            }
        }
    }

    /// `/inbox`.
    async fn inbox(&self, chat: &str, member: &Staff) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        let today = self.today();
        let desk = self.hub.inbox(member.id).await?;
        let cases: Vec<Value> = desk
            .iter()
            .take(INBOX_SHOWN)
            .map(|d| {
                let mut item = deadline(d, today);
                item["code"] = d.case.code.as_str().into();
                item["kind"] = d.case.kind.label(language).into();
                item["status"] = d.case.progress.status.label(language).into();
                item
            })
            .collect();
        let data = json!({
            "cases": cases,
            "total": desk.len(),
            "more": desk.len().saturating_sub(INBOX_SHOWN),
        });
        self.say(chat, "bot_inbox", language, &data)
    }

    /// `/case CODE`.
    async fn case(
        &self,
        chat: &str,
        member: &Staff,
        code: &str,
    ) -> Result<InboundCompletion, HandleError> {
        let Ok(code) = CaseCode::parse(code) else {
            let data = json!({ "found": false, "bad_code": true, "case": null });
            return self.say(chat, "bot_case", member.language, &data);
        };
        let sheet = self.hub.case_sheet(member.id, &code).await;
        self.show_sheet(chat, member, sheet)
    }

    /// "Open" on a case: the case as `/case` shows it.
    async fn open_case(
        &self,
        chat: &str,
        member: &Staff,
        id: CaseId,
    ) -> Result<InboundCompletion, HandleError> {
        let sheet = self.hub.case_sheet_by_id(member.id, id).await;
        self.show_sheet(chat, member, sheet)
    }

    /// A case sheet with its buttons; an unknown case and one the member may not read get the
    /// same "not found", so that no code is confirmed.
    fn show_sheet(
        &self,
        chat: &str,
        member: &Staff,
        sheet: Result<CaseSheet, Error>,
    ) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        let sheet = match sheet {
            Ok(sheet) => sheet,
            Err(Error::Domain(DomainError::Forbidden(_)) | Error::NotFound(_)) => {
                let data = json!({ "found": false, "bad_code": false, "case": null });
                return self.say(chat, "bot_case", language, &data);
            }
            Err(e) => return Err(e.into()),
        };
        let case = &sheet.desk.case;
        let profile = self.hub.profile();
        let tz = member.time_zone;
        let events: Vec<Value> = sheet
            .events
            .iter()
            .map(|(event, by)| {
                let by = by.clone().unwrap_or_else(|| match language {
                    Language::Vi => "công dân".to_owned(),
                    Language::En => "the citizen".to_owned(),
                });
                json!({
                    "at": local(event.at, tz),
                    "label": event.kind.label(language),
                    "status": event.to.map(|s| s.label(language)),
                    "by": by,
                })
            })
            .collect();
        let mut data = deadline(&sheet.desk, self.today());
        let facts = json!({
            "code": case.code.as_str(),
            "kind": case.kind.label(language),
            "status": case.progress.status.label(language),
            "title": Some(case.title.clone()).filter(|t| !t.is_empty()),
            "area": case.area.as_deref().and_then(|a| profile.area(a)).map(|a| a.name.clone()),
            "category": case.category.as_deref().and_then(|c| profile.category(c)).map(|c| c.name.clone()),
            "received_on": vn_date(case.received_on),
            "clock": sheet.desk.due.map(|(clock, _)| clock.label(language)),
            "assignee": sheet.assignee,
            "content": excerpt(&case.content),
            "events": events,
        });
        for (key, value) in facts.as_object().into_iter().flatten() {
            data[key] = value.clone();
        }
        let mut reply = self.reply(
            chat,
            "reply",
            "bot_case",
            language,
            &json!({ "found": true, "bad_code": false, "case": data }),
        )?;
        if let Some(telegram) = &mut reply.telegram {
            telegram.keyboard = sheet.keyboard;
        }
        Ok(answer(vec![reply], InboundEffect::Nothing))
    }

    /// `/tasks`: the member's open tasks by due date, each with its done button.
    async fn tasks(&self, chat: &str, member: &Staff) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        let today = self.today();
        let tasks = self.hub.open_tasks(member.id).await?;
        let mut items = Vec::new();
        let mut buttons = Vec::new();
        for (n, task) in tasks.iter().take(TASKS_SHOWN).enumerate() {
            let number = n + 1;
            let case_code = self.hub.task_case_code(member.id, task).await?;
            items.push(json!({
                "number": number,
                "title": task.title,
                "due_on": vn_date(task.due_on),
                "overdue": task.due_on < today,
                "case_code": case_code.as_ref().map(CaseCode::as_str),
            }));
            buttons.push(vec![Button {
                text: format!("{} {number}. {}", done_mark(), short(&task.title)),
                action: ButtonAction::CallbackData(
                    self.hub.task_button(StaffAction::Done, task.id),
                ),
            }]);
        }
        let data = tasks_data("list", items, None, None);
        let mut reply = self.reply(chat, "reply", "bot_tasks", language, &data)?;
        if let Some(telegram) = &mut reply.telegram {
            telegram.keyboard = Keyboard { rows: buttons };
        }
        Ok(answer(vec![reply], InboundEffect::Nothing))
    }

    /// A task button pressed on a task no longer open: nothing changes, and it says so.
    fn task_already(
        &self,
        chat: &str,
        task: &Task,
        language: Language,
    ) -> Result<InboundCompletion, HandleError> {
        let data = tasks_data("already", Vec::new(), Some(task_data(task, language)), None);
        self.say(chat, "bot_tasks", language, &data)
    }

    /// "Done" on a task: done with the update's `done`, through the hub's audited task
    /// service; a task no longer open changes nothing and says so.
    async fn done(
        &self,
        chat: &str,
        member: &Staff,
        task: Task,
    ) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        if task.status != TaskStatus::Open {
            return self.task_already(chat, &task, language);
        }
        let change = match self
            .hub
            .plan_task_status(Caller::Staff(member.id), task.id, TaskStatus::Done)
            .await
        {
            Ok(change) => change,
            Err(Error::Domain(DomainError::Forbidden(_))) => {
                return self.staff_outcome(chat, language, "refused");
            }
            Err(Error::Domain(_)) => return self.task_already(chat, &task, language),
            Err(e) => return Err(e.into()),
        };
        let data = tasks_data("done", Vec::new(), Some(task_data(&task, language)), None);
        let reply = self.reply(chat, "reply", "bot_tasks", language, &data)?;
        Ok(answer(vec![reply], InboundEffect::Task(Box::new(change))))
    }

    /// "Snooze": the same reminder, with its buttons, due an hour from now, once.
    async fn snooze(
        &self,
        chat: &str,
        member: &Staff,
        task: Task,
    ) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        if task.status != TaskStatus::Open {
            return self.task_already(chat, &task, language);
        }
        let now = self.hub.clock().now();
        let again = now + SNOOZE;
        let until = again
            .with_timezone(&member.time_zone)
            .format("%H:%M")
            .to_string();
        let data = tasks_data(
            "snoozed",
            Vec::new(),
            Some(task_data(&task, language)),
            Some(until),
        );
        let ack = self.reply(chat, "reply", "bot_tasks", language, &data)?;
        let case_code = self.hub.task_case_code(member.id, &task).await?;
        let overdue = task.due_on < self.today();
        let mut data = task_reminder_data(
            &self.hub.profile().name,
            member,
            &task,
            case_code.as_ref().map(CaseCode::as_str),
            overdue,
        );
        // Asked for in the chat: not a subscription to leave.
        data["unsubscribe_url"] = Value::Null;
        let mut reminder = self.reply(chat, "snooze", "reminder_task", language, &data)?;
        if let Some(telegram) = &mut reminder.telegram {
            telegram.keyboard = self.hub.task_keyboard(task.id, language);
        }
        let reminder = NewNotification {
            category: Category::Reminder,
            due_at: again,
            ..reminder
        };
        Ok(answer(vec![ack, reminder], InboundEffect::Nothing))
    }

    /// "Open" on a task: its case as `/case` shows it, or the task itself when it has none (or
    /// one the member may not read).
    async fn open_task(
        &self,
        chat: &str,
        member: &Staff,
        task: Task,
    ) -> Result<InboundCompletion, HandleError> {
        if let Some(id) = task.case_id {
            match self.hub.case_sheet_by_id(member.id, id).await {
                Err(Error::Domain(DomainError::Forbidden(_)) | Error::NotFound(_)) => {}
                sheet => return self.show_sheet(chat, member, sheet),
            }
        }
        let language = member.language;
        let data = tasks_data("shown", Vec::new(), Some(task_data(&task, language)), None);
        let mut reply = self.reply(chat, "reply", "bot_tasks", language, &data)?;
        if let (Some(telegram), TaskStatus::Open) = (&mut reply.telegram, task.status) {
            telegram.keyboard = self.hub.task_keyboard(task.id, language);
        }
        Ok(answer(vec![reply], InboundEffect::Nothing))
    }

    /// `/agenda`: today and tomorrow, in the member's time zone.
    async fn agenda(&self, chat: &str, member: &Staff) -> Result<InboundCompletion, HandleError> {
        let language = member.language;
        let Agenda { time_zone, days } = self.hub.agenda(member.id, 2).await?;
        let day = |n: usize| {
            let (date, events) = days.get(n).cloned().unwrap_or_default();
            json!({
                "date": vn_date(date),
                "events": events.iter().map(|e| event_data(e, time_zone, language)).collect::<Vec<_>>(),
            })
        };
        let council = self.hub.profile().time_zone;
        let data = json!({
            "today": day(0),
            "tomorrow": day(1),
            "zone": (time_zone != council).then(|| time_zone.name()),
        });
        self.say(chat, "bot_agenda", language, &data)
    }

    /// Today, council-local: deadlines are council dates.
    fn today(&self) -> NaiveDate {
        self.hub.profile().local_date(self.hub.clock().now())
    }

    /// A staff button's refusal (`bot_staff`: not linked, refused).
    fn staff_outcome(
        &self,
        chat: &str,
        language: Language,
        outcome: &str,
    ) -> Result<InboundCompletion, HandleError> {
        let data = json!({ "outcome": outcome, "code": null, "status": null, "by": null });
        self.say(chat, "bot_staff", language, &data)
    }

    fn say(
        &self,
        chat: &str,
        template: &str,
        language: Language,
        data: &Value,
    ) -> Result<InboundCompletion, HandleError> {
        let reply = self.reply(chat, "reply", template, language, data)?;
        Ok(answer(vec![reply], InboundEffect::Nothing))
    }

    /// A reply to `chat` rendered from `template`; its dedupe key is `inbound:<row>:<key>`.
    fn reply(
        &self,
        chat: &str,
        key: &str,
        template: &str,
        language: Language,
        data: &Value,
    ) -> Result<NewNotification, HandleError> {
        let telegram = self
            .renderer
            .telegram(template, language, data)
            .map_err(|e| HandleError::from(Error::Template(e.to_string())))?;
        Ok(NewNotification {
            key: key.to_owned(),
            to: Target::Contacts(vec![Destination {
                channel: ChannelKind::Telegram,
                address: chat.to_owned(),
            }]),
            category: Category::Conversation,
            // An answer to what the member just pressed or typed waits for no quiet hours.
            urgent: true,
            email: None,
            telegram: Some(telegram),
            due_at: self.hub.clock().now(),
            suppressed: false,
        })
    }
}

fn answer(replies: Vec<NewNotification>, effect: InboundEffect) -> InboundCompletion {
    InboundCompletion {
        effect,
        replies,
        ..InboundCompletion::nothing()
    }
}

/// A case's deadline for the templates: its date, how many days are left or overdue, and
/// whether it is today, overdue or unknown; every key always there.
fn deadline(desk: &DeskCase, today: NaiveDate) -> Value {
    let days = desk.days_left(today);
    json!({
        "due_on": desk.due.map(|(_, due)| vn_date(due)),
        "days": days.map(i64::abs),
        "overdue": days.is_some_and(|d| d < 0),
        "today": days == Some(0),
        "unknown": desk.due.is_none() && desk.unknown,
    })
}

/// The data of `bot_tasks`, every key always there.
fn tasks_data(
    outcome: &str,
    tasks: Vec<Value>,
    task: Option<Value>,
    until: Option<String>,
) -> Value {
    json!({ "outcome": outcome, "tasks": tasks, "task": task, "until": until })
}

fn task_data(task: &Task, language: Language) -> Value {
    json!({
        "title": task.title,
        "due_on": vn_date(task.due_on),
        "status": task.status.label(language),
    })
}

fn event_data(event: &CalendarEvent, tz: Tz, language: Language) -> Value {
    json!({
        "time": event.starts_at.with_timezone(&tz).format("%H:%M").to_string(),
        "end": event.ends_at.map(|end| end.with_timezone(&tz).format("%H:%M").to_string()),
        "title": event.title,
        "kind": event.kind.label(language),
        "place": event.place,
    })
}

/// `dd/mm/yyyy HH:MM` in `tz`.
fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

/// The done button's mark, as on a reminder's.
fn done_mark() -> &'static str {
    StaffAction::Done
        .label(Language::Vi)
        .split_whitespace()
        .next()
        .unwrap_or("✔️")
}

/// A task's title cut for a button.
fn short(title: &str) -> String {
    const CHARS: usize = 40;
    if title.chars().count() <= CHARS {
        return title.to_owned();
    }
    let cut: String = title.chars().take(CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The start of a case's content, cut at a word.
fn excerpt(text: &str) -> String {
    crate::text::cut_at_word(text, EXCERPT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_titles_and_contents_are_cut_at_a_word() {
        assert_eq!(short("Họp giao ban"), "Họp giao ban");
        let long = "Chuẩn bị báo cáo kết quả giải quyết kiến nghị cử tri trước kỳ họp";
        let cut = short(long);
        assert_eq!(cut.chars().count(), 40);
        assert!(cut.ends_with('…'));
        let content = "đèn ".repeat(200);
        let cut = excerpt(&content);
        assert!(cut.chars().count() <= EXCERPT_CHARS + 1 && cut.ends_with("đèn…"));
        assert_eq!(done_mark(), "✔️");
    }
}
