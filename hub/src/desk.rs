//! The staff desk, as hub services: what a linked staff member reads in the chat (`/inbox`,
//! `/case CODE`, `/tasks`, `/agenda`), the buttons under it and under task reminders, and the
//! task change those buttons plan.
//!
//! Each service takes the member it works for and checks the policy like every other staff
//! service: an inactive account reads nothing, a case needs `read_case` on its kind (so a
//! denunciation shows only to `giai_quyet_to_cao`, and its denouncer, sealed apart from the
//! case, never), and a task changes only by its assignee or with `manage_work`. The bot formats
//! what these return; it never reads the store.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::access::Caller;
use crate::domain::policy::{self, Action, CaseContext};
use crate::domain::{
    CalendarEvent, Case, CaseCode, CaseId, ClockKind, Language, Role, Staff, StaffAction, StaffId,
    Status, Task, TaskStatus, TimelineEvent,
};
use crate::error::{DomainError, Error};
use crate::hub::Hub;
use crate::notification::telegram::case_keyboard;
use crate::notification::{Button, ButtonAction, Keyboard};
use crate::schedule::paused;
use crate::storage::{CaseFilter, TaskChange};

/// A case on a member's desk, with the deadline that comes first.
#[derive(Debug, Clone)]
pub struct DeskCase {
    /// The case, as the member may read it.
    pub case: Case,
    /// The nearest known deadline of the case's running clocks that are not paused, and
    /// whose clock it is.
    pub due: Option<(ClockKind, NaiveDate)>,
    /// Whether a running clock's deadline cannot be counted yet (the profile lacks the year).
    pub unknown: bool,
}

impl DeskCase {
    fn of(case: Case) -> Self {
        let clocks = &case.progress.clocks;
        let running: Vec<_> = clocks
            .running()
            .filter(|(kind, _)| !paused(&case, *kind))
            .collect();
        let due = running
            .iter()
            .filter_map(|(kind, clock)| clock.due.map(|due| (*kind, due)))
            .min_by_key(|(_, due)| *due);
        let unknown = running.iter().any(|(_, clock)| clock.due.is_none());
        Self { case, due, unknown }
    }

    /// Days from `today` to the deadline: negative once it is overdue.
    pub fn days_left(&self, today: NaiveDate) -> Option<i64> {
        self.due.map(|(_, due)| (due - today).num_days())
    }
}

/// A case as a staff member sees it in the chat: its facts, its last steps, who holds it, and
/// the buttons for what the member may do next.
#[derive(Clone)]
pub struct CaseSheet {
    /// The case and its nearest deadline.
    pub desk: DeskCase,
    /// The assignee's display name.
    pub assignee: Option<String>,
    /// The newest steps of the timeline, oldest first, with the name of the staff member who
    /// took each (`None` for the citizen).
    pub events: Vec<(TimelineEvent, Option<String>)>,
    /// The signed buttons of what the member may do next: the same as under every staff
    /// message about the case (`notification::telegram::case_keyboard`).
    pub keyboard: Keyboard,
}

// Written by hand: the names of staff and the steps' notes (a citizen's answer) are personal
// data and must not reach a log line through a `?sheet`.
impl fmt::Debug for CaseSheet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseSheet")
            .field("desk", &self.desk)
            .field("assigned", &self.assignee.is_some())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

/// A member's calendar for some days, in their own time zone.
#[derive(Debug, Clone)]
pub struct Agenda {
    /// The member's time zone, in which the days begin and end.
    pub time_zone: Tz,
    /// Each day (local to `time_zone`) with the events the member attends, soonest first.
    pub days: Vec<(NaiveDate, Vec<CalendarEvent>)>,
}

/// How many timeline steps a case sheet shows.
const SHEET_EVENTS: usize = 5;
/// How many received cases one query lists while the inbox gathers them.
const PAGE: i64 = 100;

