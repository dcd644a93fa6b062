//! What the public says back, on both databases: a citizen rates the answer to their case
//! (and, not satisfied within the profile's window, reopens it), and anyone follows a published
//! case and hears of its status changes with nothing but what the public catalog shows.

use std::sync::Arc;

use chrono::Duration;
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::notify::Notifier;
use hdnd_hub::delivery::outbox::{Category, OutboxRow};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    AccessToken, Actor, AuditNote, Case, CaseCode, ContactKind, ContactPoint, EventKind,
    NormalisedContact, RatingInput, Reopening, Role, Staff, Status,
};
use hdnd_hub::storage::{Completed, InboundCompletion, InboundEffect, PublicationChange};
use hdnd_hub::{Error, Hub, ManualClock};

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};

contract_tests!(
    a_rating_of_an_answered_case_is_stored_with_its_event_and_audit_and_the_latest_counts,
    not_satisfied_within_the_window_reopens_the_case_and_notifies_the_staff_on_it,
    not_satisfied_after_the_window_is_stored_but_does_not_reopen,
    a_rejected_case_is_rated_but_never_reopened,
    a_rating_of_an_open_case_is_refused_with_a_clear_error,
    a_replayed_rating_change_applies_once,
    a_rating_planned_from_a_message_applies_with_the_messages_done,
    only_a_published_case_can_be_followed,
    followers_hear_of_a_status_change_with_public_data_only,
    followers_hear_when_the_public_answer_is_published,
    a_withdrawn_or_unpublished_case_tells_its_followers_nothing,
    unfollowing_one_case_and_then_all_ends_the_follows,
    the_unsubscribe_link_of_a_followers_email_ends_that_follow,
    follows_planned_from_a_message_apply_with_the_messages_done,
);

/// The portal address followers' unsubscribe links point to in these tests.
const PORTAL: &str = "https://hdnd.example.org";

/// A hub whose notifier links followers' emails to [`PORTAL`].
async fn feedback_hub(db: &TestDb) -> (Hub, Arc<ManualClock>) {
    let (hub, clock) = hub_on(db).await;
    let notifier = Notifier::new(
        Arc::new(Renderer::builtin()),
        hub.profile().clone(),
        "hongbang.example",
    )
    .with_public_url(PORTAL);
    (hub.with_notifier(Arc::new(notifier)), clock)
}

/// A secretary who may do everything to a case, assigned the cases below.
async fn clerk(hub: &Hub) -> Staff {
    hub.store()
        .add_staff(
            staff("lan.nguyen", &[Role::Secretary, Role::Intake]),
            &AuditNote::operator(),
        )
        .await
        .unwrap()
}

/// The petition of [`petition`], with a phone number too: personal data a follower must
/// never see.
fn petition_with_phone() -> hdnd_hub::domain::NewCase {
    let mut case = petition();
    case.contacts.push(ContactPoint {
        kind: ContactKind::Phone,
        address: "0912 345 678".to_owned(),
    });
    case
}

