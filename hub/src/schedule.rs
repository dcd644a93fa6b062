//! The scheduler: turns stored tasks, calendar events and case deadlines into reminders, and
//! the cron schedule into morning agendas, by enqueueing them into the outbox.
//!
//! Nothing is kept about what was reminded: every tick derives, from the stored data, each
//! reminder whose moment lies within the last `max age` and enqueues it under a dedupe key made
//! of its source, its kind and its moment. So a restart misses nothing that is not too old,
//! two instances never send one twice, and catch-up after an outage stops at the maximum age
//! (no 07:00 agenda at 15:00). Working days are decided here, from the council's calendar:
//! cron cannot see holidays.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::attachments::sweep_orphan_files;
use crate::delivery::ChannelKind;
use crate::delivery::email::new_message_id;
use crate::delivery::outbox::{Category, NewNotification, Target, staff_destinations};
use crate::delivery::render::Renderer;
use crate::domain::calendar::vn_date;
use crate::domain::policy::{self, Action};
use crate::domain::{
    Case, CaseId, ClockKind, Language, Role, Staff, StaffId, Status, Task, TaskStatus,
};
use crate::error::Error;
use crate::files::BlobStore;
use crate::hub::Hub;

/// `[schedule]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// How often the scheduler looks for due reminders, in seconds.
    pub tick_secs: u64,
    /// The morning agenda, as a cron expression in the council's time zone with seconds first
    /// and day names (`0 0 7 * * MON-FRI`); empty disables it. Holidays are skipped.
    pub morning_digest: String,
    /// The oldest agenda still sent after an outage, in minutes.
    pub digest_max_age_mins: i64,
    /// The oldest reminder still sent after an outage, in minutes.
    pub reminder_max_age_mins: i64,
    /// How long before an event its attendees are reminded, in minutes.
    pub event_reminders_mins: Vec<i64>,
    /// The council-local time of task and deadline reminders, `HH:MM`.
    pub reminder_time: String,
    /// How many working days ahead a case deadline is announced.
    pub deadline_warning_days: u32,
    /// The identity of outgoing Message-IDs.
    #[serde(skip)]
    pub message_id_domain: String,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            tick_secs: 60,
            morning_digest: "0 0 7 * * MON-FRI".to_owned(),
            digest_max_age_mins: 120,
            reminder_max_age_mins: 240,
            event_reminders_mins: vec![1440, 60],
            reminder_time: "08:00".to_owned(),
            deadline_warning_days: 3,
            message_id_domain: "hongbang.example".to_owned(),
        }
    }
}

/// A schedule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("schedule.morning_digest: `{0}`: {1}")]
    Cron(String, String),
    #[error("schedule.reminder_time: `{0}` is not a time like 08:00")]
    Time(String),
}

impl ScheduleSettings {
    /// The parsed digest schedule (`None` when disabled) and reminder time.
    pub fn check(&self) -> Result<(Option<cron::Schedule>, NaiveTime), ScheduleError> {
        let time = NaiveTime::parse_from_str(self.reminder_time.trim(), "%H:%M")
            .map_err(|_| ScheduleError::Time(self.reminder_time.clone()))?;
        let expr = self.morning_digest.trim();
        if expr.is_empty() {
            return Ok((None, time));
        }
        // cron 0.17 reads Quartz syntax, where day-of-week 1 is Sunday: a number there is
        // almost surely a mistake, so only names are accepted.
        let fields: Vec<_> = expr.split_whitespace().collect();
        if fields.len() < 6 {
            let why = "use six fields, seconds first: `0 0 7 * * MON-FRI`".to_owned();
            return Err(ScheduleError::Cron(expr.to_owned(), why));
        }
        if fields[5].chars().any(|c| c.is_ascii_digit()) {
            let why =
                "name the days of the week (MON-FRI); numbers mean other days in cron".to_owned();
            return Err(ScheduleError::Cron(expr.to_owned(), why));
        }
        let schedule = cron::Schedule::from_str(expr)
            .map_err(|e| ScheduleError::Cron(expr.to_owned(), e.to_string()))?;
        Ok((Some(schedule), time))
    }
}

