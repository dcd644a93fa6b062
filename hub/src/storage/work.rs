//! The staff-work aggregate: tasks and calendar events.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{AuditNote, CalendarEvent, NewCalendarEvent, NewTask, Task, TaskStatus};
use crate::error::Error;

/// Tasks and calendar events.
#[async_trait]
pub trait WorkStore: Send + Sync {
    async fn add_task(&self, task: NewTask, audit: &AuditNote) -> Result<Task, Error>;
    async fn get_task(&self, id: i64) -> Result<Task, Error>;
    /// Tasks due from `from` to `to` (inclusive), optionally of one status, soonest first.
    async fn list_tasks(
        &self,
        status: Option<TaskStatus>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Task>, Error>;
    async fn set_task_status(
        &self,
        id: i64,
        status: TaskStatus,
        audit: &AuditNote,
    ) -> Result<Task, Error>;

    async fn add_calendar_event(
        &self,
        event: NewCalendarEvent,
        audit: &AuditNote,
    ) -> Result<CalendarEvent, Error>;
    /// Events starting from `from` up to `to`, soonest first, with their attendees.
    async fn list_calendar_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEvent>, Error>;
}
