//! Storage: the hub's port to its database, one sub-trait per aggregate (cases, staff, outbox,
//! pacing, work, audit, inbound, leases, citizens, chats, files, ratings, follows, staff links,
//! internal messages, the public catalog, Open311 clients, calendar feeds), all of them together
//! [`Store`], implemented for SQLite (the embedded default) and PostgreSQL (several hub
//! instances on one database).
//!
//! The SQL is written once, in `sql/<aggregate>.rs`, and compiled for each backend: `sqlite.rs`
//! and `postgres.rs` each name their `Db` type and store struct and then include those files as
//! modules of their own. Instants are INTEGER milliseconds on SQLite and `timestamptz` on
//! PostgreSQL (`DbTime`); council-local dates are `DATE` (text `YYYY-MM-DD` on SQLite).

mod audit;
mod calendar_feeds;
mod cases;
mod catalog;
mod chats;
mod citizens;
mod files;
mod follows;
mod inbound;
mod leases;
mod messages;
mod open311;
mod outbox;
mod pacing;
mod postgres;
mod ratings;
mod sqlite;
mod staff;
mod staff_links;
mod time;
mod work;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Clock;
use crate::config::DatabaseSettings;
use crate::error::Error;

pub use audit::AuditStore;
pub use calendar_feeds::{CalendarFeedStore, FeedEventRow, NewCalendarFeed};
pub use cases::{
    CaseFilter, CaseRecord, CaseStore, CreatedCase, InformationChange, Notify, NotifyFn,
    ProgressChange, PublicationChange,
};
pub use catalog::{
    BucketCounts, PublicCaseRow, PublicCatalogStore, PublicFilter, PublicOrder, PublicStepRow,
    StatisticRow,
};
pub use chats::ChatStore;
pub use citizens::CitizenStore;
pub use files::{FileRecord, FileStore, NewFile};
pub use follows::{FollowChange, FollowStore, FollowToken, UnfollowChange};
pub use inbound::{Completed, InboundCompletion, InboundEffect, InboundStore};
pub use leases::LeaseStore;
pub use messages::{
    MessageChange, MessageNotify, MessageNotifyFn, MessageStore, PlannedRecipient, ReadByLink,
    ReadChange, SentMessage, ThreadRow,
};
pub use open311::{Open311Client, Open311ClientId, Open311Filter, Open311Row, Open311Store};
pub use outbox::{BounceChange, OutboxStore};
pub use pacing::PacingStore;
pub use postgres::PgStore;
pub use ratings::{RatedCase, RatingChange, RatingStore};
pub use sqlite::SqliteStore;
pub use staff::StaffStore;
pub use staff_links::{NewStaffLink, StaffLinkChange, StaffLinkRow, StaffLinkStore};
pub(crate) use time::DbTime;
pub use work::{TaskChange, WorkStore};

/// Every store trait, for `use hdnd_hub::storage::prelude::*`.
pub mod prelude {
    pub use super::{
        AuditStore, CalendarFeedStore, CaseStore, ChatStore, CitizenStore, FileStore, FollowStore,
        InboundStore, LeaseStore, MessageStore, Open311Store, OutboxStore, PacingStore,
        PublicCatalogStore, RatingStore, StaffLinkStore, StaffStore, Store, StoreBase, WorkStore,
    };
}

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What every store is besides its aggregates: a backend, a clock and a connection pool.
#[async_trait]
pub trait StoreBase: Send + Sync + std::fmt::Debug {
    fn backend(&self) -> Backend;

    /// The clock the store stamps rows with.
    fn clock(&self) -> &Arc<dyn Clock>;

    /// Answers if the database does.
    async fn ping(&self) -> Result<(), Error>;

    /// Closes the connections (waiting for those in use); later calls fail.
    async fn close(&self);
}

/// The storage port of the hub: every aggregate's store on one database.
pub trait Store:
    StoreBase
    + CaseStore
    + StaffStore
    + OutboxStore
    + PacingStore
    + WorkStore
    + AuditStore
    + InboundStore
    + LeaseStore
    + CitizenStore
    + ChatStore
    + PublicCatalogStore
    + FileStore
    + RatingStore
    + FollowStore
    + StaffLinkStore
    + MessageStore
    + Open311Store
    + CalendarFeedStore
{
}

impl<T> Store for T where
    T: StoreBase
        + CaseStore
        + StaffStore
        + OutboxStore
        + PacingStore
        + WorkStore
        + AuditStore
        + InboundStore
        + LeaseStore
        + CitizenStore
        + ChatStore
        + PublicCatalogStore
        + FileStore
        + RatingStore
        + FollowStore
        + StaffLinkStore
        + MessageStore
        + Open311Store
        + CalendarFeedStore
{
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
