//! The staff aggregate: accounts, their contacts and their notification preferences.

use async_trait::async_trait;

use crate::domain::{AuditNote, NewStaff, Staff, StaffId};
use crate::error::Error;
use crate::notification::ChannelKind;
use crate::notification::outbox::Category;

/// Staff accounts and their preferences.
#[async_trait]
pub trait StaffStore: Send + Sync {
    /// Creates an account, audited as `audit` in the same transaction.
    async fn add_staff(&self, staff: NewStaff, audit: &AuditNote) -> Result<Staff, Error>;
    async fn get_staff(&self, id: StaffId) -> Result<Staff, Error>;
    async fn get_staff_by_login(&self, login: &str) -> Result<Staff, Error>;
    async fn list_staff(&self) -> Result<Vec<Staff>, Error>;

    /// Turns a category of notifications on one channel on or off for a staff member.
    async fn set_preference(
        &self,
        staff: StaffId,
        category: Category,
        channel: ChannelKind,
        enabled: bool,
        audit: &AuditNote,
    ) -> Result<(), Error>;
    /// Every (staff, category, channel) turned off.
    async fn list_disabled_preferences(
        &self,
    ) -> Result<Vec<(StaffId, Category, ChannelKind)>, Error>;
    /// The one-click unsubscribe token for (staff, category, channel), made on first use.
    async fn unsubscribe_token(
        &self,
        staff: StaffId,
        category: Category,
        channel: ChannelKind,
    ) -> Result<String, Error>;
    /// What an unsubscribe token would turn off, changing nothing.
    async fn unsubscribe_target(
        &self,
        token: &str,
    ) -> Result<(StaffId, Category, ChannelKind), Error>;
    /// Applies an unsubscribe token: turns its preference off (audited as its owner's change)
    /// and says which it was.
    async fn unsubscribe(&self, token: &str) -> Result<(StaffId, Category, ChannelKind), Error>;
}
