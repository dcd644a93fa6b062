//! The demo seeder: adds the staff and the fictional cases of `config/demo.toml` (built into the
//! binary) through the hub's services, each case with its timeline, so that a fresh portal is
//! not empty; and a few cases received today through the notifying hub, so that a newcomer
//! sees messages leave (as `.eml` files in `data/mail/` without SMTP).
//!
//! Seeding is idempotent, also when two processes seed at once: staff are keyed by login and
//! cases by their `ref` (stored as the case's `source_ref`, which is unique), so a second run or
//! a racing process adds nothing. The cases carry their own autumn-2026 dates: the seeder opens a
//! second store on the same database whose clock is a [`ManualClock`] it sets before each step.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use hdnd_hub::access::Caller;
use hdnd_hub::config::DatabaseSettings;
use hdnd_hub::domain::{
    Actor, CaseId, CaseKind, ContactKind, ContactPoint, CouncilProfile, DenouncerIdentity,
    Language, NewCase, NewStaff, Staff, StaffId, Status, TransitionRequest,
};
use hdnd_hub::{Error, Hub, ManualClock};
use serde::Deserialize;

/// The built-in demo data.
const FIXTURE: &str = include_str!("../config/demo.toml");

/// What a seeding run added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SeedReport {
    pub(crate) staff_added: usize,
    pub(crate) cases_added: usize,
    /// Of which received today, with their notifications enqueued.
    pub(crate) today_added: usize,
    /// Calendar events, dated from today.
    pub(crate) events_added: usize,
}

/// `config/demo.toml`, as written; codes are parsed into domain values when a case is built.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    recorded_by: RecordedBy,
    staff: Vec<DemoStaff>,
    cases: Vec<DemoCase>,
    denunciations: Vec<DemoDenunciation>,
    today: Vec<TodayCase>,
}

/// A case received today, through the notifying hub: its messages really leave.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TodayCase {
    #[serde(rename = "ref")]
    source_ref: String,
    kind: String,
    area: String,
    category: String,
    channel: String,
    citizen: String,
    contact: String,
    language: String,
    title: String,
    content: String,
    steps: Vec<Step>,
}

/// The logins in whose name the steps are recorded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordedBy {
    cases: String,
    denunciations: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoStaff {
    login: String,
    name: String,
    roles: Vec<String>,
    unit: String,
    lead: Option<String>,
    email: String,
    quiet_hours: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCase {
    #[serde(rename = "ref")]
    source_ref: String,
    received: toml::value::Datetime,
    kind: String,
    complaint_round: Option<String>,
    area: String,
    category: String,
    channel: String,
    citizen: String,
    contact: Option<String>,
    publication_consent: bool,
    title: String,
    content: String,
    steps: Vec<DemoStep>,
    public: Option<DemoPublication>,
}

/// A denunciation (tố cáo): its author's identity is sealed, and it is never published.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDenunciation {
    #[serde(rename = "ref")]
    source_ref: String,
    received: toml::value::Datetime,
    area: String,
    category: String,
    channel: String,
    #[serde(default)]
    complex: bool,
    title: String,
    content: String,
    steps: Vec<DemoStep>,
    denouncer: DemoDenouncer,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDenouncer {
    name: String,
    email: String,
}

/// The redacted title and summary staff published a case with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPublication {
    title: String,
    summary: String,
}

