//! The staff desk in Telegram, through the inbound worker and the outbox like the citizen's
//! stories of `bot.rs`: `/inbox` by deadline (overdue first, a denunciation only for its
//! officer), `/case` with the new-case buttons, `/tasks` and its done button, a reminder's
//! snooze that comes back once an hour later, forged task buttons, `/agenda` in the member's own
//! time zone; and the staff menu set per chat against the fake Bot API, at start and right after
//! linking. Each story runs on both databases.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use chrono_tz::Tz;
use hdnd_bot::{TelegramChannel, TelegramSettings};
use hdnd_hub::access::Caller;
use hdnd_hub::delivery::outbox::{Category, OutboxRow};
use hdnd_hub::delivery::pacing::{ChannelPacing, PacingSettings};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::delivery::worker::{DeliverySettings, Worker};
use hdnd_hub::delivery::{ButtonAction, Keyboard};
use hdnd_hub::domain::{
    Actor, AuditNote, CalendarKind, ContactKind, ContactPoint, Language, NewCalendarEvent, NewTask,
    Role, Staff, Status, TaskStatus, TransitionRequest,
};
use hdnd_hub::schedule::{ScheduleSettings, Scheduler};
use hdnd_hub::{Clock, Hub, SystemClock};
use serde_json::{Value, json};

use crate::bot::{CHAT, assert_all_done, assert_said, bot_api, deliver, press_in, replies, worker};
use crate::bot_staff::{linked, typed};
use crate::bot_transport::{FakeBotApi, Instance, message_update, wait_for};
use crate::helpers::{TestDb, contract_tests, hub_on, morning, notifying_hub, petition, staff};
use crate::identity_canary::{NAME, denunciation};

contract_tests!(
    inbox_lists_open_cases_by_deadline_overdue_first_and_a_denunciation_only_to_its_officer,
    case_shows_a_case_as_staff_see_it_with_the_buttons_of_the_new_case_message,
    an_unlinked_chat_sending_a_staff_command_reads_it_as_an_unknown_command,
    a_task_done_from_its_button_twice_changes_once_and_says_already,
    a_snoozed_reminder_comes_back_once_an_hour_later_even_when_the_press_is_replayed,
    a_forged_or_foreign_task_button_is_refused_and_changes_nothing,
    agenda_shows_today_and_tomorrow_in_the_members_own_time_zone,
    a_linked_chat_gets_the_staff_menu_at_start_and_right_after_linking,
);

const INTAKE_CHAT: i64 = 777_001;
const OFFICER_CHAT: i64 = 777_002;
const SPECIALIST_CHAT: i64 = 777_003;

/// The texts of the replies, oldest first.
async fn said(hub: &Hub) -> Vec<String> {
    replies(hub.store())
        .await
        .into_iter()
        .map(|(_, text)| text)
        .collect()
}

/// The callback data of the button whose label holds `label`.
fn button(keyboard: &Keyboard, label: &str) -> String {
    let found = keyboard
        .rows
        .iter()
        .flatten()
        .find(|b| b.text.contains(label))
        .unwrap_or_else(|| panic!("no {label} in {keyboard:?}"));
    let ButtonAction::CallbackData(data) = &found.action else {
        panic!("a callback button");
    };
    data.clone()
}

fn labels(keyboard: &Keyboard) -> Vec<String> {
    keyboard
        .rows
        .iter()
        .flatten()
        .map(|b| b.text.clone())
        .collect()
}

/// The position of `needle` in `text`, or a failure that shows the text.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {text}"))
}

