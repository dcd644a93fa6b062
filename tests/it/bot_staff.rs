//! Staff working a case from their Telegram chats with the bot's buttons: assign to a colleague,
//! answer (reviewed, then sent as resolved), publish with a public title and excerpt, forward
//! to a unit; a colleague who presses a button after them is told who did it. Every button
//! used is one the bot or the notifier sent, as a person would press it. Each story runs on
//! both databases.

use hdnd_hub::Hub;
use hdnd_hub::delivery::ButtonAction;
use hdnd_hub::delivery::outbox::OutboxRow;
use hdnd_hub::domain::{Role, Staff, Status};
use serde_json::json;

use crate::bot::{STAFF_CHAT, assert_all_done, deliver, press_in, raw, replies, worker};
use crate::helpers::{TestDb, contract_tests, notifying_hub, petition};

contract_tests!(
    staff_assign_answer_and_publish_a_case_from_their_buttons_and_a_late_colleague_hears_who,
    a_case_is_forwarded_to_a_unit_of_the_profile_from_the_unit_buttons,
);

const CLERK: i64 = STAFF_CHAT;
const COLLEAGUE: i64 = STAFF_CHAT + 1;
const SPECIALIST: i64 = STAFF_CHAT + 2;

/// A member with `roles` whose chat `chat` is linked.
pub(crate) async fn linked(hub: &Hub, login: &str, name: &str, roles: &[Role], chat: i64) -> Staff {
    crate::bot_journey::linked(hub.store(), login, name, roles, chat).await
}

/// A text a staff member types in their chat.
pub(crate) fn typed(chat: i64, update_id: u32, text: &str) -> hdnd_hub::domain::NewInbound {
    raw(
        update_id,
        json!({ "update_id": update_id, "message": {
            "message_id": update_id, "date": 1_790_000_000,
            "chat": { "id": chat, "type": "private", "first_name": "Cán bộ" },
            "from": { "id": chat, "is_bot": false, "first_name": "Cán bộ" },
            "text": text } }),
    )
}

/// Every Telegram message to `chat` (notifications and replies), newest first.
async fn to_chat(hub: &Hub, chat: i64) -> Vec<OutboxRow> {
    let mut rows = hub.store().list_outbox(None, 500).await.unwrap();
    rows.retain(|r| r.address == chat.to_string() && r.telegram.is_some());
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    rows
}

/// The callback data of the newest button labelled `label` in `chat`.
async fn button(hub: &Hub, chat: i64, label: &str) -> String {
    let rows = to_chat(hub, chat).await;
    rows.iter()
        .flat_map(|r| r.telegram.as_ref().unwrap().keyboard.rows.iter().flatten())
        .find(|b| b.text.contains(label))
        .map(|b| match &b.action {
            ButtonAction::CallbackData(data) => data.clone(),
            other => panic!("{label}: not a callback button: {other:?}"),
        })
        .unwrap_or_else(|| panic!("no button {label:?} in chat {chat}"))
}

/// The newest text the bot sent `chat`.
async fn last_said(hub: &Hub, chat: i64) -> String {
    let rows = to_chat(hub, chat).await;
    rows.first()
        .map(|r| r.telegram.as_ref().unwrap().parts.join("\n"))
        .unwrap_or_default()
}

