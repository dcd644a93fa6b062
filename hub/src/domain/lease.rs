//! Leader leases: one holder per name (the Telegram poller, the IMAP poller) across every
//! instance on the database. The holder renews its lease; when it stops, a standby takes over
//! once the lease has expired.

use std::fmt;

use chrono::{DateTime, Utc};

/// A lease held by this instance. Renewing and releasing are fenced by its token: a holder
/// whose lease was taken over finds out at its next renewal.
#[derive(Clone, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub token: String,
    /// Grows by one with every new holder: a fencing number for whatever the holder writes.
    pub generation: i64,
    pub expires_at: DateTime<Utc>,
}

// Written by hand: the token is the holder's proof and stays out of logs.
impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("name", &self.name)
            .field("holder", &self.holder)
            .field("generation", &self.generation)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