async fn inbox_lists_open_cases_by_deadline_overdue_first_and_a_denunciation_only_to_its_officer(
    db: TestDb,
) {
    // Arrange: petitions received on 2 November (overdue by 26 November), on 20 November and
    // today; a denunciation today; and one accepted and assigned to a specialist.
    let (hub, clock) = hub_on(&db).await;
    let lead = linked(&hub, "lanh.dao", "Cán bộ lanh.dao", &[Role::Lead], 777_009).await;
    linked(
        &hub,
        "tam.cao",
        "Cán bộ tam.cao",
        &[Role::Intake],
        INTAKE_CHAT,
    )
    .await;
    linked(
        &hub,
        "to.cao",
        "Cán bộ to.cao",
        &[Role::DenunciationOfficer],
        OFFICER_CHAT,
    )
    .await;
    let specialist = linked(
        &hub,
        "son.kha",
        "Cán bộ son.kha",
        &[Role::Specialist],
        SPECIALIST_CHAT,
    )
    .await;
    let tz = hub.profile().time_zone;
    let on = |d: u32| {
        tz.with_ymd_and_hms(2026, 11, d, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    clock.set(on(20));
    let middle = hub.submit_case(petition()).await.unwrap().case;
    clock.set(on(2));
    let oldest = hub.submit_case(petition()).await.unwrap().case;
    let assigned = hub.submit_case(petition()).await.unwrap().case;
    clock.set(morning());
    let newest = hub.submit_case(petition()).await.unwrap().case;
    let secret = hub.submit_case(denunciation()).await.unwrap().case;
    let by_lead = |to| TransitionRequest::to(to, Actor::Staff(lead.id));
    hub.transition(assigned.id, by_lead(Status::Accepted))
        .await
        .unwrap();
    hub.transition(
        assigned.id,
        by_lead(Status::InProgress).with_assignee(specialist.id),
    )
    .await
    .unwrap();

    // Act
    let ids = deliver(
        &worker(&hub),
        vec![
            typed(INTAKE_CHAT, 1, "/inbox"),
            typed(OFFICER_CHAT, 2, "/inbox"),
            typed(SPECIALIST_CHAT, 3, "/inbox@hdnd_bot"),
        ],
    )
    .await;

    // Assert: intake sees the three received petitions, the overdue one first, each with its
    // kind, status, due date and days; not the denunciation nor the assigned case.
    assert_all_done(&hub, ids).await;
    let said = said(&hub).await;
    assert_eq!(said.len(), 3, "{said:?}");
    let intake = &said[0];
    let (first, second, third) = (
        at(intake, oldest.code.as_str()),
        at(intake, middle.code.as_str()),
        at(intake, newest.code.as_str()),
    );
    assert!(first < second && second < third, "{intake}");
    assert!(intake.contains("(3)"), "{intake}");
    assert!(
        intake.starts_with("<b>Hồ sơ đang chờ đồng chí xử lý"),
        "{intake}"
    );
    assert!(intake.contains("🔴"), "{intake}");
    assert!(intake[first..second].contains("quá hạn"), "{intake}");
    assert!(intake[second..].contains("còn "), "{intake}");
    assert!(intake.contains("Kiến nghị, Đã tiếp nhận"), "{intake}");
    assert!(!intake.contains(secret.code.as_str()), "{intake}");
    assert!(!intake.contains(assigned.code.as_str()), "{intake}");
    // The officer sees the denunciation, by code, kind, status and deadline, and nothing of
    // the denouncer; the specialist sees the case assigned to them.
    let officer = &said[1];
    assert!(officer.contains(secret.code.as_str()), "{officer}");
    assert!(officer.contains("Tố cáo"), "{officer}");
    assert!(!officer.contains(NAME), "{officer}");
    assert!(!officer.contains(oldest.code.as_str()), "{officer}");
    let mine = &said[2];
    assert!(mine.contains(assigned.code.as_str()), "{mine}");
    assert!(mine.contains("(1)"), "{mine}");
}

async fn case_shows_a_case_as_staff_see_it_with_the_buttons_of_the_new_case_message(db: TestDb) {
    // Arrange: intake heard of a new petition with buttons; a denunciation they may not see.
    let (hub, _clock) = notifying_hub(&db).await;
    linked(
        &hub,
        "tam.cao",
        "Cán bộ tam.cao",
        &[Role::Intake],
        INTAKE_CHAT,
    )
    .await;
    let case = hub.submit_case(petition()).await.unwrap().case;
    let secret = hub.submit_case(denunciation()).await.unwrap().case;
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    let new_case: &OutboxRow = rows
        .iter()
        .filter(|r| r.category == Category::StaffCase && r.address == INTAKE_CHAT.to_string())
        .find(|r| {
            r.telegram
                .as_ref()
                .unwrap()
                .parts
                .join("")
                .contains(case.code.as_str())
        })
        .expect("intake hears of the case on Telegram");
    let notified = new_case.telegram.as_ref().unwrap().keyboard.clone();

    // Act: /case, then its accept button; a bad code; the denunciation's code.
    let inbound = worker(&hub);
    deliver(
        &inbound,
        vec![typed(INTAKE_CHAT, 1, &format!("/case {}", case.code))],
    )
    .await;
    let shown = replies(hub.store()).await.remove(0).0;
    let keyboard = shown.telegram.as_ref().unwrap().keyboard.clone();
    let ids = deliver(
        &inbound,
        vec![
            press_in(INTAKE_CHAT, 2, &button(&keyboard, "Thụ lý")),
            typed(INTAKE_CHAT, 3, "/case HB-12"),
            typed(INTAKE_CHAT, 4, &format!("/case {}", secret.code)),
        ],
    )
    .await;

    // Assert: the case as staff see it, with the very buttons of the new-case message.
    assert_all_done(&hub, ids).await;
    let said = said(&hub).await;
    let sheet = &said[0];
    let profile = hub.profile();
    for fact in [
        case.code.as_str(),
        "Loại: Kiến nghị",
        "Tình trạng: <b>Đã tiếp nhận</b>",
        "Trích yếu: Đèn chiếu sáng ngõ 12 bị hỏng",
        &profile.area("hoang-van-thu").unwrap().name,
        &profile.category("giao-thong").unwrap().name,
        "Ngày tiếp nhận: 26/11/2026",
        "Hạn xử lý của Hội đồng: ",
        "còn ",
        "Người xử lý: chưa phân công",
        "hỏng đã hai tuần",
        "Diễn biến gần đây",
        "26/11/2026 09:30 — Tiếp nhận",
    ] {
        assert!(sheet.contains(fact), "{fact:?} not in {sheet}");
    }
    assert!(
        !sheet.contains("Phạm Thị Hoa") && !sheet.contains("hoa.pham@"),
        "{sheet}"
    );
    assert_eq!(labels(&keyboard), labels(&notified));
    assert_eq!(keyboard, notified, "the same signed buttons");
    assert_eq!(
        labels(&keyboard),
        vec![
            "✅ Thụ lý",
            "❌ Không thụ lý",
            "❓ Hỏi thêm",
            "➡️ Chuyển đơn"
        ]
    );
    assert_eq!(
        hub.store().get_case(case.id).await.unwrap().progress.status,
        Status::Accepted
    );
    assert!(said[1].contains("Đã thụ lý"), "{}", said[1]);
    assert!(said[2].contains("Mã hồ sơ có dạng"), "{}", said[2]);
    assert!(said[3].contains("Không tìm thấy hồ sơ này"), "{}", said[3]);
    assert!(!said[3].contains("Tố cáo"), "{}", said[3]);
}

async fn an_unlinked_chat_sending_a_staff_command_reads_it_as_an_unknown_command(db: TestDb) {
    // Arrange: a citizen's chat, and a linked member's.
    let (hub, _clock) = hub_on(&db).await;
    linked(
        &hub,
        "tam.cao",
        "Cán bộ tam.cao",
        &[Role::Intake],
        INTAKE_CHAT,
    )
    .await;

    // Act
    let ids = deliver(
        &worker(&hub),
        vec![
            typed(CHAT, 1, "/no_such_command"),
            typed(CHAT, 2, "/inbox"),
            typed(CHAT, 3, "/case HB.20261126.0001"),
            typed(CHAT, 4, "/tasks"),
            typed(CHAT, 5, "/agenda"),
            typed(CHAT, 6, "/help"),
            typed(INTAKE_CHAT, 7, "/help"),
        ],
    )
    .await;

    // Assert: every staff command answered exactly as a command that does not exist; /help
    // lists them only for the linked chat.
    assert_all_done(&hub, ids).await;
    let said = said(&hub).await;
    assert!(said[0].contains("chưa có lệnh này"), "{}", said[0]);
    for answer in &said[1..5] {
        assert_eq!(answer, &said[0]);
    }
    let (citizen, member) = (&said[5], &said[6]);
    for command in ["/inbox", "/case", "/tasks", "/agenda"] {
        assert!(!citizen.contains(command), "{citizen}");
        assert!(member.contains(command), "{member}");
    }
    assert!(citizen.contains("/new") && member.contains("/new"));
    assert!(
        member.contains("/inbox — Hồ sơ đang chờ đồng chí xử lý"),
        "{member}"
    );
}

async fn a_task_done_from_its_button_twice_changes_once_and_says_already(db: TestDb) {
    // Arrange: two open tasks of the member, one done already, and a colleague's.
    let (hub, _clock) = hub_on(&db).await;
    let member = linked(
        &hub,
        "tam.cao",
        "Cán bộ tam.cao",
        &[Role::Intake],
        INTAKE_CHAT,
    )
    .await;
    let colleague = linked(
        &hub,
        "son.kha",
        "Cán bộ son.kha",
        &[Role::Specialist],
        SPECIALIST_CHAT,
    )
    .await;
    let today = hub.profile().local_date(morning());
    let task = |title: &str, assignee: &Staff, days: i64| NewTask {
        title: title.to_owned(),
        assignee: assignee.id,
        due_on: today + Duration::days(days),
        case_id: None,
    };
    let later = hub
        .add_task(
            Caller::Staff(member.id),
            task("Tổng hợp kiến nghị cử tri", &member, 3),
        )
        .await
        .unwrap();
    let soon = hub
        .add_task(
            Caller::Staff(member.id),
            task("Gọi lại cho tổ dân phố 5", &member, -1),
        )
        .await
        .unwrap();
    let done = hub
        .add_task(Caller::Staff(member.id), task("Việc đã xong", &member, 0))
        .await
        .unwrap();
    hub.set_task_status(Caller::Staff(member.id), done.id, TaskStatus::Done)
        .await
        .unwrap();
    hub.add_task(Caller::Operator, task("Việc của người khác", &colleague, 0))
        .await
        .unwrap();
    let inbound = worker(&hub);
    deliver(&inbound, vec![typed(INTAKE_CHAT, 1, "/tasks")]).await;
    let list = replies(hub.store()).await.remove(0);
    let keyboard = list.0.telegram.as_ref().unwrap().keyboard.clone();

    // Act: the first task's button, pressed twice.
    let first = button(&keyboard, "✔️ 1.");
    let ids = deliver(
        &inbound,
        vec![
            press_in(INTAKE_CHAT, 2, &first),
            press_in(INTAKE_CHAT, 3, &first),
        ],
    )
    .await;

    // Assert: open tasks by due date (the overdue one first), one button each; done once,
    // audited once, and the second press told it was done already.
    assert_all_done(&hub, ids).await;
    let text = &list.1;
    assert!(
        at(text, "1. Gọi lại cho tổ dân phố 5") < at(text, "2. Tổng hợp"),
        "{text}"
    );
    assert!(text.contains("(đã quá hạn)"), "{text}");
    assert!(
        !text.contains("Việc đã xong") && !text.contains("người khác"),
        "{text}"
    );
    assert_eq!(
        labels(&keyboard),
        vec![
            "✔️ 1. Gọi lại cho tổ dân phố 5",
            "✔️ 2. Tổng hợp kiến nghị cử tri"
        ]
    );
    assert_eq!(
        hub.store().get_task(soon.id).await.unwrap().status,
        TaskStatus::Done
    );
    assert_eq!(
        hub.store().get_task(later.id).await.unwrap().status,
        TaskStatus::Open
    );
    assert_said(
        hub.store(),
        &[
            "Công việc chưa xong",
            "Đã ghi nhận hoàn thành: Gọi lại cho tổ dân phố 5",
            "đã được ghi nhận trước đó (hiện: Đã xong)",
        ],
    )
    .await;
    let audit = hub.store().list_audit(50).await.unwrap();
    let changes: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "task.status" && a.subject == format!("task:{}", soon.id))
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].staff, Some(member.id));
}

