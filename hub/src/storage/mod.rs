//! Storage: one [`Store`] trait, implemented for SQLite (the embedded default) and PostgreSQL
//! (several hub instances on one database).
//!
//! Both implementations are expanded from the one set of SQL in `sql.rs`; each backend supplies
//! its pool, how a write transaction begins, and its migrations. Instants are INTEGER
//! milliseconds on SQLite and `timestamptz` on PostgreSQL ([`DbTime`]); council-local dates are
//! `DATE` (text `YYYY-MM-DD` on SQLite).

#[macro_use]
mod sql;
mod postgres;
mod sqlite;
mod time;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::clock::Clock;
use crate::config::DatabaseSettings;
use crate::delivery::ChannelKind;
use crate::delivery::outbox::{Category, NewNotification, OutboxRow, OutboxStatus, Outcome};
use crate::delivery::pacing::{PacingSlot, Reservation};
use crate::domain::{
    AccessToken, AuditEntry, CalendarEvent, Case, CaseCode, CaseId, CaseKind, CaseProgress,
    DenouncerIdentity, IdentityAccess, NewCalendarEvent, NewCase, NewEvent, NewStaff, NewTask,
    Publication, Staff, StaffId, Status, Task, TaskStatus, TimelineEvent,
};
use crate::error::Error;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub(crate) use time::DbTime;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Renders the notifications of a case change from the case as stored in the same
/// transaction (a new case's code exists only there).
#[derive(Clone)]
pub struct Notify(pub Arc<NotifyFn>);

/// The function inside [`Notify`].
pub type NotifyFn = dyn Fn(&Case) -> Result<Vec<NewNotification>, Error> + Send + Sync;

impl Notify {
    /// No notifications.
    pub fn none() -> Self {
        Self(Arc::new(|_| Ok(Vec::new())))
    }
}

impl std::fmt::Debug for Notify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notify(..)")
    }
}

/// A validated case with everything the hub computed for it, ready to insert.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub case: NewCase,
    pub first_case_id: Option<CaseId>,
    pub code_prefix: String,
    pub received_at: DateTime<Utc>,
    pub received_on: NaiveDate,
    pub progress: CaseProgress,
    pub access_token: AccessToken,
    pub notify: Notify,
}

/// A case just stored, with the token to hand to the citizen once.
#[derive(Debug, Clone)]
pub struct CreatedCase {
    pub case: Case,
    pub access_token: AccessToken,
}

/// A change of a case's progress, applied only if the case is still as it was read.
#[derive(Debug, Clone)]
pub struct ProgressChange {
    pub case_id: CaseId,
    pub expected_status: Status,
    pub expected_version: i64,
    pub progress: CaseProgress,
    pub event: NewEvent,
    pub notify: Notify,
}

/// Publishing or withdrawing the public copy of a case.
#[derive(Debug, Clone)]
pub struct PublicationChange {
    pub case_id: CaseId,
    pub expected_version: i64,
    /// `None` withdraws the public copy.
    pub publication: Option<Publication>,
    pub event: NewEvent,
}

