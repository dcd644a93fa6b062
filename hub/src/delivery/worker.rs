//! The delivery worker: claims due outbox rows under a lease, sends each on its channel, and
//! records the outcome fenced by the lease token.
//!
//! The claim commits before anything is sent, and no row lock is held across a network call.
//! A worker that dies mid-batch leaves its rows `sending`; when their lease ends they are due
//! again and another claim takes them, so nothing is lost, and at most the rows that were
//! being sent at the crash can go out twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::outbox::{OutboxRow, Outcome};
use super::pacing::{PacingSettings, Reservation};
use super::{Channel, ChannelKind, DeliveryError};
use crate::clock::Clock;
use crate::config::{InvalidSetting, at_least_one};
use crate::error::Error;
use crate::storage::Store;

/// The longest a send waits in hand for its pacing slot; longer, and the row goes back to the
/// queue, so that a lease never runs out while a worker waits.
const MAX_PACING_WAIT: Duration = Duration::from_secs(10);

/// `[delivery]`: how workers claim, retry and give up.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Rows claimed, and sent concurrently, at a time.
    pub batch_size: i64,
    /// How long a claim holds its rows; longer than the slowest send.
    pub lease_secs: u64,
    /// Attempts before a row is dead-lettered.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, up to `backoff_max_secs`.
    pub backoff_base_ms: u64,
    pub backoff_max_secs: u64,
    /// How often an idle worker looks for due rows.
    pub poll_interval_ms: u64,
    pub pacing: PacingSettings,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            batch_size: 32,
            lease_secs: 60,
            max_attempts: 8,
            backoff_base_ms: 5_000,
            backoff_max_secs: 3_600,
            poll_interval_ms: 500,
            pacing: PacingSettings::default(),
        }
    }
}

impl DeliverySettings {
    /// Counts and durations that would stop delivery are refused, and so are bad rates.
    pub fn check(&self) -> Result<(), InvalidSetting> {
        at_least_one(
            "delivery.batch_size",
            self.batch_size.try_into().unwrap_or(0),
        )?;
        at_least_one("delivery.lease_secs", self.lease_secs)?;
        at_least_one("delivery.max_attempts", u64::from(self.max_attempts))?;
        at_least_one("delivery.poll_interval_ms", self.poll_interval_ms)?;
        self.pacing.check()
    }
}

/// What one step of the worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    /// Nothing was due.
    Idle,
    /// This many rows were claimed and handled.
    Worked(usize),
}