/// A petition taken up by `clerk` (accepted, in progress with them as assignee); published
/// first when `publish` is set.
async fn case_in_progress(hub: &Hub, clerk: &Staff, publish: bool) -> (Case, AccessToken) {
    let created = hub.submit_case(petition_with_phone()).await.unwrap();
    let me = Actor::Staff(clerk.id);
    let id = created.case.id;
    if publish {
        hub.publish_case(
            id,
            clerk.id,
            "Đèn ngõ 12 phố Hoàng Văn Thụ",
            "Đèn hỏng hai tuần.",
        )
        .await
        .unwrap();
    }
    hub.transition(id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    let case = hub
        .transition(
            id,
            TransitionRequest::to(Status::InProgress, me).with_assignee(clerk.id),
        )
        .await
        .unwrap();
    (case, created.access_token)
}

/// [`case_in_progress`], then answered by `clerk` today.
async fn answered_case(hub: &Hub, clerk: &Staff, publish: bool) -> (Case, AccessToken) {
    let (case, token) = case_in_progress(hub, clerk, publish).await;
    let answer = TransitionRequest::to(Status::Answered, Actor::Staff(clerk.id))
        .with_text("Điện lực đã thay bóng đèn ngày 25/11.");
    let case = hub.transition(case.id, answer).await.unwrap();
    (case, token)
}

async fn outbox(hub: &Hub) -> Vec<OutboxRow> {
    let mut rows = hub.store().list_outbox(None, 500).await.unwrap();
    rows.reverse();
    rows
}

/// Every rendering of a row, as one string: subject, text, HTML and the Telegram parts.
fn rendered(row: &OutboxRow) -> String {
    let telegram = row
        .telegram
        .as_ref()
        .map(|t| t.parts.join("\n"))
        .unwrap_or_default();
    format!(
        "{}\n{}\n{}\n{}\n{:?}",
        row.subject,
        row.text,
        row.html.as_deref().unwrap_or_default(),
        telegram,
        row.list_unsubscribe
    )
}

fn follower_rows(rows: &[OutboxRow]) -> Vec<&OutboxRow> {
    rows.iter()
        .filter(|r| r.dedupe_key.contains(":follower:"))
        .collect()
}

fn chat(id: &str) -> NormalisedContact {
    NormalisedContact::parse(ContactKind::Telegram, id).unwrap()
}

fn email(address: &str) -> NormalisedContact {
    NormalisedContact::parse(ContactKind::Email, address).unwrap()
}

async fn a_rating_of_an_answered_case_is_stored_with_its_event_and_audit_and_the_latest_counts(
    db: TestDb,
) {
    // Arrange
    let (hub, clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, token) = answered_case(&hub, &clerk, false).await;
    let capability = hub.capability_by_token(&token).await.unwrap();

    // Act
    let first = hub
        .rate_as_citizen(
            &capability,
            RatingInput::score(4).with_comment("  Đã sửa nhanh, cảm ơn.  "),
        )
        .await
        .unwrap();
    clock.advance(Duration::hours(2));
    let second = hub
        .rate_as_citizen(&capability, RatingInput::score(5))
        .await
        .unwrap();

    // Assert: both stored, the latest counts, the case stays answered.
    assert_eq!(first.reopening, Reopening::NotAsked);
    assert_eq!(first.rating.score.get(), 4);
    assert_eq!(
        first.rating.comment.as_deref(),
        Some("Đã sửa nhanh, cảm ơn.")
    );
    assert!(!first.rating.reopened);
    assert_eq!(second.case.progress.status, Status::Answered);
    assert_eq!(second.case.version, case.version + 2);
    let all = hub.store().list_ratings(case.id).await.unwrap();
    assert_eq!(all.len(), 2);
    let latest = hub.store().latest_rating(case.id).await.unwrap().unwrap();
    assert_eq!(latest.score.get(), 5);
    assert_eq!(latest.id, second.rating.id);
    let timeline = hub.store().get_timeline(case.id).await.unwrap();
    let rated: Vec<_> = timeline
        .iter()
        .filter(|e| e.kind == EventKind::Rated)
        .collect();
    assert_eq!(rated.len(), 2);
    assert_eq!(rated[0].actor, Actor::Citizen);
    assert_eq!(rated[0].note.as_deref(), Some("4/5\nĐã sửa nhanh, cảm ơn."));
    let audit = hub.store().list_audit(50).await.unwrap();
    let ratings: Vec<_> = audit.iter().filter(|a| a.action == "case.rate").collect();
    assert_eq!(ratings.len(), 2);
    assert_eq!(ratings[0].subject, format!("case:{}", case.id));
    assert_eq!(ratings[0].staff, None);
    assert!(
        ratings
            .iter()
            .all(|a| !a.detail.as_deref().unwrap_or_default().contains("cảm ơn")),
        "the comment stays out of the audit log"
    );
    // A rating is the citizen's own: the public timeline does not show it.
    hub.publish_case(case.id, clerk.id, "Đèn ngõ 12", "Đèn hỏng.")
        .await
        .unwrap();
    let public = hub.catalog().get(&case.code).await.unwrap().unwrap();
    assert!(public.timeline.iter().all(|s| s.kind != EventKind::Rated));
}

async fn not_satisfied_within_the_window_reopens_the_case_and_notifies_the_staff_on_it(db: TestDb) {
    // Arrange: answered today; the demo profile's window is 30 days.
    let (hub, clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, token) = answered_case(&hub, &clerk, false).await;
    assert_eq!(hub.profile().feedback.reopen_within_days, 30);
    let capability = hub.capability_by_token(&token).await.unwrap();
    let before = outbox(&hub).await.len();
    clock.advance(Duration::days(30));

    // Act: on the last day of the window.
    let rated = hub
        .rate_as_citizen(
            &capability,
            RatingInput::score(1)
                .with_comment("Đèn lại hỏng sau hai ngày.")
                .not_satisfied(),
        )
        .await
        .unwrap();

    // Assert: reopened, rated then reopened on the timeline, staff and citizen told.
    assert_eq!(rated.reopening, Reopening::Reopened);
    assert!(rated.rating.reopened && rated.rating.not_satisfied);
    assert_eq!(rated.case.progress.status, Status::InProgress);
    assert_eq!(rated.case.progress.closed_on, None);
    assert_eq!(rated.case.version, case.version + 1);
    let timeline = hub.store().get_timeline(case.id).await.unwrap();
    let kinds: Vec<_> = timeline.iter().rev().take(2).map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Reopened, EventKind::Rated]);
    let rows = outbox(&hub).await;
    let new = &rows[before..];
    let to_staff: Vec<_> = new
        .iter()
        .filter(|r| {
            r.dedupe_key
                .ends_with(&format!("staff:{}:reopened", clerk.id))
        })
        .collect();
    assert_eq!(to_staff.len(), 1, "{new:?}");
    assert_eq!(to_staff[0].address, "lan.nguyen@council.example");
    assert_eq!(to_staff[0].category, Category::StaffCase);
    assert!(
        to_staff[0].subject.contains("mở lại"),
        "{}",
        to_staff[0].subject
    );
    assert!(to_staff[0].text.contains("Đèn lại hỏng sau hai ngày."));
    assert!(
        new.iter()
            .any(|r| r.address == "hoa.pham@example.org" && r.text.contains("Đang giải quyết")),
        "the citizen hears the case is in hand again"
    );
    let audit = hub.store().list_audit(10).await.unwrap();
    let detail = audit
        .iter()
        .find(|a| a.action == "case.rate")
        .and_then(|a| a.detail.clone())
        .unwrap();
    assert!(detail.contains("reopened"), "{detail}");
}