async fn a_snoozed_reminder_comes_back_once_an_hour_later_even_when_the_press_is_replayed(
    db: TestDb,
) {
    // Arrange: a task due today; the scheduler's reminder goes out with its buttons.
    let (hub, clock) = hub_on(&db).await;
    let member = linked(
        &hub,
        "tam.cao",
        "Cán bộ tam.cao",
        &[Role::Intake],
        INTAKE_CHAT,
    )
    .await;
    let task = hub
        .add_task(
            Caller::Staff(member.id),
            NewTask {
                title: "Trả lời công văn của UBND phường".to_owned(),
                assignee: member.id,
                due_on: hub.profile().local_date(morning()),
                case_id: None,
            },
        )
        .await
        .unwrap();
    let scheduler = Scheduler::new(
        hub.clone(),
        Arc::new(Renderer::builtin()),
        ScheduleSettings::default(),
        "https://hdnd.example",
    )
    .unwrap();
    assert_eq!(scheduler.tick().await.unwrap(), 1);
    let (url, calls) = bot_api().await;
    let channel = TelegramChannel::new(&TelegramSettings {
        token: Some("123456:TEST".to_owned()),
        api_url: Some(url),
        ..TelegramSettings::default()
    })
    .unwrap()
    .unwrap();
    let delivery = Worker::new(
        hub.store().clone(),
        vec![Arc::new(channel)],
        DeliverySettings {
            // One chat gets several messages at one instant of the test's clock.
            pacing: PacingSettings {
                telegram: ChannelPacing::none(),
                email: ChannelPacing::none(),
            },
            ..DeliverySettings::default()
        },
    );
    delivery.try_execute_batch().await.unwrap();
    let sent = |calls: &std::sync::Mutex<Vec<(String, Value)>>| -> Vec<Value> {
        calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(method, _)| method.eq_ignore_ascii_case("sendMessage"))
            .map(|(_, body)| body.clone())
            .collect()
    };
    let reminder = sent(&calls).remove(0);
    assert!(
        reminder["text"]
            .as_str()
            .unwrap()
            .contains("Công việc đến hạn hôm nay")
    );
    let keyboard = &reminder["reply_markup"]["inline_keyboard"];
    let labels: Vec<_> = keyboard
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter())
        .map(|b| b["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(labels, ["✔️ Đã xong", "⏰ Nhắc lại sau 1 giờ", "📂 Mở"]);
    let snooze = keyboard[0][1]["callback_data"].as_str().unwrap().to_owned();
    assert_eq!(
        snooze,
        hub.task_button(hdnd_hub::domain::StaffAction::Snooze, task.id)
    );
    let pressed_at = clock.now();

    // Act: snooze, the press delivered again, and the hour passing.
    let inbound = worker(&hub);
    let ids = deliver(&inbound, vec![press_in(INTAKE_CHAT, 1, &snooze)]).await;
    delivery.try_execute_batch().await.unwrap();
    deliver(&inbound, vec![press_in(INTAKE_CHAT, 1, &snooze)]).await;
    let rows_after_replay = hub.store().list_outbox(None, 100).await.unwrap().len();
    clock.advance(Duration::minutes(59));
    delivery.try_execute_batch().await.unwrap();
    let before_the_hour = sent(&calls).len();
    clock.advance(Duration::minutes(1));
    delivery.try_execute_batch().await.unwrap();
    deliver(&inbound, vec![press_in(INTAKE_CHAT, 1, &snooze)]).await;
    clock.advance(Duration::hours(2));
    delivery.try_execute_batch().await.unwrap();

    // Assert: told when at once; the same reminder, with its buttons, once, an hour on.
    assert_all_done(&hub, ids.clone()).await;
    let sent = sent(&calls);
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(before_the_hour, 2);
    let ack = sent[1]["text"].as_str().unwrap();
    assert!(ack.contains("Sẽ nhắc lại lúc 10:30"), "{ack}");
    let again = &sent[2];
    assert_eq!(again["chat_id"], json!(INTAKE_CHAT));
    // The same text, less the unsubscribe link: the member asked for this one.
    let (first_text, again_text) = (
        reminder["text"].as_str().unwrap(),
        again["text"].as_str().unwrap(),
    );
    assert!(first_text.starts_with(again_text), "{again_text}");
    assert!(again_text.contains("Trả lời công văn của UBND phường"));
    assert!(!again_text.contains("huy-nhan-tin"), "{again_text}");
    assert_eq!(again["reply_markup"], reminder["reply_markup"]);
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows_after_replay, 3);
    let snoozed = rows
        .iter()
        .find(|r| r.dedupe_key == format!("inbound:{}:snooze", ids[0]))
        .expect("the snoozed reminder, keyed by the press");
    assert_eq!(snoozed.category, Category::Reminder);
    assert_eq!(snoozed.sent_at, Some(pressed_at + Duration::hours(1)));
    assert!(!snoozed.dedupe_key.contains(&INTAKE_CHAT.to_string()));
    assert_eq!(
        hub.store().get_task(task.id).await.unwrap().status,
        TaskStatus::Open
    );
}

