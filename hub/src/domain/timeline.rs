//! The append-only timeline of a case: who did what, when.

use chrono::{DateTime, Utc};

use super::case::{CaseId, named_enum};
use super::staff::StaffId;
use super::workflow::{ActorKind, Status};
use std::fmt;
use std::str::FromStr;

use crate::error::DomainError;

named_enum!(
    /// What happened to a case.
    EventKind, "event" {
        Created => "created", "Tiếp nhận", "Received";
        StatusChanged => "status_changed", "Chuyển trạng thái", "Status changed";
        Reopened => "reopened", "Mở lại", "Reopened";
        DeadlineExtended => "deadline_extended", "Gia hạn", "Deadline extended";
        Published => "published", "Công khai", "Published";
        Unpublished => "unpublished", "Thôi công khai", "Unpublished";
        InformationAdded => "information_added", "Bổ sung thông tin", "Information added";
        FlagsChanged => "flags_changed", "Xác định tính chất vụ việc", "Case flags set";
        UnitResultRecorded => "unit_result_recorded", "Ghi nhận kết quả của cơ quan giải quyết", "Resolving body's result recorded";
        PartWithdrawn => "part_withdrawn", "Rút một phần nội dung", "Part withdrawn";
        /// The citizen rated the answer; a reopening it caused is an event of its own.
        Rated => "rated", "Đánh giá kết quả giải quyết", "Answer rated";
    }
);

/// Who acts on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Citizen,
    Staff(StaffId),
}

impl Actor {
    pub fn kind(self) -> ActorKind {
        match self {
            Actor::Citizen => ActorKind::Citizen,
            Actor::Staff(_) => ActorKind::Staff,
        }
    }

    pub fn staff_id(self) -> Option<StaffId> {
        match self {
            Actor::Citizen => None,
            Actor::Staff(id) => Some(id),
        }
    }
}

/// A timeline event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub actor: Actor,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub note: Option<String>,
}

/// A stored timeline event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEvent {
    pub id: i64,
    pub case_id: CaseId,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub actor: Actor,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub note: Option<String>,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Citizen => f.write_str("citizen"),
            Actor::Staff(id) => write!(f, "staff {id}"),
        }
    }
}

impl FromStr for Actor {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("staff ") {
            Some(id) => id
                .parse()
                .map(|id| Actor::Staff(StaffId(id)))
                .map_err(|_| DomainError::invalid("actor", format!("bad staff id in `{s}`"))),
            None if s == "citizen" => Ok(Actor::Citizen),
            None => Err(DomainError::invalid(
                "actor",
                format!("unknown actor `{s}`"),
            )),
        }
    }
}
