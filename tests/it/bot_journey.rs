//! One case from the first message to its reopening, through the real binary over HTTP to the
//! fake Bot API on loopback, as the citizen and two officers live it in their own chats: the
//! citizen files a report (the process restarts in the middle and Telegram delivers the
//! confirmation twice), a forged button and a citizen pressing a staff button change nothing,
//! the clerk accepts and asks a question, the citizen answers it, the clerk assigns the case,
//! the specialist answers, and the citizen rates the answer "not satisfied", which reopens it.
//! Every button pressed is one the bot sent, found by its label.

use std::sync::Arc;

use hdnd_hub::Store;
use hdnd_hub::SystemClock;
use hdnd_hub::domain::{AuditNote, Case, ContactKind, ContactPoint, Role, Staff, Status};
use serde_json::{Value, json};

use crate::bot_transport::{FakeBotApi, Instance, TEXT, message_update, wait_for};
use crate::helpers::{TestDb, contract_tests, staff};
use crate::http::get;

contract_tests!(a_case_goes_from_the_citizens_chat_through_two_officers_and_back_reopened,);

const CITIZEN: i64 = 5252;
const CLERK: i64 = 7101;
const SPECIALIST: i64 = 7102;

/// The conversation's side of the test: what is pushed and what the bot said, per chat.
pub(crate) struct Chats {
    pub(crate) fake: FakeBotApi,
    pub(crate) update: u32,
}

impl Chats {
    pub(crate) fn next(&mut self) -> u32 {
        self.update += 1;
        self.update
    }