async fn not_satisfied_after_the_window_is_stored_but_does_not_reopen(db: TestDb) {
    // Arrange: answered on 26 November; the window ends on 26 December.
    let (hub, clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, token) = answered_case(&hub, &clerk, false).await;
    let capability = hub.capability_by_token(&token).await.unwrap();
    let before = outbox(&hub).await.len();
    clock.advance(Duration::days(31));

    // Act
    let rated = hub
        .rate_as_citizen(&capability, RatingInput::score(2).not_satisfied())
        .await
        .unwrap();

    // Assert
    assert_eq!(
        rated.reopening,
        Reopening::WindowClosed {
            last_day: "2026-12-26".parse().unwrap()
        }
    );
    assert!(!rated.reopening.reopened());
    assert!(rated.rating.not_satisfied && !rated.rating.reopened);
    assert_eq!(rated.case.progress.status, Status::Answered);
    let timeline = hub.store().get_timeline(case.id).await.unwrap();
    assert!(timeline.iter().all(|e| e.kind != EventKind::Reopened));
    assert_eq!(hub.store().list_ratings(case.id).await.unwrap().len(), 1);
    assert_eq!(
        outbox(&hub).await.len(),
        before,
        "nobody is told of a reopening"
    );
}

async fn a_rejected_case_is_rated_but_never_reopened(db: TestDb) {
    // Arrange
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let created = hub.submit_case(petition()).await.unwrap();
    let reject = TransitionRequest::to(Status::Rejected, Actor::Staff(clerk.id))
        .with_text("Không thuộc thẩm quyền.");
    hub.transition(created.case.id, reject).await.unwrap();
    let capability = hub
        .capability_by_token(&created.access_token)
        .await
        .unwrap();

    // Act
    let rated = hub
        .rate_as_citizen(&capability, RatingInput::score(1).not_satisfied())
        .await
        .unwrap();

    // Assert
    assert_eq!(rated.reopening, Reopening::NotAnswered);
    assert_eq!(rated.case.progress.status, Status::Rejected);
    assert_eq!(
        hub.store()
            .list_ratings(created.case.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_rating_of_an_open_case_is_refused_with_a_clear_error(db: TestDb) {
    // Arrange
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, token) = case_in_progress(&hub, &clerk, false).await;
    let capability = hub.capability_by_token(&token).await.unwrap();

    // Act
    let open = hub
        .rate_as_citizen(&capability, RatingInput::score(3))
        .await
        .unwrap_err();
    let bad_score = hub
        .plan_rating_as_citizen(&capability, RatingInput::score(7))
        .await
        .unwrap_err();

    // Assert
    let message = open.to_string();
    assert!(matches!(open, Error::Domain(_)), "{open:?}");
    assert!(message.contains("chưa thể đánh giá"), "{message}");
    assert!(message.contains(case.code.as_str()), "{message}");
    assert!(message.contains("rated once answered"), "{message}");
    assert!(bad_score.to_string().contains("từ 1 đến 5"), "{bad_score}");
    assert!(hub.store().list_ratings(case.id).await.unwrap().is_empty());
}

async fn a_replayed_rating_change_applies_once(db: TestDb) {
    // Arrange: one planned change, reopening the case.
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, token) = answered_case(&hub, &clerk, false).await;
    let capability = hub.capability_by_token(&token).await.unwrap();
    let change = hub
        .plan_rating_as_citizen(&capability, RatingInput::score(2).not_satisfied())
        .await
        .unwrap();
    let satisfied = hub
        .plan_rating_as_citizen(&capability, RatingInput::score(5))
        .await
        .unwrap();
    assert_eq!(change.reopening, Reopening::Reopened);

    // Act
    let first = hub.store().add_rating(change.clone()).await;
    let replay = hub.store().add_rating(change).await;
    let stale = hub.store().add_rating(satisfied).await;

    // Assert: applied once; the replay and the stale plan conflict and write nothing.
    assert!(first.is_ok(), "{first:?}");
    assert!(matches!(replay, Err(Error::Conflict(_))), "{replay:?}");
    assert!(matches!(stale, Err(Error::Conflict(_))), "{stale:?}");
    assert_eq!(hub.store().list_ratings(case.id).await.unwrap().len(), 1);
    let timeline = hub.store().get_timeline(case.id).await.unwrap();
    let count = |kind| timeline.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count(EventKind::Rated), 1);
    assert_eq!(count(EventKind::Reopened), 1);
    let audit = hub.store().list_audit(50).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "case.rate").count(), 1);
}

