//! The case workflow: its states, who may move a case between them, and what each move needs.
//!
//! The whole workflow is the one const table [`EDGES`] (design.md §8). Storage applies a move with
//! `UPDATE … WHERE id = ? AND status = ?`, so the table is checked here and the race is settled
//! there.

use std::fmt;
use std::str::FromStr;

use crate::error::DomainError;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Received,
    NeedsInfo,
    Accepted,
    Forwarded,
    InProgress,
    /// tạm đình chỉ (Luật Tố cáo art. 34; Luật Khiếu nại art. 11a from 1 July 2026): its days
    /// do not count toward the resolver's deadline.
    Suspended,
    Answered,
    Explained,
    Rejected,
    Withdrawn,
}

/// The buckets used in HĐND supervision reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// đã giải quyết
    Resolved,
    /// đã giải trình, thông tin
    Explained,
    /// đang giải quyết
    InHand,
}

impl Bucket {
    /// The name used in APIs and style sheets.
    pub const fn as_str(self) -> &'static str {
        match self {
            Bucket::Resolved => "resolved",
            Bucket::Explained => "explained",
            Bucket::InHand => "in_hand",
        }
    }
}

impl Status {
    /// Every state, open ones first.
    pub const ALL: [Status; 10] = [
        Status::Received,
        Status::NeedsInfo,
        Status::Accepted,
        Status::Forwarded,
        Status::InProgress,
        Status::Suspended,
        Status::Answered,
        Status::Explained,
        Status::Rejected,
        Status::Withdrawn,
    ];

    /// The name stored in the database and used in APIs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::NeedsInfo => "needs_info",
            Status::Accepted => "accepted",
            Status::Forwarded => "forwarded",
            Status::InProgress => "in_progress",
            Status::Suspended => "suspended",
            Status::Answered => "answered",
            Status::Explained => "explained",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// The Vietnamese label a citizen reads.
    pub const fn label_vi(self) -> &'static str {
        match self {
            Status::Received => "Đã tiếp nhận",
            Status::NeedsInfo => "Cần bổ sung thông tin",
            Status::Accepted => "Đã thụ lý",
            Status::Forwarded => "Đã chuyển cơ quan có thẩm quyền",
            Status::InProgress => "Đang giải quyết",
            Status::Suspended => "Tạm đình chỉ",
            Status::Answered => "Đã giải quyết",
            Status::Explained => "Đã giải trình, thông tin",
            Status::Rejected => "Không thụ lý",
            Status::Withdrawn => "Đã rút đơn",
        }
    }

    /// The label a person reads, in their language.
    pub const fn label(self, language: crate::domain::Language) -> &'static str {
        match language {
            crate::domain::Language::Vi => self.label_vi(),
            crate::domain::Language::En => match self {
                Status::Received => "Received",
                Status::NeedsInfo => "More information needed",
                Status::Accepted => "Accepted for handling",
                Status::Forwarded => "Forwarded to the competent body",
                Status::InProgress => "Being resolved",
                Status::Suspended => "Suspended",
                Status::Answered => "Resolved",
                Status::Explained => "Explained",
                Status::Rejected => "Not accepted",
                Status::Withdrawn => "Withdrawn",
            },
        }
    }

    /// Whether the case is still being handled.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            Status::Received
                | Status::NeedsInfo
                | Status::Accepted
                | Status::Forwarded
                | Status::InProgress
                | Status::Suspended
        )
    }

    /// The report bucket; rejected and withdrawn cases are in none.
    pub const fn bucket(self) -> Option<Bucket> {
        match self {
            Status::Answered => Some(Bucket::Resolved),
            Status::Explained => Some(Bucket::Explained),
            Status::Rejected | Status::Withdrawn => None,
            _ => Some(Bucket::InHand),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| DomainError::invalid("status", format!("unknown status `{s}`")))
    }
}

/// Who fires a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    Citizen,
    Staff,
}

impl ActorKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ActorKind::Citizen => "citizen",
            ActorKind::Staff => "staff",
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActorKind {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "citizen" => Ok(ActorKind::Citizen),
            "staff" => Ok(ActorKind::Staff),
            other => Err(DomainError::invalid(
                "actor",
                format!("unknown actor `{other}`"),
            )),
        }
    }
}

/// What a transition must carry besides the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    Nothing,
    /// A reason, told to the citizen (không thụ lý).
    Reason,
    /// The question the citizen must answer.
    Question,
    /// The competent unit the case goes to (chuyển đơn).
    Unit,
    /// An assignee, or the unit's recorded acceptance.
    AssigneeOrUnitAcceptance,
    /// The answer text.
    Answer,
    /// The decision (quyết định) that suspends a case or lets it go on.
    Decision,
}

