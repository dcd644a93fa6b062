//! How a transition or an extension changes a case's progress and clocks.
//!
//! Pure functions: the hub reads the case, plans the change here with the council-local date of
//! today, and storage applies it only if nobody changed the case in between.

use chrono::NaiveDate;

use super::case::{Case, CaseKind, CaseProgress, ComplaintRound, clean_text};
use super::deadline::{ClockStart, StatutoryFacts};
use super::profile::CouncilProfile;
use super::staff::StaffId;
use super::timeline::{Actor, EventKind, NewEvent};
use super::workflow::{self, Requirement, Status};
use crate::error::DomainError;

/// Longest reason, question or answer, in characters.
pub const MAX_NOTE_CHARS: usize = 20_000;

/// A request to move a case to another state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRequest {
    pub to: Status,
    pub actor: Actor,
    /// The reason, question or answer the edge requires; otherwise an optional note.
    pub text: Option<String>,
    /// The unit a case is forwarded to.
    pub unit: Option<String>,
    /// The staff member who handles the case from now on.
    pub assignee: Option<StaffId>,
    /// The unit recorded that it accepted the forwarded case.
    pub unit_accepted: bool,
}

impl TransitionRequest {
    /// A request that carries nothing but the target state.
    pub fn to(to: Status, actor: Actor) -> Self {
        Self {
            to,
            actor,
            text: None,
            unit: None,
            assignee: None,
            unit_accepted: false,
        }
    }

    pub fn with_text(mut self, text: &str) -> Self {
        self.text = Some(text.to_owned());
        self
    }

    pub fn with_unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_owned());
        self
    }

    pub fn with_assignee(mut self, assignee: StaffId) -> Self {
        self.assignee = Some(assignee);
        self
    }
}

/// The progress of a case just received.
pub fn initial(
    profile: &CouncilProfile,
    kind: CaseKind,
    round: Option<ComplaintRound>,
    received_on: NaiveDate,
) -> Result<CaseProgress, DomainError> {
    let rule = profile.deadlines.rule(kind, round);
    Ok(CaseProgress {
        status: Status::Received,
        accepted_on: None,
        forwarded_on: None,
        forwarded_unit: None,
        unit_accepted_on: None,
        assignee: None,
        answer: None,
        closed_on: None,
        council_due: Some(rule.council.due(&profile.calendar, received_on)?),
        council_paused_on: None,
        statutory_due: None,
        extensions: 0,
    })
}

