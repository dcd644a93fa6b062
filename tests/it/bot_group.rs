//! The staff group, through the real binary over HTTP to the fake Bot API: a new case gets its
//! own topic with its buttons; a button pressed there is answered there; what the clerk writes
//! in the topic becomes, after a confirm button, the question to the citizen and then the
//! answer; every later post about the case goes into the same topic. Whoever is not a linked
//! member, or writes in no case's topic, gets no answer.

use std::sync::Arc;

use hdnd_hub::SystemClock;
use hdnd_hub::domain::{Role, Status};
use serde_json::{Value, json};

use crate::bot_journey::{Chats, linked, status_becomes, the_case};
use crate::bot_transport::{FakeBotApi, Instance, wait_for};
use crate::helpers::{TestDb, contract_tests};

contract_tests!(a_case_is_worked_in_its_own_topic_of_the_staff_group,);

const GROUP: i64 = -1_009_876_543_210;
const CITIZEN: i64 = 5353;
const CLERK: i64 = 7201;
/// A member of the group who never linked an account.
const STRANGER: i64 = 7299;

fn group_message(update_id: u32, thread: i64) -> Value {
    json!({ "message_id": 10_000 + update_id, "date": 1_790_000_000,
        "chat": { "id": GROUP, "type": "supergroup", "title": "Tổ công tác", "is_forum": true },
        "message_thread_id": thread, "is_topic_message": true })
}

/// `text` written by `from` in topic `thread`.
fn written(update_id: u32, from: i64, thread: i64, text: &str) -> String {
    let mut message = group_message(update_id, thread);
    message["from"] = json!({ "id": from, "is_bot": false, "first_name": "Cán bộ" });
    message["text"] = json!(text);
    json!({ "update_id": update_id, "message": message }).to_string()
}

/// `from` pressing `data` under a message of topic `thread`.
fn pressed(update_id: u32, from: i64, thread: i64, data: &str) -> String {
    let mut message = group_message(update_id, thread);
    message["text"] = json!("…");
    json!({ "update_id": update_id, "callback_query": {
        "id": format!("cb{update_id}"), "chat_instance": "-9",
        "from": { "id": from, "is_bot": false, "first_name": "Cán bộ" },
        "message": message, "data": data } })
    .to_string()
}

/// The newest message in the group's topic `thread`.
fn last_in_topic(chats: &Chats, thread: i64) -> Value {
    chats
        .said(GROUP)
        .into_iter()
        .rfind(|b| b["message_thread_id"].as_i64() == Some(thread))
        .unwrap_or(Value::Null)
}

