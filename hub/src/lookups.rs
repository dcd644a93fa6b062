//! The hub's read services for staff and operators: the staff directory, the outbox, tasks
//! and the calendar, each behind the policy like the writes (transports read through the hub,
//! never the store).

use chrono::{DateTime, NaiveDate, Utc};

use crate::access::Caller;
use crate::delivery::outbox::{OutboxRow, OutboxStatus};
use crate::domain::policy::Action;
use crate::domain::{CalendarEvent, CaseCode, CaseId, Staff, Task, TaskStatus};
use crate::error::Error;
use crate::hub::Hub;

impl Hub {
    /// Every account (`manage_staff`).
    pub async fn list_staff(&self, caller: Caller) -> Result<Vec<Staff>, Error> {
        self.allow(caller, Action::ManageStaff).await?;
        self.store().list_staff().await
    }

    /// An account by its login, for any active colleague or the operator: the directory is
    /// internal, not secret.
    pub async fn staff_by_login(&self, caller: Caller, login: &str) -> Result<Staff, Error> {
        self.staff_caller(caller).await?;
        self.store().get_staff_by_login(login).await
    }

    /// The id of the case with `code`: for the operator, or staff who may read it.
    pub async fn case_id_by_code(&self, caller: Caller, code: &CaseCode) -> Result<CaseId, Error> {
        let id = self.store().get_case_by_code(code).await?.id;
        if let Caller::Staff(staff) = caller {
            self.case_for_staff(staff, id).await?;
        }
        Ok(id)
    }

    /// The outbox's newest rows and its counts per status (`retry_outbox`: operators' work).
    pub async fn outbox(
        &self,
        caller: Caller,
        status: Option<OutboxStatus>,
        limit: i64,
    ) -> Result<(Vec<(OutboxStatus, i64)>, Vec<OutboxRow>), Error> {
        self.allow(caller, Action::RetryOutbox).await?;
        let counts = self.store().count_outbox().await?;
        let rows = self.store().list_outbox(status, limit).await?;
        Ok((counts, rows))
    }

    /// One outbox row (`retry_outbox`).
    pub async fn outbox_row(&self, caller: Caller, id: i64) -> Result<OutboxRow, Error> {
        self.allow(caller, Action::RetryOutbox).await?;
        self.store().get_outbox(id).await
    }

    /// Tasks due from `from` to `to` (`manage_work`).
    pub async fn tasks(
        &self,
        caller: Caller,
        status: Option<TaskStatus>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Task>, Error> {
        self.allow(caller, Action::ManageWork).await?;
        self.store().list_tasks(status, from, to).await
    }

    /// Calendar events starting from `from` up to `to` (`manage_work`).
    pub async fn calendar(
        &self,
        caller: Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEvent>, Error> {
        self.allow(caller, Action::ManageWork).await?;
        self.store().list_calendar_events(from, to).await
    }
}