/// One row of the workflow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: Status,
    pub to: Status,
    pub citizen: bool,
    pub staff: bool,
    pub needs: Requirement,
}

const fn staff(from: Status, to: Status, needs: Requirement) -> Edge {
    Edge {
        from,
        to,
        citizen: false,
        staff: true,
        needs,
    }
}

const fn either(from: Status, to: Status) -> Edge {
    Edge {
        from,
        to,
        citizen: true,
        staff: true,
        needs: Requirement::Nothing,
    }
}

use Requirement as R;
use Status as S;

/// The workflow, exactly as design.md §8 draws it.
pub const EDGES: &[Edge] = &[
    // thụ lý; starts the statutory clock where the kind has one
    staff(S::Received, S::Accepted, R::Nothing),
    // không thụ lý
    staff(S::Received, S::Rejected, R::Reason),
    staff(S::Received, S::NeedsInfo, R::Question),
    staff(S::Accepted, S::NeedsInfo, R::Question),
    staff(S::InProgress, S::NeedsInfo, R::Question),
    // the information arrived: back to the state it was asked from (the case's
    // `resume_status`); nothing restarts
    either(S::NeedsInfo, S::Received),
    either(S::NeedsInfo, S::Accepted),
    either(S::NeedsInfo, S::InProgress),
    // after the answer deadline lapsed
    staff(S::NeedsInfo, S::Rejected, R::Reason),
    // chuyển đơn
    staff(S::Received, S::Forwarded, R::Unit),
    staff(S::Accepted, S::Forwarded, R::Unit),
    staff(S::Accepted, S::InProgress, R::AssigneeOrUnitAcceptance),
    staff(S::Forwarded, S::InProgress, R::AssigneeOrUnitAcceptance),
    staff(S::Accepted, S::Answered, R::Answer),
    staff(S::Forwarded, S::Answered, R::Answer),
    staff(S::InProgress, S::Answered, R::Answer),
    staff(S::Accepted, S::Explained, R::Answer),
    staff(S::Forwarded, S::Explained, R::Answer),
    staff(S::InProgress, S::Explained, R::Answer),
    // tạm đình chỉ, and the decision to go on: back to the state it was suspended from
    staff(S::Accepted, S::Suspended, R::Decision),
    staff(S::Forwarded, S::Suspended, R::Decision),
    staff(S::InProgress, S::Suspended, R::Decision),
    staff(S::Suspended, S::Accepted, R::Decision),
    staff(S::Suspended, S::Forwarded, R::Decision),
    staff(S::Suspended, S::InProgress, R::Decision),
    // reopened: the citizen is not satisfied
    either(S::Answered, S::InProgress),
    either(S::Explained, S::InProgress),
    // rút đơn, from any open state
    either(S::Received, S::Withdrawn),
    either(S::NeedsInfo, S::Withdrawn),
    either(S::Accepted, S::Withdrawn),
    either(S::Forwarded, S::Withdrawn),
    either(S::InProgress, S::Withdrawn),
    either(S::Suspended, S::Withdrawn),
];

/// Finds the edge `from -> to` that `actor` may fire.
pub fn edge(from: Status, to: Status, actor: ActorKind) -> Result<&'static Edge, DomainError> {
    EDGES
        .iter()
        .find(|e| {
            e.from == from
                && e.to == to
                && match actor {
                    ActorKind::Citizen => e.citizen,
                    ActorKind::Staff => e.staff,
                }
        })
        .ok_or(DomainError::IllegalTransition { from, to, actor })
}

