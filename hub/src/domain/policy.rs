//! Authorization: which staff role may do what, to which kind of case.
//!
//! The whole policy is the one const table [`POLICY`] (design.md §3), beside the workflow's
//! [`EDGES`](super::workflow::EDGES): the workflow says which moves exist, this table says who may
//! make them. [`check`] applies it to one staff member and one case; [`allowed`] answers the
//! table alone, for building lists and menus. `docs/policy.md` is rendered from the table by
//! [`markdown_tables`], and a unit test fails when the two differ.

use std::fmt;
use std::str::FromStr;

use super::case::{CaseKind, named_enum};
use super::staff::{Role, Staff, StaffId};
use super::workflow::Status;
use crate::error::DomainError;

named_enum!(
    /// Something a staff member asks to do. Citizens are not in this table: they act with a
    /// capability (an access token, or a contact point they control).
    Action, "action" {
        /// Enter a case on a citizen's behalf (in person, by post, at a voters' meeting).
        Submit => "submit", "Nhập hồ sơ thay công dân";
        ReadCase => "read_case", "Xem hồ sơ";
        /// See a case in a list; checked per kind, see [`listable_kinds`].
        ListCases => "list_cases", "Xem danh sách hồ sơ";
        ReadAttachments => "read_attachments", "Xem tệp đính kèm";
        /// Add a note, a document or a file to a case.
        AddInformation => "add_information", "Bổ sung thông tin vào hồ sơ";
        /// `received -> accepted` (thụ lý).
        Accept => "accept", "Thụ lý";
        /// `received | needs_info -> rejected` (không thụ lý).
        Reject => "reject", "Không thụ lý";
        /// `received | accepted -> forwarded` (chuyển đơn).
        Forward => "forward", "Chuyển đơn";
        /// `-> needs_info`: a question goes to the citizen.
        AskCitizen => "ask_citizen", "Yêu cầu bổ sung thông tin";
        /// `accepted | forwarded -> in_progress`: assign, or record the unit's acceptance.
        StartWork => "start_work", "Phân công giải quyết";
        /// `-> answered | explained`.
        Answer => "answer", "Trả lời, giải trình";
        /// `answered | explained -> in_progress`: the citizen is not satisfied.
        Reopen => "reopen", "Mở lại hồ sơ";
        /// `-> withdrawn`, recorded by staff on the citizen's behalf (rút đơn).
        Withdraw => "withdraw", "Rút đơn thay công dân";
        /// Extend a deadline (gia hạn).
        Extend => "extend", "Gia hạn";
        /// `-> suspended` and back (tạm đình chỉ, and the decision to go on), recorded with the
        /// decision.
        Suspend => "suspend", "Tạm đình chỉ, tiếp tục giải quyết";
        /// Record whether the council is competent, and the complex, remote-area and regulation
        /// findings with their written reason.
        Classify => "classify", "Xác định thẩm quyền, tính chất vụ việc";
        /// Record the result the competent unit sent back: the relay clock starts.
        RecordResult => "record_result", "Ghi nhận kết quả giải quyết của cơ quan có thẩm quyền";
        Publish => "publish", "Công khai";
        Unpublish => "unpublish", "Gỡ công khai";
        /// Read a denouncer's sealed identity; every read is audited.
        ReadSealedIdentity => "read_sealed_identity", "Xem danh tính người tố cáo";
        /// Create, change and deactivate staff accounts.
        ManageStaff => "manage_staff", "Quản lý cán bộ";
        /// Create and change other people's tasks and calendar events.
        ManageWork => "manage_work", "Điều phối công việc";
        /// Send failed or dead-lettered notifications again.
        RetryOutbox => "retry_outbox", "Gửi lại thông báo lỗi";
        ReadAudit => "read_audit", "Xem nhật ký truy cập";
    }
);

impl Action {
    /// Whether the action is about one case (so [`check`] needs its [`CaseContext`]).
    pub const fn is_about_a_case(self) -> bool {
        // An exhaustive match, not `matches!`: a new action must be sorted here on purpose.
        match self {
            Action::Submit
            | Action::ReadCase
            | Action::ListCases
            | Action::ReadAttachments
            | Action::AddInformation
            | Action::Accept
            | Action::Reject
            | Action::Forward
            | Action::AskCitizen
            | Action::StartWork
            | Action::Answer
            | Action::Reopen
            | Action::Withdraw
            | Action::Extend
            | Action::Suspend
            | Action::Classify
            | Action::RecordResult
            | Action::Publish
            | Action::Unpublish
            | Action::ReadSealedIdentity => true,
            Action::ManageStaff | Action::ManageWork | Action::RetryOutbox | Action::ReadAudit => {
                false
            }
        }
    }
}