/// One step of a demo case, `day` days after it was received.
#[derive(Debug, Deserialize)]
struct DemoStep {
    day: i64,
    #[serde(flatten)]
    step: Step,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
enum Step {
    Accept,
    Forward {
        unit: String,
    },
    Assign {
        to: String,
    },
    UnitAccepted,
    Answer {
        text: String,
    },
    Explain {
        text: String,
    },
    Reject {
        text: String,
    },
    Ask {
        text: String,
    },
    InfoArrived,
    Withdraw,
    Extend {
        text: String,
    },
    /// The competent unit's result arrived: the relay clock starts.
    UnitResult {
        text: String,
    },
    /// tạm đình chỉ, with its decision; `resume` lets it go on.
    Suspend {
        text: String,
    },
    Resume {
        text: String,
    },
    /// The citizen withdraws part of the case.
    WithdrawPart {
        text: String,
    },
}

/// A case ready to replay: what is submitted, when, and what happens to it afterwards.
struct Replay<'a> {
    new: NewCase,
    received: DateTime<Utc>,
    steps: &'a [DemoStep],
    recorded_by: StaffId,
    public: Option<&'a DemoPublication>,
}

impl Fixture {
    fn builtin() -> anyhow::Result<Self> {
        toml::from_str(FIXTURE).context("config/demo.toml is not valid demo data")
    }
}

impl DemoStaff {
    fn new_staff(
        &self,
        lead: Option<StaffId>,
        profile: &CouncilProfile,
    ) -> anyhow::Result<NewStaff> {
        let roles = self
            .roles
            .iter()
            .map(|r| r.parse())
            .collect::<Result<_, _>>()
            .with_context(|| format!("demo staff {}", self.login))?;
        Ok(NewStaff {
            login: self.login.clone(),
            display_name: self.name.clone(),
            roles,
            unit: Some(self.unit.clone()),
            lead,
            time_zone: profile.time_zone,
            language: Language::Vi,
            contacts: vec![email(&self.email)],
            quiet_hours: Some(
                self.quiet_hours
                    .parse()
                    .with_context(|| format!("demo staff {}", self.login))?,
            ),
        })
    }
}

impl DemoCase {
    fn new_case(&self) -> anyhow::Result<NewCase> {
        let at = || format!("demo case {}", self.source_ref);
        Ok(NewCase {
            kind: self.kind.parse().with_context(at)?,
            complaint_round: self
                .complaint_round
                .as_deref()
                .map(str::parse)
                .transpose()
                .with_context(at)?,
            first_case: None,
            title: self.title.clone(),
            content: self.content.clone(),
            area: Some(self.area.clone()),
            category: Some(self.category.clone()),
            channel: self.channel.parse().with_context(at)?,
            citizen_name: Some(self.citizen.clone()),
            citizen_address: None,
            citizen_id_number: None,
            contacts: self.contact.as_deref().map(email).into_iter().collect(),
            attachments: vec![],
            publication_consent: self.publication_consent,
            complex: false,
            remote_area: false,
            denouncer: None,
            source_ref: Some(self.source_ref.clone()),
            language: Language::Vi,
        })
    }
}

impl TodayCase {
    fn new_case(&self) -> anyhow::Result<NewCase> {
        let at = || format!("demo case {}", self.source_ref);
        Ok(NewCase {
            kind: self.kind.parse().with_context(at)?,
            complaint_round: None,
            first_case: None,
            title: self.title.clone(),
            content: self.content.clone(),
            area: Some(self.area.clone()),
            category: Some(self.category.clone()),
            channel: self.channel.parse().with_context(at)?,
            citizen_name: Some(self.citizen.clone()),
            citizen_address: None,
            citizen_id_number: None,
            contacts: vec![email(&self.contact)],
            attachments: vec![],
            publication_consent: false,
            complex: false,
            remote_area: false,
            denouncer: None,
            source_ref: Some(self.source_ref.clone()),
            language: self.language.parse().with_context(at)?,
        })
    }
}

