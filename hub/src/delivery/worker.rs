//! The delivery worker: claims due outbox rows under a lease, sends each on its channel, and
//! records each row's outcome, fenced by the lease token, as soon as its send finishes.
//!
//! The claim commits before anything is sent, and no row lock is held across a network call.
//! Each row's send runs under a deadline shorter than the lease, so its outcome is recorded
//! while the lease still holds: a hung send becomes a transient failure, never a row another
//! worker takes over while this one still sends it. A worker that dies mid-batch leaves its
//! rows `sending`; when their lease ends they are due again and another claim takes them, so
//! nothing is lost, and at most the rows that were being sent at the crash can go out twice.
//!
//! A Telegram message split in parts sends them one by one, each in its own pacing slot, and
//! records after each part how many went out: a retry resumes at the first unsent part.
//!
//! Outcomes are written by a small group commit: a send that finishes while another batch of
//! outcomes is being written waits for that write and then writes, in one short transaction,
//! every outcome that arrived meanwhile. Per-row timing holds, and SQLite's single writer is
//! not asked for one transaction per row.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, oneshot, watch};
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

/// At most one WARN line per channel in this long about transient failures; the others are
/// counted and the count goes with the next line.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// `[delivery]`: how workers claim, retry and give up.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Rows claimed, and sent concurrently, at a time.
    pub batch_size: i64,
    /// How long a claim holds its rows. A row's send (its pacing waits and every part) must
    /// finish within four fifths of it, or it counts as a transient failure: its outcome is
    /// then recorded while the lease still holds.
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
    recorder: Arc<Recorder>,
    warnings: Arc<Mutex<HashMap<ChannelKind, WarnState>>>,
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
            recorder: Arc::default(),
            warnings: Arc::default(),
        }
    }

    fn lease(&self) -> Duration {
        Duration::from_secs(self.settings.lease_secs.max(1))
    }

    /// How long one row's send may take: four fifths of the lease, leaving the rest to record
    /// its outcome before the lease ends.
    fn send_deadline(&self) -> Duration {
        self.lease().mul_f64(0.8)
    }

    /// Claims one batch and delivers it; each row's outcome is recorded as soon as its send
    /// finishes. Returns once every row of the batch is recorded.
    pub async fn try_execute_batch(&self) -> Result<ExecutionOutcome, Error> {
        let rows = self
            .store
            .claim_outbox(self.settings.batch_size.max(1), self.lease())
            .await?;
        if rows.is_empty() {
            return Ok(ExecutionOutcome::Idle);
        }
        let claimed = rows.len();
        let mut sends = JoinSet::new();
        for row in rows {
            let worker = self.clone();
            sends.spawn(async move { worker.deliver_and_record(row).await });
        }
        let mut lost = 0;
        let mut failed = None;
        while let Some(done) = sends.join_next().await {
            match done {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => lost += 1,
                // The row stays `sending` and is due again when the lease ends.
                Ok(Err(e)) => failed = Some(e),
                Err(e) => tracing::error!(error.message = %e, "a delivery task panicked"),
            }
        }
        if lost > 0 {
            tracing::warn!(
                outbox.lost = lost,
                "{lost} outbox rows were taken over after their lease ended; their outcomes were dropped"
            );
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(ExecutionOutcome::Worked(claimed)),
        }
    }

    /// Sends one row under the send deadline and records its outcome; `false` when the lease
    /// was lost meanwhile.
    async fn deliver_and_record(&self, mut row: OutboxRow) -> Result<bool, Error> {
        let started = Instant::now();
        let deadline = self.send_deadline();
        let outcome = match tokio::time::timeout(deadline, self.deliver(&mut row)).await {
            Ok(outcome) => outcome,
            // The parts that went out before the deadline stay counted in `row`.
            Err(_) => self.transient(
                &row,
                format!("the send did not finish within {} ms", deadline.as_millis()),
                None,
            ),
        };
        let recorded = self
            .recorder
            .record(&*self.store, row.clone(), outcome.clone())
            .await?;
        if recorded {
            self.log(&row, &outcome, started.elapsed());
            if matches!(outcome, Outcome::Sent) {
                let late = self.store.clock().now() - row.due_at;
                crate::metrics::observe_delivery(row.channel, late.to_std().unwrap_or_default());
            }
        }
        Ok(recorded)
    }

    /// One line per outcome: DEBUG when sent or paced, a rate-limited WARN for a transient
    /// failure, ERROR for a permanent failure or a dead row. Row id and channel, never the
    /// address.
    fn log(&self, row: &OutboxRow, outcome: &Outcome, took: Duration) {
        let duration_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Outcome::Sent | Outcome::Paced { .. } => tracing::debug!(
                outbox.id = row.id,
                channel.kind = %row.channel,
                outbox.outcome = outcome.label(),
                duration_ms,
                "outbox row {} {}",
                row.id,
                outcome.label()
            ),
            Outcome::Retry { error, due_at } => {
                let Some(suppressed) = self.may_warn(row.channel) else {
                    return;
                };
                tracing::warn!(
                    outbox.id = row.id,
                    channel.kind = %row.channel,
                    outbox.attempts = row.attempts,
                    outbox.retry_at = %due_at,
                    outbox.suppressed = suppressed,
                    error.message = %error,
                    "outbox row {} on {}: transient failure, retrying ({suppressed} similar lines suppressed): {error}",
                    row.id,
                    row.channel
                );
            }
            Outcome::Failed { error } => tracing::error!(
                outbox.id = row.id,
                channel.kind = %row.channel,
                outbox.fallback = !row.fallback.is_empty(),
                error.message = %error,
                "outbox row {} on {}: permanent failure: {error}",
                row.id,
                row.channel
            ),
            Outcome::Dead { error } => tracing::error!(
                outbox.id = row.id,
                channel.kind = %row.channel,
                outbox.attempts = row.attempts,
                error.message = %error,
                "outbox row {} on {} is dead: {error}",
                row.id,
                row.channel
            ),
        }
    }

    /// `Some(lines suppressed since the last one)` when a WARN about `channel` may be written
    /// now.
    fn may_warn(&self, channel: ChannelKind) -> Option<u64> {
        let mut warnings = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        let state = warnings.entry(channel).or_insert(WarnState {
            last: None,
            suppressed: 0,
        });
        let now = Instant::now();
        if state
            .last
            .is_some_and(|last| now.duration_since(last) < WARN_EVERY)
        {
            state.suppressed += 1;
            return None;
        }
        state.last = Some(now);
        Some(std::mem::take(&mut state.suppressed))
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
                    tracing::error!(error.message = %e, "the delivery worker cannot claim or record rows; retrying");
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

    /// Sends the row's unsent parts on its channel, one pacing slot each, and says what came
    /// of it. `row.parts_sent` and `row.provider_ids` follow every part that goes out.
    async fn deliver(&self, row: &mut OutboxRow) -> Outcome {
        let Some(channel) = self.channels.get(&row.channel).cloned() else {
            return Outcome::Failed {
                error: format!("no {} channel is configured", row.channel),
            };
        };
        let count = row.part_count();
        while (row.parts_sent as usize) < count {
            let index = row.parts_sent as usize;
            let Some(outgoing) = row.outgoing(index) else {
                return Outcome::Failed {
                    error: format!("the row has no {} rendering", row.channel),
                };
            };
            // The first part waits in the queue for a busy chat; the next ones wait in hand,
            // as their chat is busy with the part just sent.
            if let Err(outcome) = self.pace(row, index > 0).await {
                return outcome;
            }
            match channel.send(&outgoing).await {
                Ok(id) => {
                    row.parts_sent += 1;
                    row.provider_ids.push(id.0);
                }
                Err(DeliveryError::Permanent(error)) => return Outcome::Failed { error },
                Err(DeliveryError::Transient {
                    reason,
                    retry_after,
                }) => return self.transient(row, reason, retry_after),
            }
            if (row.parts_sent as usize) < count {
                match self.store.record_progress(row).await {
                    Ok(true) => {}
                    // Another worker holds the row now; it resumes from what was recorded.
                    Ok(false) => {
                        return Outcome::Retry {
                            due_at: self.clock.now(),
                            error: "the lease was lost between two parts".to_owned(),
                        };
                    }
                    Err(e) => {
                        tracing::warn!(outbox.id = row.id, error.message = %e, "cannot record the parts of outbox row {} sent so far", row.id);
                    }
                }
            }
        }
        Outcome::Sent
    }

    /// A transient failure: retried with backoff, or dead after the most attempts.
    fn transient(&self, row: &OutboxRow, reason: String, retry_after: Option<Duration>) -> Outcome {
        if row.attempts >= self.settings.max_attempts {
            return Outcome::Dead {
                error: format!("gave up after {} attempts: {reason}", row.attempts),
            };
        }
        Outcome::Retry {
            due_at: self.clock.now() + self.backoff(row.attempts, retry_after),
            error: reason,
        }
    }

    /// Waits for the row's pacing slot. A destination that is busy puts the row back in the
    /// queue for when it is free, without counting an attempt against it; `in_hand` (the next
    /// part of a message, whose chat is busy with the part just sent) reserves the
    /// destination's next slot too and waits for it, when that is within [`MAX_PACING_WAIT`].
    async fn pace(&self, row: &OutboxRow, in_hand: bool) -> Result<(), Outcome> {
        let mut slots = self.settings.pacing.slots(row.channel, &row.address);
        if slots.is_empty() {
            return Ok(());
        }
        if in_hand {
            for slot in &mut slots {
                slot.destination = false;
            }
        }
        match self.store.reserve_pacing(&slots, MAX_PACING_WAIT).await {
            Ok(Reservation::After(wait)) => {
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Ok(Reservation::NotBefore(at)) => Err(Outcome::Paced { due_at: at }),
            Err(e) => Err(Outcome::Retry {
                due_at: self.clock.now() + chrono::Duration::seconds(1),
                error: format!("cannot reserve a pacing slot: {e}"),
            }),
        }
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

/// When a WARN about a channel was written last, and how many were held back since.
#[derive(Debug)]
struct WarnState {
    last: Option<Instant>,
    suppressed: u64,
}

/// An outcome waiting for the group commit, with where to say whether it was recorded.
type Pending = (OutboxRow, Outcome, oneshot::Sender<Result<bool, String>>);

/// The group commit of outcomes: whoever holds `writer` writes everything pending.
#[derive(Debug, Default)]
struct Recorder {
    pending: Mutex<Vec<Pending>>,
    writer: tokio::sync::Mutex<()>,
}

impl Recorder {
    /// Records one outcome, together with any that arrive while an earlier write runs; returns
    /// whether it was recorded (`false`: the lease was lost).
    async fn record(
        &self,
        store: &dyn Store,
        row: OutboxRow,
        outcome: Outcome,
    ) -> Result<bool, Error> {
        let (done, result) = oneshot::channel();
        self.lock_pending().push((row, outcome, done));
        {
            let _writer = self.writer.lock().await;
            // Sends that finish together (a batch to a fast server) are all ready to run now:
            // one turn of the scheduler lets them add their outcomes to this transaction.
            tokio::task::yield_now().await;
            let batch = std::mem::take(&mut *self.lock_pending());
            if !batch.is_empty() {
                let (outcomes, senders): (Vec<_>, Vec<_>) = batch
                    .into_iter()
                    .map(|(row, outcome, done)| ((row, outcome), done))
                    .unzip();
                match store.record_outcomes(&outcomes).await {
                    Ok(recorded) => {
                        for (done, recorded) in senders.into_iter().zip(recorded) {
                            let _ = done.send(Ok(recorded));
                        }
                    }
                    Err(e) => {
                        for done in senders {
                            let _ = done.send(Err(e.to_string()));
                        }
                    }
                }
            }
        }
        match result.await {
            Ok(Ok(recorded)) => Ok(recorded),
            Ok(Err(e)) => Err(Error::Recording(e)),
            Err(_) => Err(Error::Recording("the outcome writer went away".to_owned())),
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}