fn with_effect(effect: InboundEffect) -> InboundCompletion {
    InboundCompletion {
        effect,
        ..InboundCompletion::nothing()
    }
}

async fn a_rating_planned_from_a_message_applies_with_the_messages_done(db: TestDb) {
    // Arrange
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, token) = answered_case(&hub, &clerk, false).await;
    let capability = hub.capability_by_token(&token).await.unwrap();
    let change = hub
        .plan_rating_as_citizen(&capability, RatingInput::score(2).not_satisfied())
        .await
        .unwrap();

    // Act: the same planned change with two messages (a handler that replans nothing).
    let row = crate::helpers::claimed_update(&hub, 1).await;
    let done = hub
        .store()
        .complete_inbound(
            &row,
            with_effect(InboundEffect::Rating(Box::new(change.clone()))),
        )
        .await
        .unwrap();
    let again = crate::helpers::claimed_update(&hub, 2).await;
    let replay = hub
        .store()
        .complete_inbound(&again, with_effect(InboundEffect::Rating(Box::new(change))))
        .await;

    // Assert: the first rated and reopened with its done; the second changed nothing.
    assert!(matches!(done, Completed::Done { .. }));
    assert!(matches!(replay, Err(Error::Conflict(_))), "{replay:?}");
    let now = hub.store().get_case(case.id).await.unwrap();
    assert_eq!(now.progress.status, Status::InProgress);
    assert_eq!(hub.store().list_ratings(case.id).await.unwrap().len(), 1);
    let row = hub.store().get_inbound(again.id).await.unwrap();
    assert_ne!(row.status, hdnd_hub::domain::InboundStatus::Done);
}

