//! Who may do what through the hub: the caller of a staff-facing service, the capability a
//! citizen acts with, and the audited services of accounts, preferences, work and the outbox.
//!
//! Staff rights come from one table (`domain::policy`); a citizen acts on a case only with a
//! [`CitizenCapability`], which only the hub makes: from the case's access token, or from a
//! contact point the citizen controls (the Telegram chat that filed the case, a verified email
//! or phone). Knowing a case code is not enough.

use crate::delivery::ChannelKind;
use crate::delivery::outbox::{Category, OutboxRow};
use crate::domain::policy::{self, Action, CaseContext};
use crate::domain::progress::TransitionRequest;
use crate::domain::workflow::Status;
use crate::domain::{
    AccessToken, Actor, AuditNote, CalendarEvent, Case, CaseCode, CaseId, CaseKind, ContactKind,
    ContactState, NewCalendarEvent, NewStaff, NewTask, NormalisedContact, Staff, StaffId, Task,
    TaskStatus,
};
use crate::error::{DomainError, Error};
use crate::hub::Hub;
use crate::storage::{CaseFilter, ProgressChange};

/// Who calls a staff-facing service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// An operator at the command line, on the server itself: trusted, and audited as such.
    Operator,
    /// A staff account, whose roles the policy table checks.
    Staff(StaffId),
}

impl Caller {
    pub(crate) fn audit(self) -> AuditNote {
        match self {
            Caller::Operator => AuditNote::operator(),
            Caller::Staff(id) => AuditNote::staff(id),
        }
    }
}

/// Proof that a citizen may act on one case (withdraw it, answer a question, add to it). Only
/// the hub makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenCapability {
    case: CaseId,
}

impl CitizenCapability {
    pub(crate) fn of(case: CaseId) -> Self {
        Self { case }
    }

    pub fn case(&self) -> CaseId {
        self.case
    }
}

/// Whether `contact` is one of the contacts `case` was filed with (never a denouncer's:
/// those are sealed).
pub(crate) fn filed_with(case: &Case, contact: &NormalisedContact) -> bool {
    case.contacts
        .iter()
        .any(|c| c.kind == contact.kind() && c.address == contact.value())
}

fn refused(what: &str) -> Error {
    DomainError::Forbidden(what.to_owned()).into()
}

impl Hub {
    /// The capability of whoever holds a case's access token (the private link).
    pub async fn capability_by_token(
        &self,
        token: &AccessToken,
    ) -> Result<CitizenCapability, Error> {
        match self.store().get_case_by_token(token).await {
            Ok(case) => Ok(CitizenCapability { case: case.id }),
            Err(Error::NotFound(_)) => Err(refused("the access token opens no case")),
            Err(e) => Err(e),
        }
    }

    /// The capability of the person who controls `contact` over the case `code`: the contact
    /// must be one the case was filed with (a denouncer's is recognised by its keyed hash), and
    /// an email or phone must have been verified; a Telegram chat id comes from Telegram itself.
    /// A denouncer's email or phone has no verified state (it lives only in the sealed
    /// identity), so a denouncer acts by their chat or their private link.
    pub async fn capability_by_contact(
        &self,
        code: &CaseCode,
        contact: &NormalisedContact,
    ) -> Result<CitizenCapability, Error> {
        let case = match self.store().get_case_by_code(code).await {
            Ok(case) => case,
            Err(Error::NotFound(_)) => return Err(refused("no such case for this contact")),
            Err(e) => return Err(e),
        };
        let filed_with = if case.kind == CaseKind::ToCao {
            self.my_cases(contact)
                .await?
                .iter()
                .any(|c| c.id == case.id)
        } else {
            filed_with(&case, contact)
        };
        if !filed_with {
            return Err(refused("no such case for this contact"));
        }
        if contact.kind() != ContactKind::Telegram {
            let state = match case.kind {
                CaseKind::ToCao => None,
                _ => self.store().find_citizen_contact(contact).await?,
            };
            if !matches!(state.map(|c| c.state), Some(ContactState::Verified)) {
                return Err(refused(
                    "an email address or phone number acts on a case only once verified",
                ));
            }
        }
        Ok(CitizenCapability { case: case.id })
    }

