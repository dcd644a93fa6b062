//! The inbound worker: claims stored messages under a lease, asks the handler of their source
//! what each one changes, and completes it: the effect, the replies and the row's `done`
//! commit together, so a replay or a crash between claim and done changes nothing twice.
//! [`TelegramWebhook`] is the storing half of Telegram's webhook, for the HTTP route.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

use crate::domain::{InboundFailure, InboundRow, InboundSource, NewInbound, Received};
use crate::error::Error;
use crate::storage::{Completed, InboundCompletion, InboundEffect, Store};

mod webhook;

pub use webhook::{TelegramWebhook, WebhookError};

/// `[inbound]`: how inbound messages are processed and kept.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundSettings {
    /// Rows claimed at a time.
    pub batch_size: i64,
    /// How long a claim holds its rows; longer than the slowest handler.
    pub lease_secs: u64,
    /// Attempts before a row is dead.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, up to `backoff_max_secs`.
    pub backoff_base_ms: u64,
    pub backoff_max_secs: u64,
    /// How often an idle worker looks for due rows.
    pub poll_interval_ms: u64,
    /// Days a processed message's payload is kept (for support and audits) before it is
    /// deleted; a sealed one is deleted at once.
    pub retention_days: u32,
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            batch_size: 16,
            lease_secs: 60,
            max_attempts: 8,
            backoff_base_ms: 2_000,
            backoff_max_secs: 900,
            poll_interval_ms: 250,
            retention_days: 30,
        }
    }
}

impl InboundSettings {
    /// Counts and durations that would stop inbound processing are refused.
    pub fn check(&self) -> Result<(), crate::config::InvalidSetting> {
        use crate::config::at_least_one;
        at_least_one(
            "inbound.batch_size",
            self.batch_size.try_into().unwrap_or(0),
        )?;
        at_least_one("inbound.lease_secs", self.lease_secs)?;
        at_least_one("inbound.max_attempts", u64::from(self.max_attempts))?;
        at_least_one("inbound.poll_interval_ms", self.poll_interval_ms)
    }
}

/// Why a handler could not process a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// The message can never be processed (malformed, hostile): kept as `failed` with the
    /// reason, for an operator.
    #[error("permanent: {0}")]
    Permanent(String),
    /// Worth another try later (a database or a channel was down).
    #[error("transient: {0}")]
    Transient(String),
}

impl From<Error> for HandleError {
    fn from(e: Error) -> Self {
        match e {
            // A request the domain refuses will be refused again: retrying cannot help.
            Error::Domain(d) => HandleError::Permanent(d.to_string()),
            other => HandleError::Transient(other.to_string()),
        }
    }
}

/// Decides what one source's messages change. It must not write: the worker applies what it
/// returns in one transaction with the row's `done`.
#[async_trait]
pub trait InboundHandler: Send + Sync + fmt::Debug {
    async fn handle(
        &self,
        row: &InboundRow,
        payload: &[u8],
    ) -> Result<InboundCompletion, HandleError>;

    /// What the source is told as soon as a new message of its is stored, before it is
    /// handled: for Telegram, a pressed button's spinner stops and its keyboard goes. Best
    /// effort, and it must not wait: a receipt that fails costs the person a spinner, never
    /// the message.
    fn stored(&self, _payload: &[u8]) {}

    /// What the source is told once a message's completion is committed, with the effect that
    /// was applied: for Telegram, a chat just linked to a staff account gets the staff menu.
    /// Best effort, and it must not wait, like [`InboundHandler::stored`].
    fn completed(&self, _effect: &InboundEffect) {}
}

/// What one step of the worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundStep {
    /// Nothing was due.
    Idle,
    /// This many rows were claimed and handled.
    Worked(usize),
}

/// The inbound worker; clone it to run several.
#[derive(Debug, Clone)]
pub struct InboundWorker {
    store: Arc<dyn Store>,
    handlers: Arc<HashMap<InboundSource, Arc<dyn InboundHandler>>>,
    settings: InboundSettings,
    wake: Arc<Notify>,
}

