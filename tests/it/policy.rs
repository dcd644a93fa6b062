//! Authorization through the hub's services: every staff transition, extension, publication
//! and identity read obeys the one policy table for every role on an ordinary case and on a
//! denunciation; citizens act only with a capability; audited services write their rows.

use hdnd_hub::access::Caller;
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::Category;
use hdnd_hub::domain::policy::{self, Action, CaseContext};
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    Actor, CaseId, CaseKind, ContactKind, ContactPoint, ContactState, NewTask, NormalisedContact,
    Role, Staff, Status,
};
use hdnd_hub::{Clock, Hub};
use hdnd_hub::{DomainError, Error};

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};
use crate::identity_canary::denunciation;

contract_tests!(
    every_case_action_obeys_the_policy_table_for_every_role_through_the_hub,
    a_citizen_acts_only_with_a_capability_and_a_code_alone_is_not_one,
    audited_services_check_the_caller_and_write_their_audit_rows,
    a_denunciation_is_listed_and_read_only_by_its_officers,
    read_services_answer_only_the_roles_whose_work_they_are,
);

/// One thing a staff member may try on a case: how to bring the case there, then the try.
#[derive(Debug, Clone, Copy)]
enum Try {
    Accept,
    Reject,
    Forward,
    Ask,
    InfoArrived,
    StartWork,
    AnswerOwn,
    AnswerOthers,
    Reopen,
    Withdraw,
    Extend,
    Publish,
    ReadIdentity,
}

const TRIES: [Try; 13] = [
    Try::Accept,
    Try::Reject,
    Try::Forward,
    Try::Ask,
    Try::InfoArrived,
    Try::StartWork,
    Try::AnswerOwn,
    Try::AnswerOthers,
    Try::Reopen,
    Try::Withdraw,
    Try::Extend,
    Try::Publish,
    Try::ReadIdentity,
];

struct World {
    hub: Hub,
    /// Brings cases where a try needs them: every right on ordinary cases, and the
    /// denunciation officer's on denunciations.
    setup: Staff,
    officer: Staff,
    /// Who cases are assigned to when the tried member is not the assignee.
    worker: Staff,
    /// The same, for denunciations.
    tc_worker: Staff,
}

impl World {
    fn worker(&self, kind: CaseKind) -> &Staff {
        match kind {
            CaseKind::ToCao => &self.tc_worker,
            _ => &self.worker,
        }
    }

    fn setter(&self, kind: CaseKind) -> Actor {
        match kind {
            CaseKind::ToCao => Actor::Staff(self.officer.id),
            _ => Actor::Staff(self.setup.id),
        }
    }

    async fn new_case(&self, kind: CaseKind) -> CaseId {
        let case = match kind {
            CaseKind::ToCao => denunciation(),
            _ => petition(),
        };
        self.hub.submit_case(case).await.unwrap().case.id
    }

    async fn moved(&self, id: CaseId, request: TransitionRequest) {
        self.hub.transition(id, request).await.unwrap();
    }

    /// A case of `kind` in the state `attempt` starts from, and the policy context it has then.
    async fn prepared(&self, kind: CaseKind, attempt: Try, tried: &Staff) -> (CaseId, CaseContext) {
        let by = self.setter(kind);
        let id = self.new_case(kind).await;
        let mut context = CaseContext::new(kind);
        let assign =
            |to: &Staff| TransitionRequest::to(Status::InProgress, by).with_assignee(to.id);
        match attempt {
            Try::InfoArrived => {
                let ask = TransitionRequest::to(Status::NeedsInfo, by).with_text("Số nhà?");
                self.moved(id, ask).await;
            }
            Try::StartWork | Try::Extend => {
                self.moved(id, TransitionRequest::to(Status::Accepted, by))
                    .await;
            }
            Try::AnswerOwn => {
                self.moved(id, TransitionRequest::to(Status::Accepted, by))
                    .await;
                self.moved(id, assign(tried)).await;
                context = context.assigned_to(tried);
            }
            Try::AnswerOthers => {
                self.moved(id, TransitionRequest::to(Status::Accepted, by))
                    .await;
                self.moved(id, assign(self.worker(kind))).await;
                context = context.assigned_to(self.worker(kind));
            }
            Try::Reopen => {
                self.moved(id, TransitionRequest::to(Status::Accepted, by))
                    .await;
                self.moved(id, assign(self.worker(kind))).await;
                let answer =
                    TransitionRequest::to(Status::Answered, Actor::Staff(self.worker(kind).id))
                        .with_text("Đã xử lý.");
                self.moved(id, answer).await;
                context = context.assigned_to(self.worker(kind));
            }
            _ => {}
        }
        (id, context)
    }