    /// Moves a case as its citizen (withdrawing it, or answering the council's question).
    pub async fn transition_as_citizen(
        &self,
        capability: &CitizenCapability,
        request: TransitionRequest,
    ) -> Result<Case, Error> {
        if request.actor != Actor::Citizen {
            return Err(refused("a capability moves a case only as its citizen"));
        }
        let case = self.store().get_case(capability.case).await?;
        self.apply_transition(case, request).await
    }

    /// The citizen answers the council's question: the answer goes on the timeline and the case
    /// returns to the state it was asked from, in one write; no date changes.
    pub async fn answer_question_as_citizen(
        &self,
        capability: &CitizenCapability,
        answer: &str,
    ) -> Result<Case, Error> {
        let change = self.plan_answer_as_citizen(capability, answer).await?;
        self.store().update_case_progress(change).await
    }

    /// What [`Hub::answer_question_as_citizen`] writes, for a transport that stores it with the
    /// inbound message it came in (so that a replayed message answers nothing twice).
    pub async fn plan_answer_as_citizen(
        &self,
        capability: &CitizenCapability,
        answer: &str,
    ) -> Result<ProgressChange, Error> {
        let case = self.store().get_case(capability.case).await?;
        if case.progress.status != Status::NeedsInfo {
            return Err(DomainError::invalid(
                "status",
                format!("the council asked no question on case {}", case.code),
            )
            .into());
        }
        if answer.trim().is_empty() {
            return Err(DomainError::invalid("answer", "must not be empty").into());
        }
        let back = case.progress.resume_status.unwrap_or(Status::Received);
        let request = TransitionRequest::to(back, Actor::Citizen).with_text(answer);
        self.plan_change(&case, &request).await
    }

    /// What [`Hub::transition_as_citizen`] writes, for a transport that stores it with the
    /// inbound message it came in.
    pub async fn plan_transition_as_citizen(
        &self,
        capability: &CitizenCapability,
        request: TransitionRequest,
    ) -> Result<ProgressChange, Error> {
        if request.actor != Actor::Citizen {
            return Err(refused("a capability moves a case only as its citizen"));
        }
        let case = self.store().get_case(capability.case).await?;
        self.plan_change(&case, &request).await
    }

    /// Loads the caller's account if it is staff, refusing an inactive one.
    pub(crate) async fn staff_caller(&self, caller: Caller) -> Result<Option<Staff>, Error> {
        match caller {
            Caller::Operator => Ok(None),
            Caller::Staff(id) => {
                let staff = self.store().get_staff(id).await?;
                if !staff.active {
                    return Err(refused(&format!("staff {id} is not active")));
                }
                Ok(Some(staff))
            }
        }
    }

    /// Checks `action` for a staff caller; an operator may do anything but case work.
    pub(crate) async fn allow(&self, caller: Caller, action: Action) -> Result<(), Error> {
        if let Some(staff) = self.staff_caller(caller).await? {
            policy::check(&staff, action, None)?;
        }
        Ok(())
    }

    /// The policy context of a case: its kind, its assignee and the assignee's lead.
    pub(crate) async fn case_context(&self, case: &Case) -> Result<CaseContext, Error> {
        let context = CaseContext::new(case.kind);
        Ok(match case.progress.assignee {
            Some(id) => context.assigned_to(&self.store().get_staff(id).await?),
            None => context,
        })
    }

    /// A case as a staff member may read it (`read_case` on its kind: a denunciation only for
    /// `giai_quyet_to_cao`).
    pub async fn case_for_staff(&self, staff: StaffId, id: CaseId) -> Result<Case, Error> {
        let member = self.store().get_staff(staff).await?;
        let case = self.store().get_case(id).await?;
        policy::check(
            &member,
            Action::ReadCase,
            Some(&self.case_context(&case).await?),
        )?;
        Ok(case)
    }