async fn staff_assign_answer_and_publish_a_case_from_their_buttons_and_a_late_colleague_hears_who(
    db: TestDb,
) {
    // Arrange: the office's clerk (intake and secretary), a second intake officer, a
    // specialist and a deputy, each with a linked chat; a new petition.
    let (hub, _clock) = notifying_hub(&db).await;
    let roles = [Role::Intake, Role::Secretary];
    linked(&hub, "lan.tk", "Trần Thị Lan", &roles, CLERK).await;
    linked(&hub, "tam.cao", "Cao Minh Tâm", &[Role::Intake], COLLEAGUE).await;
    let specialist = linked(
        &hub,
        "chuyen.le",
        "Lê Văn Chuyên",
        &[Role::Specialist],
        SPECIALIST,
    )
    .await;
    linked(
        &hub,
        "hung.db",
        "Vũ Văn Hùng",
        &[Role::Deputy],
        SPECIALIST + 1,
    )
    .await;
    let case = hub.submit_case(petition()).await.unwrap().case;
    let worker = worker(&hub);
    let mut update = 0;
    let mut next = || {
        update += 1;
        update
    };

    // Act 1: the clerk accepts; the colleague presses accept under their own message after.
    let clerk_accept = button(&hub, CLERK, "Thụ lý").await;
    let colleague_accept = button(&hub, COLLEAGUE, "Thụ lý").await;
    let ids = deliver(
        &worker,
        vec![
            press_in(CLERK, next(), &clerk_accept),
            press_in(COLLEAGUE, next(), &colleague_accept),
        ],
    )
    .await;
    assert_all_done(&hub, ids).await;
    assert_eq!(
        hub.store().get_case(case.id).await.unwrap().progress.status,
        Status::Accepted
    );
    let told = last_said(&hub, COLLEAGUE).await;
    assert!(
        told.contains("đã được Trần Thị Lan xử lý trước đó"),
        "{told}"
    );
    assert!(told.contains("Đã thụ lý"), "{told}");

    // Act 2: the clerk's reply carries the next buttons; assign offers whoever may answer the
    // case once it is theirs (not the deputy: the office handles a case), and the clerk
    // picks the specialist.
    let assign = button(&hub, CLERK, "Giao").await;
    let ids = deliver(&worker, vec![press_in(CLERK, next(), &assign)]).await;
    assert_all_done(&hub, ids).await;
    let offered = to_chat(&hub, CLERK).await[0]
        .telegram
        .clone()
        .unwrap()
        .keyboard;
    let names: Vec<&str> = offered
        .rows
        .iter()
        .flatten()
        .map(|b| b.text.as_str())
        .collect();
    assert!(names.contains(&"Lê Văn Chuyên"), "{names:?}");
    assert!(names.contains(&"Cao Minh Tâm"), "{names:?}");
    assert!(
        !names.contains(&"Vũ Văn Hùng"),
        "a deputy answers no case: {names:?}"
    );
    let to_specialist = button(&hub, CLERK, "Lê Văn Chuyên").await;
    let ids = deliver(&worker, vec![press_in(CLERK, next(), &to_specialist)]).await;
    assert_all_done(&hub, ids).await;
    let assigned = hub.store().get_case(case.id).await.unwrap();
    assert_eq!(assigned.progress.status, Status::InProgress);
    assert_eq!(assigned.progress.assignee, Some(specialist.id));

    // Act 3: the specialist answers from the button under their assignment: writes, reviews,
    // sends as resolved.
    let answer = button(&hub, SPECIALIST, "Trả lời").await;
    let ids = deliver(
        &worker,
        vec![
            press_in(SPECIALIST, next(), &answer),
            typed(
                SPECIALIST,
                next(),
                "Phường đã thay bóng đèn ngõ 12 ngày 02/12/2026.",
            ),
        ],
    )
    .await;
    assert_all_done(&hub, ids).await;
    let review = last_said(&hub, SPECIALIST).await;
    assert!(review.contains("Phường đã thay bóng đèn"), "{review}");
    let resolved = button(&hub, SPECIALIST, "đã giải quyết").await;
    let ids = deliver(&worker, vec![press_in(SPECIALIST, next(), &resolved)]).await;
    assert_all_done(&hub, ids).await;
    let answered = hub.store().get_case(case.id).await.unwrap();
    assert_eq!(answered.progress.status, Status::Answered);
    assert_eq!(
        answered.progress.answer.as_deref(),
        Some("Phường đã thay bóng đèn ngõ 12 ngày 02/12/2026.")
    );

    // Act 4: the clerk publishes from the button of their earlier reply; pressed twice.
    let publish = button(&hub, CLERK, "Công khai").await;
    let ids = deliver(
        &worker,
        vec![
            press_in(CLERK, next(), &publish),
            typed(CLERK, next(), "Đèn chiếu sáng ngõ 12 được thay"),
            typed(
                CLERK,
                next(),
                "Cử tri phản ánh đèn ngõ 12 hỏng; phường đã thay bóng.",
            ),
        ],
    )
    .await;
    assert_all_done(&hub, ids).await;
    let confirm = button(&hub, CLERK, "🌐 Công khai").await;
    let ids = deliver(
        &worker,
        vec![
            press_in(CLERK, next(), &confirm),
            press_in(CLERK, next(), &publish),
        ],
    )
    .await;
    assert_all_done(&hub, ids).await;

    // Assert
    let published = hub.store().get_case(case.id).await.unwrap();
    let public = published.publication.expect("published");
    assert_eq!(public.title, "Đèn chiếu sáng ngõ 12 được thay");
    assert!(public.summary.starts_with("Cử tri phản ánh"));
    assert!(
        last_said(&hub, CLERK)
            .await
            .contains("đã được xử lý trước đó"),
        "the second press changes nothing, and names nobody else"
    );
    let conversation: Vec<String> = replies(hub.store())
        .await
        .into_iter()
        .map(|r| r.1)
        .collect();
    for phrase in [
        "Hồ sơ",
        "Giao hồ sơ",
        "Nội dung trả lời",
        "Gửi câu trả lời",
        "Tiêu đề công khai",
        "Tóm tắt công khai",
        "đã được công khai",
    ] {
        assert!(
            conversation.iter().any(|t| t.contains(phrase)),
            "{phrase:?} not said in {conversation:?}"
        );
    }
}

async fn a_case_is_forwarded_to_a_unit_of_the_profile_from_the_unit_buttons(db: TestDb) {
    // Arrange
    let (hub, _clock) = notifying_hub(&db).await;
    linked(&hub, "tam.cao", "Cao Minh Tâm", &[Role::Intake], COLLEAGUE).await;
    let case = hub.submit_case(petition()).await.unwrap().case;
    let worker = worker(&hub);
    let forward = button(&hub, COLLEAGUE, "Chuyển đơn").await;

    // Act: forward, then the unit's button.
    let ids = deliver(&worker, vec![press_in(COLLEAGUE, 1, &forward)]).await;
    assert_all_done(&hub, ids).await;
    let unit = hub.profile().units[1].clone();
    let choose = button(&hub, COLLEAGUE, &unit.name).await;
    let ids = deliver(
        &worker,
        vec![
            press_in(COLLEAGUE, 2, &choose),
            // The unit's button again, from the same old message: the dialogue is over.
            press_in(COLLEAGUE, 3, &choose),
        ],
    )
    .await;

    // Assert
    assert_all_done(&hub, ids).await;
    let forwarded = hub.store().get_case(case.id).await.unwrap();
    assert_eq!(forwarded.progress.status, Status::Forwarded);
    assert_eq!(
        forwarded.progress.forwarded_unit.as_deref(),
        Some(unit.code.as_str())
    );
    assert_eq!(
        forwarded.version,
        case.version + 1,
        "forwarded once, whatever was pressed after"
    );
}