/// A delivery worker; clone it to run several.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Arc<dyn Store>,
    channels: Arc<HashMap<ChannelKind, Arc<dyn Channel>>>,
    settings: DeliverySettings,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(
        store: Arc<dyn Store>,
        channels: Vec<Arc<dyn Channel>>,
        settings: DeliverySettings,
    ) -> Self {
        let clock = store.clock().clone();
        let channels = channels.into_iter().map(|c| (c.kind(), c)).collect();
        Self {
            store,
            channels: Arc::new(channels),
            settings,
            clock,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Claims one batch and delivers it.
    pub async fn try_execute_batch(&self) -> Result<ExecutionOutcome, Error> {
        let lease = Duration::from_secs(self.settings.lease_secs.max(1));
        let rows = self
            .store
            .claim_outbox(self.settings.batch_size.max(1), lease)
            .await?;
        if rows.is_empty() {
            return Ok(ExecutionOutcome::Idle);
        }
        let claimed = rows.len();
        let mut sends = JoinSet::new();
        for row in rows {
            let worker = self.clone();
            sends.spawn(async move {
                let outcome = worker.send(&row).await;
                (row, outcome)
            });
        }
        let mut outcomes = Vec::with_capacity(claimed);
        while let Some(done) = sends.join_next().await {
            match done {
                Ok(outcome) => outcomes.push(outcome),
                // Its row stays `sending` and is due again when the lease ends.
                Err(e) => tracing::error!(error.message = %e, "a delivery task panicked"),
            }
        }
        // One transaction for the batch: a crash before it commits re-sends at most the rows
        // this batch claimed, which were `sending` all along.
        let recorded = self.store.record_outcomes(&outcomes).await?;
        for (row, outcome) in &outcomes {
            tracing::debug!(
                outbox.id = row.id,
                channel.kind = %row.channel,
                outbox.outcome = outcome.label(),
                "outbox row {} {}",
                row.id,
                outcome.label()
            );
        }
        if recorded < outcomes.len() {
            tracing::warn!(
                outbox.lost = outcomes.len() - recorded,
                "{} outbox rows were taken over after their lease ended; their outcomes were dropped",
                outcomes.len() - recorded
            );
        }
        Ok(ExecutionOutcome::Worked(claimed))
    }

    /// Works until `stop` turns true, finishing the batch in hand.
    pub async fn run_until_stopped(self, mut stop: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        let listener = match self.store.listen_outbox(self.wake.clone()).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error.message = %e, "cannot listen for new outbox rows; polling only");
                None
            }
        };
        loop {
            if *stop.borrow() {
                break;
            }
            let pause = match self.try_execute_batch().await {
                Ok(ExecutionOutcome::Worked(_)) => continue,
                Ok(ExecutionOutcome::Idle) => poll,
                Err(e) => {
                    tracing::error!(error.message = %e, "the delivery worker cannot claim rows; retrying");
                    poll * 4
                }
            };
            tokio::select! {
                _ = stop.changed() => {}
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        if let Some(listener) = listener {
            listener.abort();
        }
        tracing::info!("delivery worker stopped");
    }

    /// Sends one row on its channel and says what came of it.
    async fn send(&self, row: &OutboxRow) -> Outcome {
        let Some(channel) = self.channels.get(&row.channel) else {
            return Outcome::Failed {
                error: format!("no {} channel is configured", row.channel),
            };
        };
        if let Err(outcome) = self.pace(row).await {
            return outcome;
        }
        match channel.send(&row.outgoing()).await {
            Ok(()) => Outcome::Sent,
            Err(DeliveryError::Permanent(error)) => Outcome::Failed { error },
            Err(DeliveryError::Transient { reason, .. })
                if row.attempts >= self.settings.max_attempts =>
            {
                Outcome::Dead {
                    error: format!("gave up after {} attempts: {reason}", row.attempts),
                }
            }
            Err(DeliveryError::Transient {
                reason,
                retry_after,
            }) => Outcome::Retry {
                due_at: self.clock.now() + self.backoff(row.attempts, retry_after),
                error: reason,
            },
        }
    }

    /// Waits for the row's pacing slot; a slot too far ahead puts the row back in the queue
    /// for then, without counting an attempt against it.
    async fn pace(&self, row: &OutboxRow) -> Result<(), Outcome> {
        let slots = self.settings.pacing.slots(row.channel, &row.address);
        if slots.is_empty() {
            return Ok(());
        }
        let at = match self.store.reserve_pacing(&slots).await {
            Ok(Reservation::At(at)) => at,
            Ok(Reservation::NotBefore(at)) => return Err(Outcome::Paced { due_at: at }),
            Err(e) => {
                return Err(Outcome::Retry {
                    due_at: self.clock.now() + chrono::Duration::seconds(1),
                    error: format!("cannot reserve a pacing slot: {e}"),
                });
            }
        };
        let wait = (at - self.clock.now()).to_std().unwrap_or_default();
        if wait > MAX_PACING_WAIT {
            return Err(Outcome::Paced { due_at: at });
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// The delay before the next try, never before the channel's `retry_after`.
    fn backoff(&self, attempts: u32, retry_after: Option<Duration>) -> chrono::Duration {
        crate::retry::backoff(
            Duration::from_millis(self.settings.backoff_base_ms),
            Duration::from_secs(self.settings.backoff_max_secs),
            attempts,
            retry_after,
        )
    }
}