impl InboundWorker {
    pub fn new(store: Arc<dyn Store>, settings: InboundSettings) -> Self {
        Self {
            store,
            handlers: Arc::default(),
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The same worker, handing messages of `source` to `handler`.
    pub fn with_handler(mut self, source: InboundSource, handler: Arc<dyn InboundHandler>) -> Self {
        Arc::make_mut(&mut self.handlers).insert(source, handler);
        self
    }

    /// Stores a message before the transport acknowledges it, and wakes this worker.
    /// A fresh message gets its source's receipt; a replay gets none, as the first did.
    pub async fn receive(&self, message: NewInbound) -> Result<Received, Error> {
        let handler = self.handlers.get(&message.source).cloned();
        let payload = handler.as_ref().map(|_| message.payload.clone());
        let received = self.store.add_inbound(message).await?;
        if received.fresh {
            self.wake.notify_one();
            if let (Some(handler), Some(payload)) = (handler, payload) {
                handler.stored(&payload);
            }
        }
        Ok(received)
    }

    /// Claims one batch and handles it, row by row, in the order received.
    pub async fn try_execute_batch(&self) -> Result<InboundStep, Error> {
        let lease = Duration::from_secs(self.settings.lease_secs.max(1));
        let rows = self
            .store
            .claim_inbound(self.settings.batch_size.max(1), lease)
            .await?;
        if rows.is_empty() {
            return Ok(InboundStep::Idle);
        }
        let claimed = rows.len();
        for row in rows {
            self.process(&row).await?;
        }
        Ok(InboundStep::Worked(claimed))
    }

    async fn process(&self, row: &InboundRow) -> Result<(), Error> {
        let outcome = match (self.handlers.get(&row.source), &row.payload) {
            (None, _) => Err(HandleError::Transient(format!(
                "no handler for {} messages is running",
                row.source
            ))),
            (Some(_), None) => Err(HandleError::Permanent(
                "the payload was purged before the message was processed".to_owned(),
            )),
            (Some(handler), Some(payload)) => handler.handle(row, payload).await,
        };
        let failure = match outcome {
            Ok(completion) => {
                // Kept for the handler's after-commit hook; most effects are small or nothing.
                let effect = completion.effect.clone();
                match self.store.complete_inbound(row, completion).await {
                    Ok(Completed::Done { .. }) => {
                        tracing::debug!(inbound.id = row.id, inbound.source = %row.source, "inbound message {} processed", row.id);
                        if let Some(handler) = self.handlers.get(&row.source) {
                            handler.completed(&effect);
                        }
                        return Ok(());
                    }
                    Ok(Completed::LeaseLost) => {
                        tracing::warn!(
                            inbound.id = row.id,
                            "inbound message {} was taken over after its lease ended; its result was dropped",
                            row.id
                        );
                        return Ok(());
                    }
                    Err(e) => HandleError::from(e),
                }
            }
            Err(e) => e,
        };
        let failure = self.failure(row, failure);
        tracing::warn!(
            inbound.id = row.id,
            inbound.source = %row.source,
            inbound.attempts = row.attempts,
            error.message = failure.error(),
            "inbound message {} not processed",
            row.id
        );
        self.store.fail_inbound(row, failure).await?;
        Ok(())
    }

    fn failure(&self, row: &InboundRow, error: HandleError) -> InboundFailure {
        match error {
            HandleError::Permanent(error) => InboundFailure::Failed { error },
            HandleError::Transient(error) if row.attempts >= self.settings.max_attempts => {
                InboundFailure::Dead {
                    error: format!("gave up after {} attempts: {error}", row.attempts),
                }
            }
            HandleError::Transient(error) => InboundFailure::Retry {
                due_at: self.store.clock().now() + self.backoff(row.attempts),
                error,
            },
        }
    }

    /// The delay before the next try.
    fn backoff(&self, attempts: u32) -> chrono::Duration {
        crate::retry::backoff(
            Duration::from_millis(self.settings.backoff_base_ms),
            Duration::from_secs(self.settings.backoff_max_secs),
            attempts,
            None,
        )
    }

    /// Works until `stop` turns true, finishing the batch in hand.
    pub async fn run_until_stopped(self, mut stop: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        loop {
            if *stop.borrow() {
                break;
            }
            let pause = match self.try_execute_batch().await {
                Ok(InboundStep::Worked(_)) => continue,
                Ok(InboundStep::Idle) => poll,
                Err(e) => {
                    tracing::error!(error.message = %e, "the inbound worker cannot claim rows; retrying");
                    poll * 4
                }
            };
            tokio::select! {
                _ = stop.changed() => {}
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("inbound worker stopped");
    }
}