/// The scheduler of one hub instance.
#[derive(Debug, Clone)]
pub struct Scheduler {
    hub: Hub,
    renderer: Arc<Renderer>,
    settings: ScheduleSettings,
    digest: Option<cron::Schedule>,
    reminder_time: NaiveTime,
    /// `<public url>/huy-nhan-tin/`
    unsubscribe_base: String,
    /// How long processed inbound payloads are kept; `None` keeps them.
    inbound_retention: Option<chrono::Duration>,
    /// The file store whose abandoned uploads the sweep removes; `None` sweeps nothing.
    files: Option<FileSweep>,
}

/// The orphan sweep's file store, grace and last run.
#[derive(Debug, Clone)]
struct FileSweep {
    blobs: Arc<dyn BlobStore>,
    grace: Duration,
    /// When the sweep last ran: it scans the `files` table, so it runs at most hourly.
    last: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
}

/// One reminder to one staff member.
struct Reminder<'a> {
    to: &'a Staff,
    category: Category,
    template: &'static str,
    data: Value,
    /// Unique per reminder: source, kind and moment.
    event_key: String,
    case: Option<CaseId>,
    /// The task a task reminder is about: its Telegram message gets the done, snooze and open
    /// buttons.
    task: Option<i64>,
    urgent: bool,
    /// The start of the event an event reminder is about: quiet hours never defer it past
    /// that, and its text says the time left when it goes out (`event.lead`).
    event_start: Option<DateTime<Utc>>,
}

impl Scheduler {
    pub fn new(
        hub: Hub,
        renderer: Arc<Renderer>,
        settings: ScheduleSettings,
        public_url: &str,
    ) -> Result<Self, ScheduleError> {
        let (digest, reminder_time) = settings.check()?;
        Ok(Self {
            hub,
            renderer,
            settings,
            digest,
            reminder_time,
            unsubscribe_base: format!("{}/huy-nhan-tin/", public_url.trim_end_matches('/')),
            inbound_retention: None,
            files: None,
        })
    }

    /// The same scheduler, also deleting uploads attached to no case for longer than `grace`
    /// (24 hours by default, `[files] orphan_grace_hours`), and then their blobs in `blobs`
    /// that no other upload shares.
    pub fn with_files(mut self, blobs: Arc<dyn BlobStore>, grace: StdDuration) -> Self {
        self.files = Some(FileSweep {
            blobs,
            grace: Duration::from_std(grace).unwrap_or(Duration::MAX),
            last: Arc::default(),
        });
        self
    }

    /// The same scheduler, also deleting the payloads of inbound messages processed more than
    /// `days` ago (the retention of `[inbound]`).
    pub fn with_inbound_retention(mut self, days: u32) -> Self {
        self.inbound_retention = Some(chrono::Duration::days(i64::from(days)));
        self
    }

    /// Enqueues every reminder due now and not too old; returns how many rows were added.
    pub async fn tick(&self) -> Result<u64, Error> {
        let now = self.hub.clock().now();
        let store = self.hub.store();
        let staff: Vec<Staff> = store
            .list_staff()
            .await?
            .into_iter()
            .filter(|s| s.active)
            .collect();
        let by_id: HashMap<StaffId, &Staff> = staff.iter().map(|s| (s.id, s)).collect();
        let disabled: HashSet<_> = store
            .list_disabled_preferences()
            .await?
            .into_iter()
            .collect();
        let mut reminders = Vec::new();
        self.event_reminders(now, &by_id, &mut reminders).await?;
        self.task_reminders(now, &by_id, &mut reminders).await?;
        self.deadline_warnings(now, &by_id, &mut reminders).await?;
        self.digests(now, &staff, &mut reminders).await?;
        let mut added = 0;
        for reminder in reminders {
            added += self.enqueue(reminder, now, &disabled).await?;
        }
        if added > 0 {
            tracing::info!(
                schedule.enqueued = added,
                "scheduler enqueued {added} reminders"
            );
        }
        if let Some(retention) = self.inbound_retention {
            let purged = store.purge_inbound_payloads(now - retention).await?;
            if purged > 0 {
                tracing::info!(
                    inbound.purged = purged,
                    "deleted the payloads of {purged} processed inbound messages"
                );
            }
        }
        // Last: a failing file store must not hold back reminders or the inbound purge.
        if let Some(sweep) = &self.files {
            self.sweep_files(sweep, now).await?;
        }
        Ok(added)
    }