    /// The cases a staff member may list (`list_cases`), newest first: the filter narrowed to
    /// the kinds their roles reach, so a denunciation never shows in a list without the role.
    pub async fn list_cases_for_staff(
        &self,
        staff: StaffId,
        filter: &CaseFilter,
    ) -> Result<Vec<Case>, Error> {
        let member = self.store().get_staff(staff).await?;
        let kinds = policy::listable_kinds(&member);
        let reaches_denunciations = kinds.contains(&CaseKind::ToCao);
        let reaches_others = kinds.iter().any(|k| *k != CaseKind::ToCao);
        let mut narrowed = filter.clone();
        match (reaches_denunciations, reaches_others) {
            (false, false) => return Ok(Vec::new()),
            (true, true) => {}
            (false, true) => narrowed.exclude_to_cao = true,
            (true, false) => match filter.kind {
                None | Some(CaseKind::ToCao) => narrowed.kind = Some(CaseKind::ToCao),
                Some(_) => return Ok(Vec::new()),
            },
        }
        if narrowed.kind.is_some_and(|k| !kinds.contains(&k)) {
            return Ok(Vec::new());
        }
        self.store().list_cases(&narrowed).await
    }

    /// Creates a staff account (`manage_staff`).
    pub async fn add_staff(&self, caller: Caller, staff: NewStaff) -> Result<Staff, Error> {
        self.allow(caller, Action::ManageStaff).await?;
        self.store().add_staff(staff, &caller.audit()).await
    }

    /// Turns a category of notifications on one channel on or off: a member's own, or anyone's
    /// with `manage_staff`.
    pub async fn set_preference(
        &self,
        caller: Caller,
        staff: StaffId,
        category: Category,
        channel: ChannelKind,
        enabled: bool,
    ) -> Result<(), Error> {
        if caller != Caller::Staff(staff) {
            self.allow(caller, Action::ManageStaff).await?;
        }
        self.store()
            .set_preference(staff, category, channel, enabled, &caller.audit())
            .await
    }

    /// Queues a dead or failed outbox row again (`retry_outbox`).
    pub async fn retry_outbox(&self, caller: Caller, id: i64) -> Result<OutboxRow, Error> {
        self.allow(caller, Action::RetryOutbox).await?;
        self.store().retry_outbox(id, &caller.audit()).await
    }

    /// Creates a task: one's own, or anyone's with `manage_work`.
    pub async fn add_task(&self, caller: Caller, task: NewTask) -> Result<Task, Error> {
        if caller != Caller::Staff(task.assignee) {
            self.allow(caller, Action::ManageWork).await?;
        }
        self.store().add_task(task, &caller.audit()).await
    }

    /// Changes a task's status: its assignee, or anyone with `manage_work`.
    pub async fn set_task_status(
        &self,
        caller: Caller,
        id: i64,
        status: TaskStatus,
    ) -> Result<Task, Error> {
        let task = self.store().get_task(id).await?;
        self.allow_task(caller, &task).await?;
        self.store()
            .set_task_status(id, status, &caller.audit())
            .await
    }

    /// Checks that `caller` may change `task`: its assignee (while active), or anyone with
    /// `manage_work`.
    pub(crate) async fn allow_task(&self, caller: Caller, task: &Task) -> Result<(), Error> {
        if caller == Caller::Staff(task.assignee) {
            self.staff_caller(caller).await?;
            Ok(())
        } else {
            self.allow(caller, Action::ManageWork).await
        }
    }

    /// Creates a calendar event (`manage_work`).
    pub async fn add_calendar_event(
        &self,
        caller: Caller,
        event: NewCalendarEvent,
    ) -> Result<CalendarEvent, Error> {
        self.allow(caller, Action::ManageWork).await?;
        self.store()
            .add_calendar_event(event, &caller.audit())
            .await
    }
}
