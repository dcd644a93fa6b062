//! The citizen's own case behind the private link (`/ho-so-rieng/<token>`), which the receipt
//! carries: whoever holds the access token sees the case as its sender knows it — what they
//! wrote, where it stands, by when an answer is expected, what the council told them and what
//! they said back. Staff's own notes (an assignment's, a unit's result) and who did what stay
//! out, as does any contact or name: the page is the sender's, but a link can be forwarded.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::access::CitizenCapability;
use crate::domain::{
    AccessToken, Actor, Case, CaseCode, CaseKind, EventKind, Language, Status, TimelineEvent,
};
use crate::error::Error;
use crate::hub::Hub;

/// A case as its sender sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateCase {
    pub code: CaseCode,
    pub kind: CaseKind,
    pub status: Status,
    pub received_on: NaiveDate,
    /// The first deadline still running: the statutory one, else the council's own.
    pub expected_by: Option<NaiveDate>,
    pub area: Option<String>,
    pub category: Option<String>,
    pub content: String,
    /// The council's answer, once it has one.
    pub answer: Option<String>,
    pub attachments: usize,
    /// The language the sender wrote in, which their page is shown in unless they ask.
    pub language: Language,
    /// Oldest first.
    pub steps: Vec<PrivateStep>,
}

// What the sender wrote is personal data.
impl fmt::Debug for PrivateCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateCase")
            .field("code", &self.code)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// One step of the case as its sender is told of it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateStep {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// The status the step moved the case to.
    pub to: Option<Status>,
    /// What the council told the sender (a refusal's reason, a question, the answer), or what
    /// the sender said (their answer, added information, their rating's comment).
    pub note: Option<String>,
}

impl fmt::Debug for PrivateStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateStep")
            .field("kind", &self.kind)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

impl PrivateCase {
    /// Whether the workflow still lets its citizen withdraw it.
    pub fn may_withdraw(&self) -> bool {
        crate::domain::workflow::edge(
            self.status,
            Status::Withdrawn,
            crate::domain::ActorKind::Citizen,
        )
        .is_ok()
    }
}

impl PrivateStep {
    fn of(event: TimelineEvent) -> Self {
        // The notes the sender was told, or wrote; a staff member's other notes are internal.
        let told = matches!(
            event.to,
            Some(Status::Rejected | Status::NeedsInfo | Status::Answered | Status::Explained)
        ) && event.kind == EventKind::StatusChanged;
        let theirs = event.actor == Actor::Citizen;
        Self {
            at: event.at,
            kind: event.kind,
            to: event.to,
            note: event.note.filter(|_| told || theirs),
        }
    }
}

impl Hub {
    /// The case whose access token `token` is, as its sender sees it; `None` for any token
    /// that opens no case, malformed or unknown alike.
    pub async fn private_case(&self, token: &str) -> Result<Option<PrivateCase>, Error> {
        let token = AccessToken::from_presented(token);
        let case = match self.store().get_case_by_token(&token).await {
            Ok(case) => case,
            Err(Error::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.as_sent(case).await.map(Some)
    }

    /// The case `capability` acts on, as its sender sees it: what a reply by mail or chat
    /// may tell of it.
    pub async fn case_as_sent(&self, capability: &CitizenCapability) -> Result<PrivateCase, Error> {
        let case = self.store().get_case(capability.case()).await?;
        self.as_sent(case).await
    }

    async fn as_sent(&self, case: Case) -> Result<PrivateCase, Error> {
        let steps = self.store().get_timeline(case.id).await?;
        let profile = self.profile();
        let p = &case.progress;
        Ok(PrivateCase {
            code: case.code.clone(),
            kind: case.kind,
            status: p.status,
            received_on: case.received_on,
            expected_by: p.status.is_open().then(|| p.clocks.expected_by()).flatten(),
            area: case
                .area
                .as_deref()
                .and_then(|a| profile.area(a))
                .map(|a| a.name.clone()),
            category: case
                .category
                .as_deref()
                .and_then(|c| profile.category(c))
                .map(|c| c.name.clone()),
            content: case.content.clone(),
            answer: p.answer.clone(),
            attachments: case.attachments.len(),
            language: case.language,
            steps: steps.into_iter().map(PrivateStep::of).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{CaseId, StaffId};

    fn event(kind: EventKind, actor: Actor, to: Option<Status>, note: &str) -> TimelineEvent {
        TimelineEvent {
            id: 1,
            case_id: CaseId(1),
            at: Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap(),
            kind,
            actor,
            from: None,
            to,
            note: Some(note.to_owned()),
        }
    }

    #[test]
    fn the_sender_reads_what_they_were_told_and_said_and_no_internal_note() {
        let staff = Actor::Staff(StaffId(4));
        let changed = EventKind::StatusChanged;
        let shown = |e| PrivateStep::of(e).note;
        for to in [
            Status::Rejected,
            Status::NeedsInfo,
            Status::Answered,
            Status::Explained,
        ] {
            assert!(
                shown(event(changed, staff, Some(to), "told")).is_some(),
                "{to:?}"
            );
        }
        assert!(
            shown(event(
                changed,
                Actor::Citizen,
                Some(Status::Accepted),
                "mine"
            ))
            .is_some()
        );
        assert!(
            shown(event(
                EventKind::InformationAdded,
                Actor::Citizen,
                None,
                "mine"
            ))
            .is_some()
        );
        for internal in [
            event(changed, staff, Some(Status::InProgress), "giao chị Lan"),
            event(changed, staff, Some(Status::Forwarded), "UBND phường"),
            event(EventKind::UnitResultRecorded, staff, None, "kết quả"),
            event(EventKind::FlagsChanged, staff, None, "phức tạp"),
        ] {
            assert_eq!(shown(internal), None);
        }
    }
}