    /// Ticks until `stop` turns true.
    /// The orphan sweep, if it did not run within the last hour.
    async fn sweep_files(&self, sweep: &FileSweep, now: DateTime<Utc>) -> Result<(), Error> {
        {
            let mut last = sweep.last.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| now - at < Duration::hours(1)) {
                return Ok(());
            }
            *last = Some(now);
        }
        let older_than = now
            .checked_sub_signed(sweep.grace)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let report =
            sweep_orphan_files(self.hub.store().as_ref(), sweep.blobs.as_ref(), older_than).await?;
        if report.rows > 0 {
            tracing::info!(
                files.rows = report.rows,
                files.blobs = report.blobs,
                "deleted {} abandoned uploads and {} blobs no upload needs",
                report.rows,
                report.blobs
            );
        }
        Ok(())
    }

    pub async fn run_until_stopped(self, mut stop: watch::Receiver<bool>) {
        let every = StdDuration::from_secs(self.settings.tick_secs.max(1));
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!(error.message = %e, "the scheduler's tick failed; it runs again");
            }
            tokio::select! {
                _ = stop.changed() => break,
                () = tokio::time::sleep(every) => {}
            }
        }
        tracing::info!("scheduler stopped");
    }

    fn tz(&self) -> Tz {
        self.hub.profile().time_zone
    }

    /// Whether a reminder at `moment` is due at `now` and not older than `max_age_mins`.
    fn due(moment: DateTime<Utc>, now: DateTime<Utc>, max_age_mins: i64) -> bool {
        moment <= now && moment > now - Duration::minutes(max_age_mins)
    }

    /// `day` at the reminder time, council-local.
    fn at_reminder_time(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        self.tz()
            .from_local_datetime(&day.and_time(self.reminder_time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    fn local_label(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz())
            .format("%d/%m/%Y %H:%M")
            .to_string()
    }

    fn council(&self) -> Value {
        json!({ "name": self.hub.profile().name })
    }

    async fn event_reminders<'a>(
        &self,
        now: DateTime<Utc>,
        staff: &HashMap<StaffId, &'a Staff>,
        out: &mut Vec<Reminder<'a>>,
    ) -> Result<(), Error> {
        let max_age = self.settings.reminder_max_age_mins;
        let furthest = self
            .settings
            .event_reminders_mins
            .iter()
            .copied()
            .max()
            .unwrap_or(0);
        let events = self
            .hub
            .store()
            // A day more: a reminder whose moment falls in quiet hours may go out up to a day
            // before it, when those quiet hours begin.
            .list_calendar_events(now, now + Duration::minutes(furthest + max_age + 1440))
            .await?;
        for event in &events {
            for &before in &self.settings.event_reminders_mins {
                let moment = event.starts_at - Duration::minutes(before);
                if event.starts_at <= now {
                    continue;
                }
                for member in event.attendees.iter().filter_map(|id| staff.get(id)) {
                    // A moment in the member's quiet hours that would wait until after the
                    // event began goes out just before the quiet hours start instead.
                    let send_at = match member.quiet_hours {
                        Some(quiet) if quiet.defer(moment, member.time_zone) >= event.starts_at => {
                            quiet
                                .began(moment, member.time_zone)
                                .map_or(moment, |began| began - Duration::minutes(1))
                        }
                        _ => moment,
                    };
                    if !Self::due(send_at, now, max_age) {
                        continue;
                    }
                    // `lead` is set when the row's due time is known (`enqueue`).
                    let data = json!({
                        "council": self.council(),
                        "staff": { "name": member.display_name },
                        "event": {
                            "title": event.title,
                            "kind": event.kind.label(member.language),
                            "starts": self.local_label(event.starts_at),
                            "place": event.place,
                        },
                    });
                    out.push(Reminder {
                        to: member,
                        category: Category::Reminder,
                        template: "reminder_event",
                        data,
                        event_key: format!(
                            "reminder:event:{}:{}:{}",
                            event.id,
                            before,
                            moment.timestamp()
                        ),
                        case: None,
                        task: None,
                        urgent: false,
                        event_start: Some(event.starts_at),
                    });
                }
            }
        }
        Ok(())
    }

    async fn task_reminders<'a>(
        &self,
        now: DateTime<Utc>,
        staff: &HashMap<StaffId, &'a Staff>,
        out: &mut Vec<Reminder<'a>>,
    ) -> Result<(), Error> {
        let today = self.hub.profile().local_date(now);
        let tasks = self
            .hub
            .store()
            .list_tasks(Some(TaskStatus::Open), today - Duration::days(2), today)
            .await?;
        for task in &tasks {
            let Some(member) = staff.get(&task.assignee) else {
                continue;
            };
            let case_code = match task.case_id {
                Some(id) => Some(self.hub.store().get_case(id).await?.code.to_string()),
                None => None,
            };
            for (day, overdue) in [
                (task.due_on, false),
                (task.due_on + Duration::days(1), true),
            ] {
                let Some(moment) = self.at_reminder_time(day) else {
                    continue;
                };
                if !Self::due(moment, now, self.settings.reminder_max_age_mins) {
                    continue;
                }
                let data = task_reminder_data(
                    &self.hub.profile().name,
                    member,
                    task,
                    case_code.as_deref(),
                    overdue,
                );
                out.push(Reminder {
                    to: member,
                    category: Category::Reminder,
                    template: "reminder_task",
                    data,
                    event_key: format!(
                        "reminder:task:{}:{}:{}",
                        task.id,
                        if overdue { "overdue" } else { "due" },
                        day
                    ),
                    case: task.case_id,
                    task: Some(task.id),
                    // A task due today is urgent and ignores quiet hours.
                    urgent: !overdue,
                    event_start: None,
                });
            }
        }
        Ok(())
    }

    /// Warnings ahead of, on and after every running clock: to the case's assignee (their lead
    /// once it is overdue); for an unassigned case, to the desk that received it and its leads,
    /// who must assign it. A clock whose deadline is unknown (the profile lacks the year's
    /// calendar) is listed to the same people each working day until it is known.
    async fn deadline_warnings<'a>(
        &self,
        now: DateTime<Utc>,
        staff: &HashMap<StaffId, &'a Staff>,
        out: &mut Vec<Reminder<'a>>,
    ) -> Result<(), Error> {
        let profile = self.hub.profile();
        let calendar = &profile.calendar;
        let today = profile.local_date(now);
        for case in self.hub.store().list_cases_with_running_clocks().await? {
            let p = &case.progress;
            let assignee = p.assignee.and_then(|id| staff.get(&id).copied());
            let (desk, leads) = responsible(&case, assignee, staff);
            for (clock, state) in p.clocks.running() {
                if paused(&case, clock) {
                    continue;
                }
                let mut stages = Vec::new();
                match state.due {
                    Some(due) => {
                        if let Ok(soon) =
                            calendar.working_days_before(due, self.settings.deadline_warning_days)
                        {
                            stages.push((soon, "soon", due));
                        }
                        stages.push((due, "today", due));
                        if let Ok(after) = calendar.next_working_day(due + Duration::days(1)) {
                            stages.push((after, "overdue", due));
                        }
                    }
                    // Listed on every working day (weekdays, where the year is not configured)
                    // until the calendar is added and the deadline known.
                    None if calendar
                        .is_working_day(today)
                        .unwrap_or(!matches!(today.weekday(), Weekday::Sat | Weekday::Sun)) =>
                    {
                        stages.push((today, "unknown", today));
                    }
                    None => {}
                }
                for (day, stage, due) in stages {
                    let Some(moment) = self.at_reminder_time(day) else {
                        continue;
                    };
                    if !Self::due(moment, now, self.settings.reminder_max_age_mins) {
                        continue;
                    }
                    let escalate = stage == "overdue" || assignee.is_none();
                    let to = desk
                        .iter()
                        .map(|m| (*m, false))
                        .chain(leads.iter().filter(|_| escalate).map(|m| (*m, true)));
                    for (member, escalated) in to {
                        let data = json!({
                            "council": self.council(),
                            "staff": { "name": member.display_name },
                            "case": {
                                "code": case.code.as_str(),
                                "kind": case.kind.label(member.language),
                                "title": case.title,
                                "due_on": state.due.map(vn_date),
                                "clock": clock.label(member.language),
                                "source": state.source,
                            },
                            "stage": stage,
                            "days_left": (stage == "soon").then_some(self.settings.deadline_warning_days),
                            "escalated": escalated,
                            "assignee": assignee.map(|a| a.display_name.clone()),
                        });
                        out.push(Reminder {
                            to: member,
                            category: Category::Duty,
                            template: "deadline_warning",
                            data,
                            event_key: format!(
                                "reminder:deadline:{}:{clock}:{stage}:{due}",
                                case.id
                            ),
                            case: Some(case.id),
                            task: None,
                            urgent: stage == "today" || stage == "overdue",
                            event_start: None,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    async fn digests<'a>(
        &self,
        now: DateTime<Utc>,
        staff: &'a [Staff],
        out: &mut Vec<Reminder<'a>>,
    ) -> Result<(), Error> {
        let Some(schedule) = &self.digest else {
            return Ok(());
        };
        let tz = self.tz();
        let since = (now - Duration::minutes(self.settings.digest_max_age_mins)).with_timezone(&tz);
        for slot in schedule
            .after(&since)
            .take_while(|slot| *slot <= now.with_timezone(&tz))
        {
            let day = slot.date_naive();
            match self.hub.profile().calendar.is_working_day(day) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error.message = %e, "no morning agenda on {day}: {e}");
                    continue;
                }
            }
            let start = tz
                .from_local_datetime(&day.and_time(NaiveTime::MIN))
                .earliest()
                .map_or(now, |t| t.with_timezone(&Utc));
            let events = self
                .hub
                .store()
                .list_calendar_events(start, start + Duration::days(1))
                .await?;
            let tasks = self
                .hub
                .store()
                .list_tasks(Some(TaskStatus::Open), day - Duration::days(60), day)
                .await?;
            let cases = self.hub.store().list_open_assigned_cases().await?;
            let horizon = self
                .hub
                .profile()
                .calendar
                .add(
                    day,
                    self.settings.deadline_warning_days,
                    crate::domain::DayCount::Working,
                )
                .unwrap_or(day);
            for member in staff {
                let events: Vec<_> = events
                    .iter()
                    .filter(|e| e.attendees.contains(&member.id))
                    .map(|e| json!({ "time": e.starts_at.with_timezone(&tz).format("%H:%M").to_string(), "title": e.title, "place": e.place }))
                    .collect();
                let tasks: Vec<_> = tasks
                    .iter()
                    .filter(|t| t.assignee == member.id)
                    .map(|t| json!({ "title": t.title, "due_on": vn_date(t.due_on), "overdue": t.due_on < day }))
                    .collect();
                let cases: Vec<_> = cases
                    .iter()
                    .filter(|c| c.progress.assignee == Some(member.id))
                    .flat_map(|c| {
                        c.progress
                            .clocks
                            .running()
                            .filter(|(kind, _)| !paused(c, *kind))
                            .filter_map(|(_, clock)| clock.due)
                            .map(move |due| (c, due))
                            .collect::<Vec<_>>()
                    })
                    .filter(|(_, due)| *due <= horizon)
                    .map(|(c, due)| {
                        let stage = if due < day { "overdue" } else if due == day { "today" } else { "soon" };
                        json!({ "code": c.code.as_str(), "title": c.title, "due_on": vn_date(due), "stage": stage })
                    })
                    .collect();
                let data = json!({
                    "council": self.council(),
                    "staff": { "name": member.display_name },
                    "date": long_date(day, member.language),
                    "events": events,
                    "tasks": tasks,
                    "cases": cases,
                });
                out.push(Reminder {
                    to: member,
                    category: Category::Digest,
                    template: "morning_digest",
                    data,
                    event_key: format!("digest:{}:{}", member.id, slot.naive_local()),
                    case: None,
                    task: None,
                    urgent: false,
                    event_start: None,
                });
            }
        }
        Ok(())
    }

    /// Renders and enqueues one reminder on the member's enabled channels, deferred past their
    /// quiet hours unless urgent. Returns how many rows were added (0 when already enqueued).
    async fn enqueue(
        &self,
        reminder: Reminder<'_>,
        now: DateTime<Utc>,
        disabled: &HashSet<(StaffId, Category, ChannelKind)>,
    ) -> Result<u64, Error> {
        let member = reminder.to;
        let Some((destinations, suppressed)) =
            staff_destinations(member, reminder.category, disabled)
        else {
            return Ok(0);
        };
        let due_at = match (reminder.urgent, member.quiet_hours) {
            (false, Some(quiet)) => quiet.defer(now, member.time_zone),
            _ => now,
        };
        // Deferred past its event, a reminder would be no reminder: it goes now.
        let due_at = match reminder.event_start {
            Some(start) if due_at >= start => now,
            _ => due_at,
        };
        let mut data = reminder.data;
        if let Some(start) = reminder.event_start {
            // The time left when it goes out, not the configured lead.
            data["event"]["lead"] = json!(lead(minutes_until(start, due_at), member.language));
        }
        let to = Target::Contacts(destinations);
        // Each channel's rendering carries its own link, which turns off that channel only:
        // one in a Telegram message must not stop the email, nor the email's the Telegram. A
        // duty has no link at all.
        let mut rendered = (None, None);
        let mut list_unsubscribe = None;
        for channel in to.channels() {
            let mut data = data.clone();
            if reminder.category.can_be_turned_off() {
                let token = self
                    .hub
                    .store()
                    .unsubscribe_token(member.id, reminder.category, channel)
                    .await?;
                let url = format!("{}{token}", self.unsubscribe_base);
                data["unsubscribe_url"] = json!(url);
                if channel == ChannelKind::Email {
                    list_unsubscribe = Some(url);
                }
            }
            let (email, telegram) = self
                .renderer
                .for_channels(reminder.template, member.language, &data, &[channel])
                .map_err(|e| Error::Template(e.to_string()))?;
            rendered.0 = rendered.0.or(email);
            rendered.1 = rendered.1.or(telegram);
        }
        let (email, mut telegram) = rendered;
        if let (Some(task), Some(telegram)) = (reminder.task, telegram.as_mut()) {
            telegram.keyboard = self.hub.task_keyboard(task, member.language);
        }
        let note = NewNotification {
            key: format!("staff:{}", member.id),
            to,
            category: reminder.category,
            urgent: reminder.urgent,
            email: email.map(|email| crate::notification::EmailMessage {
                subject: email.subject,
                text: email.text,
                html: Some(email.html),
                message_id: Some(new_message_id(&self.settings.message_id_domain)),
                in_reply_to: None,
                references: vec![],
                list_unsubscribe,
                reply_to: None,
            }),
            telegram,
            due_at,
            suppressed,
        };
        self.hub
            .store()
            .enqueue(&reminder.event_key, reminder.case, &[note])
            .await
    }
}

/// Who answers for a case's deadlines: its assignee, or, while nobody is assigned, the desk
/// that may accept this kind of case (reception; the denunciation officers for a tố cáo); and
/// the leads of those people who may read the case.
fn responsible<'a>(
    case: &Case,
    assignee: Option<&'a Staff>,
    staff: &HashMap<StaffId, &'a Staff>,
) -> (Vec<&'a Staff>, Vec<&'a Staff>) {
    let mut desk: Vec<&Staff> = match assignee {
        Some(member) => vec![member],
        None => staff
            .values()
            .copied()
            .filter(|m| {
                m.roles
                    .iter()
                    .any(|r| matches!(r, Role::Intake | Role::DenunciationOfficer))
                    && policy::allowed(&m.roles, Action::Accept, Some(case.kind))
            })
            .collect(),
    };
    desk.sort_by_key(|m| m.id);
    let mut leads: Vec<&Staff> = desk
        .iter()
        .filter_map(|m| m.lead.and_then(|id| staff.get(&id).copied()))
        .filter(|lead| policy::allowed(&lead.roles, Action::ReadCase, Some(case.kind)))
        .filter(|lead| !desk.iter().any(|m| m.id == lead.id))
        .collect();
    leads.sort_by_key(|m| m.id);
    leads.dedup_by_key(|m| m.id);
    (desk, leads)
}

/// The data of a task reminder (`reminder_task`) to `member`, without its unsubscribe link:
/// the scheduler's, and the one a snoozed reminder brings back.
pub fn task_reminder_data(
    council: &str,
    member: &Staff,
    task: &Task,
    case_code: Option<&str>,
    overdue: bool,
) -> Value {
    json!({
        "council": { "name": council },
        "staff": { "name": member.display_name },
        "task": {
            "title": task.title,
            "due_on": vn_date(task.due_on),
            "overdue": overdue,
            "case_code": case_code,
        },
    })
}

/// Whether a clock is stopped for now: the resolver's while suspended, the council's while a
/// question pauses it (where the profile allows that).
pub(crate) fn paused(case: &Case, clock: ClockKind) -> bool {
    let p = &case.progress;
    match clock {
        ClockKind::Resolver => p.status == Status::Suspended,
        ClockKind::Council => p.council_paused_on.is_some(),
        ClockKind::Relay => false,
    }
}

/// Whole minutes from `from` until `start`, a started minute counted: a reminder enqueued
/// a few seconds after its moment still says "1 giờ nữa".
fn minutes_until(start: DateTime<Utc>, from: DateTime<Utc>) -> i64 {
    let seconds = (start - from).num_seconds().max(0);
    (seconds + 59) / 60
}

/// "ngày mai", "1 giờ nữa", "9 giờ 1 phút nữa" — how far ahead an event is, in the reader's
/// language.
fn lead(minutes: i64, language: Language) -> String {
    let (hours, rest) = (minutes / 60, minutes % 60);
    match (language, minutes) {
        (Language::Vi, 1440) => "ngày mai".to_owned(),
        (Language::En, 1440) => "tomorrow".to_owned(),
        (Language::Vi, m) if m % 1440 == 0 => format!("{} ngày nữa", m / 1440),
        (Language::En, m) if m % 1440 == 0 => format!("in {} days", m / 1440),
        (Language::Vi, m) if m % 60 == 0 => format!("{hours} giờ nữa"),
        (Language::En, 60) => "in 1 hour".to_owned(),
        (Language::En, m) if m % 60 == 0 => format!("in {hours} hours"),
        (Language::Vi, m) if m > 60 => format!("{hours} giờ {rest} phút nữa"),
        (Language::En, m) if m > 60 => format!(
            "in {hours} {} {rest} {}",
            if hours == 1 { "hour" } else { "hours" },
            if rest == 1 { "minute" } else { "minutes" }
        ),
        (Language::Vi, m) => format!("{m} phút nữa"),
        (Language::En, 1) => "in 1 minute".to_owned(),
        (Language::En, m) => format!("in {m} minutes"),
    }
}

/// "Thứ Năm, 26/11/2026" or "Thursday, 26/11/2026".
fn long_date(day: NaiveDate, language: Language) -> String {
    let weekday = match (language, day.weekday()) {
        (Language::En, _) => return day.format("%A, %d/%m/%Y").to_string(),
        (Language::Vi, Weekday::Mon) => "Thứ Hai",
        (Language::Vi, Weekday::Tue) => "Thứ Ba",
        (Language::Vi, Weekday::Wed) => "Thứ Tư",
        (Language::Vi, Weekday::Thu) => "Thứ Năm",
        (Language::Vi, Weekday::Fri) => "Thứ Sáu",
        (Language::Vi, Weekday::Sat) => "Thứ Bảy",
        (Language::Vi, Weekday::Sun) => "Chủ Nhật",
    };
    format!("{weekday}, {}", vn_date(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_schedules_need_day_names_and_six_fields() {
        let with = |expr: &str| {
            ScheduleSettings {
                morning_digest: expr.to_owned(),
                ..ScheduleSettings::default()
            }
            .check()
        };
        assert!(with("0 0 7 * * MON-FRI").unwrap().0.is_some());
        assert!(with("").unwrap().0.is_none(), "empty disables");
        assert!(matches!(
            with("0 0 7 * * 2-6"),
            Err(ScheduleError::Cron(..))
        ));
        assert!(matches!(
            with("0 7 * * MON-FRI"),
            Err(ScheduleError::Cron(..))
        ));
        assert!(matches!(
            with("0 0 25 * * MON"),
            Err(ScheduleError::Cron(..))
        ));
        let bad_time = ScheduleSettings {
            reminder_time: "8h".to_owned(),
            ..ScheduleSettings::default()
        };
        assert!(matches!(bad_time.check(), Err(ScheduleError::Time(_))));
    }

    #[test]
    fn leads_and_dates_read_naturally() {
        assert_eq!(lead(1440, Language::Vi), "ngày mai");
        assert_eq!(lead(60, Language::Vi), "1 giờ nữa");
        assert_eq!(lead(60, Language::En), "in 1 hour");
        assert_eq!(lead(30, Language::Vi), "30 phút nữa");
        assert_eq!(lead(541, Language::Vi), "9 giờ 1 phút nữa");
        assert_eq!(lead(541, Language::En), "in 9 hours 1 minute");
        let start = Utc::now();
        assert_eq!(minutes_until(start, start - Duration::seconds(3570)), 60);
        assert_eq!(minutes_until(start, start + Duration::seconds(5)), 0);
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(long_date(day, Language::Vi), "Thứ Năm, 26/11/2026");
        assert_eq!(long_date(day, Language::En), "Thursday, 26/11/2026");
    }
}