    /// Every message the bot sent `chat`, oldest first.
    pub(crate) fn said(&self, chat: i64) -> Vec<Value> {
        self.fake
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.body["chat_id"].as_i64() == Some(chat))
            .map(|c| c.body)
            .collect()
    }

    pub(crate) fn texts(&self, chat: i64) -> Vec<String> {
        self.said(chat)
            .iter()
            .map(|b| b["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Pushes `update` from `chat` and waits until the bot has said something more to it.
    pub(crate) async fn send(
        &mut self,
        app: &Instance,
        chat: i64,
        update: impl FnOnce(u32) -> String,
    ) {
        let before = self.said(chat).len();
        let id = self.next();
        self.fake.push(id, update(id));
        wait_for(&format!("the answer to update {id}"), &[app], async || {
            self.said(chat).len() > before
        })
        .await;
    }

    pub(crate) async fn type_in(&mut self, app: &Instance, chat: i64, text: &str) {
        self.send(app, chat, |id| message_update(id, chat, text))
            .await;
    }

    pub(crate) async fn press(&mut self, app: &Instance, chat: i64, data: &str) {
        self.send(app, chat, |id| press(id, chat, data)).await;
    }

    /// Waits until the bot said something to `chat` containing `phrase`, and returns it.
    pub(crate) async fn heard(&self, app: &Instance, chat: i64, phrase: &str) -> String {
        wait_for(&format!("{phrase:?} in chat {chat}"), &[app], async || {
            self.texts(chat).iter().any(|t| t.contains(phrase))
        })
        .await;
        self.texts(chat)
            .into_iter()
            .rfind(|t| t.contains(phrase))
            .unwrap()
    }

    /// The callback data of the newest button in `chat` whose label contains `label`, once
    /// the bot has sent one.
    pub(crate) async fn button(&self, app: &Instance, chat: i64, label: &str) -> String {
        self.button_where(app, chat, label, |text, _| text.contains(label))
            .await
    }

    pub(crate) async fn button_where(
        &self,
        app: &Instance,
        chat: i64,
        what: &str,
        wanted: impl Fn(&str, &str) -> bool,
    ) -> String {
        let find = || {
            self.said(chat).iter().rev().find_map(|body| {
                body["reply_markup"]["inline_keyboard"]
                    .as_array()?
                    .iter()
                    .flat_map(|row| row.as_array().into_iter().flatten())
                    .find_map(|b| {
                        let text = b["text"].as_str()?;
                        let data = b["callback_data"].as_str()?;
                        wanted(text, data).then(|| data.to_owned())
                    })
            })
        };
        wait_for(
            &format!("a button {what:?} in chat {chat}"),
            &[app],
            async || find().is_some(),
        )
        .await;
        find().unwrap()
    }
}

pub(crate) fn press(update_id: u32, chat: i64, data: &str) -> String {
    json!({ "update_id": update_id, "callback_query": {
        "id": format!("cb{update_id}"), "chat_instance": "-7",
        "from": { "id": chat, "is_bot": false, "first_name": "Người dùng" },
        "message": { "message_id": 1, "date": 1_790_000_000,
            "chat": { "id": chat, "type": "private", "first_name": "Người dùng" },
            "text": "…" },
        "data": data } })
    .to_string()
}

fn photo(update_id: u32, chat: i64) -> String {
    json!({ "update_id": update_id, "message": {
        "message_id": update_id, "date": 1_790_000_000,
        "chat": { "id": chat, "type": "private", "first_name": "Cử tri" },
        "from": { "id": chat, "is_bot": false, "first_name": "Cử tri" },
        "photo": [{ "file_id": "den-ngo", "file_unique_id": "d", "width": 640, "height": 480,
            "file_size": 29 }] } })
    .to_string()
}

/// A staff member with `roles` whose Telegram chat `chat` is linked.
pub(crate) async fn linked(
    store: &Arc<dyn Store>,
    login: &str,
    name: &str,
    roles: &[Role],
    chat: i64,
) -> Staff {
    let mut member = staff(login, roles);
    member.display_name = name.to_owned();
    member.contacts.insert(
        0,
        ContactPoint {
            kind: ContactKind::Telegram,
            address: chat.to_string(),
        },
    );
    store
        .add_staff(member, &AuditNote::operator())
        .await
        .unwrap()
}

pub(crate) async fn the_case(store: &Arc<dyn Store>) -> Case {
    let cases = store.list_cases(&Default::default()).await.unwrap();
    assert_eq!(cases.len(), 1, "one case, whatever was pressed twice");
    store.get_case(cases[0].id).await.unwrap()
}

pub(crate) async fn status_becomes(store: &Arc<dyn Store>, app: &Instance, status: Status) -> Case {
    wait_for(&format!("the case {status:?}"), &[app], async || {
        the_case(store).await.progress.status == status
    })
    .await;
    the_case(store).await
}

async fn a_case_goes_from_the_citizens_chat_through_two_officers_and_back_reopened(db: TestDb) {
    // Arrange: the office's clerk (intake and secretary) and a specialist, linked before the
    // service starts; a photo the citizen will send.
    let store = db.open(Arc::new(SystemClock)).await;
    let clerk_roles = [Role::Intake, Role::Secretary];
    linked(&store, "lan.tk", "Trần Thị Lan", &clerk_roles, CLERK).await;
    linked(
        &store,
        "chuyen.le",
        "Lê Văn Chuyên",
        &[Role::Specialist],
        SPECIALIST,
    )
    .await;
    let fake = FakeBotApi::start(None).await;
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    fake.file("den-ngo", &png);
    let mut chats = Chats { fake, update: 0 };
    let content = format!("{TEXT}, đã hai tuần chưa ai sửa, tối đi lại rất nguy hiểm.");

    // Act 1: the dialogue begins on one process, which stops after the content.
    let mut first = Instance::start(&db.url, &chats.fake.url);
    chats.type_in(&first, CITIZEN, "/new").await;
    chats.press(&first, CITIZEN, "n:kind:phan_anh").await;
    chats.press(&first, CITIZEN, "n:skip").await;
    chats.press(&first, CITIZEN, "n:skip").await;
    chats.type_in(&first, CITIZEN, &content).await;
    first.sigterm();
    assert_eq!(first.exit_code().await, Some(0));

    // Act 2: the next process goes on where the dialogue was: a photo, no contact details,
    // no publication, and the confirmation Telegram delivers twice.
    let app = Instance::start(&db.url, &chats.fake.url);
    chats.send(&app, CITIZEN, |id| photo(id, CITIZEN)).await;
    chats.heard(&app, CITIZEN, "📎").await;
    for _ in 0..4 {
        chats.press(&app, CITIZEN, "n:skip").await;
    }
    chats.press(&app, CITIZEN, "n:consent:no").await;
    let id = chats.next();
    chats.fake.push(id, press(id, CITIZEN, "n:confirm"));
    chats.fake.push(id, press(id, CITIZEN, "n:confirm"));
    let receipt = chats.heard(&app, CITIZEN, "Mã hồ sơ").await;
    let received = the_case(&store).await;
    assert!(receipt.contains(received.code.as_str()), "{receipt}");
    // The receipt's private link opens the citizen's own case on the portal.
    let link = receipt
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the receipt carries the private link");
    let private = &link[link.find("/ho-so-rieng/").expect(link)..];
    let portal = app.portal().expect("the portal's address");
    let page = get(&portal, private).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&content), "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(get(&portal, "/ho-so-rieng/0123abcd").await.status, 404);
    assert_eq!(received.content, content);
    assert_eq!(received.attachments.len(), 1);
    assert_eq!(received.progress.status, Status::Received);

    // Act 3: the clerk's notice of the new case carries the buttons. A forged one (accept's
    // tag on reject) and the citizen pressing the real accept change nothing.
    let accept = chats.button(&app, CLERK, "✅ Thụ lý").await;
    let forged = accept.replacen("s:accept:", "s:reject:", 1);
    chats.press(&app, CLERK, &forged).await;
    chats.heard(&app, CLERK, "Nút này không còn hiệu lực").await;
    chats.press(&app, CITIZEN, &accept).await;
    chats
        .heard(&app, CITIZEN, "dành cho cán bộ đã liên kết")
        .await;
    assert_eq!(the_case(&store).await.version, received.version);

    // Act 4: the clerk accepts and asks a question; the citizen hears it and answers.
    chats.press(&app, CLERK, &accept).await;
    status_becomes(&store, &app, Status::Accepted).await;
    let ask = chats.button(&app, CLERK, "❓ Hỏi thêm").await;
    chats.press(&app, CLERK, &ask).await;
    let question = "Xin cho biết đèn hỏng ở số nhà nào trong ngõ 12?";
    chats.type_in(&app, CLERK, question).await;
    status_becomes(&store, &app, Status::NeedsInfo).await;
    chats.heard(&app, CITIZEN, question).await;
    chats
        .type_in(&app, CITIZEN, "Trước số nhà 12B, cạnh cột điện.")
        .await;
    chats.press(&app, CITIZEN, "n:choose:answer").await;
    status_becomes(&store, &app, Status::Accepted).await;

    // Act 5: the clerk gives the case to the specialist, who answers it as resolved.
    let assign = chats.button(&app, CLERK, "👤 Giao").await;
    chats.press(&app, CLERK, &assign).await;
    let specialist = chats.button(&app, CLERK, "Lê Văn Chuyên").await;
    chats.press(&app, CLERK, &specialist).await;
    status_becomes(&store, &app, Status::InProgress).await;
    let answer = chats.button(&app, SPECIALIST, "📝 Trả lời").await;
    chats.press(&app, SPECIALIST, &answer).await;
    let official = "Phường đã thay bóng đèn trước số nhà 12B ngày 02/12/2026.";
    chats.type_in(&app, SPECIALIST, official).await;
    let resolved = chats.button(&app, SPECIALIST, "Gửi: đã giải quyết").await;
    chats.press(&app, SPECIALIST, &resolved).await;
    let answered = status_becomes(&store, &app, Status::Answered).await;
    assert_eq!(answered.progress.answer.as_deref(), Some(official));

    // Act 6: the citizen reads the answer, rates it two stars with a comment, not satisfied.
    chats.heard(&app, CITIZEN, official).await;
    let rate = chats
        .button_where(&app, CITIZEN, "rate", |_, data| data.starts_with("r:"))
        .await;
    chats.press(&app, CITIZEN, &rate).await;
    chats.press(&app, CITIZEN, "n:rate:2").await;
    chats
        .type_in(&app, CITIZEN, "Đèn mới lắp nhưng vẫn tắt sau 22 giờ.")
        .await;
    chats.press(&app, CITIZEN, "n:rate_send:again").await;

    // Assert: reopened, with every step on the timeline once, and the logs clean.
    let reopened = status_becomes(&store, &app, Status::InProgress).await;
    assert_eq!(reopened.id, received.id);
    let timeline = store.get_timeline(reopened.id).await.unwrap();
    let notes: Vec<&str> = timeline.iter().filter_map(|e| e.note.as_deref()).collect();
    for said in [question, "Trước số nhà 12B, cạnh cột điện.", official] {
        let times = notes.iter().filter(|n| n.contains(said)).count();
        assert_eq!(
            times, 1,
            "{said:?} on the timeline {times} times: {notes:?}"
        );
    }
    chats.heard(&app, CITIZEN, "đã mở lại hồ sơ").await;
    // The private page tells the story as the citizen knows it, and names no officer.
    let page = get(&portal, private).await.body;
    for told in [
        question,
        "Trước số nhà 12B, cạnh cột điện.",
        official,
        "Đang giải quyết",
    ] {
        assert!(
            page.contains(told),
            "{told:?} not on the private page:\n{page}"
        );
    }
    assert!(
        !page.contains("Lê Văn Chuyên") && !page.contains("Trần Thị Lan"),
        "{page}"
    );
    first.assert_log_is_clean();
    app.assert_log_is_clean();
}
