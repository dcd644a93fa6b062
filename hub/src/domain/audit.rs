//! The audit log: who read or changed what outside a case's own timeline.

use chrono::{DateTime, Utc};

use super::staff::StaffId;

/// Reading a denouncer's identity.
pub const READ_DENOUNCER_IDENTITY: &str = "denouncer_identity.read";
/// Reading a sealed file (a denunciation's, or one uploaded sealed).
pub const READ_SEALED_FILE: &str = "file.read_sealed";
/// Creating a staff account.
pub const ADD_STAFF: &str = "staff.add";
/// Issuing a one-time link of a staff account to a Telegram chat (the detail: until when).
pub const ISSUE_STAFF_LINK: &str = "staff.link_issued";
/// A staff account's Telegram chat linked by its one-time link (the detail names the channel
/// and the account the chat moved from, never the chat).
pub const LINK_STAFF_CHAT: &str = "staff.chat_linked";
/// Turning a category of notifications on or off for a staff member.
pub const SET_PREFERENCE: &str = "preference.set";
/// Queuing a failed or dead outbox row again.
pub const RETRY_OUTBOX: &str = "outbox.retry";
/// Creating a task.
pub const ADD_TASK: &str = "task.add";
/// Changing a task's status.
pub const SET_TASK_STATUS: &str = "task.status";
/// Creating a calendar event.
pub const ADD_EVENT: &str = "event.add";
/// Issuing (or rotating) a staff member's secret calendar URL.
pub const ISSUE_CALENDAR_FEED: &str = "staff.calendar_feed_issued";
/// Publishing a case's public copy, or withdrawing it.
pub const PUBLISH_CASE: &str = "case.publish";
/// A citizen's rating of the answer to their case (no staff id: the citizen acted).
pub const RATE_CASE: &str = "case.rate";
/// A contact starting to follow a published case (the detail names the channel, never the
/// contact).
pub const FOLLOW_CASE: &str = "case.follow";
/// A contact no longer following one case, or any.
pub const UNFOLLOW_CASE: &str = "case.unfollow";

/// Sending an internal message (the detail: whom it was addressed to and how many received
/// it; never the body).
pub const SEND_MESSAGE: &str = "message.send";
/// Replying in a thread of internal messages (the detail: the thread and how many received it).
pub const REPLY_MESSAGE: &str = "message.reply";
/// A recipient reading an internal message (the detail: by the Telegram button or the email's
/// link).
pub const READ_MESSAGE: &str = "message.read";
/// Issuing an Open311 client's API key, or replacing it (the detail says which; never the key).
pub const ISSUE_OPEN311_KEY: &str = "open311.key_issued";
/// Revoking an Open311 client's API key.
pub const REVOKE_OPEN311_KEY: &str = "open311.key_revoked";

/// Who did an audited change, and why if they said: the store writes it, with the action and
/// the subject it knows, in the same transaction as the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditNote {
    /// `None` for an operator at the command line.
    pub by: Option<StaffId>,
    pub detail: Option<String>,
}

impl AuditNote {
    /// An operator at the command line.
    pub fn operator() -> Self {
        Self {
            by: None,
            detail: None,
        }
    }

    /// A staff member.
    pub fn staff(id: StaffId) -> Self {
        Self {
            by: Some(id),
            detail: None,
        }
    }
}

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