impl Hub {
    /// A member's open cases, by deadline (overdue first, then the soonest, then those without
    /// a known deadline, oldest received first): those assigned to them, and at a desk that
    /// accepts cases (`tiep_nhan`, `giai_quyet_to_cao`) also the received ones nobody holds yet
    /// of the kinds the member may accept. Every case is checked for `read_case` as the
    /// member: a denunciation appears only to `giai_quyet_to_cao`.
    pub async fn inbox(&self, staff: StaffId) -> Result<Vec<DeskCase>, Error> {
        let member = self.desk_member(staff).await?;
        let mut cases: Vec<Case> = self
            .store()
            .list_open_assigned_cases()
            .await?
            .into_iter()
            .filter(|c| c.progress.assignee == Some(member.id))
            .collect();
        let at_desk = member
            .roles
            .iter()
            .any(|r| matches!(r, Role::Intake | Role::DenunciationOfficer));
        if at_desk {
            let mut filter = CaseFilter {
                status: Some(Status::Received),
                limit: PAGE,
                ..CaseFilter::default()
            };
            loop {
                let page = self.list_cases_for_staff(member.id, &filter).await?;
                let full = page.len() as i64 == PAGE;
                cases.extend(page.into_iter().filter(|c| {
                    c.progress.assignee.is_none()
                        && policy::allowed(&member.roles, Action::Accept, Some(c.kind))
                }));
                if !full {
                    break;
                }
                filter.offset += PAGE;
            }
        }
        let mut desk: Vec<DeskCase> = cases
            .into_iter()
            .filter(|case| {
                let context = match case.progress.assignee {
                    Some(_) => CaseContext::new(case.kind).assigned_to(&member),
                    None => CaseContext::new(case.kind),
                };
                policy::check(&member, Action::ReadCase, Some(&context)).is_ok()
            })
            .map(DeskCase::of)
            .collect();
        desk.sort_by_key(|d| {
            (
                d.due.is_none(),
                d.due.map(|(_, due)| due),
                d.case.received_at,
            )
        });
        Ok(desk)
    }

    /// The case `code` as `staff` may read it (`read_case`), with its last steps, its assignee
    /// and the signed buttons of what they may do next. An unknown code is `NotFound`, a case
    /// they may not read `Forbidden`: a transport tells both alike, so no code is confirmed.
    pub async fn case_sheet(&self, staff: StaffId, code: &CaseCode) -> Result<CaseSheet, Error> {
        let id = self.store().get_case_by_code(code).await?.id;
        self.case_sheet_by_id(staff, id).await
    }

    /// [`Hub::case_sheet`] by the case's id (a button's target).
    pub async fn case_sheet_by_id(&self, staff: StaffId, id: CaseId) -> Result<CaseSheet, Error> {
        let member = self.desk_member(staff).await?;
        let case = self.store().get_case(id).await?;
        let context = self.case_context(&case).await?;
        policy::check(&member, Action::ReadCase, Some(&context))?;
        let assignee = match case.progress.assignee {
            Some(id) => Some(self.store().get_staff(id).await?.display_name),
            None => None,
        };
        let timeline = self.store().get_timeline(case.id).await?;
        let skip = timeline.len().saturating_sub(SHEET_EVENTS);
        let mut events = Vec::with_capacity(SHEET_EVENTS);
        for event in timeline.into_iter().skip(skip) {
            let name = match event.actor.staff_id() {
                Some(id) => Some(self.store().get_staff(id).await?.display_name),
                None => None,
            };
            events.push((event, name));
        }
        let keyboard = case_keyboard(&case, &member, &context, &self.button_key());
        Ok(CaseSheet {
            desk: DeskCase::of(case),
            assignee,
            events,
            keyboard,
        })
    }

    /// A member's open tasks, soonest due first.
    pub async fn open_tasks(&self, staff: StaffId) -> Result<Vec<Task>, Error> {
        let member = self.desk_member(staff).await?;
        self.store()
            .list_staff_tasks(member.id, Some(TaskStatus::Open))
            .await
    }