impl DemoDenunciation {
    fn new_case(&self) -> anyhow::Result<NewCase> {
        Ok(NewCase {
            kind: CaseKind::ToCao,
            complaint_round: None,
            first_case: None,
            title: self.title.clone(),
            content: self.content.clone(),
            area: Some(self.area.clone()),
            category: Some(self.category.clone()),
            channel: self
                .channel
                .parse()
                .with_context(|| format!("demo case {}", self.source_ref))?,
            citizen_name: None,
            citizen_address: None,
            citizen_id_number: None,
            contacts: vec![],
            attachments: vec![],
            publication_consent: false,
            complex: self.complex,
            remote_area: false,
            denouncer: Some(DenouncerIdentity {
                full_name: self.denouncer.name.clone(),
                phone: None,
                email: Some(self.denouncer.email.clone()),
                address: None,
                id_number: None,
                chosen_contact: Some(email(&self.denouncer.email)),
            }),
            source_ref: Some(self.source_ref.clone()),
            language: Language::Vi,
        })
    }
}

fn email(address: &str) -> ContactPoint {
    ContactPoint {
        kind: ContactKind::Email,
        address: address.to_owned(),
    }
}

/// A council-local TOML date-time (`2026-09-08T09:00:00`) as an instant.
fn instant(
    local: &toml::value::Datetime,
    profile: &CouncilProfile,
) -> anyhow::Result<DateTime<Utc>> {
    let time_zone = profile.time_zone;
    let naive: NaiveDateTime = local
        .to_string()
        .parse()
        .with_context(|| format!("`{local}` is not a local date and time"))?;
    let at = time_zone
        .from_local_datetime(&naive)
        .single()
        .with_context(|| format!("`{local}` is not one instant in {time_zone}"))?;
    Ok(at.with_timezone(&Utc))
}

/// Adds whatever of the demo is missing: staff through `hub`, cases through a store of their
/// own on `database`, dated by the seeder.
pub(crate) async fn seed(hub: &Hub, database: &DatabaseSettings) -> anyhow::Result<SeedReport> {
    let fixture = Fixture::builtin()?;
    let profile = hub.profile();
    let mut report = SeedReport::default();
    let mut staff: Vec<Staff> = Vec::new();
    for member in &fixture.staff {
        let (account, added) = ensure_staff(hub, member, &staff).await?;
        report.staff_added += usize::from(added);
        staff.push(account);
    }
    let by_login = |login: &str| {
        staff
            .iter()
            .find(|s| s.login == login)
            .map(|s| s.id)
            .with_context(|| format!("the demo has no staff member `{login}`"))
    };
    let secretary = by_login(&fixture.recorded_by.cases)?;
    let officer = by_login(&fixture.recorded_by.denunciations)?;
    let mut replays = Vec::new();
    for case in &fixture.cases {
        replays.push(Replay {
            new: case.new_case()?,
            received: instant(&case.received, profile)?,
            steps: &case.steps,
            recorded_by: secretary,
            public: case.public.as_ref(),
        });
    }
    for case in &fixture.denunciations {
        replays.push(Replay {
            new: case.new_case()?,
            received: instant(&case.received, profile)?,
            steps: &case.steps,
            recorded_by: officer,
            public: None,
        });
    }

    // The demo's own clock on a store of its own, so that receipts, steps and timelines carry
    // their autumn dates while `hub` keeps the real time. No notifier: months-old receipts
    // and answers sent today would be news to no one. Today's cases go through `hub`, below.
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = hdnd_hub::storage::open_with(database, clock.clone())
        .await
        .context("cannot open the database for the demo")?;
    let dated = Hub::new(store.clone(), profile.clone());
    let added = add_cases(&dated, &clock, replays, &by_login).await;
    store.close().await;
    report.cases_added = added?;
    for case in &fixture.today {
        let added = add_today(hub, case, secretary, &by_login).await?;
        report.today_added += usize::from(added);
    }
    report.cases_added += report.today_added;
    report.events_added = crate::demo_events::seed(hub).await?;
    tracing::info!(
        demo.staff_added = report.staff_added,
        demo.cases_added = report.cases_added,
        demo.today_added = report.today_added,
        "demo data: {} staff and {} cases added, {} of them today with their notifications",
        report.staff_added,
        report.cases_added,
        report.today_added
    );
    Ok(report)
}

