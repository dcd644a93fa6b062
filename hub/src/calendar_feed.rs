//! Calendar feeds as hub services: the public events anyone may read, and each staff member's
//! own calendar behind a secret URL.
//!
//! The public events come from a query that selects only public events and no attendee
//! ([`CalendarFeedStore::list_public_events`](crate::storage::CalendarFeedStore)). A member's
//! secret URL carries a 256-bit token of which only the hash is stored; issuing a new one
//! replaces the old, so a leaked URL is closed by issuing another. The token appears in no log
//! line or `Debug` output.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::access::Caller;
use crate::domain::policy::Action;
use crate::domain::{AccessToken, StaffId, Task, TaskStatus};
use crate::error::{DomainError, Error};
use crate::hub::Hub;
use crate::storage::{FeedEventRow, NewCalendarFeed};

/// The secret of a staff member's calendar URL, handed out once.
#[derive(Clone, PartialEq, Eq)]
pub struct CalendarFeedToken {
    token: AccessToken,
    pub staff: StaffId,
}

impl CalendarFeedToken {
    /// The secret itself, to put in the URL the member is given.
    pub fn expose(&self) -> &str {
        self.token.expose()
    }
}

impl fmt::Debug for CalendarFeedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CalendarFeedToken")
            .field("staff", &self.staff)
            .finish_non_exhaustive()
    }
}

/// What a staff member's own calendar holds: the events they attend and their open tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffCalendar {
    pub staff: StaffId,
    pub events: Vec<FeedEventRow>,
    pub tasks: Vec<Task>,
}

impl Hub {
    /// Public events starting from `from` up to `to`, soonest first: anyone may read them.
    pub async fn public_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FeedEventRow>, Error> {
        self.store().list_public_events(from, to).await
    }

    /// Issues the secret calendar URL's token of the account `login` (`manage_staff`),
    /// replacing any earlier one, which stops working. Returned once; only its hash is kept.
    pub async fn issue_calendar_feed(
        &self,
        caller: Caller,
        login: &str,
    ) -> Result<CalendarFeedToken, Error> {
        self.allow(caller, Action::ManageStaff).await?;
        let staff = self.store().get_staff_by_login(login).await?;
        if !staff.active {
            return Err(DomainError::invalid(
                "login",
                format!(
                    "tài khoản {login} đã ngừng hoạt động, không thể cấp lịch riêng \
                     (the account {login} is inactive and gets no calendar link)",
                    login = staff.login
                ),
            )
            .into());
        }
        let token = AccessToken::generate();
        let feed = NewCalendarFeed {
            staff: staff.id,
            token_hash: token.hash(),
        };
        self.store()
            .set_calendar_feed(&feed, &caller.audit())
            .await?;
        tracing::info!(
            staff.id = staff.id.0,
            "a calendar link was issued for staff {}",
            staff.id
        );
        Ok(CalendarFeedToken {
            token,
            staff: staff.id,
        })
    }

    /// The calendar behind the secret URL with `token`: the events its member attends starting
    /// from `from` up to `to`, and their open tasks. `None` for a token that is malformed,
    /// unknown or replaced, and for an inactive account alike.
    pub async fn staff_calendar(
        &self,
        token: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<StaffCalendar>, Error> {
        // A token of another shape was never issued: no need to ask the database.
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = AccessToken::from_presented(token).hash();
        let Some(staff) = self.store().get_calendar_feed(&hash).await? else {
            return Ok(None);
        };
        if !self.store().get_staff(staff).await?.active {
            return Ok(None);
        }
        let events = self.store().list_attended_events(staff, from, to).await?;
        let tasks = self
            .store()
            .list_staff_tasks(staff, Some(TaskStatus::Open))
            .await?;
        Ok(Some(StaffCalendar {
            staff,
            events,
            tasks,
        }))
    }
}