/// Which cases to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub kind: Option<CaseKind>,
    pub status: Option<Status>,
    pub published: Option<bool>,
    /// Leave out denunciations (every public listing does).
    pub exclude_to_cao: bool,
    /// Newest publication first instead of newest receipt first.
    pub by_publication: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The storage port of the hub.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    fn backend(&self) -> Backend;

    /// The clock the store stamps rows with.
    fn clock(&self) -> &Arc<dyn Clock>;

    /// The same database, stamping rows with another clock (demo data is dated in the past).
    fn with_clock(&self, clock: Arc<dyn Clock>) -> Arc<dyn Store>;

    /// Answers if the database does.
    async fn ping(&self) -> Result<(), Error>;

    /// Closes the connections (waiting for those in use); later calls fail.
    async fn close(&self);

    async fn add_staff(&self, staff: NewStaff) -> Result<Staff, Error>;
    async fn get_staff(&self, id: StaffId) -> Result<Staff, Error>;
    async fn get_staff_by_login(&self, login: &str) -> Result<Staff, Error>;
    async fn list_staff(&self) -> Result<Vec<Staff>, Error>;

    /// Stores a case with its code (from the per-day counter), contacts, attachments, sealed
    /// identity and `created` event, in one transaction.
    async fn add_case(&self, record: CaseRecord) -> Result<CreatedCase, Error>;
    async fn get_case(&self, id: CaseId) -> Result<Case, Error>;
    async fn get_case_by_code(&self, code: &CaseCode) -> Result<Case, Error>;
    async fn get_case_by_token(&self, token: &AccessToken) -> Result<Case, Error>;
    async fn get_case_by_source_ref(&self, source_ref: &str) -> Result<Case, Error>;
    /// A page of cases, newest first (`limit` 0 means 100).
    async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<Case>, Error>;
    /// How many cases the filter matches, ignoring limit and offset.
    async fn count_cases(&self, filter: &CaseFilter) -> Result<i64, Error>;
    /// The number of cases in each status.
    async fn count_cases_by_status(
        &self,
        exclude_to_cao: bool,
    ) -> Result<Vec<(Status, i64)>, Error>;

    /// Applies a progress change with its timeline event, `UPDATE … WHERE id = ? AND status = ?
    /// AND version = ?`: of two racing changes exactly one wins, the other gets
    /// [`Error::Conflict`].
    async fn update_case_progress(&self, change: ProgressChange) -> Result<Case, Error>;
    /// Publishes or withdraws a case's public copy, with its timeline event; never a
    /// denunciation, whatever the caller checked.
    async fn update_case_publication(&self, change: PublicationChange) -> Result<Case, Error>;
    async fn get_timeline(&self, case: CaseId) -> Result<Vec<TimelineEvent>, Error>;

    /// Reads a denouncer's identity and writes the audit row in the same transaction.
    async fn read_denouncer_identity(
        &self,
        access: &IdentityAccess,
        case: CaseId,
    ) -> Result<DenouncerIdentity, Error>;

    /// The newest audit entries first.
    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, Error>;

    /// Enqueues notifications that belong to no case change (reminders, digests); each row's
    /// dedupe key is `<event_key>:<key>`, and a key already stored is skipped. Returns how many
    /// rows were added.
    async fn enqueue(
        &self,
        event_key: &str,
        case: Option<CaseId>,
        notifications: &[NewNotification],
    ) -> Result<u64, Error>;

    /// Wakes `wake` whenever any instance enqueues a row (PostgreSQL LISTEN/NOTIFY), from a
    /// task this returns; `None` where the database has no such thing and polling must do.
    async fn listen_outbox(
        &self,
        wake: Arc<tokio::sync::Notify>,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, Error>;

    /// Claims up to `limit` due rows for sending, under a fresh lease token, for `lease`. A row
    /// whose lease expired (its worker died) is due again.
    async fn claim_outbox(&self, limit: i64, lease: Duration) -> Result<Vec<OutboxRow>, Error>;

    /// Records what sending claimed rows came to, in one transaction, each fenced by its lease
    /// token; returns how many were recorded (a row whose lease was lost meanwhile, because
    /// another worker took it over, is not).
    async fn record_outcomes(&self, outcomes: &[(OutboxRow, Outcome)]) -> Result<usize, Error>;

    /// [`Store::record_outcomes`] for one row: `false` if its lease was lost.
    async fn record_outcome(&self, row: &OutboxRow, outcome: Outcome) -> Result<bool, Error> {
        Ok(self.record_outcomes(&[(row.clone(), outcome)]).await? == 1)
    }

    /// Reserves one moment under every pacing key: the earliest at which each key's last send
    /// is far enough back, moving each key's `next_at` on by its interval. If a destination key
    /// is busy beyond a moment from now, nothing is reserved and its free moment is returned.
    async fn reserve_pacing(&self, slots: &[PacingSlot]) -> Result<Reservation, Error>;

    /// The newest rows first, optionally of one status.
    async fn list_outbox(
        &self,
        status: Option<OutboxStatus>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, Error>;
    async fn get_outbox(&self, id: i64) -> Result<OutboxRow, Error>;
    /// Queues a dead or failed row again, now, with its attempts reset.
    async fn retry_outbox(&self, id: i64) -> Result<OutboxRow, Error>;
    /// The number of rows in each status.
    async fn count_outbox(&self) -> Result<Vec<(OutboxStatus, i64)>, Error>;

    async fn add_task(&self, task: NewTask) -> Result<Task, Error>;
    /// Tasks due from `from` to `to` (inclusive), optionally of one status, soonest first.
    async fn list_tasks(
        &self,
        status: Option<TaskStatus>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Task>, Error>;
    async fn set_task_status(&self, id: i64, status: TaskStatus) -> Result<Task, Error>;

    async fn add_calendar_event(&self, event: NewCalendarEvent) -> Result<CalendarEvent, Error>;
    /// Events starting from `from` up to `to`, soonest first, with their attendees.
    async fn list_calendar_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEvent>, Error>;

    /// Open cases with an assignee, for deadline warnings.
    async fn list_open_assigned_cases(&self) -> Result<Vec<Case>, Error>;

    /// Turns a category of notifications on one channel on or off for a staff member.
    async fn set_preference(
        &self,
        staff: StaffId,
        category: Category,
        channel: ChannelKind,
        enabled: bool,
    ) -> Result<(), Error>;
    /// Every (staff, category, channel) turned off.
    async fn list_disabled_preferences(
        &self,
    ) -> Result<Vec<(StaffId, Category, ChannelKind)>, Error>;
    /// The one-click unsubscribe token for (staff, category, channel), made on first use.
    async fn unsubscribe_token(
        &self,
        staff: StaffId,
        category: Category,
        channel: ChannelKind,
    ) -> Result<String, Error>;
    /// Applies an unsubscribe token: turns its preference off and says which it was.
    async fn unsubscribe(&self, token: &str) -> Result<(StaffId, Category, ChannelKind), Error>;
}

/// Opens the database named by `url` with the default settings; see [`open_with`].
pub async fn open(url: &str, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>, Error> {
    let settings = DatabaseSettings {
        url: url.to_owned(),
        ..DatabaseSettings::default()
    };
    open_with(&settings, clock).await
}

/// Opens the database (`sqlite:…` or `postgres:…`), creating a SQLite file and its folder if
/// missing, and applies the migrations.
pub async fn open_with(
    settings: &DatabaseSettings,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Store>, Error> {
    let url = settings.url.as_str();
    let timeout = Duration::from_secs(settings.connect_timeout_secs.max(1));
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::open(url, clock, timeout).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url, clock, timeout).await?))
    } else {
        Err(Error::Domain(crate::error::DomainError::invalid(
            "database.url",
            "use a sqlite:// or postgres:// URL",
        )))
    }
}

/// A write transaction, holding the store's writer lock where the backend has one.
pub(crate) struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    fn new(
        tx: sqlx::Transaction<'static, DB>,
        writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    ) -> Self {
        Self {
            tx,
            _writer: writer,
        }
    }

    async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Corrupt(what.to_string())
}