/// Which cases a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// No case: staff accounts, other people's work, the outbox, the audit log.
    System,
    /// Every kind of case except `to_cao`.
    Ordinary,
    /// `to_cao` cases only (tố cáo).
    Denunciation,
}

impl Scope {
    /// The scope a case of `kind` falls in.
    pub const fn of(kind: CaseKind) -> Scope {
        // Written as "to_cao or not" so that a new kind is ordinary, never a denunciation by
        // accident: the exclusive rule then still holds for every to_cao.
        match kind {
            CaseKind::ToCao => Scope::Denunciation,
            _ => Scope::Ordinary,
        }
    }
}

/// What a rule needs besides the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// The role is enough.
    None,
    /// The staff member is the case's assignee, or the assignee's lead.
    AssigneeOrLead,
}

/// One row of the policy: `role` may do `action` to cases in `scope`, given `condition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub role: Role,
    pub action: Action,
    pub scope: Scope,
    pub condition: Condition,
}

/// The facts about a case that [`check`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseContext {
    pub kind: CaseKind,
    /// Who the case is assigned to.
    pub assignee: Option<StaffId>,
    /// The assignee's lead, from the assignee's staff record.
    pub assignee_lead: Option<StaffId>,
}

impl CaseContext {
    /// A case of `kind` that nobody is assigned to.
    pub const fn new(kind: CaseKind) -> Self {
        Self {
            kind,
            assignee: None,
            assignee_lead: None,
        }
    }

    /// The same case, assigned to `assignee` (whose lead is taken from their record).
    pub fn assigned_to(self, assignee: &Staff) -> Self {
        Self {
            assignee: Some(assignee.id),
            assignee_lead: assignee.lead,
            ..self
        }
    }

    /// Whether `staff` is the assignee or the assignee's lead.
    pub fn is_assignee_or_lead(&self, staff: StaffId) -> bool {
        // An unassigned case has no lead either: `assignee_lead` counts only with an assignee.
        self.assignee == Some(staff)
            || (self.assignee.is_some() && self.assignee_lead == Some(staff))
    }
}

const fn any(role: Role, action: Action, scope: Scope) -> Rule {
    Rule {
        role,
        action,
        scope,
        condition: Condition::None,
    }
}

const fn assigned(role: Role, action: Action, scope: Scope) -> Rule {
    Rule {
        role,
        action,
        scope,
        condition: Condition::AssigneeOrLead,
    }
}

use Action as A;
use Role as R;
// Short names, so that each row of the table reads as one line.
const CASES: Scope = Scope::Ordinary;
const TO_CAO: Scope = Scope::Denunciation;
const SYSTEM: Scope = Scope::System;

