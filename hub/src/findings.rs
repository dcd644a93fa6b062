//! What staff find and record about a case besides its status: whether the council is the
//! competent body and how complex the case is (with the written reason the law wants), the
//! result the competent unit sent back (which starts the relay clock), and a partial
//! withdrawal. Each goes through the policy and is written with its timeline event, guarded by
//! the version the caller read.

use crate::access::CitizenCapability;
use crate::domain::CaseProgress;
use crate::domain::policy::{self, Action};
use crate::domain::progress;
use crate::domain::{Actor, Case, CaseFlags, CaseId, NewEvent, StaffId};
use crate::error::Error;
use crate::hub::Hub;
use crate::storage::{Notify, ProgressChange};

impl Hub {
    /// Records the council's competence and the case's complexity, remote area and regulation
    /// findings; the clocks are recomputed from them.
    pub async fn classify_case(
        &self,
        id: CaseId,
        staff: StaffId,
        flags: CaseFlags,
    ) -> Result<Case, Error> {
        let case = self.checked_case(id, staff, Action::Classify).await?;
        let plan = progress::plan_flags(self.profile(), &case, staff, flags)?;
        self.apply_plan(&case, plan).await
    }

    /// Records the competent unit's result on a forwarded case: the council must now tell the
    /// citizen (the relay clock, Luật Tiếp công dân art. 28(2)).
    pub async fn record_unit_result(
        &self,
        id: CaseId,
        staff: StaffId,
        result: &str,
    ) -> Result<Case, Error> {
        let case = self.checked_case(id, staff, Action::RecordResult).await?;
        let today = self.profile().local_date(self.clock().now());
        let plan = progress::plan_unit_result(self.profile(), &case, staff, result, today)?;
        self.apply_plan(&case, plan).await
    }

    /// Records, on the citizen's behalf, that part of the case is withdrawn; the rest goes on.
    pub async fn withdraw_part(
        &self,
        id: CaseId,
        staff: StaffId,
        part: &str,
    ) -> Result<Case, Error> {
        let case = self.checked_case(id, staff, Action::Withdraw).await?;
        let plan = progress::plan_partial_withdrawal(&case, Actor::Staff(staff), part)?;
        self.apply_plan(&case, plan).await
    }

    /// The citizen withdraws part of their own case.
    pub async fn withdraw_part_as_citizen(
        &self,
        capability: &CitizenCapability,
        part: &str,
    ) -> Result<Case, Error> {
        let case = self.store().get_case(capability.case()).await?;
        let plan = progress::plan_partial_withdrawal(&case, Actor::Citizen, part)?;
        self.apply_plan(&case, plan).await
    }

    /// Loads a case and checks that `staff` may do `action` to it.
    async fn checked_case(
        &self,
        id: CaseId,
        staff: StaffId,
        action: Action,
    ) -> Result<Case, Error> {
        let case = self.store().get_case(id).await?;
        let member = self.store().get_staff(staff).await?;
        policy::check(&member, action, Some(&self.case_context(&case).await?))?;
        Ok(case)
    }

    async fn apply_plan(
        &self,
        case: &Case,
        (progress, event): (CaseProgress, NewEvent),
    ) -> Result<Case, Error> {
        let kind = event.kind;
        let updated = self
            .store()
            .update_case_progress(ProgressChange {
                case_id: case.id,
                expected_status: case.progress.status,
                expected_version: case.version,
                progress,
                event,
                notify: Notify::none(),
            })
            .await?;
        tracing::info!(
            case.id = case.id.0,
            case.code = %case.code,
            event = %kind,
            "case {} recorded {}",
            case.code,
            kind
        );
        Ok(updated)
    }
}
