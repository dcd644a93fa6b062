//! The pacing aggregate: the next free moment under each rate-limit key, shared by instances.

use async_trait::async_trait;

use crate::error::Error;
use crate::notification::pacing::{PacingSlot, Reservation};

/// Rate-limit slots held in the database, so limits hold across instances.
#[async_trait]
pub trait PacingStore: Send + Sync {
    /// Reserves one moment under every pacing key: the earliest at which each key's last send
    /// is far enough back, moving each key's `next_at` on by its interval. If a destination key
    /// is busy beyond a moment from now, or a shared key (the channel overall) beyond
    /// `horizon`, nothing is reserved and the moment it is free is returned.
    ///
    /// On PostgreSQL the moments are the database server's (`clock_timestamp()`), one clock for
    /// every instance: the one exception to the injected clock. SQLite serves one host, whose
    /// clock is the store's.
    async fn reserve_pacing(
        &self,
        slots: &[PacingSlot],
        horizon: std::time::Duration,
    ) -> Result<Reservation, Error>;
}
