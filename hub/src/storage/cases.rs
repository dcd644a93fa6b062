//! The cases aggregate: a case with its contacts, attachments, timeline and sealed identity.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{
    AccessToken, Attachment, Case, CaseCode, CaseId, CaseKind, CaseProgress, DenouncerIdentity,
    IdentityAccess, NewCase, NewEvent, Publication, Status, TimelineEvent,
};
use crate::error::Error;
use crate::notification::outbox::NewNotification;

/// Renders the notifications of a case change from the case as stored in the same
/// transaction (a new case's code exists only there).
#[derive(Clone)]
pub struct Notify(pub Arc<NotifyFn>);

/// The function inside [`Notify`].
pub type NotifyFn = dyn Fn(&Case) -> Result<Vec<NewNotification>, Error> + Send + Sync;

impl Notify {
    /// No notifications.
    pub fn none() -> Self {
        Self(Arc::new(|_| Ok(Vec::new())))
    }
}

impl std::fmt::Debug for Notify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notify(..)")
    }
}

/// A validated case with everything the hub computed for it, ready to insert.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub case: NewCase,
    pub first_case_id: Option<CaseId>,
    pub code_prefix: String,
    pub received_at: DateTime<Utc>,
    pub received_on: NaiveDate,
    pub progress: CaseProgress,
    pub access_token: AccessToken,
    /// For a denunciation: the keyed hashes of the denouncer's contacts, by which they find it
    /// under "my cases" (the contacts themselves stay in the sealed identity).
    pub denouncer_hashes: Vec<String>,
    pub notify: Notify,
}

impl CaseRecord {
    /// The same case, with the citizen's acknowledgement kept as `suppressed` instead of sent:
    /// for a sender over the gateway's rate of acknowledgements, whose case staff still see.
    pub fn without_receipt(mut self) -> Self {
        let inner = self.notify.0.clone();
        self.notify = Notify(Arc::new(move |case| {
            let mut out = inner(case)?;
            for n in out
                .iter_mut()
                .filter(|n| n.key == "citizen" || n.key == "denouncer")
            {
                n.suppressed = true;
            }
            Ok(out)
        }));
        self
    }
}

/// A case just stored, with the token to hand to the citizen once.
#[derive(Debug, Clone)]
pub struct CreatedCase {
    pub case: Case,
    pub access_token: AccessToken,
}

/// A change of a case's progress, applied only if the case is still as it was read.
#[derive(Debug, Clone)]
pub struct ProgressChange {
    pub case_id: CaseId,
    pub expected_status: Status,
    pub expected_version: i64,
    pub progress: CaseProgress,
    pub event: NewEvent,
    pub notify: Notify,
}

/// Information added to an open case: attachments appended after its own, a timeline event
/// holding the text, and the notifications; applied only if the case is still as it was read.
#[derive(Debug, Clone)]
pub struct InformationChange {
    pub case_id: CaseId,
    pub expected_status: Status,
    pub expected_version: i64,
    /// Uploaded files (each with its `file_id`), in the order given.
    pub attachments: Vec<Attachment>,
    /// An [`crate::domain::EventKind::InformationAdded`] event; its note is the text.
    pub event: NewEvent,
    pub notify: Notify,
}

/// Publishing or withdrawing the public copy of a case.
#[derive(Debug, Clone)]
pub struct PublicationChange {
    pub case_id: CaseId,
    pub expected_version: i64,
    /// `None` withdraws the public copy.
    pub publication: Option<Publication>,
    pub event: NewEvent,
    /// The notifications of the change (the followers', when the public answer appears).
    pub notify: Notify,
}

/// Which cases to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub kind: Option<CaseKind>,
    pub status: Option<Status>,
    pub published: Option<bool>,
    /// Leave out denunciations (every public listing does).
    pub exclude_to_cao: bool,
    /// Newest publication first instead of newest receipt first.
    pub by_publication: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Cases, their timelines and the sealed identities of denouncers.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Stores a case with its code (from the per-day counter), contacts, attachments, sealed
    /// identity and `created` event, in one transaction.
    async fn add_case(&self, record: CaseRecord) -> Result<CreatedCase, Error>;
    async fn get_case(&self, id: CaseId) -> Result<Case, Error>;
    async fn get_case_by_code(&self, code: &CaseCode) -> Result<Case, Error>;
    async fn get_case_by_token(&self, token: &AccessToken) -> Result<Case, Error>;
    async fn get_case_by_source_ref(&self, source_ref: &str) -> Result<Case, Error>;
    /// A page of cases, newest first (`limit` 0 means 100).
    async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<Case>, Error>;
    /// How many cases the filter matches, ignoring limit and offset.
    async fn count_cases(&self, filter: &CaseFilter) -> Result<i64, Error>;
    /// How many cases are open, and how many of those are past the date they are expected by
    /// (the relay's, else the resolver's, else the council's deadline) on `today`.
    async fn count_open_and_overdue(&self, today: NaiveDate) -> Result<(i64, i64), Error>;
    /// The number of cases in each status.
    async fn count_cases_by_status(
        &self,
        exclude_to_cao: bool,
    ) -> Result<Vec<(Status, i64)>, Error>;
    /// Open cases with an assignee, for deadline warnings.
    async fn list_open_assigned_cases(&self) -> Result<Vec<Case>, Error>;
    /// Open cases with a running clock, known or unknown, for deadline warnings.
    async fn list_cases_with_running_clocks(&self) -> Result<Vec<Case>, Error>;

    /// Applies a progress change with its timeline event, `UPDATE … WHERE id = ? AND status = ?
    /// AND version = ?`: of two racing changes exactly one wins, the other gets
    /// [`Error::Conflict`].
    async fn update_case_progress(&self, change: ProgressChange) -> Result<Case, Error>;
    /// Appends information to a case: its attachments, its timeline event and its
    /// notifications, with the version bumped, under the same guard as
    /// [`CaseStore::update_case_progress`]. The files of a denunciation become sealed.
    async fn add_case_information(&self, change: InformationChange) -> Result<Case, Error>;
    /// Publishes or withdraws a case's public copy, with its timeline event; never a
    /// denunciation, whatever the caller checked.
    async fn update_case_publication(&self, change: PublicationChange) -> Result<Case, Error>;
    async fn get_timeline(&self, case: CaseId) -> Result<Vec<TimelineEvent>, Error>;

    /// Reads a denouncer's identity and writes the audit row in the same transaction.
    async fn read_denouncer_identity(
        &self,
        access: &IdentityAccess,
        case: CaseId,
    ) -> Result<DenouncerIdentity, Error>;
}