async fn only_a_published_case_can_be_followed(db: TestDb) {
    // Arrange
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (unpublished, _) = case_in_progress(&hub, &clerk, false).await;
    let (published, _) = case_in_progress(&hub, &clerk, true).await;
    let denunciation = hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;
    let reader = chat("555000111");

    // Act
    let refused = hub.follow(&reader, &unpublished.code).await.unwrap_err();
    let secret = hub.follow(&reader, &denunciation.code).await.unwrap_err();
    let unknown = hub
        .follow(&reader, &CaseCode::parse("HB.20261126.9999").unwrap())
        .await
        .unwrap_err();
    let phone = NormalisedContact::parse(ContactKind::Phone, "0912345678").unwrap();
    let by_phone = hub.follow(&phone, &published.code).await.unwrap_err();
    let followed = hub.follow(&reader, &published.code).await.unwrap();
    let again = hub.follow(&reader, &published.code).await.unwrap();
    let planned_again = hub.plan_follow(&reader, &published.code).await.unwrap();

    // Assert: an unpublished case, a denunciation and an unknown code are refused alike.
    for error in [&refused, &secret, &unknown] {
        assert!(matches!(error, Error::Domain(_)), "{error:?}");
        assert!(
            error.to_string().contains("không có hồ sơ công khai"),
            "{error}"
        );
    }
    assert_eq!(
        refused.to_string().replace(unpublished.code.as_str(), "X"),
        secret.to_string().replace(denunciation.code.as_str(), "X")
    );
    assert!(by_phone.to_string().contains("Telegram"), "{by_phone}");
    assert!(followed);
    assert!(!again, "following twice adds nothing");
    assert!(planned_again.already_following);
    let followers = hub.store().list_followers(published.id).await.unwrap();
    assert_eq!(followers.len(), 1);
    assert!(!format!("{followers:?}").contains("555000111"));
    assert!(
        hub.store()
            .list_followers(unpublished.id)
            .await
            .unwrap()
            .is_empty()
    );
    let audit = hub.store().list_audit(50).await.unwrap();
    let follows: Vec<_> = audit.iter().filter(|a| a.action == "case.follow").collect();
    assert_eq!(follows.len(), 1);
    assert_eq!(follows[0].detail.as_deref(), Some("telegram"));
}

async fn followers_hear_of_a_status_change_with_public_data_only(db: TestDb) {
    // Arrange: a published case followed on Telegram, by email, and by its own citizen.
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, _) = case_in_progress(&hub, &clerk, true).await;
    hub.follow(&chat("555000111"), &case.code).await.unwrap();
    hub.follow(&email("Nguoi.Theo.Doi@Example.org"), &case.code)
        .await
        .unwrap();
    hub.follow(&email("hoa.pham@example.org"), &case.code)
        .await
        .unwrap();
    let before = outbox(&hub).await.len();

    // Act: a question to the citizen that names her, and then the answer.
    let ask = TransitionRequest::to(Status::NeedsInfo, Actor::Staff(clerk.id))
        .with_text("Đề nghị bà Phạm Thị Hoa gọi lại số 0912 345 678.");
    hub.transition(case.id, ask).await.unwrap();
    let rows = outbox(&hub).await;

    // Assert: one row per follower but the citizen, each holding only public data.
    let new = &rows[before..];
    let followers = follower_rows(new);
    assert_eq!(followers.len(), 2, "{new:?}");
    let telegram = followers
        .iter()
        .find(|r| r.channel == ChannelKind::Telegram)
        .unwrap();
    let mail = followers
        .iter()
        .find(|r| r.channel == ChannelKind::Email)
        .unwrap();
    assert_eq!(telegram.address, "555000111");
    assert_eq!(mail.address, "Nguoi.Theo.Doi@example.org");
    for row in &followers {
        let text = rendered(row);
        for private in [
            "Phạm Thị Hoa",
            "0912 345 678",
            "+84912345678",
            "hoa.pham",
            "Đèn chiếu sáng ngõ 12 bị hỏng",
            "hỏng đã hai tuần, đề nghị sửa chữa",
            "Đề nghị bà",
            "lan.nguyen",
        ] {
            assert!(!text.contains(private), "`{private}` in {text}");
        }
        assert!(text.contains(case.code.as_str()));
        assert!(text.contains("Đèn ngõ 12 phố Hoàng Văn Thụ"), "{text}");
        assert!(text.contains("Cần bổ sung thông tin"), "{text}");
        // The key names the follow, never the contact.
        assert!(!row.dedupe_key.contains('@') && !row.dedupe_key.contains("555000111"));
        assert_eq!(row.category, Category::CaseUpdate);
    }
    let parts = telegram.telegram.as_ref().unwrap().parts.join("\n");
    assert!(
        parts.contains(&format!("/unfollow {}", case.code)),
        "{parts}"
    );
    let link = mail.list_unsubscribe.clone().unwrap();
    assert!(
        link.starts_with(&format!("{PORTAL}/huy-nhan-tin/")),
        "{link}"
    );
    assert!(mail.text.contains(&link) && mail.html.as_deref().unwrap().contains(&link));
    // The citizen hears of it once, as the citizen.
    let to_citizen: Vec<_> = new
        .iter()
        .filter(|r| r.address == "hoa.pham@example.org")
        .collect();
    assert_eq!(to_citizen.len(), 1, "{to_citizen:?}");
    assert!(to_citizen[0].dedupe_key.ends_with(":citizen"));
}

