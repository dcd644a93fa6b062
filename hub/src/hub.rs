//! The hub's services: what bot, web and CLI call. Each reads what it needs, asks the domain to
//! plan the change, and lets storage apply it atomically.

use std::sync::Arc;

use crate::catalog::PublicCatalog;
use crate::clock::Clock;
use crate::delivery::ChannelKind;
use crate::delivery::notify::{
    CaseEvent, FollowNews, Notifier, Receipt, RefusedFile, StaffRecipients,
};
use crate::delivery::outbox::Category;
use crate::domain::policy::{self, Action, CaseContext, transition_action};
use crate::domain::progress::{self, TransitionRequest};
use crate::domain::{
    AccessToken, Actor, ButtonKey, Case, CaseBasics, CaseId, CaseKind, ContactKey, CouncilProfile,
    DenouncerIdentity, IdentityAccess, Language, MailKey, NewCase, NormalisedContact, StaffId,
    contact_hash,
};
use crate::error::{DomainError, Error};
use crate::storage::{CaseRecord, CreatedCase, Notify, ProgressChange, Store};

/// How long a staff link may be used when the settings say nothing.
pub const DEFAULT_STAFF_LINK_TTL: chrono::Duration = chrono::Duration::hours(24);

/// The hub: the council profile, the store and the clock, shared by every transport.
#[derive(Debug, Clone)]
pub struct Hub {
    store: Arc<dyn Store>,
    profile: Arc<CouncilProfile>,
    clock: Arc<dyn Clock>,
    notifier: Option<Arc<Notifier>>,
    /// Keys the hashes by which a denouncer finds their case; from the settings.
    contact_key: Arc<ContactKey>,
    /// Signs staff buttons; a sub-key of `contact_key`.
    button_key: Arc<ButtonKey>,
    /// How long a staff member's one-time Telegram link may be used.
    pub(crate) staff_link_ttl: chrono::Duration,
    /// The file store and the limits of uploads; see `attachments.rs`.
    pub(crate) files: Option<crate::attachments::HubFiles>,
    /// When this hub was made. The council profile changes only with a restart, so this dates
    /// everything made from it (Open311's `changeset`).
    pub(crate) started_at: chrono::DateTime<chrono::Utc>,
}

impl Hub {
    /// A hub over `store`, using the store's clock.
    pub fn new(store: Arc<dyn Store>, profile: Arc<CouncilProfile>) -> Self {
        let clock = store.clock().clone();
        let contact_key = ContactKey::random();
        Self {
            store,
            profile,
            started_at: clock.now(),
            clock,
            notifier: None,
            button_key: Arc::new(ButtonKey::derive(&contact_key)),
            contact_key: Arc::new(contact_key),
            staff_link_ttl: DEFAULT_STAFF_LINK_TTL,
            files: None,
        }
    }

    /// The same hub, keying denouncers' contact hashes with the configured secret; without it
    /// a random key is used, and a restart forgets which denouncer filed what.
    pub fn with_contact_key(mut self, key: ContactKey) -> Self {
        self.button_key = Arc::new(ButtonKey::derive(&key));
        self.contact_key = Arc::new(key);
        self
    }

    /// The key the signed reply and bounce addresses are made with (derived from the contact
    /// key), for the email channel and the gateway.
    pub fn mail_key(&self) -> MailKey {
        MailKey::derive(&self.contact_key)
    }

    /// The key staff buttons are signed with (derived from the contact key), for the
    /// [`Notifier`] that puts buttons under staff messages.
    pub fn button_key(&self) -> ButtonKey {
        (*self.button_key).clone()
    }

