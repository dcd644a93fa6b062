//! The outbox aggregate: rendered notifications waiting to be sent, and what sending came to.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{AuditNote, CaseId};
use crate::error::Error;
use crate::notification::outbox::{NewNotification, OutboxRow, OutboxStatus, Outcome};

/// The transactional outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
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

    /// The newest rows first, optionally of one status.
    async fn list_outbox(
        &self,
        status: Option<OutboxStatus>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, Error>;
    async fn get_outbox(&self, id: i64) -> Result<OutboxRow, Error>;
    /// Queues a dead or failed row again, now, with its attempts reset.
    async fn retry_outbox(&self, id: i64, audit: &AuditNote) -> Result<OutboxRow, Error>;
    /// The number of rows in each status.
    async fn count_outbox(&self) -> Result<Vec<(OutboxStatus, i64)>, Error>;
}