async fn followers_hear_when_the_public_answer_is_published(db: TestDb) {
    // Arrange
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, _) = case_in_progress(&hub, &clerk, true).await;
    hub.follow(&chat("555000111"), &case.code).await.unwrap();

    // Act: answered (a status change), then the public copy rewritten with the answer.
    let answer = TransitionRequest::to(Status::Answered, Actor::Staff(clerk.id))
        .with_text("Điện lực đã thay bóng đèn ngày 25/11.");
    hub.transition(case.id, answer).await.unwrap();
    let after_answer = follower_rows(&outbox(&hub).await).len();
    hub.publish_case(
        case.id,
        clerk.id,
        "Đèn ngõ 12 phố Hoàng Văn Thụ",
        "Đèn hỏng hai tuần; đã thay.",
    )
    .await
    .unwrap();
    let rows = outbox(&hub).await;

    // Assert
    let followers = follower_rows(&rows);
    assert_eq!(after_answer, 1);
    assert_eq!(followers.len(), 2);
    for row in &followers {
        assert!(
            rendered(row).contains("Điện lực đã thay bóng đèn"),
            "the public answer: {}",
            rendered(row)
        );
    }
    let published = rendered(followers[1]);
    assert!(published.contains("Đã công khai kết quả"), "{published}");
}

async fn a_withdrawn_or_unpublished_case_tells_its_followers_nothing(db: TestDb) {
    // Arrange: two published cases, each followed.
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let created = hub.submit_case(petition()).await.unwrap();
    hub.publish_case(created.case.id, clerk.id, "Đèn ngõ 12", "Đèn hỏng.")
        .await
        .unwrap();
    let (unpublished, _) = case_in_progress(&hub, &clerk, true).await;
    let reader = chat("555000111");
    hub.follow(&reader, &created.case.code).await.unwrap();
    hub.follow(&reader, &unpublished.code).await.unwrap();

    // Act: the citizen withdraws one; staff take the other's public copy down and answer it.
    crate::helpers::as_citizen(
        &hub,
        &created.access_token,
        TransitionRequest::to(Status::Withdrawn, Actor::Citizen),
    )
    .await
    .unwrap();
    let current = hub.store().get_case(unpublished.id).await.unwrap();
    hub.store()
        .update_case_publication(PublicationChange {
            case_id: current.id,
            expected_version: current.version,
            publication: None,
            event: hdnd_hub::domain::NewEvent {
                kind: EventKind::Unpublished,
                actor: Actor::Staff(clerk.id),
                from: None,
                to: None,
                note: None,
            },
            notify: hdnd_hub::storage::Notify::none(),
        })
        .await
        .unwrap();
    let answer =
        TransitionRequest::to(Status::Answered, Actor::Staff(clerk.id)).with_text("Đã sửa.");
    hub.transition(unpublished.id, answer).await.unwrap();

    // Assert
    assert!(follower_rows(&outbox(&hub).await).is_empty());
}

