//! The leases aggregate: leader leases shared by every instance on the database.

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::Lease;
use crate::error::Error;

/// Leader leases.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease `name` for `holder` for `ttl` if nobody holds it or its holder let it
    /// expire; `None` while another holder's lease runs. Of several instances trying at once,
    /// exactly one gets it.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, Error>;

    /// Extends a held lease by `ttl` from now; `None` if it was taken over meanwhile.
    async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<Option<Lease>, Error>;

    /// Lets the lease go at once, so that a standby need not wait for it to expire.
    async fn release_lease(&self, lease: &Lease) -> Result<(), Error>;

    /// Who holds `name` now, if anyone holds it unexpired.
    async fn current_lease(&self, name: &str) -> Result<Option<Lease>, Error>;
}