/// Submits one of today's cases through `hub`, whose notifier enqueues its messages, and
/// moves it as the recorder; `false` if it was there.
async fn add_today(
    hub: &Hub,
    case: &TodayCase,
    recorder: StaffId,
    by_login: &impl Fn(&str) -> anyhow::Result<StaffId>,
) -> anyhow::Result<bool> {
    let source = &case.source_ref;
    if hub.store().get_case_by_source_ref(source).await.is_ok() {
        return Ok(false);
    }
    let id = match hub.submit_case(case.new_case()?).await {
        Ok(created) => created.case.id,
        // Another process seeds at the same time and was first.
        Err(Error::Conflict(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let me = Actor::Staff(recorder);
    for step in &case.steps {
        let request = match step {
            Step::Accept => TransitionRequest::to(Status::Accepted, me),
            Step::Forward { unit } => TransitionRequest::to(Status::Forwarded, me).with_unit(unit),
            Step::Assign { to } => {
                TransitionRequest::to(Status::InProgress, me).with_assignee(by_login(to)?)
            }
            other => anyhow::bail!("demo case {source}: `{other:?}` is not a step of today"),
        };
        hub.transition(id, request)
            .await
            .with_context(|| format!("demo case {source}: {step:?}"))?;
    }
    Ok(true)
}

async fn ensure_staff(
    hub: &Hub,
    member: &DemoStaff,
    known: &[Staff],
) -> anyhow::Result<(Staff, bool)> {
    match hub.store().get_staff_by_login(&member.login).await {
        Ok(staff) => return Ok((staff, false)),
        Err(Error::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let lead = member
        .lead
        .as_deref()
        .and_then(|l| known.iter().find(|s| s.login == l))
        .map(|s| s.id);
    let new = member.new_staff(lead, hub.profile())?;
    match hub.add_staff(Caller::Operator, new).await {
        Ok(staff) => Ok((staff, true)),
        // Another process added it meanwhile.
        Err(Error::Conflict(_)) => {
            Ok((hub.store().get_staff_by_login(&member.login).await?, false))
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds the cases that are missing, in order; how many it added.
async fn add_cases(
    dated: &Hub,
    clock: &ManualClock,
    replays: Vec<Replay<'_>>,
    by_login: &impl Fn(&str) -> anyhow::Result<StaffId>,
) -> anyhow::Result<usize> {
    let mut added = 0;
    for replay in replays {
        added += usize::from(add_case(dated, clock, replay, by_login).await?);
    }
    Ok(added)
}

/// Submits one demo case at its own date and replays its steps; `false` if it was there.
async fn add_case(
    dated: &Hub,
    clock: &ManualClock,
    replay: Replay<'_>,
    by_login: &impl Fn(&str) -> anyhow::Result<StaffId>,
) -> anyhow::Result<bool> {
    let source = replay.new.source_ref.clone().unwrap_or_default();
    if dated.store().get_case_by_source_ref(&source).await.is_ok() {
        return Ok(false);
    }
    let at = replay.received;
    clock.set(at);
    let (id, token): (CaseId, _) = match dated.submit_case(replay.new).await {
        Ok(created) => (created.case.id, created.access_token),
        // Another process seeds at the same time and was first.
        Err(Error::Conflict(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let actor = replay.recorded_by;
    let me = Actor::Staff(actor);
    let mut last = 0;
    for (i, DemoStep { day, step }) in replay.steps.iter().enumerate() {
        clock.set(at + Duration::days(*day) + Duration::minutes(30 * (i as i64 + 1)));
        last = *day;
        let request = match step {
            Step::Extend { text } => {
                dated.extend_deadline(id, actor, text).await?;
                continue;
            }
            Step::UnitResult { text } => {
                dated.record_unit_result(id, actor, text).await?;
                continue;
            }
            Step::WithdrawPart { text } => {
                let capability = dated.capability_by_token(&token).await?;
                dated.withdraw_part_as_citizen(&capability, text).await?;
                continue;
            }
            Step::InfoArrived => {
                let capability = dated.capability_by_token(&token).await?;
                dated
                    .answer_question_as_citizen(
                        &capability,
                        "Tôi xin bổ sung thông tin như đề nghị.",
                    )
                    .await?;
                continue;
            }
            Step::Suspend { text } => TransitionRequest::to(Status::Suspended, me).with_text(text),
            Step::Resume { text } => {
                let back = dated.store().get_case(id).await?.progress.resume_status;
                TransitionRequest::to(back.unwrap_or(Status::InProgress), me).with_text(text)
            }
            Step::Accept => TransitionRequest::to(Status::Accepted, me),
            Step::Forward { unit } => TransitionRequest::to(Status::Forwarded, me).with_unit(unit),
            Step::Assign { to } => {
                TransitionRequest::to(Status::InProgress, me).with_assignee(by_login(to)?)
            }
            // The recorder follows the unit's work up, so that someone owns the answer.
            Step::UnitAccepted => TransitionRequest {
                unit_accepted: true,
                ..TransitionRequest::to(Status::InProgress, me).with_assignee(actor)
            },
            Step::Answer { text } => TransitionRequest::to(Status::Answered, me).with_text(text),
            Step::Explain { text } => TransitionRequest::to(Status::Explained, me).with_text(text),
            Step::Reject { text } => TransitionRequest::to(Status::Rejected, me).with_text(text),
            Step::Ask { text } => TransitionRequest::to(Status::NeedsInfo, me).with_text(text),
            Step::Withdraw => TransitionRequest::to(Status::Withdrawn, Actor::Citizen),
        };
        let moved = if request.actor == Actor::Citizen {
            // The citizen acts with the capability of their private link.
            let capability = dated.capability_by_token(&token).await?;
            dated.transition_as_citizen(&capability, request).await
        } else if matches!(request.to, Status::Answered | Status::Explained) {
            answer(dated, id, actor, request).await
        } else {
            dated.transition(id, request).await
        };
        moved.with_context(|| format!("demo case {source}: step on day {day}"))?;
    }
    if let Some(public) = replay.public {
        clock.set(at + Duration::days(last + 1));
        dated
            .publish_case(id, actor, &public.title, &public.summary)
            .await
            .with_context(|| format!("demo case {source}: publication"))?;
    }
    Ok(true)
}

/// Answers as the assignee, as the policy wants; an unassigned case is first taken on by the
/// staff member who records the demo.
async fn answer(
    hub: &Hub,
    id: CaseId,
    recorder: StaffId,
    mut request: TransitionRequest,
) -> Result<hdnd_hub::domain::Case, Error> {
    let case = hub.store().get_case(id).await?;
    let assignee = match case.progress.assignee {
        Some(assignee) => assignee,
        None => {
            let take = TransitionRequest::to(Status::InProgress, Actor::Staff(recorder))
                .with_assignee(recorder);
            hub.transition(id, take).await?;
            recorder
        }
    };
    request.actor = Actor::Staff(assignee);
    hub.transition(id, request).await
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::Datelike;

    use super::*;

    #[test]
    fn the_built_in_fixture_holds_five_staff_and_thirty_five_cases_fifteen_of_them_public() {
        let fixture = Fixture::builtin().unwrap();
        assert_eq!(fixture.staff.len(), 5);
        assert_eq!(fixture.cases.len() + fixture.denunciations.len(), 33);
        assert_eq!(fixture.today.len(), 2);
        for case in &fixture.today {
            case.new_case().unwrap();
        }
        assert_eq!(
            fixture.cases.iter().filter(|c| c.public.is_some()).count(),
            15
        );
    }

    #[tokio::test]
    async fn seeding_an_empty_database_and_running_the_worker_once_writes_mail_files() {
        use hdnd_hub::delivery::Channel;
        use hdnd_hub::delivery::email::EmailChannel;
        use hdnd_hub::delivery::worker::Worker;

        // Arrange: the defaults, everything under a fresh folder.
        let dir = tempfile::tempdir().unwrap();
        let mut settings = crate::settings::Settings::default();
        settings.database.url = format!("sqlite://{}/hdnd.db", dir.path().display());
        settings.files.dir = dir.path().join("files");
        settings.citizens.contact_key_file = dir.path().join("contact.key");
        settings.email.file_dir = dir.path().join("mail");
        let service = crate::commands::open_service(&settings).await.unwrap();
        let store = service.hub.store().clone();

        // Act
        let report = seed(&service.hub, &settings.database).await.unwrap();
        let email: Arc<dyn Channel> = Arc::new(EmailChannel::new(&settings.email).unwrap());
        let worker = Worker::new(store.clone(), vec![email], settings.delivery.clone());
        worker.try_execute_batch().await.unwrap();
        let again = seed(&service.hub, &settings.database).await.unwrap();

        // Assert: each citizen's receipt and status changes are files now; staff messages
        // may wait out quiet hours, depending on when the test runs.
        assert_eq!(report.today_added, 2);
        let mails: Vec<String> = std::fs::read_dir(&settings.email.file_dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect();
        let to = |address: &str| {
            mails
                .iter()
                .filter(|m| m.contains(&format!("To: {address}")))
                .count()
        };
        assert_eq!(
            to("ha.dang@example.org"),
            3,
            "receipt, accepted, in progress"
        );
        assert_eq!(to("sarah.nguyen@example.com"), 2, "receipt, forwarded");
        let sent = store
            .count_outbox()
            .await
            .unwrap()
            .into_iter()
            .find(|(status, _)| status.as_str() == "sent")
            .map_or(0, |(_, n)| n);
        assert_eq!(usize::try_from(sent).unwrap(), mails.len());
        assert_eq!(again.today_added + again.cases_added + again.staff_added, 0);
    }

    #[test]
    fn every_demo_case_builds_with_a_unique_ref_in_the_demo_calendar() {
        let fixture = Fixture::builtin().unwrap();
        let profile = CouncilProfile::demo();
        let mut refs = HashSet::new();
        let cases = fixture.cases.iter().map(|c| (c.new_case(), &c.received));
        let denunciations = fixture
            .denunciations
            .iter()
            .map(|c| (c.new_case(), &c.received));
        for (new, received) in cases.chain(denunciations) {
            let new = new.unwrap();
            let source = new.source_ref.clone().unwrap();
            assert!(refs.insert(source.clone()), "{source} twice");
            let at = instant(received, &profile).unwrap();
            let day = at.with_timezone(&profile.time_zone).date_naive();
            assert!(
                profile.calendar.years().any(|y| y == day.year()),
                "{source} is received outside the calendar"
            );
        }
    }

    #[test]
    fn every_demo_staff_member_parses_and_names_known_staff() {
        let fixture = Fixture::builtin().unwrap();
        let profile = CouncilProfile::demo();
        let logins: HashSet<_> = fixture.staff.iter().map(|s| s.login.as_str()).collect();
        for member in &fixture.staff {
            member.new_staff(None, &profile).unwrap();
            if let Some(lead) = &member.lead {
                assert!(logins.contains(lead.as_str()), "unknown lead {lead}");
            }
        }
        for login in [
            &fixture.recorded_by.cases,
            &fixture.recorded_by.denunciations,
        ] {
            assert!(logins.contains(login.as_str()), "unknown recorder {login}");
        }
        let assignees = fixture
            .cases
            .iter()
            .flat_map(|c| &c.steps)
            .chain(fixture.denunciations.iter().flat_map(|c| &c.steps))
            .filter_map(|s| match &s.step {
                Step::Assign { to } => Some(to),
                _ => None,
            });
        for to in assignees {
            assert!(logins.contains(to.as_str()), "unknown assignee {to}");
        }
    }
}