/// The authorization policy. A staff member may do what any of their roles may; nothing that
/// is not here is allowed.
pub const POLICY: &[Rule] = &[
    // Admin runs the system and reads no case: an operator account must not be a way into
    // citizens' letters. Somebody who also handles cases holds a second role for it.
    any(R::Admin, A::ManageStaff, SYSTEM),
    any(R::Admin, A::RetryOutbox, SYSTEM),
    any(R::Admin, A::ReadAudit, SYSTEM),
    //
    // Tiếp nhận: the reception desk. It enters, triages (accept, reject, forward, ask) and
    // records what the citizen says at the desk (withdraw, not satisfied). It does not assign
    // work, extend deadlines or publish; it answers only what it was given.
    any(R::Intake, A::Submit, CASES),
    any(R::Intake, A::ReadCase, CASES),
    any(R::Intake, A::ListCases, CASES),
    any(R::Intake, A::ReadAttachments, CASES),
    any(R::Intake, A::AddInformation, CASES),
    any(R::Intake, A::Accept, CASES),
    any(R::Intake, A::Reject, CASES),
    any(R::Intake, A::Forward, CASES),
    any(R::Intake, A::AskCitizen, CASES),
    any(R::Intake, A::Reopen, CASES),
    any(R::Intake, A::Withdraw, CASES),
    any(R::Intake, A::Classify, CASES),
    any(R::Intake, A::RecordResult, CASES),
    assigned(R::Intake, A::Answer, CASES),
    //
    // Chuyên viên: reads every ordinary case (colleagues consult one another), and changes only
    // the cases assigned to them or to the people they lead. Routing decisions (accept,
    // reject, forward) stay with reception and the leads.
    any(R::Specialist, A::ReadCase, CASES),
    any(R::Specialist, A::ListCases, CASES),
    any(R::Specialist, A::ReadAttachments, CASES),
    assigned(R::Specialist, A::AddInformation, CASES),
    assigned(R::Specialist, A::AskCitizen, CASES),
    assigned(R::Specialist, A::StartWork, CASES),
    assigned(R::Specialist, A::Answer, CASES),
    assigned(R::Specialist, A::Reopen, CASES),
    assigned(R::Specialist, A::Classify, CASES),
    assigned(R::Specialist, A::RecordResult, CASES),
    //
    // Thư ký: coordinates the office. It consolidates and forwards voters' petitions, assigns
    // work, keeps the calendar and decides, with the leads, what the portal shows.
    any(R::Secretary, A::Submit, CASES),
    any(R::Secretary, A::ReadCase, CASES),
    any(R::Secretary, A::ListCases, CASES),
    any(R::Secretary, A::ReadAttachments, CASES),
    any(R::Secretary, A::AddInformation, CASES),
    any(R::Secretary, A::Forward, CASES),
    any(R::Secretary, A::StartWork, CASES),
    any(R::Secretary, A::Suspend, CASES),
    any(R::Secretary, A::RecordResult, CASES),
    any(R::Secretary, A::Publish, CASES),
    any(R::Secretary, A::Unpublish, CASES),
    assigned(R::Secretary, A::Answer, CASES),
    any(R::Secretary, A::ManageWork, SYSTEM),
    //
    // Đại biểu: deputies follow their voters' cases and hand in what voters give them at
    // reception sessions and voters' meetings; the office, not the deputy, handles a case.
    any(R::Deputy, A::Submit, CASES),
    any(R::Deputy, A::ReadCase, CASES),
    any(R::Deputy, A::ListCases, CASES),
    any(R::Deputy, A::ReadAttachments, CASES),
    //
    // Lãnh đạo: everything on ordinary cases, and the only role that extends a deadline. Even
    // a lead answers only through the person the case is assigned to (their own report or
    // themselves), so every answer has an owner. A lead manages no accounts and gets no
    // to_cao by rank.
    any(R::Lead, A::Submit, CASES),
    any(R::Lead, A::ReadCase, CASES),
    any(R::Lead, A::ListCases, CASES),
    any(R::Lead, A::ReadAttachments, CASES),
    any(R::Lead, A::AddInformation, CASES),
    any(R::Lead, A::Accept, CASES),
    any(R::Lead, A::Reject, CASES),
    any(R::Lead, A::Forward, CASES),
    any(R::Lead, A::AskCitizen, CASES),
    any(R::Lead, A::StartWork, CASES),
    assigned(R::Lead, A::Answer, CASES),
    any(R::Lead, A::Reopen, CASES),
    any(R::Lead, A::Withdraw, CASES),
    any(R::Lead, A::Extend, CASES),
    any(R::Lead, A::Suspend, CASES),
    any(R::Lead, A::Classify, CASES),
    any(R::Lead, A::RecordResult, CASES),
    any(R::Lead, A::Publish, CASES),
    any(R::Lead, A::Unpublish, CASES),
    any(R::Lead, A::ManageWork, SYSTEM),
    any(R::Lead, A::ReadAudit, SYSTEM),
    //
    // Giải quyết tố cáo: the only role that sees a to_cao at all, its list entry, files and
    // sealed identity included (Luật Tố cáo art. 47: the denouncer is protected). It handles
    // the whole case and sees nothing else by this role. A to_cao is never published.
    any(R::DenunciationOfficer, A::Submit, TO_CAO),
    any(R::DenunciationOfficer, A::ReadCase, TO_CAO),
    any(R::DenunciationOfficer, A::ListCases, TO_CAO),
    any(R::DenunciationOfficer, A::ReadAttachments, TO_CAO),
    any(R::DenunciationOfficer, A::AddInformation, TO_CAO),
    any(R::DenunciationOfficer, A::Accept, TO_CAO),
    any(R::DenunciationOfficer, A::Reject, TO_CAO),
    any(R::DenunciationOfficer, A::Forward, TO_CAO),
    any(R::DenunciationOfficer, A::AskCitizen, TO_CAO),
    any(R::DenunciationOfficer, A::StartWork, TO_CAO),
    assigned(R::DenunciationOfficer, A::Answer, TO_CAO),
    any(R::DenunciationOfficer, A::Reopen, TO_CAO),
    any(R::DenunciationOfficer, A::Withdraw, TO_CAO),
    any(R::DenunciationOfficer, A::Extend, TO_CAO),
    any(R::DenunciationOfficer, A::Suspend, TO_CAO),
    any(R::DenunciationOfficer, A::Classify, TO_CAO),
    any(R::DenunciationOfficer, A::RecordResult, TO_CAO),
    any(R::DenunciationOfficer, A::ReadSealedIdentity, TO_CAO),
];