    async fn attempt(
        &self,
        kind: CaseKind,
        id: CaseId,
        attempt: Try,
        tried: &Staff,
    ) -> Result<(), Error> {
        let me = Actor::Staff(tried.id);
        let to = |status| TransitionRequest::to(status, me);
        let moved = match attempt {
            Try::Accept => self.hub.transition(id, to(Status::Accepted)).await,
            Try::Reject => {
                let reject = to(Status::Rejected).with_text("Không thuộc thẩm quyền.");
                self.hub.transition(id, reject).await
            }
            Try::Forward => {
                let forward = to(Status::Forwarded).with_unit("ubnd-phuong");
                self.hub.transition(id, forward).await
            }
            Try::Ask => {
                let ask = to(Status::NeedsInfo).with_text("Xin bổ sung.");
                self.hub.transition(id, ask).await
            }
            Try::InfoArrived => self.hub.transition(id, to(Status::Received)).await,
            Try::StartWork => {
                let start = to(Status::InProgress).with_assignee(self.worker(kind).id);
                self.hub.transition(id, start).await
            }
            Try::AnswerOwn | Try::AnswerOthers => {
                let answer = to(Status::Answered).with_text("Đã giải quyết.");
                self.hub.transition(id, answer).await
            }
            Try::Reopen => self.hub.transition(id, to(Status::InProgress)).await,
            Try::Withdraw => self.hub.transition(id, to(Status::Withdrawn)).await,
            Try::Extend => {
                self.hub
                    .extend_deadline(id, tried.id, "Vụ việc phức tạp.")
                    .await
            }
            Try::Publish => {
                self.hub
                    .publish_case(id, tried.id, "Đèn ngõ 12", "Cử tri báo đèn hỏng.")
                    .await
            }
            Try::ReadIdentity => {
                return self
                    .hub
                    .read_denouncer_identity(tried.id, id, "Xác minh")
                    .await
                    .map(|_| ());
            }
        };
        moved.map(|_| ())
    }
}

fn action_of(attempt: Try) -> Action {
    match attempt {
        Try::Accept => Action::Accept,
        Try::Reject => Action::Reject,
        Try::Forward => Action::Forward,
        Try::Ask => Action::AskCitizen,
        Try::InfoArrived => Action::AddInformation,
        Try::StartWork => Action::StartWork,
        Try::AnswerOwn | Try::AnswerOthers => Action::Answer,
        Try::Reopen => Action::Reopen,
        Try::Withdraw => Action::Withdraw,
        Try::Extend => Action::Extend,
        Try::Publish => Action::Publish,
        Try::ReadIdentity => Action::ReadSealedIdentity,
    }
}