async fn a_case_is_worked_in_its_own_topic_of_the_staff_group(db: TestDb) {
    // Arrange: a clerk with a linked chat; the service with the staff group; a citizen's
    // report filed in their chat.
    let store = db.open(Arc::new(SystemClock)).await;
    let roles = [Role::Intake, Role::Secretary];
    linked(&store, "lan.tk", "Trần Thị Lan", &roles, CLERK).await;
    let fake = FakeBotApi::start(None).await;
    let app = Instance::start_with(&db.url, &fake.url, &format!("staff_group = {GROUP}\n"));
    let mut chats = Chats { fake, update: 0 };
    chats.type_in(&app, CITIZEN, "/new").await;
    chats.press(&app, CITIZEN, "n:kind:phan_anh").await;
    for _ in 0..2 {
        chats.press(&app, CITIZEN, "n:skip").await;
    }
    chats
        .type_in(
            &app,
            CITIZEN,
            "Cống thoát nước ngõ 7 bị tắc, nước tràn ra đường.",
        )
        .await;
    for _ in 0..4 {
        chats.press(&app, CITIZEN, "n:skip").await;
    }
    chats.press(&app, CITIZEN, "n:consent:no").await;
    chats.press(&app, CITIZEN, "n:confirm").await;
    let case = the_case(&store).await;

    // Act 1: the case gets a topic named by its code, and its notice goes there with buttons.
    wait_for("the case's topic", &[&app], async || {
        !chats.fake.calls_of("createForumTopic").is_empty()
    })
    .await;
    let topic = chats.fake.calls_of("createForumTopic")[0].body.clone();
    assert_eq!(topic["chat_id"].as_i64(), Some(GROUP));
    assert!(
        topic["name"]
            .as_str()
            .unwrap()
            .starts_with(case.code.as_str()),
        "{topic}"
    );
    wait_for("the notice in the topic", &[&app], async || {
        !chats.said(GROUP).is_empty()
    })
    .await;
    let notice = chats.said(GROUP)[0].clone();
    let thread = notice["message_thread_id"].as_i64().expect("in a topic");
    assert!(
        notice["text"].as_str().unwrap().contains("Hồ sơ mới"),
        "{notice}"
    );
    let accept = notice["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act 2: the clerk accepts in the topic; the topic hears of it once, with the buttons of
    // what comes next.
    chats
        .send(&app, GROUP, |id| pressed(id, CLERK, thread, &accept))
        .await;
    status_becomes(&store, &app, Status::Accepted).await;
    let post = last_in_topic(&chats, thread);
    assert!(post["text"].as_str().unwrap().starts_with("🔄"), "{post}");
    assert!(post.to_string().contains("Hỏi thêm"), "{post}");

    // Act 3: a stranger's words and a word in no case's topic get no answer; the clerk's
    // question, confirmed, reaches the citizen.
    let stranger = "Ai phụ trách hồ sơ này vậy?";
    let id = chats.next();
    chats.fake.push(id, written(id, STRANGER, thread, stranger));
    let id = chats.next();
    chats.fake.push(
        id,
        written(id, CLERK, 1, "Chào cả tổ, chiều nay họp lúc 14 giờ."),
    );
    let question = "Xin cho biết cống tắc ở đầu hay cuối ngõ 7?";
    chats
        .send(&app, GROUP, |id| written(id, CLERK, thread, question))
        .await;
    chats.heard(&app, GROUP, question).await;
    chats
        .send(&app, GROUP, |id| pressed(id, CLERK, thread, "n:room:ask"))
        .await;
    status_becomes(&store, &app, Status::NeedsInfo).await;
    chats.heard(&app, CITIZEN, question).await;

    // Act 4: the citizen answers; the clerk takes the case on from the topic's buttons (an
    // answer is for the member the case is assigned to), writes the answer there and sends it
    // as resolved.
    chats
        .type_in(&app, CITIZEN, "Ở cuối ngõ, cạnh nhà số 15.")
        .await;
    chats.press(&app, CITIZEN, "n:choose:answer").await;
    status_becomes(&store, &app, Status::Accepted).await;
    let assign = chats.button(&app, GROUP, "👤 Giao").await;
    chats
        .send(&app, GROUP, |id| pressed(id, CLERK, thread, &assign))
        .await;
    let herself = chats.button(&app, GROUP, "Trần Thị Lan").await;
    chats
        .send(&app, GROUP, |id| pressed(id, CLERK, thread, &herself))
        .await;
    status_becomes(&store, &app, Status::InProgress).await;
    let official = "Phường đã thông cống cuối ngõ 7 ngày 03/12/2026.";
    chats
        .send(&app, GROUP, |id| written(id, CLERK, thread, official))
        .await;
    chats.heard(&app, GROUP, official).await;
    chats
        .send(&app, GROUP, |id| {
            pressed(id, CLERK, thread, "n:room:answered")
        })
        .await;

    // Assert: answered with the clerk's words; one topic for the case, every post in it;
    // nothing said to the stranger or outside the topic.
    let answered = status_becomes(&store, &app, Status::Answered).await;
    assert_eq!(answered.progress.answer.as_deref(), Some(official));
    chats.heard(&app, CITIZEN, official).await;
    assert_eq!(chats.fake.calls_of("createForumTopic").len(), 1);
    let posts = chats.said(GROUP);
    assert!(
        posts
            .iter()
            .all(|b| b["message_thread_id"].as_i64() == Some(thread)),
        "{posts:?}"
    );
    assert!(
        posts
            .iter()
            .all(|b| !b["text"].as_str().unwrap().contains(stranger)),
        "{posts:?}"
    );
    assert!(chats.said(STRANGER).is_empty());
    let private = chats.texts(CLERK);
    assert!(
        private.iter().all(|t| !t.contains("Gửi nội dung này")),
        "the topic's answers stay in the topic: {private:?}"
    );
    app.assert_log_is_clean();
}