/// The policy action a staff member takes by moving a case from `from` to `to`.
pub fn transition_action(from: Status, to: Status) -> Action {
    match (from, to) {
        // tạm đình chỉ, and the decision to go on
        (_, Status::Suspended) => Action::Suspend,
        (Status::Suspended, _) if to != Status::Withdrawn => Action::Suspend,
        (_, Status::NeedsInfo) => Action::AskCitizen,
        // The answer to the council's question arrived and staff record it.
        (Status::NeedsInfo, _) if to != Status::Rejected && to != Status::Withdrawn => {
            Action::AddInformation
        }
        (_, Status::Accepted) => Action::Accept,
        (_, Status::Rejected) => Action::Reject,
        (_, Status::Forwarded) => Action::Forward,
        (Status::Answered | Status::Explained, Status::InProgress) => Action::Reopen,
        (_, Status::InProgress) => Action::StartWork,
        (_, Status::Answered | Status::Explained) => Action::Answer,
        (_, Status::Withdrawn) => Action::Withdraw,
        // No edge leads back to `received` but from needs_info; the workflow refuses the rest.
        (_, Status::Received) => Action::AddInformation,
    }
}

/// The rules that let one of `roles` do `action` in `scope`.
fn rules(roles: &[Role], action: Action, scope: Scope) -> impl Iterator<Item = &'static Rule> {
    POLICY
        .iter()
        .filter(move |r| r.action == action && r.scope == scope && roles.contains(&r.role))
}

/// The scope a call is about, or `None` when the call does not fit the action.
fn scope_of(action: Action, kind: Option<CaseKind>) -> Option<Scope> {
    match (action.is_about_a_case(), kind) {
        (true, Some(kind)) => Some(Scope::of(kind)),
        (false, None) => Some(Scope::System),
        _ => None,
    }
}

/// Whether the table lets one of `roles` do `action` to a case of `kind` (`None` for an action
/// that is not about a case). It ignores conditions and whether the account is active: use it
/// for lists and menus, and [`check`] before acting.
pub fn allowed(roles: &[Role], action: Action, kind: Option<CaseKind>) -> bool {
    scope_of(action, kind).is_some_and(|scope| rules(roles, action, scope).next().is_some())
}

/// The kinds of case `staff` may see in a list; empty for an inactive account.
pub fn listable_kinds(staff: &Staff) -> Vec<CaseKind> {
    if !staff.active {
        return Vec::new();
    }
    CaseKind::ALL
        .iter()
        .copied()
        .filter(|&kind| allowed(&staff.roles, Action::ListCases, Some(kind)))
        .collect()
}

