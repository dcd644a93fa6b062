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
    /// Send after this wait (none, or a little), counted from the reservation.
    After(Duration),
    /// A key is busy until then (by this host's clock): the destination beyond a moment from
    /// now, or a shared key beyond the horizon. Nothing was reserved.
    NotBefore(chrono::DateTime<chrono::Utc>),
}
