//! What a send reserves under the pacing keys, and what the reservation came to.

use std::time::Duration;

/// One key a send reserves a slot under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacingSlot {
    pub key: String,
    /// The least time between two sends under this key.
    pub every: Duration,
    /// A destination's key: a send waits in the queue, not in hand, until the destination is
    /// free, so that one busy chat cannot hold the channel's shared slots far ahead.
    pub destination: bool,
}

/// What a reservation came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Send at this moment (now, or a little later).
    At(chrono::DateTime<chrono::Utc>),
    /// The destination is busy until then; nothing was reserved.
    NotBefore(chrono::DateTime<chrono::Utc>),
}