/// Checks that `staff` may do `action`, to `case` when the action is about one.
///
/// Refusals are [`DomainError::Forbidden`] with a technical message naming the staff id, the
/// roles, the action and the kind, and nothing personal.
pub fn check(staff: &Staff, action: Action, case: Option<&CaseContext>) -> Result<(), DomainError> {
    if !staff.active {
        return Err(DomainError::Forbidden(format!(
            "staff {} is inactive and may do nothing",
            staff.id
        )));
    }
    let Some(scope) = scope_of(action, case.map(|c| c.kind)) else {
        // A caller that mixes these up has a bug; refusing keeps the bug from opening a door.
        let problem = if action.is_about_a_case() {
            "is checked against a case, and none was given"
        } else {
            "is not about a case, yet one was given"
        };
        return Err(DomainError::Forbidden(format!("`{action}` {problem}")));
    };
    let mut granting = rules(&staff.roles, action, scope).peekable();
    if granting.peek().is_none() {
        let target = match case {
            Some(case) => format!(" a `{}` case", case.kind),
            None => String::new(),
        };
        return Err(DomainError::Forbidden(format!(
            "staff {} with roles [{}] may not `{action}`{target}",
            staff.id,
            role_list(&staff.roles)
        )));
    }
    let met = granting.any(|rule| match (rule.condition, case) {
        (Condition::None, _) => true,
        (Condition::AssigneeOrLead, Some(case)) => case.is_assignee_or_lead(staff.id),
        (Condition::AssigneeOrLead, None) => false,
    });
    if met {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "`{action}` on a `{}` case needs its assignee or the assignee's lead; staff {} is neither",
            case.map_or("unknown", |c| c.kind.as_str()),
            staff.id
        )))
    }
}

fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The policy as Markdown tables (one for case actions, one for the rest), as
/// `docs/policy.md` shows it between its `policy-table` markers.
pub fn markdown_tables() -> String {
    let mut out = String::new();
    let header = |out: &mut String| {
        out.push_str("| action |");
        for role in Role::ALL {
            out.push_str(&format!(" `{role}` |"));
        }
        out.push_str("\n|---|");
        for _ in Role::ALL {
            out.push_str("---|");
        }
        out.push('\n');
    };
    let cell = |role: Role, action: Action, scope: Scope| {
        rules(&[role], action, scope)
            .map(|rule| rule.condition)
            .min_by_key(|c| *c == Condition::AssigneeOrLead)
    };
    let mark = |condition: Condition| match condition {
        Condition::None => "",
        Condition::AssigneeOrLead => "¹",
    };

    out.push_str("### Case actions\n\n");
    header(&mut out);
    for &action in Action::ALL.iter().filter(|a| a.is_about_a_case()) {
        out.push_str(&format!("| `{action}` ({}) |", action.label_vi()));
        for &role in Role::ALL {
            let mut parts = Vec::new();
            if let Some(c) = cell(role, action, Scope::Ordinary) {
                parts.push(format!("✓{}", mark(c)));
            }
            if let Some(c) = cell(role, action, Scope::Denunciation) {
                parts.push(format!("to_cao{}", mark(c)));
            }
            let text = if parts.is_empty() {
                "–".to_owned()
            } else {
                parts.join(" + ")
            };
            out.push_str(&format!(" {text} |"));
        }
        out.push('\n');
    }

    out.push_str("\n### Other actions\n\n");
    header(&mut out);
    for &action in Action::ALL.iter().filter(|a| !a.is_about_a_case()) {
        out.push_str(&format!("| `{action}` ({}) |", action.label_vi()));
        for &role in Role::ALL {
            let text = match cell(role, action, Scope::System) {
                Some(c) => format!("✓{}", mark(c)),
                None => "–".to_owned(),
            };
            out.push_str(&format!(" {text} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashSet;

    /// What the design expects of one cell.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Expect {
        Never,
        Always,
        IfAssigned,
    }
    use Expect::{Always, IfAssigned, Never};

    // The actions that take a case, listed by hand rather than read from `is_about_a_case`.
    const CASE_ACTIONS: &[Action] = &[
        A::Submit,
        A::ReadCase,
        A::ListCases,
        A::ReadAttachments,
        A::AddInformation,
        A::Accept,
        A::Reject,
        A::Forward,
        A::AskCitizen,
        A::StartWork,
        A::Answer,
        A::Reopen,
        A::Withdraw,
        A::Extend,
        A::Suspend,
        A::Classify,
        A::RecordResult,
        A::Publish,
        A::Unpublish,
        A::ReadSealedIdentity,
    ];
    const SYSTEM_ACTIONS: &[Action] =
        &[A::ManageStaff, A::ManageWork, A::RetryOutbox, A::ReadAudit];

    // The policy written a second time, as rules per role rather than as a table, so that a
    // change to POLICY that the design does not make fails here.
    fn expected(role: Role, action: Action, kind: Option<CaseKind>) -> Expect {
        let Some(kind) = kind else {
            let yes = match role {
                R::Admin => matches!(action, A::ManageStaff | A::RetryOutbox | A::ReadAudit),
                R::Lead => matches!(action, A::ManageWork | A::ReadAudit),
                R::Secretary => action == A::ManageWork,
                _ => false,
            };
            return if yes { Always } else { Never };
        };
        if !CASE_ACTIONS.contains(&action) {
            return Never;
        }
        if kind == CaseKind::ToCao {
            // Only giai_quyet_to_cao, for everything but publication.
            return match (role, action) {
                (R::DenunciationOfficer, A::Publish | A::Unpublish) => Never,
                (R::DenunciationOfficer, A::Answer) => IfAssigned,
                (R::DenunciationOfficer, _) => Always,
                _ => Never,
            };
        }
        match role {
            R::Admin | R::DenunciationOfficer => Never,
            R::Deputy => match action {
                A::Submit | A::ReadCase | A::ListCases | A::ReadAttachments => Always,
                _ => Never,
            },
            R::Intake => match action {
                A::Answer => IfAssigned,
                A::StartWork | A::Extend | A::Suspend | A::Publish | A::Unpublish => Never,
                A::ReadSealedIdentity => Never,
                _ => Always,
            },
            R::Specialist => match action {
                A::ReadCase | A::ListCases | A::ReadAttachments => Always,
                A::AddInformation
                | A::AskCitizen
                | A::StartWork
                | A::Answer
                | A::Reopen
                | A::Classify
                | A::RecordResult => IfAssigned,
                _ => Never,
            },
            R::Secretary => match action {
                A::Answer => IfAssigned,
                A::Submit
                | A::ReadCase
                | A::ListCases
                | A::ReadAttachments
                | A::AddInformation
                | A::Forward
                | A::StartWork
                | A::Suspend
                | A::RecordResult
                | A::Publish
                | A::Unpublish => Always,
                _ => Never,
            },
            R::Lead => match action {
                A::Answer => IfAssigned,
                // An ordinary case has no sealed identity to read.
                A::ReadSealedIdentity => Never,
                _ => Always,
            },
        }
    }

    const ME: StaffId = StaffId(10);
    const OTHER: StaffId = StaffId(20);
    const SOMEONE_ELSE: StaffId = StaffId(30);

    fn staff_with(roles: &[Role]) -> Staff {
        Staff {
            id: ME,
            login: "cuonglv".to_owned(),
            display_name: "Lê Văn Cường".to_owned(),
            roles: roles.to_vec(),
            unit: None,
            lead: None,
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
            language: super::super::staff::Language::Vi,
            contacts: vec![],
            quiet_hours: None,
            active: true,
        }
    }

    /// Every shape of assignment, with whether it lets `ME` act under `AssigneeOrLead`.
    fn contexts(kind: CaseKind) -> Vec<(CaseContext, bool)> {
        let ctx = |assignee, assignee_lead| CaseContext {
            kind,
            assignee,
            assignee_lead,
        };
        vec![
            (ctx(None, None), false),
            (ctx(Some(ME), None), true),
            (ctx(Some(ME), Some(SOMEONE_ELSE)), true),
            (ctx(Some(OTHER), Some(ME)), true),
            (ctx(Some(OTHER), Some(SOMEONE_ELSE)), false),
            (ctx(Some(OTHER), None), false),
            // A lead recorded without an assignee is not a lead of anybody.
            (ctx(None, Some(ME)), false),
        ]
    }

    #[test]
    fn every_cell_is_allowed_exactly_when_the_design_says_so() {
        let mut cells = 0;
        let mut allowed_cells = 0;
        for &role in Role::ALL {
            let staff = staff_with(&[role]);
            for &action in Action::ALL {
                for kind in std::iter::once(None).chain(CaseKind::ALL.iter().copied().map(Some)) {
                    let expect = expected(role, action, kind);
                    let well_formed = CASE_ACTIONS.contains(&action) == kind.is_some();
                    if well_formed {
                        cells += 1;
                        if expect != Never {
                            allowed_cells += 1;
                        }
                    }
                    assert_eq!(
                        allowed(&[role], action, kind),
                        expect != Never,
                        "allowed({role}, {action}, {kind:?})"
                    );
                    match kind {
                        None => {
                            let result = check(&staff, action, None);
                            assert_eq!(
                                result.is_ok(),
                                expect == Always,
                                "{role} {action} without a case: {result:?}"
                            );
                        }
                        Some(kind) => {
                            for (ctx, mine) in contexts(kind) {
                                let result = check(&staff, action, Some(&ctx));
                                let want = match expect {
                                    Always => true,
                                    IfAssigned => mine,
                                    Never => false,
                                };
                                assert_eq!(
                                    result.is_ok(),
                                    want,
                                    "{role} {action} on {ctx:?}: {result:?}"
                                );
                                if let Err(e) = result {
                                    assert!(matches!(e, DomainError::Forbidden(_)));
                                }
                            }
                        }
                    }
                }
            }
        }
        // 7 roles x (20 case actions x 6 kinds + 4 other actions).
        assert_eq!(cells, 7 * (20 * 6 + 4));
        // 59 ordinary rules x 5 kinds, 18 to_cao rules, 6 other rules.
        assert_eq!(allowed_cells, 59 * 5 + 18 + 6);
        assert_eq!(POLICY.len(), 59 + 18 + 6);
    }

    #[test]
    fn the_hand_written_action_lists_cover_every_action_once() {
        let all: HashSet<_> = CASE_ACTIONS.iter().chain(SYSTEM_ACTIONS).collect();
        assert_eq!(all.len(), Action::ALL.len());
        assert_eq!(CASE_ACTIONS.len() + SYSTEM_ACTIONS.len(), Action::ALL.len());
        for action in CASE_ACTIONS {
            assert!(action.is_about_a_case(), "{action}");
        }
        for action in SYSTEM_ACTIONS {
            assert!(!action.is_about_a_case(), "{action}");
        }
    }

    #[test]
    fn the_policy_has_no_duplicate_rows_and_no_row_in_the_wrong_scope() {
        let mut seen = HashSet::new();
        for rule in POLICY {
            assert!(
                seen.insert((rule.role, rule.action, rule.scope)),
                "{rule:?} appears twice"
            );
            assert_eq!(
                rule.action.is_about_a_case(),
                rule.scope != Scope::System,
                "{rule:?}"
            );
        }
    }

    #[test]
    fn a_denunciation_is_handled_only_by_the_denunciation_officer() {
        let everyone_else: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|&r| r != R::DenunciationOfficer)
            .collect();
        let all_others = staff_with(&everyone_else);
        let officer = staff_with(&[R::DenunciationOfficer]);
        let to_cao = CaseContext::new(CaseKind::ToCao);
        let mine = CaseContext {
            assignee: Some(ME),
            ..to_cao
        };
        for &action in CASE_ACTIONS {
            // Every other role at once, even on a to_cao assigned to them.
            for ctx in [to_cao, mine] {
                assert!(check(&all_others, action, Some(&ctx)).is_err(), "{action}");
            }
            let publishing = matches!(action, A::Publish | A::Unpublish);
            assert_eq!(
                check(&officer, action, Some(&mine)).is_ok(),
                !publishing,
                "{action}"
            );
        }
        assert!(
            listable_kinds(&all_others)
                .iter()
                .all(|&k| k != CaseKind::ToCao)
        );
        assert_eq!(listable_kinds(&officer), vec![CaseKind::ToCao]);
        assert!(listable_kinds(&staff_with(&[R::Admin])).is_empty());
    }

    #[test]
    fn a_refusal_names_the_roles_the_action_and_the_kind_and_nothing_personal() {
        let admin = staff_with(&[R::Admin, R::Lead]);
        let err = check(
            &admin,
            A::ReadCase,
            Some(&CaseContext::new(CaseKind::ToCao)),
        )
        .unwrap_err();
        assert_eq!(
            err,
            DomainError::Forbidden(
                "staff 10 with roles [admin, lanh_dao] may not `read_case` a `to_cao` case"
                    .to_owned()
            )
        );
        let err = check(&staff_with(&[R::Lead]), A::ManageStaff, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "forbidden: staff 10 with roles [lanh_dao] may not `manage_staff`"
        );
        assert!(!err.to_string().contains("Cường"));
    }

    #[test]
    fn answering_needs_the_assignee_or_the_assignees_lead() {
        // Arrange
        let mut specialist = staff_with(&[R::Specialist]);
        specialist.id = OTHER;
        specialist.lead = Some(ME);
        let lead = staff_with(&[R::Lead]);
        let mut other_lead = staff_with(&[R::Lead]);
        other_lead.id = SOMEONE_ELSE;
        let case = CaseContext::new(CaseKind::KienNghi);
        let assigned = case.assigned_to(&specialist);

        // Act / Assert
        assert!(check(&specialist, A::Answer, Some(&assigned)).is_ok());
        assert!(check(&lead, A::Answer, Some(&assigned)).is_ok());
        let err = check(&other_lead, A::Answer, Some(&assigned)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "forbidden: `answer` on a `kien_nghi` case needs its assignee or the assignee's \
             lead; staff 30 is neither"
        );
        assert!(check(&lead, A::Answer, Some(&case)).is_err(), "unassigned");
        assert!(check(&specialist, A::Answer, Some(&case)).is_err());
        // The lead's other powers need no assignment.
        assert!(check(&other_lead, A::Extend, Some(&assigned)).is_ok());
    }

    #[test]
    fn several_roles_grant_exactly_what_either_role_grants() {
        for &first in Role::ALL {
            for &second in Role::ALL {
                let both = staff_with(&[first, second]);
                let one = staff_with(&[first]);
                let other = staff_with(&[second]);
                for &action in CASE_ACTIONS {
                    for &kind in CaseKind::ALL {
                        for (ctx, _) in contexts(kind) {
                            let either = check(&one, action, Some(&ctx)).is_ok()
                                || check(&other, action, Some(&ctx)).is_ok();
                            assert_eq!(
                                check(&both, action, Some(&ctx)).is_ok(),
                                either,
                                "{first}+{second} {action} {ctx:?}"
                            );
                        }
                    }
                }
                for &action in SYSTEM_ACTIONS {
                    let either =
                        check(&one, action, None).is_ok() || check(&other, action, None).is_ok();
                    assert_eq!(check(&both, action, None).is_ok(), either);
                }
            }
        }
    }

    #[test]
    fn inactive_staff_are_refused_everything() {
        let mut staff = staff_with(Role::ALL);
        staff.active = false;
        for &action in CASE_ACTIONS {
            for &kind in CaseKind::ALL {
                for (ctx, _) in contexts(kind) {
                    let err = check(&staff, action, Some(&ctx)).unwrap_err();
                    assert_eq!(
                        err,
                        DomainError::Forbidden(
                            "staff 10 is inactive and may do nothing".to_owned()
                        )
                    );
                }
            }
        }
        for &action in SYSTEM_ACTIONS {
            assert!(check(&staff, action, None).is_err());
        }
        assert!(listable_kinds(&staff).is_empty());
    }

    #[test]
    fn a_check_that_mixes_up_case_and_system_actions_is_refused() {
        let lead = staff_with(&[R::Lead]);
        let err = check(&lead, A::ReadCase, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "forbidden: `read_case` is checked against a case, and none was given"
        );
        let ctx = CaseContext::new(CaseKind::YKien);
        let err = check(&lead, A::ManageWork, Some(&ctx)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "forbidden: `manage_work` is not about a case, yet one was given"
        );
        assert!(!allowed(&[R::Lead], A::ReadCase, None));
        assert!(!allowed(&[R::Lead], A::ManageWork, Some(CaseKind::YKien)));
    }

    #[test]
    fn action_names_round_trip_and_unknown_names_are_refused() {
        for &action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>().unwrap(), action);
            assert!(!action.label_vi().is_empty());
        }
        assert!("delete_everything".parse::<Action>().is_err());
    }

    const BEGIN: &str = "<!-- policy-table: begin (generated from hub/src/domain/policy.rs) -->\n";
    const END: &str = "<!-- policy-table: end -->";

    #[test]
    fn docs_policy_md_shows_the_table_as_it_is() {
        // Set UPDATE_POLICY_DOC=1 to rewrite the generated part of the file after a change.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/policy.md");
        let doc = std::fs::read_to_string(path).expect("docs/policy.md exists");
        let start = doc
            .find(BEGIN)
            .expect("docs/policy.md has the begin marker")
            + BEGIN.len();
        let end = doc.find(END).expect("docs/policy.md has the end marker");
        let rendered = markdown_tables();
        if std::env::var_os("UPDATE_POLICY_DOC").is_some() {
            let updated = format!("{}{rendered}{}", &doc[..start], &doc[end..]);
            std::fs::write(path, updated).expect("docs/policy.md is writable");
            return;
        }
        assert_eq!(
            &doc[start..end],
            rendered,
            "docs/policy.md differs from POLICY; run UPDATE_POLICY_DOC=1 cargo test -p hdnd-hub --lib policy"
        );
    }
}
