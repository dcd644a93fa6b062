//! The audit log: who read or changed what outside a case's own timeline.

use async_trait::async_trait;

use crate::domain::AuditEntry;
use crate::error::Error;

/// Reading the audit log; rows are written by the services' own transactions.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// The newest audit entries first.
    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, Error>;
}