    /// The same hub, letting a staff member's Telegram link be used for `ttl` after it is
    /// issued (24 hours unless set).
    pub fn with_staff_link_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.staff_link_ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        self
    }

    /// The same hub, enqueuing the notifications of every case change with `notifier`.
    pub fn with_notifier(mut self, notifier: Arc<Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// What to enqueue with a case change: nothing without a notifier.
    pub(crate) async fn notify(
        &self,
        event: CaseEvent,
        assignee_before: Option<StaffId>,
    ) -> Result<Notify, Error> {
        self.notify_with(Some(event), assignee_before, None, None)
            .await
    }

    /// What to enqueue with a case change: the citizen's and staff's notifications of `event`,
    /// and the `news` to the followers of `followers` (read now, as the staff are). A new
    /// case's `receipt` carries the private link and names the files refused.
    pub(crate) async fn notify_with(
        &self,
        event: Option<CaseEvent>,
        assignee_before: Option<StaffId>,
        followers: Option<(CaseId, FollowNews)>,
        receipt: Option<Receipt>,
    ) -> Result<Notify, Error> {
        let Some(notifier) = self.notifier.clone() else {
            return Ok(Notify::none());
        };
        let staff = if event.is_some() {
            StaffRecipients {
                staff: self.store.list_staff().await?,
                disabled: self
                    .store
                    .list_disabled_preferences()
                    .await?
                    .into_iter()
                    .collect(),
            }
        } else {
            StaffRecipients::default()
        };
        let followers = match followers {
            Some((case, news)) => Some((self.store.list_followers(case).await?, news)),
            None => None,
        };
        let now = self.clock.now();
        Ok(Notify(Arc::new(move |case| {
            let mut out = match &event {
                Some(event) => {
                    let about = (event, receipt.as_ref());
                    notifier.for_case(case, about, &staff, assignee_before, now)?
                }
                None => Vec::new(),
            };
            if let Some((followers, news)) = &followers {
                out.extend(notifier.for_followers(case, followers, *news, now)?);
            }
            Ok(out)
        })))
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The notifier of every change, if notifications are on.
    pub(crate) fn notifier(&self) -> Option<&Arc<Notifier>> {
        self.notifier.as_ref()
    }

    /// What the public may see of the cases: the service every public page and answer uses.
    pub fn catalog(&self) -> PublicCatalog {
        PublicCatalog::new(self.store.clone(), self.profile.clone())
    }

    /// Answers if the database does.
    pub async fn ping(&self) -> Result<(), Error> {
        self.store.ping().await
    }

    /// What a one-click unsubscribe token would turn off, and the language its owner reads: a
    /// staff member's category on a channel, or a follow of a case (case updates by email).
    pub async fn unsubscribe_target(
        &self,
        token: &str,
    ) -> Result<(Language, Category, ChannelKind), Error> {
        match self.store.unsubscribe_target(token).await {
            Ok((staff, category, channel)) => {
                let language = self.store.get_staff(staff).await?.language;
                Ok((language, category, channel))
            }
            Err(Error::NotFound(_)) => match self.follow_unsubscribe_target(token).await? {
                Some(follow) => Ok((follow.language, Category::CaseUpdate, ChannelKind::Email)),
                None => Err(Error::NotFound("unsubscribe token")),
            },
            Err(e) => Err(e),
        }
    }

    /// Applies a one-click unsubscribe token: turns a staff member's preference off, or ends
    /// the follow of a case the token came with, and says which it was (`None`: a follow).
    pub async fn unsubscribe(
        &self,
        token: &str,
    ) -> Result<(Option<StaffId>, Category, ChannelKind), Error> {
        let (staff, category, channel) = match self.store.unsubscribe(token).await {
            Ok(found) => found,
            Err(Error::NotFound(_)) => {
                return match self.follow_unsubscribe(token).await? {
                    Some(_) => Ok((None, Category::CaseUpdate, ChannelKind::Email)),
                    None => Err(Error::NotFound("unsubscribe token")),
                };
            }
            Err(e) => return Err(e),
        };
        tracing::info!(
            staff.id = staff.0,
            notification.category = %category,
            channel.kind = %channel,
            "staff {} unsubscribed from {category} by {channel}",
            staff.0
        );
        Ok((Some(staff), category, channel))
    }

    pub fn profile(&self) -> &Arc<CouncilProfile> {
        &self.profile
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Receives a case: validates it, computes its council clock, stores it and returns its
    /// code and the citizen's access token.
    pub async fn submit_case(&self, case: NewCase) -> Result<CreatedCase, Error> {
        let record = self.prepare_case(case).await?;
        let kind = record.case.kind;
        let created = self.store.add_case(record).await?;
        tracing::info!(
            case.id = created.case.id.0,
            case.code = %created.case.code,
            case.kind = %kind,
            "case {} received",
            created.case.code
        );
        Ok(created)
    }

    /// Everything [`Hub::submit_case`] does before it writes: the validated case, its clock,
    /// its token and its notifications, for a caller that stores it in a transaction of its
    /// own (an inbound message's handler).
    pub async fn prepare_case(&self, case: NewCase) -> Result<CaseRecord, Error> {
        self.prepare_case_refusing(case, Vec::new()).await
    }

    /// [`Hub::prepare_case`] for a case some of whose files were refused before it was
    /// filed (a mail's attachments): its receipt names them, each with why.
    pub async fn prepare_case_refusing(
        &self,
        case: NewCase,
        refused_files: Vec<RefusedFile>,
    ) -> Result<CaseRecord, Error> {
        let case = self.resolve_attachments(case.validate()?).await?;
        let profile = &self.profile;
        if let Some(area) = case.area.as_deref().filter(|a| profile.area(a).is_none()) {
            return Err(DomainError::invalid("area", format!("unknown area `{area}`")).into());
        }
        if let Some(cat) = case
            .category
            .as_deref()
            .filter(|c| profile.category(c).is_none())
        {
            return Err(
                DomainError::invalid("category", format!("unknown category `{cat}`")).into(),
            );
        }
        let first_case_id = match &case.first_case {
            Some(code) => {
                let first = self
                    .store
                    .get_case_by_code(code)
                    .await
                    .map_err(|e| match e {
                        Error::NotFound(_) => DomainError::invalid(
                            "first_case",
                            format!("no case has the code {code}"),
                        )
                        .into(),
                        other => other,
                    })?;
                if first.kind != CaseKind::KhieuNai {
                    return Err(DomainError::invalid(
                        "first_case",
                        format!("{code} is not a complaint"),
                    )
                    .into());
                }
                Some(first.id)
            }
            None => None,
        };
        let received_at = self.clock.now();
        let received_on = profile.local_date(received_at);
        let basics = CaseBasics {
            kind: case.kind,
            round: case.complaint_round,
            received_on,
        };
        let progress = progress::initial(profile, basics, case.complex, case.remote_area)?;
        for clock in progress.clocks.unknown() {
            // The case is stored all the same; the operator must add the year's calendar.
            tracing::warn!(
                case.kind = %case.kind,
                clock = %clock,
                "a deadline of a new case is unknown: the council profile has no working-day \
                 calendar for the year it reaches; add it and run `hdnd config check`"
            );
        }
        let access_token = AccessToken::generate();
        let notify = self
            .notify_with(
                Some(CaseEvent::Received),
                None,
                None,
                Some(Receipt {
                    access_token: access_token.clone(),
                    refused_files,
                }),
            )
            .await?;
        let denouncer_hashes = case
            .denouncer
            .as_ref()
            .map(|identity| identity.contact_hashes(&self.contact_key))
            .unwrap_or_default();
        Ok(CaseRecord {
            case,
            first_case_id,
            code_prefix: profile.case_code_prefix.clone(),
            received_at,
            received_on,
            progress,
            access_token,
            denouncer_hashes,
            notify,
        })
    }

    /// Moves a case along the workflow as staff: the actor must be an active account whose
    /// roles allow the move on this kind of case (`domain::policy`). A citizen moves a case
    /// with [`Hub::transition_as_citizen`]. Of two concurrent moves of one case, one gets
    /// [`Error::Conflict`].
    pub async fn transition(&self, id: CaseId, request: TransitionRequest) -> Result<Case, Error> {
        let case = self.allowed_case(id, &request).await?;
        self.apply_transition(case, request).await
    }

    /// [`Hub::transition`] checked and planned but not applied: a staff member's button in a
    /// chat, applied with the update's `done` and only if the case is still as read here.
    pub async fn plan_transition(
        &self,
        id: CaseId,
        request: TransitionRequest,
    ) -> Result<ProgressChange, Error> {
        let case = self.allowed_case(id, &request).await?;
        self.plan_change(&case, &request).await
    }

    /// Case `id`, if the staff member making `request` may make it.
    async fn allowed_case(&self, id: CaseId, request: &TransitionRequest) -> Result<Case, Error> {
        let Actor::Staff(staff) = request.actor else {
            return Err(DomainError::Forbidden(
                "a citizen moves a case only with a capability (the access token or the \
                 contact that filed it)"
                    .to_owned(),
            )
            .into());
        };
        let case = self.store.get_case(id).await?;
        let staff = self.store.get_staff(staff).await?;
        let action = transition_action(case.progress.status, request.to);
        policy::check(&staff, action, Some(&self.case_context(&case).await?))?;
        Ok(case)
    }

    /// Applies a transition the caller was allowed to make to `case`, as the caller read it.
    pub(crate) async fn apply_transition(
        &self,
        case: Case,
        request: TransitionRequest,
    ) -> Result<Case, Error> {
        let change = self.plan_change(&case, &request).await?;
        let updated = self.store.update_case_progress(change).await?;
        tracing::info!(
            case.id = case.id.0,
            case.code = %updated.code,
            case.from = %case.progress.status,
            case.to = %updated.progress.status,
            "case {} moved from {} to {}",
            updated.code,
            case.progress.status,
            updated.progress.status
        );
        Ok(updated)
    }

    /// Everything a transition writes, planned against `case` as the caller read it, for the
    /// store to apply now or with an inbound message's `done`.
    pub(crate) async fn plan_change(
        &self,
        case: &Case,
        request: &TransitionRequest,
    ) -> Result<ProgressChange, Error> {
        if let Some(assignee) = request.assignee {
            self.active_staff(assignee).await?;
        }
        let today = self.profile.local_date(self.clock.now());
        let (progress, event) = progress::plan_transition(&self.profile, case, request, today)?;
        let change = CaseEvent::StatusChanged {
            from: case.progress.status,
            by: request.actor.kind(),
            note: event.note.clone(),
        };
        // Followers hear of every status change of a published case.
        let followers = (case.publication.is_some() && case.kind != CaseKind::ToCao)
            .then_some((case.id, FollowNews::StatusChanged));
        let notify = self
            .notify_with(Some(change), case.progress.assignee, followers, None)
            .await?;
        Ok(ProgressChange {
            case_id: case.id,
            expected_status: case.progress.status,
            expected_version: case.version,
            progress,
            event,
            notify,
        })
    }

    /// Records an extension of the statutory clock (gia hạn) with its reason.
    pub async fn extend_deadline(
        &self,
        id: CaseId,
        staff: StaffId,
        reason: &str,
    ) -> Result<Case, Error> {
        let case = self.store.get_case(id).await?;
        let member = self.store.get_staff(staff).await?;
        policy::check(
            &member,
            Action::Extend,
            Some(&self.case_context(&case).await?),
        )?;
        let (progress, event) = progress::plan_extension(&self.profile, &case, staff, reason)?;
        self.store
            .update_case_progress(ProgressChange {
                case_id: id,
                expected_status: case.progress.status,
                expected_version: case.version,
                progress,
                event,
                notify: Notify::none(),
            })
            .await
    }

    /// Publishes a case on the portal with a redacted title and excerpt written by staff.
    pub async fn publish_case(
        &self,
        id: CaseId,
        staff: StaffId,
        public_title: &str,
        public_summary: &str,
    ) -> Result<Case, Error> {
        let change = self
            .plan_publication(id, staff, public_title, public_summary)
            .await?;
        let case = self.store.update_case_publication(change).await?;
        tracing::info!(case.id = id.0, case.code = %case.code, "case {} published", case.code);
        Ok(case)
    }

    /// Reads a denouncer's identity for a staff member holding the role; the read is audited.
    pub async fn read_denouncer_identity(
        &self,
        staff: StaffId,
        case: CaseId,
        purpose: &str,
    ) -> Result<DenouncerIdentity, Error> {
        let staff = self.store.get_staff(staff).await?;
        let kind = self.store.get_case(case).await?.kind;
        policy::check(
            &staff,
            Action::ReadSealedIdentity,
            Some(&CaseContext::new(kind)),
        )?;
        let access = IdentityAccess::grant(&staff, purpose)?;
        let identity = self.store.read_denouncer_identity(&access, case).await?;
        tracing::info!(
            case.id = case.0,
            staff.id = staff.id.0,
            "denouncer identity of case {} read by staff {}",
            case.0,
            staff.id
        );
        Ok(identity)
    }

    /// "My cases" of the person who controls `contact`: the cases their citizen record holds,
    /// and the denunciations they filed with it, found by its keyed hash.
    pub async fn my_cases(&self, contact: &NormalisedContact) -> Result<Vec<Case>, Error> {
        let hash = contact_hash(&self.contact_key, contact);
        self.store.list_my_cases(contact, &hash).await
    }

    async fn active_staff(&self, id: StaffId) -> Result<(), Error> {
        let staff = self.store.get_staff(id).await?;
        if staff.active {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!("staff {id} is not active")).into())
        }
    }
}