/// Whether moving `from -> to` is a reopening (the citizen was not satisfied).
pub const fn is_reopening(from: Status, to: Status) -> bool {
    matches!(
        (from, to),
        (Status::Answered | Status::Explained, Status::InProgress)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // The table of design.md §8 written out by hand as (from, to, citizen may, staff may), so
    // that a change to EDGES that the design does not make fails here.
    const EXPECTED: &[(Status, Status, bool, bool)] = &[
        (S::Received, S::Accepted, false, true),
        (S::Received, S::Rejected, false, true),
        (S::Received, S::NeedsInfo, false, true),
        (S::Accepted, S::NeedsInfo, false, true),
        (S::InProgress, S::NeedsInfo, false, true),
        (S::NeedsInfo, S::Received, true, true),
        (S::NeedsInfo, S::Accepted, true, true),
        (S::NeedsInfo, S::InProgress, true, true),
        (S::NeedsInfo, S::Rejected, false, true),
        (S::Received, S::Forwarded, false, true),
        (S::Accepted, S::Forwarded, false, true),
        (S::Accepted, S::InProgress, false, true),
        (S::Forwarded, S::InProgress, false, true),
        (S::Accepted, S::Answered, false, true),
        (S::Forwarded, S::Answered, false, true),
        (S::InProgress, S::Answered, false, true),
        (S::Accepted, S::Explained, false, true),
        (S::Forwarded, S::Explained, false, true),
        (S::InProgress, S::Explained, false, true),
        (S::Accepted, S::Suspended, false, true),
        (S::Forwarded, S::Suspended, false, true),
        (S::InProgress, S::Suspended, false, true),
        (S::Suspended, S::Accepted, false, true),
        (S::Suspended, S::Forwarded, false, true),
        (S::Suspended, S::InProgress, false, true),
        (S::Answered, S::InProgress, true, true),
        (S::Explained, S::InProgress, true, true),
        (S::Received, S::Withdrawn, true, true),
        (S::NeedsInfo, S::Withdrawn, true, true),
        (S::Accepted, S::Withdrawn, true, true),
        (S::Forwarded, S::Withdrawn, true, true),
        (S::InProgress, S::Withdrawn, true, true),
        (S::Suspended, S::Withdrawn, true, true),
    ];

    fn expected(from: Status, to: Status, actor: ActorKind) -> bool {
        EXPECTED.iter().any(|&(f, t, citizen, staff)| {
            f == from
                && t == to
                && match actor {
                    ActorKind::Citizen => citizen,
                    ActorKind::Staff => staff,
                }
        })
    }

    #[test]
    fn every_pair_of_states_is_allowed_exactly_when_the_design_table_says_so() {
        let mut allowed = 0;
        for from in Status::ALL {
            for to in Status::ALL {
                for actor in [ActorKind::Citizen, ActorKind::Staff] {
                    let result = edge(from, to, actor);
                    if expected(from, to, actor) {
                        assert!(result.is_ok(), "{from} -> {to} by {actor} must be allowed");
                        allowed += 1;
                    } else {
                        assert_eq!(
                            result,
                            Err(DomainError::IllegalTransition { from, to, actor }),
                            "{from} -> {to} by {actor} must be refused"
                        );
                    }
                }
            }
        }
        // 33 edges staff may fire, 11 of which a citizen may fire too.
        assert_eq!(allowed, 44);
        assert_eq!(EDGES.len(), EXPECTED.len());
    }

    #[test]
    fn illegal_transition_error_names_both_states_and_the_actor() {
        let err = edge(Status::Answered, Status::Accepted, ActorKind::Citizen).unwrap_err();
        assert_eq!(
            err.to_string(),
            "illegal transition from `answered` to `accepted` by citizen"
        );
    }

    #[test]
    fn edges_that_need_a_payload_say_which() {
        let need = |from, to| edge(from, to, ActorKind::Staff).unwrap().needs;
        assert_eq!(need(S::Received, S::Rejected), R::Reason);
        assert_eq!(need(S::NeedsInfo, S::Rejected), R::Reason);
        assert_eq!(need(S::InProgress, S::NeedsInfo), R::Question);
        assert_eq!(need(S::Received, S::Forwarded), R::Unit);
        assert_eq!(
            need(S::Forwarded, S::InProgress),
            R::AssigneeOrUnitAcceptance
        );
        assert_eq!(need(S::InProgress, S::Explained), R::Answer);
        assert_eq!(need(S::Received, S::Accepted), R::Nothing);
        assert_eq!(need(S::InProgress, S::Suspended), R::Decision);
        assert_eq!(need(S::Suspended, S::InProgress), R::Decision);
    }

    #[test]
    fn buckets_follow_the_supervision_report() {
        assert_eq!(Status::Answered.bucket(), Some(Bucket::Resolved));
        assert_eq!(Status::Explained.bucket(), Some(Bucket::Explained));
        for open in Status::ALL.into_iter().filter(|s| s.is_open()) {
            assert_eq!(open.bucket(), Some(Bucket::InHand));
        }
        assert_eq!(Status::Rejected.bucket(), None);
        assert_eq!(Status::Withdrawn.bucket(), None);
    }

    #[test]
    fn status_names_round_trip() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>().unwrap(), status);
        }
        assert!("closed".parse::<Status>().is_err());
    }
}