async fn a_forged_or_foreign_task_button_is_refused_and_changes_nothing(db: TestDb) {
    // Arrange: the member's task and a colleague's, each with its genuine done button.
    let (hub, _clock) = hub_on(&db).await;
    let member = linked(
        &hub,
        "tam.cao",
        "Cán bộ tam.cao",
        &[Role::Intake],
        INTAKE_CHAT,
    )
    .await;
    let colleague = linked(
        &hub,
        "son.kha",
        "Cán bộ son.kha",
        &[Role::Specialist],
        SPECIALIST_CHAT,
    )
    .await;
    let task = |assignee: &Staff| NewTask {
        title: "Soạn báo cáo tháng".to_owned(),
        assignee: assignee.id,
        due_on: hub.profile().local_date(morning()),
        case_id: None,
    };
    let own = hub.add_task(Caller::Operator, task(&member)).await.unwrap();
    let theirs = hub
        .add_task(Caller::Operator, task(&colleague))
        .await
        .unwrap();
    let done = |id| hub.task_button(hdnd_hub::domain::StaffAction::Done, id);
    let genuine = done(own.id);
    // The member's own button pointed at the colleague's task, and at an action it never was.
    let repointed = genuine.replacen(&format!(":t{}:", own.id), &format!(":t{}:", theirs.id), 1);
    let other_action = genuine.replacen("s:done:", "s:snooze:", 1);
    assert_ne!(repointed, genuine);

    // Act
    let ids = deliver(
        &worker(&hub),
        vec![
            press_in(INTAKE_CHAT, 1, &repointed),
            press_in(INTAKE_CHAT, 2, &other_action),
            press_in(INTAKE_CHAT, 3, &done(theirs.id)),
            press_in(CHAT, 4, &genuine),
        ],
    )
    .await;

    // Assert: refused, the colleague's genuine button too (not the member's task), and a
    // citizen's press; no task changed.
    assert_all_done(&hub, ids).await;
    assert_said(
        hub.store(),
        &[
            "không còn hiệu lực",
            "không còn hiệu lực",
            "không còn hiệu lực",
            "dành cho cán bộ",
        ],
    )
    .await;
    for id in [own.id, theirs.id] {
        assert_eq!(
            hub.store().get_task(id).await.unwrap().status,
            TaskStatus::Open
        );
    }
}

