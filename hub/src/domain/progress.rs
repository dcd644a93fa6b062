//! How a transition, an extension or a finding changes a case's progress and clocks.
//!
//! Pure functions: the hub reads the case, plans the change here with the council-local date of
//! today, and storage applies it only if nobody changed the case in between. Each plan updates
//! the facts (dates, flags, suspended days) and then recomputes every clock from them with
//! [`clocks`], so a clock is always what the profile says for those facts.

use chrono::NaiveDate;

use super::calendar::DayCount;
use super::case::{Case, CaseFlags, CaseKind, CaseProgress, ComplaintRound, clean_text};
use super::deadline::{Clock, ClockStart, Clocks, ResolverFacts};
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
    /// The reason, question, answer or decision the edge requires; otherwise an optional note.
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

/// What a case's clocks are computed from besides its progress.
#[derive(Debug, Clone, Copy)]
pub struct CaseBasics {
    pub kind: CaseKind,
    pub round: Option<ComplaintRound>,
    pub received_on: NaiveDate,
}

impl From<&Case> for CaseBasics {
    fn from(case: &Case) -> Self {
        Self {
            kind: case.kind,
            round: case.complaint_round,
            received_on: case.received_on,
        }
    }
}

/// The progress of a case just received.
pub fn initial(
    profile: &CouncilProfile,
    basics: CaseBasics,
    complex: bool,
    remote_area: bool,
) -> Result<CaseProgress, DomainError> {
    let mut progress = CaseProgress {
        status: Status::Received,
        accepted_on: None,
        forwarded_on: None,
        forwarded_unit: None,
        unit_accepted_on: None,
        result_on: None,
        assignee: None,
        answer: None,
        closed_on: None,
        flags: CaseFlags {
            complex,
            remote_area,
            ..CaseFlags::default()
        },
        resume_status: None,
        council_paused_on: None,
        council_paused_days: 0,
        suspended_on: None,
        suspended_days: 0,
        extensions: 0,
        clocks: Clocks::default(),
    };
    progress.clocks = clocks(profile, basics, &progress)?;
    Ok(progress)
}