async fn unfollowing_one_case_and_then_all_ends_the_follows(db: TestDb) {
    // Arrange: one chat following three cases.
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let reader = chat("555000111");
    let other = chat("555000222");
    let mut cases = Vec::new();
    for _ in 0..3 {
        let (case, _) = case_in_progress(&hub, &clerk, true).await;
        hub.follow(&reader, &case.code).await.unwrap();
        cases.push(case);
    }
    hub.follow(&other, &cases[0].code).await.unwrap();

    // Act
    let planned = hub
        .plan_unfollow(&reader, Some(&cases[0].code))
        .await
        .unwrap();
    let one = hub.unfollow(&reader, Some(&cases[0].code)).await.unwrap();
    let not_followed = hub
        .plan_unfollow(&reader, Some(&cases[0].code))
        .await
        .unwrap();
    let left = hub.followed_cases(&reader).await.unwrap();
    let planned_all = hub.plan_unfollow(&reader, None).await.unwrap();
    let all = hub.unfollow(&reader, None).await.unwrap();

    // Assert: one, then the other two; the other chat still follows.
    assert_eq!(planned.following, 1);
    assert_eq!(one, 1);
    assert_eq!(not_followed.following, 0);
    let codes: Vec<_> = left.iter().map(|f| f.code.clone()).collect();
    assert_eq!(codes, [cases[1].code.clone(), cases[2].code.clone()]);
    assert_eq!(planned_all.following, 2);
    assert_eq!(all, 2);
    assert!(hub.followed_cases(&reader).await.unwrap().is_empty());
    assert_eq!(hub.followed_cases(&other).await.unwrap().len(), 1);
    assert!(!format!("{planned:?}").contains("555000111"));
    let audit = hub.store().list_audit(50).await.unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.action == "case.unfollow").count(),
        2
    );
}

async fn the_unsubscribe_link_of_a_followers_email_ends_that_follow(db: TestDb) {
    // Arrange
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, _) = case_in_progress(&hub, &clerk, true).await;
    let reader = email("nguoi.theo.doi@example.org");
    hub.follow(&reader, &case.code).await.unwrap();
    hub.transition(
        case.id,
        TransitionRequest::to(Status::Answered, Actor::Staff(clerk.id)).with_text("Đã sửa."),
    )
    .await
    .unwrap();
    let rows = outbox(&hub).await;
    let link = follower_rows(&rows)[0].list_unsubscribe.clone().unwrap();
    let token = link.rsplit('/').next().unwrap().to_owned();

    // Act
    let target = hub.unsubscribe_target(&token).await.unwrap();
    let done = hub.unsubscribe(&token).await.unwrap();
    let again = hub.unsubscribe(&token).await;

    // Assert
    assert_eq!(target.1, Category::CaseUpdate);
    assert_eq!(target.2, ChannelKind::Email);
    assert_eq!(done, (None, Category::CaseUpdate, ChannelKind::Email));
    assert!(matches!(again, Err(Error::NotFound(_))));
    assert!(hub.followed_cases(&reader).await.unwrap().is_empty());
}

async fn follows_planned_from_a_message_apply_with_the_messages_done(db: TestDb) {
    // Arrange
    let (hub, _clock) = feedback_hub(&db).await;
    let clerk = clerk(&hub).await;
    let (case, _) = case_in_progress(&hub, &clerk, true).await;
    let reader = chat("555000111");
    let follow = hub.plan_follow(&reader, &case.code).await.unwrap();
    assert!(!follow.already_following);

    // Act
    let row = crate::helpers::claimed_update(&hub, 1).await;
    hub.store()
        .complete_inbound(
            &row,
            with_effect(InboundEffect::Follow(Box::new(follow.clone()))),
        )
        .await
        .unwrap();
    let replay = crate::helpers::claimed_update(&hub, 2).await;
    hub.store()
        .complete_inbound(
            &replay,
            with_effect(InboundEffect::Follow(Box::new(follow))),
        )
        .await
        .unwrap();
    let following = hub.followed_cases(&reader).await.unwrap();
    let unfollow = hub.plan_unfollow(&reader, None).await.unwrap();
    let row = crate::helpers::claimed_update(&hub, 3).await;
    hub.store()
        .complete_inbound(
            &row,
            with_effect(InboundEffect::Unfollow(Box::new(unfollow))),
        )
        .await
        .unwrap();

    // Assert: followed once, then not at all.
    assert_eq!(following.len(), 1);
    assert_eq!(following[0].code, case.code);
    assert!(hub.followed_cases(&reader).await.unwrap().is_empty());
}