async fn agenda_shows_today_and_tomorrow_in_the_members_own_time_zone(db: TestDb) {
    // Arrange: a member in Berlin (03:30 there when it is 09:30 in Hải Phòng), and events
    // around the edges of their two days.
    let (hub, _clock) = hub_on(&db).await;
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let mut member = staff("an.berlin", &[Role::Deputy]);
    member.time_zone = berlin;
    member.language = Language::En;
    member.contacts.insert(
        0,
        ContactPoint {
            kind: ContactKind::Telegram,
            address: INTAKE_CHAT.to_string(),
        },
    );
    let member = hub
        .store()
        .add_staff(member, &AuditNote::operator())
        .await
        .unwrap();
    let other = linked(
        &hub,
        "khac",
        "Cán bộ khac",
        &[Role::Deputy],
        SPECIALIST_CHAT,
    )
    .await;
    let local = |d: u32, h: u32, m: u32| {
        berlin
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    for (title, starts_at, attendee) in [
        // 25 Nov 23:30 in Berlin is already 26 Nov in Hải Phòng: yesterday for the member.
        ("Yesterday late", local(25, 23, 30), &member),
        ("Just after midnight", local(26, 0, 30), &member),
        ("Someone else's", local(26, 10, 0), &other),
        ("Tomorrow night", local(27, 23, 30), &member),
        ("The day after", local(28, 0, 30), &member),
    ] {
        hub.add_calendar_event(
            Caller::Operator,
            NewCalendarEvent {
                title: title.to_owned(),
                kind: CalendarKind::Meeting,
                starts_at,
                ends_at: Some(starts_at + Duration::hours(1)),
                place: Some("Phòng họp số 2".to_owned()),
                public: false,
                attendees: vec![attendee.id],
            },
        )
        .await
        .unwrap();
    }

    // Act
    let ids = deliver(&worker(&hub), vec![typed(INTAKE_CHAT, 1, "/agenda")]).await;

    // Assert: in English, Berlin's today and tomorrow, at Berlin's times.
    assert_all_done(&hub, ids).await;
    let said = said(&hub).await;
    let agenda = &said[0];
    let (today, tomorrow) = (
        at(agenda, "Today, 26/11/2026"),
        at(agenda, "Tomorrow, 27/11/2026"),
    );
    let first = at(
        agenda,
        "00:30–01:30 — Just after midnight (Meeting), Phòng họp số 2",
    );
    let second = at(agenda, "23:30–00:30 — Tomorrow night");
    assert!(
        today < first && first < tomorrow && tomorrow < second,
        "{agenda}"
    );
    for absent in ["Yesterday late", "Someone else's", "The day after"] {
        assert!(!agenda.contains(absent), "{absent} in {agenda}");
    }
    assert!(agenda.contains("Europe/Berlin"), "{agenda}");
}

async fn a_linked_chat_gets_the_staff_menu_at_start_and_right_after_linking(db: TestDb) {
    // Arrange: a member linked before the start (reading English), and one who links while
    // hdnd runs; the hub on the real clock, as the binary's.
    let hub = Hub::new(
        db.open(Arc::new(SystemClock)).await,
        Arc::new(hdnd_hub::domain::CouncilProfile::demo()),
    );
    let mut early = staff("lan.tk", &[Role::Secretary]);
    early.language = Language::En;
    early.contacts.insert(
        0,
        ContactPoint {
            kind: ContactKind::Telegram,
            address: "555001".to_owned(),
        },
    );
    hub.store()
        .add_staff(early, &AuditNote::operator())
        .await
        .unwrap();
    hub.store()
        .add_staff(staff("tam.cao", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    let token = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    let fake = FakeBotApi::start(None).await;
    let app = Instance::start(&db.url, &fake.url);
    let menus = |chat: i64| {
        fake.calls_of("setMyCommands")
            .into_iter()
            .filter(|c| c.body["scope"] == json!({ "type": "chat", "chat_id": chat }))
            .collect::<Vec<_>>()
    };

    // Act: the start, then the link.
    wait_for("the menus at start", &[&app], async || {
        fake.calls_of("setMyCommands").len() == 3
    })
    .await;
    let at_start = fake.calls_of("setMyCommands");
    fake.push(
        51,
        message_update(51, 555_002, &format!("/start {}", token.expose())),
    );
    wait_for("the menu after linking", &[&app], async || {
        !menus(555_002).is_empty()
    })
    .await;

    // Assert: the citizens' menu twice (no staff command), the early member's chat in
    // English as its one list, the new member's in Vietnamese; no chat id in the log.
    let citizens: Vec<_> = at_start
        .iter()
        .filter(|c| c.body["scope"]["type"] == json!("all_private_chats"))
        .collect();
    assert_eq!(citizens.len(), 2);
    for call in &citizens {
        let names = command_names(&call.body);
        assert!(!names.contains(&"inbox".to_owned()), "{names:?}");
    }
    let early = menus(555_001);
    assert_eq!(early.len(), 1, "{early:?}");
    let body = &early[0].body;
    assert_eq!(body.get("language_code"), None);
    assert!(command_names(body).contains(&"inbox".to_owned()));
    let inbox = body["commands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["command"] == "inbox")
        .unwrap();
    assert_eq!(
        inbox["description"],
        "Your open cases by deadline, overdue first"
    );
    let late = menus(555_002);
    assert_eq!(late.len(), 1);
    let names = command_names(&late[0].body);
    for command in ["inbox", "case", "tasks", "agenda", "start", "help"] {
        assert!(names.contains(&command.to_owned()), "{names:?}");
    }
    assert!(
        late[0].body["commands"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["description"] == "Công việc chưa xong, theo hạn")
    );
    let log = app.log();
    assert!(!log.contains("555001") && !log.contains("555002"), "{log}");
    assert!(!log.contains(token.expose()), "{log}");
    app.assert_log_is_clean();
}

fn command_names(body: &Value) -> Vec<String> {
    body["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap().to_owned())
        .collect()
}
