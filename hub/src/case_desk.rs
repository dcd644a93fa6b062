//! What a staff member's chat needs beside the case services: the buttons under a case, the
//! colleagues a case may be given to, who moved a case last (for "already done by …"), and a
//! publication planned for the inbound update it came in.
//!
//! Each reads the case as the member may: every answer passes the same policy the services it
//! leads to check again when the button is pressed.

use crate::delivery::Keyboard;
use crate::delivery::notify::FollowNews;
use crate::domain::policy::{self, Action};
use crate::domain::staff_button::case_actions;
use crate::domain::timeline::{EventKind, NewEvent};
use crate::domain::{Actor, Case, CaseId, Publication, Staff, StaffAction, StaffId};
use crate::error::Error;
use crate::hub::Hub;
use crate::notification::telegram;
use crate::storage::PublicationChange;

impl Hub {
    /// What `member` may do next on `case` ([`case_actions`]): a button pressed after the
    /// case moved on finds its action gone.
    pub async fn staff_actions(
        &self,
        member: &Staff,
        case: &Case,
    ) -> Result<Vec<StaffAction>, Error> {
        Ok(case_actions(case, member, &self.case_context(case).await?))
    }

    /// The signed buttons under `member`'s message about `case`: what they may do next.
    pub async fn case_keyboard(&self, member: &Staff, case: &Case) -> Result<Keyboard, Error> {
        let context = self.case_context(case).await?;
        Ok(telegram::case_keyboard(
            case,
            member,
            &context,
            &self.button_key(),
        ))
    }

    /// The colleagues `member` may give `case` to: active accounts that may answer the case
    /// once it is theirs, by display name. Empty unless `member` may assign it (`start_work`).
    pub async fn assignable_staff(&self, member: &Staff, case: &Case) -> Result<Vec<Staff>, Error> {
        let context = self.case_context(case).await?;
        if policy::check(member, Action::StartWork, Some(&context)).is_err() {
            return Ok(Vec::new());
        }
        let mut colleagues: Vec<Staff> = self
            .store()
            .list_staff()
            .await?
            .into_iter()
            .filter(|s| {
                s.active && policy::check(s, Action::Answer, Some(&context.assigned_to(s))).is_ok()
            })
            .collect();
        colleagues.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        Ok(colleagues)
    }

    /// The staff member who did last what `action` does on `case` (published it, or moved it
    /// into the status it has now), if a staff member did: a colleague who pressed first is
    /// named to whoever presses after.
    pub async fn done_by(&self, case: &Case, action: StaffAction) -> Result<Option<Staff>, Error> {
        let timeline = self.store().get_timeline(case.id).await?;
        let mover = timeline
            .iter()
            .rev()
            .find(|e| match action {
                StaffAction::Publish => e.kind == EventKind::Published,
                _ => e.to == Some(case.progress.status),
            })
            .and_then(|e| e.actor.staff_id());
        match mover {
            Some(id) => Ok(Some(self.store().get_staff(id).await?)),
            None => Ok(None),
        }
    }

    /// [`Hub::publish_case`] checked and planned but not applied: a staff member's button in
    /// a chat, applied with the update's `done` and only if the case is still as read here.
    pub async fn plan_publication(
        &self,
        id: CaseId,
        staff: StaffId,
        public_title: &str,
        public_summary: &str,
    ) -> Result<PublicationChange, Error> {
        let case = self.store().get_case(id).await?;
        let member = self.store().get_staff(staff).await?;
        policy::check(
            &member,
            Action::Publish,
            Some(&self.case_context(&case).await?),
        )?;
        let publication =
            Publication::new(&case, public_title, public_summary, self.clock().now())?;
        let event = NewEvent {
            kind: EventKind::Published,
            actor: Actor::Staff(staff),
            from: None,
            to: None,
            note: None,
        };
        // Followers hear of it when the public copy shows the answer.
        let notify = self
            .notify_with(None, None, Some((id, FollowNews::AnswerPublished)), None)
            .await?;
        Ok(PublicationChange {
            case_id: id,
            expected_version: case.version,
            publication: Some(publication),
            event,
            notify,
        })
    }
}