/// Every clock of a case, from its facts and the profile. A count that reaches a year the
/// profile has no calendar for gives an unknown clock, never an error.
pub fn clocks(
    profile: &CouncilProfile,
    basics: CaseBasics,
    p: &CaseProgress,
) -> Result<Clocks, DomainError> {
    let rule = profile.deadlines.rule(basics.kind, basics.round);
    let calendar = &profile.calendar;
    if !p.status.is_open() {
        // The council's and the relay's duties end with the case; the resolver's deadline is
        // kept as it stood, for the record and the on-time statistics.
        return Ok(Clocks {
            resolver: p.clocks.resolver.clone(),
            ..Clocks::default()
        });
    }
    // A question or a suspension holds the case where it was; its clocks are those of that
    // state.
    let stage = match p.status {
        Status::NeedsInfo | Status::Suspended => p.resume_status.unwrap_or(Status::Received),
        other => other,
    };
    let council = match stage {
        Status::Received => {
            let dated = rule.council_rule(p.flags.competent, p.flags.regulation);
            let clock = dated.in_force(basics.received_on);
            Some(Clock::counted(
                clock.due(calendar, basics.received_on, p.council_paused_days),
                &clock.source,
            )?)
        }
        Status::Accepted => match (&rule.notify_acceptance, p.accepted_on) {
            (Some(clock), Some(accepted)) => Some(Clock::counted(
                clock.due(calendar, accepted, 0),
                &clock.source,
            )?),
            _ => None,
        },
        _ => None,
    };
    let resolver = if p.result_on.is_some() {
        None
    } else {
        // thụ lý is the council's own when it is competent, the unit's after forwarding.
        let thu_ly = if p.flags.competent {
            p.accepted_on
        } else {
            p.unit_accepted_on
        };
        let start = match rule.resolver.start() {
            ClockStart::Accepted => thu_ly,
            ClockStart::Forwarded if p.flags.competent => p.accepted_on,
            ClockStart::Forwarded => p.forwarded_on,
        };
        match (start, p.forwarded_on, &rule.thu_ly) {
            (Some(start), _, _) => {
                let facts = ResolverFacts {
                    start,
                    complex: p.flags.complex,
                    especially_complex: p.flags.especially_complex,
                    remote_area: p.flags.remote_area,
                    extensions: p.extensions,
                    suspended_days: p.suspended_days,
                };
                let due = rule
                    .resolver
                    .due(calendar, &profile.regular_session_dates(), &facts);
                match due {
                    Ok(Some(day)) => Some(Clock::counted(Ok(day), rule.resolver.source())?),
                    // No regular session is scheduled after the start yet.
                    Ok(None) => Some(Clock {
                        due: None,
                        source: rule.resolver.source().to_owned(),
                    }),
                    Err(e) => Some(Clock::counted(Err(e), rule.resolver.source())?),
                }
            }
            // Forwarded, the unit has not accepted yet: follow up its thụ lý, counted by the
            // rule in force on the day it received the case.
            (None, Some(forwarded), Some(thu_ly)) if !p.flags.competent => {
                let clock = thu_ly.in_force(forwarded);
                Some(Clock::counted(
                    clock.due(calendar, forwarded, p.suspended_days),
                    &clock.source,
                )?)
            }
            _ => None,
        }
    };
    let relay = match (&rule.relay, p.result_on) {
        (Some(clock), Some(result)) => Some(Clock::counted(
            clock.due(calendar, result, 0),
            &clock.source,
        )?),
        _ => None,
    };
    Ok(Clocks {
        council,
        resolver,
        relay,
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
    // A question or a suspension returns the case to the state it was entered from, and to no
    // other: accepted_on and every deadline stay as they were.
    if matches!(from, Status::NeedsInfo | Status::Suspended) && to.is_open() {
        let back = case.progress.resume_status.unwrap_or(Status::Received);
        if to != back {
            return Err(DomainError::invalid(
                "status",
                format!(
                    "case {} returns to `{back}`, the state it was in before",
                    case.code
                ),
            ));
        }
    }
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
        Requirement::Decision => {
            require_text("decision", "the decision (quyết định)")?;
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
            next.result_on = None;
            next.flags.competent = false;
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

    match (from, to) {
        (_, Status::Accepted) if from != Status::NeedsInfo && from != Status::Suspended => {
            // thụ lý by the council: it is the competent body.
            next.accepted_on = Some(today);
            next.flags.competent = true;
        }
        (_, Status::NeedsInfo) => {
            next.resume_status = Some(from);
            if from == Status::Received && profile.deadlines.question_pauses_council_clock {
                next.council_paused_on = Some(today);
            }
        }
        (_, Status::Suspended) => {
            next.resume_status = Some(from);
            next.suspended_on = Some(today);
        }
        (_, Status::InProgress) if workflow::is_reopening(from, to) => next.closed_on = None,
        _ => {}
    }
    if from == Status::NeedsInfo {
        if let Some(paused) = next.council_paused_on.take() {
            let count = rule
                .council_rule(next.flags.competent, next.flags.regulation)
                .in_force(case.received_on)
                .count;
            next.council_paused_days += calendar.days_between(paused, today, count)?;
        }
        next.resume_status = None;
    }
    if from == Status::Suspended {
        if let Some(since) = next.suspended_on.take() {
            // "tiếp tục được tính từ ngày ban hành quyết định tiếp tục giải quyết": the days
            // from the suspension to the decision to go on do not count.
            next.suspended_days += suspended_days(profile, case, since, today)?;
        }
        next.resume_status = None;
    }
    if !to.is_open() {
        next.closed_on = Some(today);
        next.council_paused_on = None;
    }
    next.clocks = clocks(profile, case.into(), &next)?;

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

fn suspended_days(
    profile: &CouncilProfile,
    case: &Case,
    since: NaiveDate,
    today: NaiveDate,
) -> Result<u32, DomainError> {
    let count = profile
        .deadlines
        .rule(case.kind, case.complaint_round)
        .resolver
        .count();
    match count {
        // Calendar days are counted across any year, configured or not.
        DayCount::Calendar => Ok(u32::try_from((today - since).num_days().max(0)).unwrap_or(0)),
        DayCount::Working => profile.calendar.days_between(since, today, count),
    }
}

/// The cleaned text of a finding on `case`, refused once the case is closed.
fn open_note(case: &Case, field: &'static str, text: &str) -> Result<String, DomainError> {
    if !case.progress.status.is_open() {
        return Err(DomainError::invalid(field, "the case is closed"));
    }
    clean_text(field, text, MAX_NOTE_CHARS, true)
}

/// The timeline event of a finding: no status moves.
fn finding(kind: EventKind, actor: Actor, note: String) -> NewEvent {
    NewEvent {
        kind,
        actor,
        from: None,
        to: None,
        note: Some(note),
    }
}

/// Plans one extension of the resolver's clock (gia hạn), decided in writing.
pub fn plan_extension(
    profile: &CouncilProfile,
    case: &Case,
    staff: StaffId,
    decision: &str,
) -> Result<(CaseProgress, NewEvent), DomainError> {
    let decision = open_note(case, "decision", decision)?;
    let p = &case.progress;
    let Some(start) = resolver_start(profile, case) else {
        return Err(DomainError::invalid(
            "extension",
            "the resolver's clock has not started",
        ));
    };
    let rule = &profile
        .deadlines
        .rule(case.kind, case.complaint_round)
        .resolver;
    rule.check_extension(&ResolverFacts {
        start,
        complex: p.flags.complex,
        especially_complex: p.flags.especially_complex,
        remote_area: p.flags.remote_area,
        extensions: p.extensions,
        suspended_days: p.suspended_days,
    })?;
    let mut next = case.progress.clone();
    next.extensions += 1;
    next.clocks = clocks(profile, case.into(), &next)?;
    Ok((
        next,
        finding(EventKind::DeadlineExtended, Actor::Staff(staff), decision),
    ))
}

/// The day the resolver's clock started, if it has.
fn resolver_start(profile: &CouncilProfile, case: &Case) -> Option<NaiveDate> {
    let p = &case.progress;
    let start = profile
        .deadlines
        .rule(case.kind, case.complaint_round)
        .resolver
        .start();
    match (p.flags.competent, start) {
        (true, _) => p.accepted_on,
        (false, ClockStart::Accepted) => p.unit_accepted_on,
        (false, ClockStart::Forwarded) => p.forwarded_on,
    }
}

/// Plans a change of the case's flags (competence, complexity, remote area, regulation). A
/// complex, remote or regulation finding needs its written reason.
pub fn plan_flags(
    profile: &CouncilProfile,
    case: &Case,
    staff: StaffId,
    flags: CaseFlags,
) -> Result<(CaseProgress, NewEvent), DomainError> {
    if !case.progress.status.is_open() {
        return Err(DomainError::invalid("flags", "the case is closed"));
    }
    let mut flags = flags;
    flags.complex |= flags.especially_complex;
    flags.reason = match &flags.reason {
        Some(reason) => {
            Some(clean_text("reason", reason, MAX_NOTE_CHARS, false)?).filter(|r| !r.is_empty())
        }
        None => None,
    };
    let findings = flags.complex || flags.remote_area || flags.regulation;
    if findings && flags.reason.is_none() {
        return Err(DomainError::invalid(
            "reason",
            "a complex, remote-area or regulation finding needs its written reason",
        ));
    }
    if flags.regulation && !matches!(case.kind, CaseKind::KienNghi | CaseKind::PhanAnh) {
        return Err(DomainError::invalid(
            "regulation",
            "only a kiến nghị or phản ánh is about an administrative regulation",
        ));
    }
    let p = &case.progress;
    if p.accepted_on.is_some() && p.forwarded_on.is_none() && !flags.competent {
        return Err(DomainError::invalid(
            "competent",
            "the council accepted this case (thụ lý) and resolves it; forward it to a unit instead",
        ));
    }
    if case.progress.extensions > 0 && !flags.complex {
        return Err(DomainError::invalid(
            "complex",
            "an extended case stays complex: its extensions rest on that finding",
        ));
    }
    let mut next = case.progress.clone();
    let note = flag_note(&flags);
    next.flags = flags;
    next.clocks = clocks(profile, case.into(), &next)?;
    Ok((
        next,
        finding(EventKind::FlagsChanged, Actor::Staff(staff), note),
    ))
}

fn flag_note(flags: &CaseFlags) -> String {
    let mut parts = Vec::new();
    for (on, label) in [
        (flags.competent, "Hội đồng có thẩm quyền giải quyết"),
        (flags.especially_complex, "đặc biệt phức tạp"),
        (flags.complex && !flags.especially_complex, "phức tạp"),
        (flags.remote_area, "vùng sâu, vùng xa"),
        (flags.regulation, "về quy định hành chính"),
    ] {
        if on {
            parts.push(label);
        }
    }
    let what = if parts.is_empty() {
        "không có đặc điểm riêng".to_owned()
    } else {
        parts.join(", ")
    };
    match &flags.reason {
        Some(reason) => format!("{what}: {reason}"),
        None => what,
    }
}

/// Plans the recording of the unit's result on a forwarded case: the resolver's clock stops
/// and the relay clock starts (the council tells the citizen, Luật TCD art. 28(2)).
pub fn plan_unit_result(
    profile: &CouncilProfile,
    case: &Case,
    staff: StaffId,
    result: &str,
    today: NaiveDate,
) -> Result<(CaseProgress, NewEvent), DomainError> {
    let p = &case.progress;
    if !matches!(p.status, Status::Forwarded | Status::InProgress) || p.forwarded_unit.is_none() {
        return Err(DomainError::invalid(
            "result",
            "a unit's result is recorded on a case forwarded to it and still open",
        ));
    }
    if p.result_on.is_some() {
        return Err(DomainError::invalid(
            "result",
            "the unit's result is already recorded",
        ));
    }
    let result = open_note(case, "result", result)?;
    let mut next = p.clone();
    next.result_on = Some(today);
    next.clocks = clocks(profile, case.into(), &next)?;
    Ok((
        next,
        finding(EventKind::UnitResultRecorded, Actor::Staff(staff), result),
    ))
}

/// Plans a partial withdrawal (rút một phần, Luật KN art. 10 as amended, Luật TC art. 33): the
/// withdrawn part is recorded and the rest goes on, clocks unchanged.
pub fn plan_partial_withdrawal(
    case: &Case,
    actor: Actor,
    part: &str,
) -> Result<(CaseProgress, NewEvent), DomainError> {
    let part = open_note(case, "part", part)?;
    Ok((
        case.progress.clone(),
        finding(EventKind::PartWithdrawn, actor, part),
    ))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::case::{CaseCode, CaseId, SourceChannel};
    use crate::domain::deadline::ClockKind;
    use crate::domain::staff::Language;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn case(profile: &CouncilProfile, kind: CaseKind, received: &str) -> Case {
        let basics = CaseBasics {
            kind,
            round: (kind == CaseKind::KhieuNai).then_some(ComplaintRound::First),
            received_on: d(received),
        };
        Case {
            id: CaseId(1),
            code: CaseCode::new("HB", d(received), 1),
            kind,
            complaint_round: basics.round,
            first_case_id: None,
            title: String::new(),
            content: "Nội dung".to_owned(),
            area: None,
            category: None,
            channel: SourceChannel::Web,
            citizen_name: None,
            citizen_address: None,
            citizen_id_number: None,
            contacts: vec![],
            attachments: vec![],
            publication_consent: false,
            citizen: None,
            language: Language::Vi,
            publication: None,
            source_ref: None,
            received_at: Utc::now(),
            received_on: d(received),
            progress: initial(profile, basics, false, false).unwrap(),
            version: 1,
            updated_at: Utc::now(),
        }
    }

    fn due(case: &Case, clock: ClockKind) -> Option<NaiveDate> {
        case.progress.clocks.get(clock).and_then(|c| c.due)
    }

    const STAFF: Actor = Actor::Staff(StaffId(7));

    #[test]
    fn where_the_council_makes_it_its_policy_a_question_pauses_its_clock() {
        let mut profile = CouncilProfile::demo();
        profile.deadlines.question_pauses_council_clock = true;
        // Received Thursday 26 November: 10 working days → Thursday 10 December.
        let mut c = case(&profile, CaseKind::KienNghi, "2026-11-26");
        assert_eq!(due(&c, ClockKind::Council), Some(d("2026-12-10")));
        let ask = TransitionRequest::to(Status::NeedsInfo, STAFF).with_text("Số nhà?");
        c.progress = plan_transition(&profile, &c, &ask, d("2026-11-26"))
            .unwrap()
            .0;
        assert_eq!(c.progress.council_paused_on, Some(d("2026-11-26")));
        // Answered Tuesday 1 December: 3 working days waited (27, 30, 1).
        let back = TransitionRequest::to(Status::Received, Actor::Citizen);
        c.progress = plan_transition(&profile, &c, &back, d("2026-12-01"))
            .unwrap()
            .0;
        assert_eq!(c.progress.council_paused_days, 3);
        assert_eq!(due(&c, ClockKind::Council), Some(d("2026-12-15")));
    }

    #[test]
    fn by_default_a_question_pauses_nothing() {
        let profile = CouncilProfile::demo();
        let mut c = case(&profile, CaseKind::KienNghi, "2026-11-26");
        let ask = TransitionRequest::to(Status::NeedsInfo, STAFF).with_text("Số nhà?");
        c.progress = plan_transition(&profile, &c, &ask, d("2026-11-26"))
            .unwrap()
            .0;
        assert_eq!(c.progress.council_paused_on, None);
        let back = TransitionRequest::to(Status::Received, Actor::Citizen);
        c.progress = plan_transition(&profile, &c, &back, d("2026-12-01"))
            .unwrap()
            .0;
        assert_eq!(due(&c, ClockKind::Council), Some(d("2026-12-10")));
    }

    #[test]
    fn a_complex_finding_needs_its_written_reason_and_lengthens_the_complaint() {
        let profile = CouncilProfile::demo();
        let mut c = case(&profile, CaseKind::KhieuNai, "2026-06-01");
        let accept = TransitionRequest::to(Status::Accepted, STAFF);
        c.progress = plan_transition(&profile, &c, &accept, d("2026-06-01"))
            .unwrap()
            .0;
        // 30 days after Monday 1 June: Wednesday 1 July.
        assert_eq!(due(&c, ClockKind::Resolver), Some(d("2026-07-01")));
        let flags = CaseFlags {
            complex: true,
            ..c.progress.flags.clone()
        };
        assert!(plan_flags(&profile, &c, StaffId(7), flags.clone()).is_err());
        let reasoned = CaseFlags {
            reason: Some("Nhiều người liên quan".to_owned()),
            ..flags
        };
        c.progress = plan_flags(&profile, &c, StaffId(7), reasoned).unwrap().0;
        // Complex: 45 days, Thursday 16 July.
        assert_eq!(due(&c, ClockKind::Resolver), Some(d("2026-07-16")));
        // A case the council accepted stays its own.
        let not_competent = CaseFlags {
            competent: false,
            ..c.progress.flags.clone()
        };
        assert!(plan_flags(&profile, &c, StaffId(7), not_competent).is_err());
    }

    #[test]
    fn a_regulation_petition_is_forwarded_within_five_working_days() {
        let profile = CouncilProfile::demo();
        let mut c = case(&profile, CaseKind::KienNghi, "2026-11-26");
        let flags = CaseFlags {
            regulation: true,
            reason: Some("Kiến nghị về thủ tục đăng ký hộ kinh doanh".to_owned()),
            ..c.progress.flags.clone()
        };
        c.progress = plan_flags(&profile, &c, StaffId(7), flags).unwrap().0;
        let council = c.progress.clocks.council.clone().unwrap();
        assert_eq!(council.due, Some(d("2026-12-03")));
        assert!(council.source.contains("20/2008"), "{}", council.source);
    }

    #[test]
    fn a_closed_case_keeps_its_resolver_deadline_for_the_record() {
        let profile = CouncilProfile::demo();
        let mut c = case(&profile, CaseKind::KienNghi, "2026-11-26");
        let forward = TransitionRequest::to(Status::Forwarded, STAFF).with_unit("ubnd-phuong");
        c.progress = plan_transition(&profile, &c, &forward, d("2026-11-26"))
            .unwrap()
            .0;
        let due_before = due(&c, ClockKind::Resolver);
        let answer = TransitionRequest::to(Status::Answered, STAFF).with_text("Đã sửa.");
        c.progress = plan_transition(&profile, &c, &answer, d("2026-12-02"))
            .unwrap()
            .0;
        assert_eq!(due(&c, ClockKind::Resolver), due_before);
        assert_eq!(c.progress.clocks.council, None);
    }
}
