//! The staff-work aggregate: tasks and calendar events.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{
    AuditNote, CalendarEvent, NewCalendarEvent, NewTask, StaffId, Task, TaskStatus,
};
use crate::error::Error;

/// A task's new status, planned by the hub
/// ([`Hub::plan_task_status`](crate::Hub::plan_task_status)) and applied with the inbound
/// message it came in (`InboundEffect::Task`): only while the task is still in the status it was
/// read in, so a replayed or doubled press changes nothing twice (a task changed meanwhile fails
/// the completion with [`Error::Conflict`], and the message is handled again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskChange {
    /// The task as it was read when the change was planned.
    pub task: Task,
    /// The status it changes to.
    pub to: TaskStatus,
    /// Who changes it; written to the audit log in the same transaction.
    pub audit: AuditNote,
}

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
    /// One member's tasks, optionally of one status, soonest due first.
    async fn list_staff_tasks(
        &self,
        assignee: StaffId,
        status: Option<TaskStatus>,
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
