//! The audit log: who read or changed what outside a case's own timeline.

use chrono::{DateTime, Utc};

use super::staff::StaffId;

/// Reading a denouncer's identity.
pub const READ_DENOUNCER_IDENTITY: &str = "denouncer_identity.read";
/// Reading a sealed file (a denunciation's, or one uploaded sealed).
pub const READ_SEALED_FILE: &str = "file.read_sealed";
/// Creating a staff account.
pub const ADD_STAFF: &str = "staff.add";

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `None` when an operator acted through the command line.
    pub staff: Option<StaffId>,
    pub action: String,
    /// What was acted on, e.g. `case:12`.
    pub subject: String,
    pub detail: Option<String>,
}