/// Plans a transition: checks the workflow table and the edge's requirement, and computes the
/// new progress and the timeline event.
pub fn plan_transition(
    profile: &CouncilProfile,
    case: &Case,
    request: &TransitionRequest,
    today: NaiveDate,
) -> Result<(CaseProgress, NewEvent), DomainError> {
    let from = case.progress.status;
    let to = request.to;
    let edge = workflow::edge(from, to, request.actor.kind())?;
    let text = match &request.text {
        Some(text) => {
            Some(clean_text("text", text, MAX_NOTE_CHARS, false)?).filter(|t| !t.is_empty())
        }
        None => None,
    };
    let require_text = |field: &'static str, what: &str| {
        text.clone().ok_or_else(|| {
            DomainError::invalid(field, format!("{what} is required for {from} -> {to}"))
        })
    };
    let rule = profile.deadlines.rule(case.kind, case.complaint_round);
    let calendar = &profile.calendar;
    let mut next = case.progress.clone();
    next.status = to;

    match edge.needs {
        Requirement::Nothing => {}
        Requirement::Reason => {
            require_text("reason", "a reason")?;
        }
        Requirement::Question => {
            require_text("question", "the question to the citizen")?;
        }
        Requirement::Answer => {
            next.answer = Some(require_text("answer", "the answer")?);
        }
        Requirement::Unit => {
            let unit = request
                .unit
                .as_deref()
                .ok_or_else(|| DomainError::invalid("unit", "the receiving unit is required"))?;
            if profile.unit(unit).is_none() {
                return Err(DomainError::invalid(
                    "unit",
                    format!("unknown unit `{unit}`"),
                ));
            }
            next.forwarded_unit = Some(unit.to_owned());
            next.forwarded_on = Some(today);
            next.unit_accepted_on = None;
        }
        Requirement::AssigneeOrUnitAcceptance => {
            if request.assignee.is_none() && !request.unit_accepted {
                return Err(DomainError::invalid(
                    "assignee",
                    "name an assignee or record the unit's acceptance",
                ));
            }
            if request.assignee.is_some() {
                next.assignee = request.assignee;
            }
            if request.unit_accepted {
                next.unit_accepted_on = Some(today);
            }
        }
    }

    match to {
        Status::Accepted => {
            next.accepted_on = Some(today);
            next.council_due = match rule.notify_acceptance {
                Some(clock) => Some(clock.due(calendar, today)?),
                None => None,
            };
        }
        Status::Forwarded => next.council_due = None,
        // The council clock stops while the citizen is asked, only before acceptance: after it,
        // the statutory clock runs on.
        Status::NeedsInfo if from == Status::Received => next.council_paused_on = Some(today),
        Status::Received => {
            if let (Some(paused), Some(due)) = (next.council_paused_on, next.council_due) {
                let waited = calendar.days_between(paused, today, rule.council.count)?;
                next.council_due = Some(calendar.add(due, waited, rule.council.count)?);
            }
            next.council_paused_on = None;
        }
        Status::InProgress => next.closed_on = None,
        _ => {}
    }
    if !to.is_open() {
        next.closed_on = Some(today);
        next.council_due = None;
        next.council_paused_on = None;
    }
    let started = match rule.statutory.start() {
        ClockStart::Accepted => next.accepted_on,
        ClockStart::Forwarded => next.forwarded_on,
    };
    if started.is_some() && (to == Status::Accepted || to == Status::Forwarded) {
        next.statutory_due = rule.statutory.due(
            calendar,
            &profile.regular_session_dates(),
            &facts(case, &next),
        )?;
    }

    let kind = if workflow::is_reopening(from, to) {
        EventKind::Reopened
    } else {
        EventKind::StatusChanged
    };
    let note = match (&text, &request.unit) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(unit)) if edge.needs == Requirement::Unit => Some(unit.clone()),
        _ => None,
    };
    Ok((
        next,
        NewEvent {
            kind,
            actor: request.actor,
            from: Some(from),
            to: Some(to),
            note,
        },
    ))
}

/// Plans one extension of the statutory clock (gia hạn), decided by staff with a reason.
pub fn plan_extension(
    profile: &CouncilProfile,
    case: &Case,
    staff: StaffId,
    reason: &str,
) -> Result<(CaseProgress, NewEvent), DomainError> {
    if !case.progress.status.is_open() {
        return Err(DomainError::invalid("extension", "the case is closed"));
    }
    let reason = clean_text("reason", reason, MAX_NOTE_CHARS, true)?;
    let rule = &profile
        .deadlines
        .rule(case.kind, case.complaint_round)
        .statutory;
    rule.check_extension(&facts(case, &case.progress))?;
    let mut next = case.progress.clone();
    next.extensions += 1;
    next.statutory_due = rule.due(
        &profile.calendar,
        &profile.regular_session_dates(),
        &facts(case, &next),
    )?;
    Ok((
        next,
        NewEvent {
            kind: EventKind::DeadlineExtended,
            actor: Actor::Staff(staff),
            from: None,
            to: None,
            note: Some(reason),
        },
    ))
}

fn facts(case: &Case, progress: &CaseProgress) -> StatutoryFacts {
    StatutoryFacts {
        accepted_on: progress.accepted_on,
        forwarded_on: progress.forwarded_on,
        complex: case.complex,
        remote_area: case.remote_area,
        extensions: progress.extensions,
    }
}
