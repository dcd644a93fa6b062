//! The outbox aggregate: rendered notifications waiting to be sent, and what sending came to.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{AuditNote, CaseId};
use crate::error::Error;
use crate::notification::ChannelKind;
use crate::notification::outbox::{NewNotification, OutboxRow, OutboxStatus, Outcome};

/// The transactional outbox.
/// A delivery report's verdict on one mail already sent, applied with the report's inbound
/// `done` (`InboundEffect::Bounce`): the row fails, its address becomes unreachable and its
/// fallback is enqueued. Only the hub makes one, from a signed bounce address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceChange {
    pub(crate) outbox_id: i64,
    /// The report's status and diagnostic, kept as the row's error (no address in it).
    pub(crate) error: String,
}

impl BounceChange {
    pub fn outbox_id(&self) -> i64 {
        self.outbox_id
    }
}

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

    /// Wakes `wake` whenever a row is added to the outbox: on PostgreSQL by any instance
    /// (LISTEN/NOTIFY, from the task this returns), on SQLite by this process (no task: `None`;
    /// the workers of other processes on the file find new rows by polling).
    async fn listen_outbox(
        &self,
        wake: Arc<tokio::sync::Notify>,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, Error>;

    /// Claims up to `limit` due rows for sending, urgent first, then by due time, under a fresh
    /// lease token, for `lease`. A row whose lease expired (its worker died) is due again. A
    /// denouncer's row gets the address from the sealed identity, in memory only.
    async fn claim_outbox(&self, limit: i64, lease: Duration) -> Result<Vec<OutboxRow>, Error>;

    /// Records the parts of a claimed row sent so far (`parts_sent`, `provider_ids`), fenced by
    /// its lease token, so that a retry after a crash or a failure resumes at the next part.
    /// `false` when the lease was lost.
    async fn record_progress(&self, row: &OutboxRow) -> Result<bool, Error>;

    /// Records what sending claimed rows came to (with each row's `parts_sent` and
    /// `provider_ids`), in one transaction, each fenced by its lease
    /// token; says of each whether it was recorded (a row whose lease was lost meanwhile, because
    /// another worker took it over, is not).
    async fn record_outcomes(&self, outcomes: &[(OutboxRow, Outcome)]) -> Result<Vec<bool>, Error>;

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
    /// Rows per status and channel, for `/metrics`.
    async fn count_outbox_by_channel(&self)
    -> Result<Vec<(OutboxStatus, ChannelKind, i64)>, Error>;
}