    /// The task `id`, for its assignee or anyone with `manage_work`.
    pub async fn task_for_staff(&self, staff: StaffId, id: i64) -> Result<Task, Error> {
        let task = self.store().get_task(id).await?;
        self.allow_task(Caller::Staff(staff), &task).await?;
        Ok(task)
    }

    /// The code of the case `task` is about, if `staff` may read that case (a reminder names
    /// it; a denunciation's code only to `giai_quyet_to_cao`).
    pub async fn task_case_code(
        &self,
        staff: StaffId,
        task: &Task,
    ) -> Result<Option<CaseCode>, Error> {
        let Some(id) = task.case_id else {
            return Ok(None);
        };
        match self.case_for_staff(staff, id).await {
            Ok(case) => Ok(Some(case.code)),
            Err(Error::Domain(DomainError::Forbidden(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// What setting task `id` to `to` writes (its assignee, or anyone with `manage_work`), for
    /// a transport that stores it with the message it came in (`InboundEffect::Task`), so a
    /// replayed message changes nothing twice. A task already in `to` is refused as `Invalid`
    /// on `status`; the caller tells the person it was done already.
    pub async fn plan_task_status(
        &self,
        caller: Caller,
        id: i64,
        to: TaskStatus,
    ) -> Result<TaskChange, Error> {
        let task = self.store().get_task(id).await?;
        self.allow_task(caller, &task).await?;
        if task.status == to {
            return Err(
                DomainError::invalid("status", format!("task {id} is {to} already")).into(),
            );
        }
        Ok(TaskChange {
            task,
            to,
            audit: caller.audit(),
        })
    }

    /// A member's calendar for `days` days from today, each day local to the member's own time
    /// zone (midnight to midnight there), with the events they attend.
    pub async fn agenda(&self, staff: StaffId, days: u32) -> Result<Agenda, Error> {
        let member = self.desk_member(staff).await?;
        let tz = member.time_zone;
        let today = self.clock().now().with_timezone(&tz).date_naive();
        let midnight = |day: NaiveDate| -> DateTime<Utc> {
            // A day that starts in a daylight-saving gap starts when the clocks resume.
            let local = day.and_time(NaiveTime::MIN);
            (0..4)
                .find_map(|half_hours| {
                    tz.from_local_datetime(&(local + Duration::minutes(30 * half_hours)))
                        .earliest()
                })
                .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
        };
        let last = today + Duration::days(i64::from(days));
        let (from, to) = (midnight(today), midnight(last));
        let events: Vec<CalendarEvent> = self
            .store()
            .list_calendar_events(from, to)
            .await?
            .into_iter()
            .filter(|e| e.starts_at < to && e.attendees.contains(&member.id))
            .collect();
        let days = (0..i64::from(days))
            .map(|n| {
                let day = today + Duration::days(n);
                let on_day = events
                    .iter()
                    .filter(|e| e.starts_at.with_timezone(&tz).date_naive() == day)
                    .cloned()
                    .collect();
                (day, on_day)
            })
            .collect();
        Ok(Agenda {
            time_zone: tz,
            days,
        })
    }

    /// The buttons under a task reminder on Telegram, signed for task `task`: done and snooze
    /// for an hour, then open, labelled in `language`.
    pub fn task_keyboard(&self, task: i64, language: Language) -> Keyboard {
        let button = |action: StaffAction| Button {
            text: action.label(language).to_owned(),
            action: ButtonAction::CallbackData(self.task_button(action, task)),
        };
        Keyboard {
            rows: vec![
                vec![button(StaffAction::Done), button(StaffAction::Snooze)],
                vec![button(StaffAction::Open)],
            ],
        }
    }

    /// The active account `staff`, or `Forbidden`.
    async fn desk_member(&self, staff: StaffId) -> Result<Staff, Error> {
        self.staff_caller(Caller::Staff(staff))
            .await?
            .ok_or_else(|| DomainError::Forbidden("the desk is staff's".to_owned()).into())
    }
}
