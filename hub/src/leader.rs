//! Leader election over the database's lease table: a job that must run on exactly one
//! instance (polling Telegram, where a second `getUpdates` caller gets 409 Conflict; polling
//! IMAP) runs only while this instance holds its lease.
//!
//! The holder renews every `renew_every`; the lease lasts one and a half of those, so a slow
//! renewal does not lose it. A standby tries every half interval, so when the holder dies it
//! takes over within two renewal intervals.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::domain::Lease;
use crate::notification::outbox::instance_name;
use crate::storage::Store;

/// Runs a job while holding the lease of its name.
#[derive(Debug, Clone)]
pub struct Leader {
    store: Arc<dyn Store>,
    name: String,
    holder: String,
    renew_every: Duration,
}

/// Handed to the job: tells it when the lease is lost, so it stops at once.
#[derive(Debug)]
pub struct Leadership {
    lost: watch::Receiver<bool>,
    /// The lease's generation when the job started: grows with every new holder.
    pub generation: i64,
}

impl Leadership {
    /// Resolves once the lease is lost or the service stops.
    pub async fn lost(&mut self) {
        // An error means the sender is gone, which is also the end of the lease.
        let _ = self.lost.wait_for(|lost| *lost).await;
    }

    pub fn is_lost(&self) -> bool {
        *self.lost.borrow()
    }
}

impl Leader {
    /// A leader for the lease `name`, held as this process (`host:pid`).
    pub fn new(store: Arc<dyn Store>, name: &str, renew_every: Duration) -> Self {
        Self {
            store,
            name: name.to_owned(),
            holder: instance_name().to_owned(),
            renew_every: renew_every.max(Duration::from_millis(10)),
        }
    }

    /// The same leader under another holder's name (two in one process, as in a test).
    pub fn with_holder(mut self, holder: &str) -> Self {
        holder.clone_into(&mut self.holder);
        self
    }

    /// How long a lease lasts unrenewed.
    pub fn ttl(&self) -> Duration {
        self.renew_every * 3 / 2
    }

    /// Stands by until the lease is free, then runs `job` while holding it, renewing it; when
    /// the lease is lost the job is told and awaited, and the instance stands by again. On
    /// `stop` the job is told, awaited, and then the lease released for a standby to take at
    /// once.
    pub async fn run_until_stopped<F, Fut>(self, mut stop: watch::Receiver<bool>, mut job: F)
    where
        F: FnMut(Leadership) -> Fut + Send,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let standby = self.renew_every / 2;
        loop {
            if *stop.borrow() {
                break;
            }
            let lease = match self
                .store
                .acquire_lease(&self.name, &self.holder, self.ttl())
                .await
            {
                Ok(Some(lease)) => lease,
                Ok(None) => {
                    if sleep_or_stop(&mut stop, standby).await {
                        break;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(lease.name = %self.name, error.message = %e, "cannot try the lease {}; trying again", self.name);
                    if sleep_or_stop(&mut stop, standby).await {
                        break;
                    }
                    continue;
                }
            };
            tracing::info!(
                lease.name = %self.name,
                lease.generation = lease.generation,
                "this instance now holds the lease {}",
                self.name
            );
            let (lost, watch_lost) = watch::channel(false);
            let running = tokio::spawn(job(Leadership {
                lost: watch_lost,
                generation: lease.generation,
            }));
            let mut lease = lease;
            let stopped = self.hold(&mut lease, &mut stop, &running).await;
            let _ = lost.send(true);
            if let Err(e) = running.await {
                tracing::error!(lease.name = %self.name, error.message = %e, "the job of lease {} panicked", self.name);
            }
            if stopped {
                // Released only once the job has ended, so that a standby taking the lease at
                // once never runs beside it (a second Telegram poller would get 409).
                if let Err(e) = self.store.release_lease(&lease).await {
                    tracing::warn!(lease.name = %self.name, error.message = %e, "cannot release the lease {}; it expires by itself", self.name);
                }
                break;
            }
            if sleep_or_stop(&mut stop, standby).await {
                break;
            }
        }
    }

    /// Renews the lease until it is lost, the job ends or `stop`; says whether it was `stop`
    /// (the caller then releases `lease` once the job has ended).
    async fn hold(
        &self,
        lease: &mut Lease,
        stop: &mut watch::Receiver<bool>,
        running: &tokio::task::JoinHandle<()>,
    ) -> bool {
        loop {
            tokio::select! {
                _ = stop.changed() => return true,
                () = tokio::time::sleep(self.renew_every) => {}
            }
            if running.is_finished() {
                let _ = self.store.release_lease(lease).await;
                return false;
            }
            match self.store.renew_lease(lease, self.ttl()).await {
                Ok(Some(renewed)) => *lease = renewed,
                Ok(None) => {
                    tracing::warn!(lease.name = %self.name, "the lease {} was taken over; standing by", self.name);
                    return false;
                }
                // A failed renewal is tried again at the next interval while the lease runs;
                // once it has run out another instance may hold it, so this one stops.
                Err(e) if self.store.clock().now() < lease.expires_at => {
                    tracing::warn!(lease.name = %self.name, error.message = %e, "cannot renew the lease {}; trying again", self.name);
                }
                Err(e) => {
                    tracing::warn!(lease.name = %self.name, error.message = %e, "the lease {} ran out unrenewed; standing by", self.name);
                    return false;
                }
            }
        }
    }
}

/// Sleeps for `pause` unless `stop` turns true first; says whether it did.
async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, pause: Duration) -> bool {
    tokio::select! {
        _ = stop.changed() => true,
        () = tokio::time::sleep(pause) => *stop.borrow(),
    }
}