async fn every_case_action_obeys_the_policy_table_for_every_role_through_the_hub(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let add = |login: &'static str, roles: &'static [Role]| {
        let hub = hub.clone();
        async move {
            hub.add_staff(Caller::Operator, staff(login, roles))
                .await
                .unwrap()
        }
    };
    let world = World {
        setup: add("thiet.lap", &[Role::Lead, Role::Intake, Role::Secretary]).await,
        officer: add("can.bo.tc", &[Role::DenunciationOfficer]).await,
        worker: add("chuyen.vien", &[Role::Specialist]).await,
        tc_worker: add("can.bo.tc.hai", &[Role::DenunciationOfficer]).await,
        hub: hub.clone(),
    };
    let mut tried_members = Vec::new();
    for role in Role::ALL {
        tried_members.push(
            hub.add_staff(
                Caller::Operator,
                staff(
                    &format!("thu.{}", role.as_str().replace('_', "-")),
                    &[*role],
                ),
            )
            .await
            .unwrap(),
        );
    }
    let mut cells = 0;

    for kind in [CaseKind::KienNghi, CaseKind::ToCao] {
        for tried in &tried_members {
            for attempt in TRIES {
                if matches!(attempt, Try::ReadIdentity) && kind != CaseKind::ToCao {
                    continue;
                }
                // Act
                let (id, context) = world.prepared(kind, attempt, tried).await;
                let result = world.attempt(kind, id, attempt, tried).await;

                // Assert: the service's verdict is the table's.
                let allowed = policy::check(tried, action_of(attempt), Some(&context)).is_ok();
                let publishable = !(matches!(attempt, Try::Publish) && kind == CaseKind::ToCao);
                match result {
                    Ok(()) => assert!(
                        allowed && publishable,
                        "{:?} on {kind} by {:?} was let through",
                        attempt,
                        tried.roles
                    ),
                    // Past the policy, the workflow's own rules may still say no (a petition
                    // has no extensions): that is a verdict of "allowed" by the table.
                    Err(Error::Domain(DomainError::Invalid { .. })) => assert!(
                        allowed,
                        "{:?} on {kind} by {:?} passed a refusing table",
                        attempt, tried.roles
                    ),
                    Err(Error::Domain(DomainError::Forbidden(_))) => assert!(
                        !allowed || !publishable,
                        "{:?} on {kind} by {:?} was refused",
                        attempt,
                        tried.roles
                    ),
                    Err(other) => panic!(
                        "{attempt:?} on {kind} by {:?}: unexpected {other:?}",
                        tried.roles
                    ),
                }
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 7 * 12 + 7 * 13);
}

async fn a_citizen_acts_only_with_a_capability_and_a_code_alone_is_not_one(db: TestDb) {
    // Arrange: a petition filed from a Telegram chat and an email; a denunciation whose
    // denouncer chose another chat.
    let (hub, _clock) = hub_on(&db).await;
    let mut case = petition();
    case.contacts.push(ContactPoint {
        kind: ContactKind::Telegram,
        address: "111000111".to_owned(),
    });
    let filed = hub.submit_case(case).await.unwrap();
    let code = filed.case.code.clone();
    let mut secret = denunciation();
    secret.denouncer.as_mut().unwrap().chosen_contact = Some(ContactPoint {
        kind: ContactKind::Telegram,
        address: "333000333".to_owned(),
    });
    let secret = hub.submit_case(secret).await.unwrap().case;
    let chat = |id: &str| NormalisedContact::parse(ContactKind::Telegram, id).unwrap();
    let email = NormalisedContact::parse(ContactKind::Email, "hoa.pham@example.org").unwrap();
    let withdraw = || TransitionRequest::to(Status::Withdrawn, Actor::Citizen);

    // Act and assert: knowing the code is not enough.
    let bare = hub.transition(filed.case.id, withdraw()).await;
    assert!(matches!(
        bare,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    let stranger = hub.capability_by_contact(&code, &chat("222000222")).await;
    assert!(matches!(
        stranger,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    let unverified = hub.capability_by_contact(&code, &email).await;
    assert!(matches!(
        unverified,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    let wrong_token = hub
        .capability_by_token(&hdnd_hub::domain::AccessToken::generate())
        .await;
    assert!(matches!(
        wrong_token,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    let denouncers_email =
        NormalisedContact::parse(ContactKind::Email, crate::identity_canary::EMAIL).unwrap();
    let unverifiable = hub
        .capability_by_contact(&secret.code, &denouncers_email)
        .await;
    assert!(matches!(
        unverifiable,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    let not_the_denouncer = hub
        .capability_by_contact(&secret.code, &chat("111000111"))
        .await;
    assert!(matches!(
        not_the_denouncer,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));

    // The chat that filed the case, a verified email, the private link, the denouncer's chat.
    let by_chat = hub
        .capability_by_contact(&code, &chat("111000111"))
        .await
        .unwrap();
    hub.store()
        .set_contact_state(&email, &ContactState::Verified)
        .await
        .unwrap();
    let by_email = hub.capability_by_contact(&code, &email).await.unwrap();
    let by_token = hub.capability_by_token(&filed.access_token).await.unwrap();
    let denouncer = hub
        .capability_by_contact(&secret.code, &chat("333000333"))
        .await
        .unwrap();
    assert!(
        [&by_chat, &by_email, &by_token]
            .iter()
            .all(|c| c.case() == filed.case.id)
    );
    assert_eq!(denouncer.case(), secret.id);
    let staff_move =
        TransitionRequest::to(Status::Accepted, Actor::Staff(hdnd_hub::domain::StaffId(1)));
    let posing = hub.transition_as_citizen(&by_chat, staff_move).await;
    assert!(matches!(
        posing,
        Err(Error::Domain(DomainError::Forbidden(_)))
    ));
    let withdrawn = hub
        .transition_as_citizen(&by_chat, withdraw())
        .await
        .unwrap();
    assert_eq!(withdrawn.progress.status, Status::Withdrawn);
}

async fn audited_services_check_the_caller_and_write_their_audit_rows(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let admin = hub
        .add_staff(Caller::Operator, staff("quan.tri", &[Role::Admin]))
        .await
        .unwrap();
    let lead = hub
        .add_staff(Caller::Staff(admin.id), staff("lanh.dao", &[Role::Lead]))
        .await
        .unwrap();
    let expert = hub
        .add_staff(
            Caller::Staff(admin.id),
            staff("chuyen.vien", &[Role::Specialist]),
        )
        .await
        .unwrap();
    let task = |assignee| NewTask {
        title: "Chuẩn bị báo cáo kỳ họp".to_owned(),
        assignee,
        due_on: "2026-12-10".parse().unwrap(),
        case_id: None,
    };

    // Act
    let by_specialist = hub
        .add_staff(Caller::Staff(expert.id), staff("ke.gian", &[Role::Admin]))
        .await;
    let own_task = hub
        .add_task(Caller::Staff(expert.id), task(expert.id))
        .await;
    let others_task = hub.add_task(Caller::Staff(expert.id), task(lead.id)).await;
    let assigned = hub
        .add_task(Caller::Staff(lead.id), task(expert.id))
        .await
        .unwrap();
    let done = hub
        .set_task_status(
            Caller::Staff(expert.id),
            assigned.id,
            hdnd_hub::domain::TaskStatus::Done,
        )
        .await;
    let own_preference = hub
        .set_preference(
            Caller::Staff(expert.id),
            expert.id,
            Category::Digest,
            ChannelKind::Email,
            false,
        )
        .await;
    let others_preference = hub
        .set_preference(
            Caller::Staff(expert.id),
            lead.id,
            Category::Digest,
            ChannelKind::Email,
            false,
        )
        .await;
    let retry = hub.retry_outbox(Caller::Staff(expert.id), 1).await;

    // Assert
    assert!(forbidden(&by_specialist));
    assert!(own_task.is_ok() && forbidden(&others_task));
    assert!(done.is_ok(), "the assignee closes their own task");
    assert!(own_preference.is_ok() && forbidden(&others_preference));
    assert!(forbidden(&retry));
    let audit = hub.store().list_audit(50).await.unwrap();
    let rows: Vec<_> = audit
        .iter()
        .rev()
        .map(|a| (a.action.as_str(), a.staff))
        .collect();
    assert_eq!(
        rows,
        [
            ("staff.add", None),
            ("staff.add", Some(admin.id)),
            ("staff.add", Some(admin.id)),
            ("task.add", Some(expert.id)),
            ("task.add", Some(lead.id)),
            ("task.status", Some(expert.id)),
            ("preference.set", Some(expert.id)),
        ]
    );
}

fn forbidden<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Domain(DomainError::Forbidden(_))))
}

async fn a_denunciation_is_listed_and_read_only_by_its_officers(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let add = |login: &'static str, roles: &'static [Role]| {
        let hub = hub.clone();
        async move {
            hub.add_staff(Caller::Operator, staff(login, roles))
                .await
                .unwrap()
        }
    };
    let deputy = add("dai.bieu", &[Role::Deputy]).await;
    let officer = add("can.bo.tc", &[Role::DenunciationOfficer]).await;
    let both = add("kiem.nhiem", &[Role::Specialist, Role::DenunciationOfficer]).await;
    let admin = add("quan.tri", &[Role::Admin]).await;
    let open = hub.submit_case(petition()).await.unwrap().case;
    let secret = hub.submit_case(denunciation()).await.unwrap().case;
    let all = hdnd_hub::CaseFilter::default();
    let codes =
        |cases: Vec<hdnd_hub::domain::Case>| cases.into_iter().map(|c| c.code).collect::<Vec<_>>();

    // Act
    let by_deputy = codes(hub.list_cases_for_staff(deputy.id, &all).await.unwrap());
    let by_officer = codes(hub.list_cases_for_staff(officer.id, &all).await.unwrap());
    let by_both = codes(hub.list_cases_for_staff(both.id, &all).await.unwrap());
    let by_admin = codes(hub.list_cases_for_staff(admin.id, &all).await.unwrap());
    let asked_for_secret = hdnd_hub::CaseFilter {
        kind: Some(CaseKind::ToCao),
        ..Default::default()
    };
    let deputy_asks = hub
        .list_cases_for_staff(deputy.id, &asked_for_secret)
        .await
        .unwrap();

    // Assert
    assert_eq!(by_deputy, std::slice::from_ref(&open.code));
    assert_eq!(by_officer, std::slice::from_ref(&secret.code));
    assert_eq!(by_both, [secret.code.clone(), open.code.clone()]);
    assert!(by_admin.is_empty(), "an admin reads no case");
    assert!(deputy_asks.is_empty());
    assert!(forbidden(&hub.case_for_staff(deputy.id, secret.id).await));
    assert!(hub.case_for_staff(deputy.id, open.id).await.is_ok());
    assert!(hub.case_for_staff(officer.id, secret.id).await.is_ok());
    assert!(forbidden(&hub.case_for_staff(officer.id, open.id).await));
}

async fn read_services_answer_only_the_roles_whose_work_they_are(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let admin = hub
        .add_staff(Caller::Operator, staff("quan.tri", &[Role::Admin]))
        .await
        .unwrap();
    let lead = hub
        .add_staff(Caller::Operator, staff("lanh.dao", &[Role::Lead]))
        .await
        .unwrap();
    let expert = hub
        .add_staff(Caller::Operator, staff("chuyen.vien", &[Role::Specialist]))
        .await
        .unwrap();
    let secret = hub.submit_case(denunciation()).await.unwrap().case;
    let today = "2026-11-26".parse().unwrap();
    let now = clock.now();
    let (admin, lead, expert) = (
        Caller::Staff(admin.id),
        Caller::Staff(lead.id),
        Caller::Staff(expert.id),
    );

    // Act and assert
    assert!(hub.list_staff(Caller::Operator).await.unwrap().len() == 3);
    assert!(hub.list_staff(admin).await.is_ok());
    assert!(forbidden(&hub.list_staff(expert).await));
    assert!(hub.staff_by_login(expert, "lanh.dao").await.is_ok());
    assert!(hub.outbox(admin, None, 10).await.is_ok());
    assert!(forbidden(&hub.outbox(lead, None, 10).await));
    assert!(forbidden(&hub.outbox_row(expert, 1).await));
    assert!(hub.tasks(lead, None, today, today).await.is_ok());
    assert!(forbidden(&hub.tasks(expert, None, today, today).await));
    assert!(hub.calendar(lead, now, now).await.is_ok());
    assert!(forbidden(&hub.calendar(admin, now, now).await));
    assert!(
        hub.case_id_by_code(Caller::Operator, &secret.code)
            .await
            .is_ok()
    );
    assert!(forbidden(&hub.case_id_by_code(lead, &secret.code).await));
}
